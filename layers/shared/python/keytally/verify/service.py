"""POST /v1/keys/verify: who may ask, the checks in Unkey's order, the atomic counters, and the event it leaves."""

from __future__ import annotations

import contextlib
import time
from datetime import datetime
from typing import NamedTuple

from keytally.access import api_for
from keytally.auth import secrets
from keytally.auth.principal import Principal
from keytally.errors import ServiceUnavailable
from keytally.models import ApiRecord, Code, KeyKind, KeyRecord, Scope, identity_of
from keytally.storage import api_keys, key_counters
from keytally.storage.dynamodb import ConditionFailed
from keytally.usage import recording, request_scope
from keytally.usage.events import verification_event
from keytally.verify import counters
from keytally.verify.models import RateLimitState, Verification, VerifyKeyResponse
from keytally.verify.outcomes import static_outcome

MAX_ATTEMPTS = 5  # each failed attempt means a concurrent verification of the same key succeeded
REMEMBERED = 10_000  # refusals of split keys a container remembers


class Verified(NamedTuple):
    """The answer, and the key as it was decided on (None: no key of the caller's)."""

    response: VerifyKeyResponse
    record: KeyRecord | None


def verify(principal: Principal, asked: Verification, caller_ip: str, now: datetime) -> Verified:
    started = time.perf_counter()
    api = api_for(principal, asked.api_id, Scope.KEYS_VERIFY) if asked.api_id is not None else None
    key_hash, record = _looked_up(asked.key, api_known=api is not None)
    if api is None:
        api = _own_api(principal, record)
        if api is None:  # no key the caller may verify: nothing to count it under
            return Verified(VerifyKeyResponse(valid=False, code=Code.NOT_FOUND, requestedAt=now), None)
        asked = asked._replace(api_id=api.api_id)
    return _verified(api, asked, asked.ip or caller_ip, now, key_hash, record, started)


def verify_in(api: ApiRecord, asked: Verification, ip: str, now: datetime) -> Verified:
    """A verification in an API the caller's deployment bound it to (a gateway's authorizer): no caller key."""
    started = time.perf_counter()
    key_hash, record = _looked_up(asked.key, api_known=True)
    return _verified(api, asked._replace(api_id=api.api_id), ip, now, key_hash, record, started)


def _looked_up(key: str, *, api_known: bool) -> tuple[str | None, KeyRecord | None]:
    """The key's hash (None: not a product key, NOT_FOUND without a read) and the key as read here, unless it is a
    split key whose API is known (its counters are read with it when it is decided)."""
    if secrets.kind_of(key) is not KeyKind.PRODUCT:
        return None, None
    key_hash = secrets.hash_key(key)
    read = request_scope.keys_looked_up()  # with the caller's own key, when that was one
    if key_hash in read:
        return key_hash, read[key_hash]
    if api_keys.split_shards(key_hash) is None:
        return key_hash, api_keys.get_key_by_hash(key_hash, KeyKind.PRODUCT)
    if not api_known:  # a split key's API, to know where it is verified
        return key_hash, api_keys.get_split_key(key_hash, consistent=False)[0]
    return key_hash, None


def _verified(
    api: ApiRecord,
    asked: Verification,
    ip: str,
    now: datetime,
    key_hash: str | None,
    record: KeyRecord | None,
    started: float,
) -> Verified:
    if key_hash is not None and api_keys.split_shards(key_hash) is not None:
        code, record = _decide_split(key_hash, asked, ip, now)
    else:
        code, record = _decide(record, asked, ip, now)
    response = _response(code, record, api, now)
    _record(api, asked, code, record, now, latency_ms=(time.perf_counter() - started) * 1000)
    return Verified(response, record if response.keyId else None)


def _own_api(principal: Principal, record: KeyRecord | None) -> ApiRecord | None:
    """The API of a key asked without one, if the caller may reach its organization (then it must hold
    keys:verify there); a revoked key, or one of an organization the caller may not reach, has none."""
    if record is None or record.revoked_at is not None or record.api_id is None or record.org_slug is None:
        return None
    if not principal.may_access(record.org_slug):
        return None
    return api_for(principal, record.api_id, Scope.KEYS_VERIFY)


def _decide(record: KeyRecord | None, asked: Verification, ip: str, now: datetime) -> tuple[Code, KeyRecord | None]:
    for _ in range(MAX_ATTEMPTS):
        code = static_outcome(record, asked.api_id, ip, asked.permissions, now)
        if code is not None:
            return code, record
        assert record is not None  # static_outcome answers NOT_FOUND for a missing key
        plan = counters.plan(record, asked.cost, now)
        if plan.refused is not None:
            return plan.refused, record
        if not plan.changes.any:
            return Code.VALID, record
        applied, shard = key_counters.spend(record, 0, plan.changes)
        if shard is None:
            return Code.NOT_FOUND, None
        record = record.model_copy(update=shard.model_dump(exclude={"state_version"}))
        if applied:
            return Code.VALID, record
    raise ServiceUnavailable("The key is being verified too often at once; retry with backoff.")


