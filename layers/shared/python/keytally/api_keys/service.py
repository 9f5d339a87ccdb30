"""Who may see, issue, change and revoke which keys, and the listing across a caller's owners."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from keytally.access import api_for, organization_for
from keytally.api_keys import cursor as cursors
from keytally.api_keys.credits import credit_moves
from keytally.api_keys.models import PRODUCT_FIELDS, CreateApiKey, UpdateApiKey, meta_text
from keytally.auth import secrets
from keytally.auth.principal import Principal
from keytally.errors import Conflict, Forbidden, NotFound, Unprocessable
from keytally.models import ALL_SCOPES, KeyKind, KeyRecord, ProductRateLimit, Refill, Scope, User
from keytally.storage import api_keys, api_listing, key_counters
from keytally.storage.api_keys import EVERY_KEY, RACES, KeyOwner
from keytally.storage.dynamodb import ConditionFailed
from keytally.usage import request_scope

# A rule of the caller's API on the key as read, raising what that API answers for a key it does not serve (Unkey's:
# product keys not revoked, anything else not found). Checked on the one read the write makes, before the write checks.
KeyRule = Callable[[KeyRecord], None]


def _may(principal: Principal, record: KeyRecord, scope: Scope) -> bool:
    """Staff may act on every key, unless their credential is bound to one organization (then: its keys)."""
    if record.key_type is KeyKind.USER:
        return record.user_id == principal.user_id or (principal.is_staff and principal.org_slug is None)
    return record.org_slug is not None and scope in principal.scopes_in(record.org_slug)


def _grantable(principal: Principal, key_type: KeyKind, org_slug: str | None) -> frozenset[Scope]:
    """A caller can never issue a key stronger than itself."""
    if key_type is KeyKind.USER or org_slug is None:
        return principal.scopes
    return principal.scopes_in(org_slug)


def _check_grant(requested: list[Scope], grantable: frozenset[Scope]) -> None:
    excess = sorted(scope.value for scope in set(requested) - grantable)
    if excess:
        raise Forbidden(f"The caller cannot grant scopes it does not hold: {', '.join(excess)}.")


def create_key(principal: Principal, request: CreateApiKey, now: datetime) -> tuple[KeyRecord, str]:
    """Issues a key for an authorized caller, never stronger than the caller itself."""
    kind = KeyKind(request.key_type)
    if kind is KeyKind.PRODUCT:
        api = api_for(principal, request.api_id or "", Scope.KEYS_WRITE)
        if request.organizationSlug not in (None, api.org_slug):
            raise NotFound(f"No API '{api.api_id}' in organization '{request.organizationSlug}'.")
        return issue_key(request, org_slug=api.org_slug, user=None, now=now)
    if kind is KeyKind.USER:
        if principal.account is None:
            raise Forbidden("Only a user's credential can issue user keys.")
        if principal.org_slug is not None:  # a user key reaches every organization of its user
            raise Forbidden("A token bound to one organization cannot issue user keys.")
        org_slug, user = None, principal.account.user
    else:
        org_slug, user = organization_for(principal, request.organizationSlug, Scope.KEYS_WRITE), None
    grantable = _grantable(principal, kind, org_slug)
    scope_names = request.scope_names
    if scope_names is None:
        scope_names = sorted(grantable)
        request = request.model_copy(update={"scope_names": scope_names})
    _check_grant(scope_names, grantable)
    return issue_key(request, org_slug=org_slug, user=user, now=now)


def issue_key(
    request: CreateApiKey, *, org_slug: str | None, user: User | None, now: datetime
) -> tuple[KeyRecord, str]:
    """Stores a new key and returns it with its secret, which is never stored and never shown again.
    Authorization is the caller's business (the API's create_key, or an operator: keytally.admin)."""
    kind = KeyKind(request.key_type)
    key_value = secrets.generate_key(kind)
    if kind is KeyKind.PRODUCT:
        scopes = []
    else:
        scopes = request.scope_names if request.scope_names is not None else sorted(ALL_SCOPES)
    refill = Refill(**request.refill.model_dump()) if request.refill else None
    record = KeyRecord(
        api_key_id=secrets.new_id("ak_"),
        key_hash=secrets.hash_key(key_value),
        key_start=secrets.key_start(key_value),
        key_type=kind,
        org_slug=org_slug,
        user_id=user.user_id if user else None,
        user_email=user.email if user else None,
        description=request.description,
        scope_names=tuple(dict.fromkeys(scopes)),
        allow_ips=tuple(dict.fromkeys(request.allow_ips)),
        is_enabled=request.is_enabled,
        rate_limit=request.rate_limit,
        created_time=now,
        expires_at=request.expires_at,
        api_id=request.api_id,
        external_id=request.external_id,
        meta=meta_text(request.meta),
        permissions=tuple(dict.fromkeys(request.permissions)),
        remaining=request.remaining if request.remaining is not None or refill is None else refill.amount,
        refill=refill,
        last_refill_at=refill.period_start(now) if refill else None,
        ratelimit=ProductRateLimit(**request.ratelimit.model_dump()) if request.ratelimit else None,
        counter_shards=request.counter_shards,
    )
    api_keys.put_key(record)
    return record, key_value


def list_sources(principal: Principal, org_slug: str | None) -> list[KeyOwner]:
    """The owners whose keys a caller may list, in a fixed order (a cursor indexes into it). A credential bound to
    an organization lists that one's keys, a staff user's bound token included."""
    if org_slug is not None or principal.org_slug is not None:
        return [KeyOwner(org_slug=organization_for(principal, org_slug, Scope.KEYS_READ))]
    if principal.is_staff:
        return [EVERY_KEY]
    return [KeyOwner(user_id=principal.user_id)] + [
        KeyOwner(org_slug=org) for org in principal.member_orgs_with(Scope.KEYS_READ)
    ]


def list_keys(
    principal: Principal, *, key_type: KeyKind | None, org_slug: str | None, limit: int, cursor: str | None
) -> tuple[list[KeyRecord], str | None]:
    sources = list_sources(principal, org_slug)
    index, start = cursors.decode(cursor, sources) if cursor else (0, None)
    records: list[KeyRecord] = []
    while index < len(sources) and len(records) < limit:
        page, start = api_keys.query_key_page(
            sources[index], key_type=key_type, limit=limit - len(records), start=start
        )
        records.extend(page)
        if start is None:
            index += 1
    return records, cursors.encode(index, start) if index < len(sources) else None


class ApiKeyPage(NamedTuple):
    keys: list[KeyRecord]
    cursor: str | None  # None: the last page
    total: int  # the API's live keys


def list_api_keys(
    principal: Principal, api_id: str, external_id: str | None, limit: int, cursor: str | None
) -> ApiKeyPage:
    """An API's live product keys (of one identity, when given), oldest first, a page at a time."""
    api = api_for(principal, api_id, Scope.KEYS_READ)
    start = cursors.decode_in_api(cursor, api_id, external_id) if cursor else None
    records, after = api_keys.list_api_keys(api_id, external_id, limit, start)
    total = api_listing.live_keys(api.org_slug, api_id)
    return ApiKeyPage(records, cursors.encode(0, after) if after else None, total)


