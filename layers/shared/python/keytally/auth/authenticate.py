"""From a raw credential to a Principal: look it up, check it, count it against its hourly limit.

Each credential kind knows its own format and how to resolve it: API keys (`kt_...`) and personal access tokens
(JWTs). Rate limiting and last-use tracking are common to all kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Protocol

from keytally.auth import checks, secrets, tally, tokens
from keytally.auth.principal import CredentialKind, Principal
from keytally.auth.rate_limit import DEFAULT_LIMIT, Budget, Quota, Window
from keytally.errors import TooManyRequests, Unauthorized
from keytally.models import LAST_USED_PRECISION, KeyKind, KeyRecord, UserWithMemberships
from keytally.storage import accounts, api_keys, rate_limits, signing_key
from keytally.storage import tokens as token_rows

RecordUse = Callable[[datetime, datetime], None]  # (now, stale_before): sets last_used_at unless fresher


@dataclass(frozen=True)
class Resolved:
    principal: Principal
    rate_limit: int
    allow_ips: tuple[str, ...] = ()
    record_use: RecordUse | None = None  # set when the credential's recorded last use is stale
    keys: dict[str, KeyRecord | None] = field(default_factory=dict)  # other keys read with it: hash -> key


class CredentialResolver(Protocol):
    def recognizes(self, credential: str) -> bool: ...

    def resolve(self, credential: str, now: datetime, with_keys: Sequence[str]) -> Resolved: ...


class ApiKeyResolver:
    """Organization and user API keys: a checksum check first, so a mistyped key costs no read."""

    def recognizes(self, credential: str) -> bool:
        return credential.startswith("kt_")

    def resolve(self, credential: str, now: datetime, with_keys: Sequence[str]) -> Resolved:
        """`with_keys`: product keys the request will look up, read in the same request as the caller's own."""
        kind = secrets.kind_of(credential)
        if kind is None:
            raise Unauthorized("The API key is malformed.")
        if kind is KeyKind.PRODUCT:
            raise Unauthorized("Product keys are checked with POST /v1/keys/verify; they do not open keytally's API.")
        own = secrets.hash_key(credential)
        others = [secrets.hash_key(key) for key in with_keys if secrets.kind_of(key) is KeyKind.PRODUCT]
        others = [key_hash for key_hash in others if api_keys.split_shards(key_hash) is None]  # read apart, eventually
        found = api_keys.get_keys_by_hash({own: kind} | dict.fromkeys(others, KeyKind.PRODUCT))
        record = found.get(own)
        if record is None:
            raise Unauthorized("The API key is not valid.")
        checks.require_usable(record, now)
        if record.key_type is KeyKind.ORGANIZATION:
            principal = Principal(
                kind=CredentialKind.ORGANIZATION_KEY,
                credential_id=record.api_key_id,
                scopes=frozenset(record.scope_names),
                org_slug=record.org_slug,
            )
        else:
            principal = Principal(
                kind=CredentialKind.USER_KEY,
                credential_id=record.api_key_id,
                scopes=frozenset(record.scope_names),
                account=_live_user(record.user_id or ""),
            )
        touch = partial(api_keys.touch_last_used, record.key_hash) if record.last_use_is_stale(now) else None
        keys = {other: found.get(other) for other in others}
        return Resolved(principal, record.rate_limit, record.allow_ips, touch, keys)


