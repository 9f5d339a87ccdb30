"""POST /v1/keys/verify: who may ask, the checks in Unkey's order, the atomic counters, and the event it leaves."""

from __future__ import annotations

import time
from datetime import datetime

from keytally.access import api_for
from keytally.auth import secrets
from keytally.auth.principal import Principal
from keytally.errors import ServiceUnavailable
from keytally.models import ApiRecord, Code, KeyKind, KeyRecord, Scope, identity_of
from keytally.storage import api_keys
from keytally.usage import recording, request_scope
from keytally.usage.events import verification_event
from keytally.verify import counters
from keytally.verify.models import RateLimitState, VerifyKeyRequest, VerifyKeyResponse
from keytally.verify.outcomes import static_outcome

MAX_ATTEMPTS = 5  # each failed attempt means a concurrent verification of the same key succeeded


def verify(principal: Principal, request: VerifyKeyRequest, caller_ip: str, now: datetime) -> VerifyKeyResponse:
    started = time.perf_counter()
    api = api_for(principal, request.apiId, Scope.KEYS_VERIFY)
    record = None
    if secrets.kind_of(request.key) is KeyKind.PRODUCT:  # anything else is NOT_FOUND without a read
        key_hash = secrets.hash_key(request.key)
        read = request_scope.keys_looked_up()  # with the caller's own key, when that was one
        record = read[key_hash] if key_hash in read else api_keys.get_key_by_hash(key_hash, KeyKind.PRODUCT)
    code, record = _decide(record, request, request.ip or caller_ip, now)
    response = _response(code, record, api, now)
    _record(api, request, code, record, now, latency_ms=(time.perf_counter() - started) * 1000)
    return response


def _decide(
    record: KeyRecord | None, request: VerifyKeyRequest, ip: str, now: datetime
) -> tuple[Code, KeyRecord | None]:
    for _ in range(MAX_ATTEMPTS):
        code = static_outcome(record, request.apiId, ip, request.permissions, now)
        if code is not None:
            return code, record
        assert record is not None  # static_outcome answers NOT_FOUND for a missing key
        plan = counters.plan(record, request.cost, now)
        if plan.refused is not None:
            return plan.refused, record
        if not plan.changes.any:
            return Code.VALID, record
        applied, record = api_keys.spend(record, plan.changes)
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
    api: ApiRecord, request: VerifyKeyRequest, code: Code, record: KeyRecord | None, now: datetime, latency_ms: float
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
                tags=tuple(request.tags),
                credits=request.cost if code is Code.VALID else 0,
                latency_ms=latency_ms,
            )
        ]
    )