def get_key(principal: Principal, api_key_id: str) -> KeyRecord:
    """Another organization's key is reported missing, never forbidden: existence is not revealed."""
    record = api_keys.get_key_by_id(api_key_id)
    if record is None or not _may(principal, record, Scope.KEYS_READ):
        raise NotFound(f"API key '{api_key_id}' does not exist.")
    if record.org_slug is not None:
        request_scope.note_organization(record.org_slug)
    return record


def _writable(principal: Principal, api_key_id: str, only: KeyRule | None) -> KeyRecord:
    """The key, if the caller may change it: it may write keys there, and the key is no stronger than the caller
    (its scopes within what the caller could grant). A key may always revoke itself (see revoke_key)."""
    record = get_key(principal, api_key_id)
    if only is not None:
        only(record)
    if not _may(principal, record, Scope.KEYS_WRITE):
        raise Forbidden(f"The caller may read but not change API key '{api_key_id}'.")
    if record.api_key_id != principal.credential_id:
        stronger = sorted(
            scope.value for scope in set(record.scope_names) - _grantable(principal, record.key_type, record.org_slug)
        )
        if stronger:
            raise Forbidden(f"API key '{api_key_id}' holds scopes the caller does not: {', '.join(stronger)}.")
    return record


def update_key(
    principal: Principal, api_key_id: str, request: UpdateApiKey, now: datetime, only: KeyRule | None = None
) -> KeyRecord:
    record = _writable(principal, api_key_id, only)
    if record.revoked_at is not None:
        raise NotFound(f"API key '{api_key_id}' has been revoked.")
    changes: dict[str, Any] = {name: getattr(request, name) for name in request.model_fields_set}
    product_changes = sorted(set(changes) & set(PRODUCT_FIELDS))
    if product_changes and record.key_type is not KeyKind.PRODUCT:
        raise Unprocessable(f"{', '.join(product_changes)}: only product keys carry these")
    if changes.get("scope_names") and record.key_type is KeyKind.PRODUCT:
        raise Unprocessable("scope_names: product keys carry permissions, not scopes")
    if "refill" in changes and changes["refill"] is not None:
        changes["refill"] = changes["refill"].model_dump()
    if "ratelimit" in changes and changes["ratelimit"] is not None:
        changes["ratelimit"] = changes["ratelimit"].model_dump()
    if "meta" in changes:
        changes["meta"] = meta_text(changes["meta"])
    if "permissions" in changes and changes["permissions"] is not None:
        changes["permissions"] = tuple(dict.fromkeys(changes["permissions"]))
    if changes.get("scope_names") is not None:
        _check_grant(changes["scope_names"], _grantable(principal, record.key_type, record.org_slug))
    if not changes:
        return record
    updated = api_keys.update_key(record, changes, now)
    if updated is None:
        raise NotFound(f"API key '{api_key_id}' has been revoked.")
    return updated


