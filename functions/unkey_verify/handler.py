"""The unkey_verify function: Unkey's hot paths as its SDKs and middlewares call them (keys.verifyKey and rate
limiting by identifier, v1 and v2), apart from the rest of Unkey's API (functions/unkey) so that a cold start loads
no more than verification needs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from keytally.models import Scope
from keytally.unkey import responses
from keytally.unkey.ratelimit import LimitAnswer, V1Limit, V2Limit
from keytally.unkey.responses import V2Envelope
from keytally.unkey.routes import unkey_route
from keytally.unkey.verify_key import (
    V1VerifyKey,
    V1VerifyKeyAnswer,
    V2VerifyKey,
    V2VerifyKeyData,
    v1_answer,
    v2_answer,
)
from keytally.verify import service
from keytally.web.app import create_app, http_handler
from keytally.web.envelope import request_id
from keytally.web.security import Caller

app = create_app(render_error=responses.by_version)
VERIFY = (
    "Unkey's keys.verifyKey, as keytally's POST /v1/keys/verify decides it: always 200 with `valid` and `code` "
    "once the root key (a keytally key with keys:verify) may verify in the key's organization; a key it may not "
    "reach is NOT_FOUND and counted nowhere."
)


def _verify(caller: Caller, request: V1VerifyKey | V2VerifyKey) -> service.Verified:
    source_ip = app.current_event.request_context.http.source_ip
    return service.verify(caller, request.verification(), source_ip, datetime.now(UTC))


@unkey_route(
    app,
    "POST",
    "/v1/keys.verifyKey",
    Scope.KEYS_VERIFY,
    "Verify a key (Unkey v1)",
    key_in_body="key",
    description=f"{VERIFY} `apiId` is optional; a key of another API is FORBIDDEN.",
)
def v1_verify_key(caller: Caller, request: Annotated[V1VerifyKey, Body()]) -> Response[V1VerifyKeyAnswer]:
    answer = v1_answer(_verify(caller, request), request_id(app.context, app.current_event))
    return responses.v1_ok(app.context, app.current_event, answer)


@unkey_route(
    app,
    "POST",
    "/v2/keys.verifyKey",
    Scope.KEYS_VERIFY,
    "Verify a key (Unkey v2)",
    key_in_body="key",
    description=f"{VERIFY} `permissions` is a query: names joined by AND / OR, grouped by parentheses.",
)
def v2_verify_key(caller: Caller, request: Annotated[V2VerifyKey, Body()]) -> Response[V2Envelope[V2VerifyKeyData]]:
    return responses.v2_ok(app.context, app.current_event, v2_answer(_verify(caller, request)))


RATELIMIT = (
    "Counts `cost` for `identifier` in `namespace` (of the root key's organization) if it fits the window's `limit`: "
    "exact under concurrency, a refused request counts nothing. A retried request counts again."
)


@unkey_route(
    app, "POST", "/v1/ratelimits.limit", Scope.KEYS_VERIFY, "Rate-limit an identifier (Unkey v1)", description=RATELIMIT
)
def v1_ratelimit(caller: Caller, request: Annotated[V1Limit, Body()]) -> Response[LimitAnswer]:
    answer = LimitAnswer.of(request.apply(caller, datetime.now(UTC)))
    return responses.v1_ok(app.context, app.current_event, answer)


@unkey_route(
    app, "POST", "/v2/ratelimit.limit", Scope.KEYS_VERIFY, "Rate-limit an identifier (Unkey v2)", description=RATELIMIT
)
def v2_ratelimit(caller: Caller, request: Annotated[V2Limit, Body()]) -> Response[V2Envelope[LimitAnswer]]:
    return responses.v2_ok(app.context, app.current_event, LimitAnswer.of(request.apply(caller, datetime.now(UTC))))


lambda_handler = http_handler(app)