def _response(code: Code, record: KeyRecord | None, api: ApiRecord, now: datetime) -> VerifyKeyResponse:
    if code in (Code.NOT_FOUND, Code.UNAUTHORIZED) or record is None:
        return VerifyKeyResponse(valid=False, code=code, requestedAt=now)
    ratelimit = None
    if record.ratelimit is not None:
        window = record.ratelimit.window_of(now)
        used = record.ratelimit_count if record.ratelimit_window == window else 0
        ratelimit = RateLimitState(
            limit=record.ratelimit.limit,
            remaining=max(0, record.ratelimit.limit - used),
            reset=(window + 1) * record.ratelimit.duration,
        )
    return VerifyKeyResponse(
        valid=code is Code.VALID,
        code=code,
        keyId=record.api_key_id,
        enabled=record.is_enabled,
        expires=int(record.expires_at.timestamp() * 1000) if record.expires_at else None,
        permissions=list(record.permissions),
        remaining=record.remaining,
        ratelimit=ratelimit,
        identity=identity_of(api.org_slug, record.external_id),
        requestedAt=now,
    )


def _record(
    api: ApiRecord, asked: Verification, code: Code, record: KeyRecord | None, now: datetime, latency_ms: float
) -> None:
    """One verification event in the caller's organization; another organization's key id is never written."""
    own_key = record is not None and code is not Code.NOT_FOUND and record.org_slug == api.org_slug
    recording.record(
        [
            verification_event(
                event_id=secrets.new_id("ev_"),
                org_slug=api.org_slug,
                time=now,
                received_at=now,
                api_id=api.api_id,
                key_id=record.api_key_id if record and own_key else "",
                identity=(record.external_id or "") if record and own_key else "",
                code=code,
                tags=asked.tags,
                credits=asked.cost if code is Code.VALID else 0,
                latency_ms=latency_ms,
            )
        ]
    )


class Refusal(NamedTuple):
    """A split key's counters refused, read strongly: it holds while the key's version, the rate limit's window and
    the refill's period are the same (counts only rise within a window, credits only fall within a period) for any
    cost at least as high."""

    state_version: int
    code: Code
    window: int | None
    period: datetime | None
    cost: int

    @classmethod
    def of(cls, record: KeyRecord, code: Code, cost: int, now: datetime) -> Refusal:
        window = record.ratelimit.window_of(now) if record.ratelimit else None
        return cls(record.state_version, code, window, record.refill.period_start(now) if record.refill else None, cost)

    def covers(self, other: Refusal) -> bool:
        return self._replace(cost=other.cost) == other and other.cost >= self.cost


REFUSED: dict[str, Refusal] = {}  # the last refusal of each split key this container read strongly


def _decide_split(key_hash: str, asked: Verification, ip: str, now: datetime) -> tuple[Code, KeyRecord | None]:
    """A split key: read with its shards eventually consistently, spent on one shard on the condition of the key's
    version as read (storage/key_counters.py). A refusal that a change of the key could undo is answered only on a
    strongly consistent read of the key and every shard (or as one this container read strongly still holds)."""
    record, shards = api_keys.get_split_key(key_hash, consistent=False)
    strong = False
    for _ in range(MAX_ATTEMPTS):
        code = static_outcome(record, asked.api_id, ip, asked.permissions, now)
        if code is not None:
            if record is None:
                return code, None
            if strong or record.revoked_at is not None or code is Code.UNAUTHORIZED:
                return code, key_counters.summed(record, shards, now)  # (a revocation, another API's key: never undone)
        elif record is not None:  # (static_outcome answers NOT_FOUND for a missing key)
            choice = counters.choose(record, shards, asked.cost, now)
            if choice.refused is not None:
                refusal = Refusal.of(record, choice.refused, asked.cost, now)
                if strong or (key_hash in REFUSED and REFUSED[key_hash].covers(refusal)):
                    if len(REFUSED) >= REMEMBERED and key_hash not in REFUSED:
                        REFUSED.clear()
                    REFUSED[key_hash] = refusal
                    return choice.refused, key_counters.summed(record, shards, now)
            elif choice.moves is None:
                applied, shard = key_counters.spend(record, choice.shard, choice.changes)
                if applied and shard is not None:
                    shards[choice.shard] = shard
                    return Code.VALID, key_counters.summed(record, shards, now)
                # the shard moved on (another verification spent there) or the key changed: decided again on a
                # strongly consistent read, since the other shards as read may have moved on too
            elif strong:
                with contextlib.suppress(ConditionFailed):  # spent meanwhile: decided again on a fresh read
                    key_counters.move_credits(record, choice.moves)
        record, shards = api_keys.get_split_key(key_hash, consistent=True)
        strong = True
    raise ServiceUnavailable("The key is being verified too often at once; retry with backoff.")