class PersonalAccessTokenResolver:
    """A token is honoured while its signature and expiry hold and its row exists, is not revoked and equals its
    claims; what it may do is decided on its user as stored now (staff flag, memberships), never on the claims."""

    def recognizes(self, credential: str) -> bool:
        return tokens.looks_like_token(credential)

    def resolve(self, credential: str, now: datetime, with_keys: Sequence[str]) -> Resolved:
        """`with_keys` are left to whoever needs them: a token is not read where keys are."""
        claims = tokens.verified_claims(credential, signing_key.pat_signing_key())
        record = token_rows.get_token(claims.pat_id)
        if record is None or not claims.match(record):
            raise Unauthorized("The personal access token is not valid.")
        if record.revoked_at is not None:
            raise Unauthorized("The personal access token has been revoked.")
        if record.expires_at <= now:  # the claim said so too, unless the signing secret leaked
            raise Unauthorized("The personal access token has expired.")
        principal = Principal(
            kind=CredentialKind.PERSONAL_ACCESS_TOKEN,
            credential_id=record.pat_id,
            scopes=frozenset(record.scope_names),
            org_slug=record.org_slug,
            account=_live_user(record.user_id),
            read_only=record.read_only,
            global_metrics=record.access_global_metrics,
        )
        touch = partial(token_rows.touch_last_used, record.pat_id) if record.last_use_is_stale(now) else None
        return Resolved(principal, DEFAULT_LIMIT, record_use=touch)


def _live_user(user_id: str) -> UserWithMemberships:
    """The user as stored now, with every membership: what a user's credential may do follows from this."""
    account = accounts.get_user_with_memberships(user_id)
    if account is None:
        raise Unauthorized("The credential's user no longer exists.")
    if account.user.is_disabled:
        raise Unauthorized("The credential's user is disabled.")
    return account


CREDENTIAL_KINDS: tuple[CredentialResolver, ...] = (ApiKeyResolver(), PersonalAccessTokenResolver())


@dataclass(frozen=True)
class Authenticated:
    principal: Principal
    quota: Quota
    keys: dict[str, KeyRecord | None] = field(default_factory=dict)  # read with the caller's key: hash -> key


def authenticate(
    credential: str | None,
    source_ip: str,
    now: datetime,
    budget: Budget = Budget.MANAGEMENT,
    *,
    with_keys: Sequence[str] = (),
) -> Authenticated:
    """Raises Unauthorized (401), Forbidden for a disallowed address (403) or TooManyRequests (429) when the
    credential's hourly `budget` is spent. `with_keys`: secrets of keys the request will look up, read together with
    the caller's own key when that is one (`keys` of the answer; a key absent there was not read)."""
    try:
        resolved = _resolve(credential, now, with_keys)
    except Unauthorized as refused:
        refused.quota = _count_refusal(source_ip, now)
        raise
    checks.require_allowed_ip(source_ip, resolved.allow_ips)
    quota = _count_request(resolved.principal.credential_id, budget, budget.limit(resolved.rate_limit), now)
    if resolved.record_use:
        resolved.record_use(now, now - LAST_USED_PRECISION)
    return Authenticated(resolved.principal, quota, resolved.keys)


def _resolve(credential: str | None, now: datetime, with_keys: Sequence[str]) -> Resolved:
    if not credential:
        raise Unauthorized("Send a key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.")
    resolver = next((kind for kind in CREDENTIAL_KINDS if kind.recognizes(credential)), None)
    if resolver is None:
        raise Unauthorized("The credential is not recognized.")
    return resolver.resolve(credential, now, with_keys)


def _count_refusal(source_ip: str, now: datetime) -> tuple[int, int]:
    """Counts a refused credential against its source address's hourly budget (429 past it): the (limit, remaining)
    a 401 reports in its X-RateLimit-* headers."""
    quota = _count_request(f"ip#{source_ip}", Budget.REFUSED, Budget.REFUSED.limit(0), now)
    return quota.limit, quota.remaining


def _count_request(credential_id: str, budget: Budget, limit: int, now: datetime) -> Quota:
    window = Window.containing(now)
    if budget in (Budget.VERIFICATION, Budget.REFUSED):
        count = tally.count(credential_id, budget, window, limit)
    else:
        count = rate_limits.count_request(credential_id, budget.value, window.label, limit, window.expires_epoch())
    if count is None:
        raise TooManyRequests(
            window.seconds_left(now),
            limit,
            f"The hourly {budget.value} limit of {limit} calls is used up until {window.end.isoformat()}.",
        )
    return Quota(limit=limit, remaining=max(0, limit - count))