def change_credits(
    principal: Principal, api_key_id: str, delta: int, now: datetime, only: KeyRule | None = None
) -> KeyRecord:
    """Raises (or, `delta` < 0, lowers, never below zero) a product key's credits, exactly against verifications
    spending them meanwhile (api_keys/credits.py). A retry changes them again. An unlimited key has no credits to
    change (422): set a balance first."""
    record = _writable(principal, api_key_id, only)
    for _ in range(RACES):
        key, shards = api_keys.get_split_key(record.key_hash, consistent=True)
        if key is None or key.revoked_at is not None or key.key_type is not KeyKind.PRODUCT:
            raise NotFound(f"API key '{api_key_id}' does not exist.")
        if all(shard is None or shard.remaining is None for shard in shards):
            raise Unprocessable("The key's credits are unlimited: set a number of credits instead.")
        moves = credit_moves(key, shards, delta, now)
        try:
            if moves:
                key_counters.move_credits(key, moves, raised=delta > 0)
        except ConditionFailed:
            continue
        key, shards = api_keys.get_split_key(record.key_hash, consistent=True)
        return key_counters.summed(key or record, shards, now)
    raise Conflict("The key kept being verified while its credits were changed; retry.")


def revoke_key(principal: Principal | None, api_key_id: str, now: datetime, only: KeyRule | None = None) -> KeyRecord:
    """Revocation is immediate (authentication reads strongly) and idempotent: a retry returns the same key.
    `principal` None is an operator (keytally.admin), who may revoke any key."""
    record = _writable(principal, api_key_id, only) if principal is not None else api_keys.get_key_by_id(api_key_id)
    if record is None:
        raise NotFound(f"API key '{api_key_id}' does not exist.")
    return api_keys.revoke_key(record, now)
