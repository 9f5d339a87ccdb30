"""Unkey v1's verification counts: analytics.getVerifications (keytally's GET /v1/analytics/verifications, which
implements that very document, in a bare body) and keys.getVerifications (a key's, or an owner's, day by day).

Unkey's v1 SDK sends an array as one comma-joined value, so on these paths `keyId`, `tag` and `groupBy` are split on
commas (a tag holding a comma cannot be asked for here; keytally's own route keeps tags whole). Absent counts and
groups are left out of each datapoint, as Unkey's answers do.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from keytally.access import root_organization
from keytally.analytics.parameters import key_ids_of
from keytally.analytics.verification_models import GroupBy, Order
from keytally.analytics.verifications import VerificationsQuery, get_verifications
from keytally.auth.principal import Principal
from keytally.errors import Unprocessable
from keytally.models import Scope
from keytally.storage.apis import list_apis
from keytally.unkey.keys import product_key

MAX_TAGS = 10


def split(values: list[str] | None) -> tuple[str, ...]:
    return tuple(piece.strip() for value in values or () for piece in value.split(",") if piece.strip())


def groupings(values: list[str] | None) -> tuple[GroupBy, ...]:
    try:
        return tuple(dict.fromkeys(GroupBy(piece) for piece in split(values)))
    except ValueError as error:
        raise Unprocessable(f"groupBy: one of {', '.join(group.value for group in GroupBy)}") from error


def verifications(
    principal: Principal,
    query: VerificationsQuery,
    key_ids: list[str] | None,
    tags: list[str] | None,
    group_by: list[str] | None,
    now: datetime,
) -> list[dict[str, Any]]:
    asked_tags = split(tags)
    if len(asked_tags) > MAX_TAGS or any(len(tag) > 128 for tag in asked_tags):
        raise Unprocessable(f"tag: at most {MAX_TAGS} tags of at most 128 characters")
    query = query._replace(key_ids=key_ids_of(key_ids), tags=asked_tags, group_by=groupings(group_by))
    return [point.model_dump(exclude_none=True) for point in get_verifications(principal, query, now)]


class DayOfKey(BaseModel):
    time: int
    success: int
    rateLimited: int
    usageExceeded: int


class KeyVerifications(BaseModel):
    verifications: list[DayOfKey]


def key_verifications(
    principal: Principal, key_id: str | None, owner_id: str | None, start: int | None, end: int | None, now: datetime
) -> KeyVerifications:
    """A key's verifications (the root key reads the key: keys:read too), or those of every key of an owner in every
    API of the root key's organization, per day."""
    if (key_id is None) == (owner_id is None):
        raise Unprocessable("keyId or ownerId: exactly one of them")
    asked: list[tuple[str, tuple[str, ...], str | None]]
    if key_id is not None:
        asked = [(product_key(principal, key_id).api_id or "", (key_id,), None)]
    else:
        org_slug = root_organization(principal, Scope.ANALYTICS_READ)
        asked = [(api.api_id, (), owner_id) for api in list_apis(org_slug)]
    days: dict[int, DayOfKey] = defaultdict(lambda: DayOfKey(time=0, success=0, rateLimited=0, usageExceeded=0))
    for api_id, key_ids, external_id in asked:
        query = VerificationsQuery(api_id, external_id, key_ids, (), start, end, (GroupBy.DAY,), None, None, Order.ASC)
        for point in get_verifications(principal, query, now):
            day = days[point.time]
            day.time = point.time
            day.success += point.valid
            day.rateLimited += point.rateLimited
            day.usageExceeded += point.usageExceeded
    return KeyVerifications(verifications=[days[time] for time in sorted(days)])
