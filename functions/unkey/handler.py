"""The unkey function: Unkey's API as its SDKs call it (v1: `/v1/<namespace>.<operation>`, v2:
`/v2/<namespace>.<operation>`), answered in Unkey's shapes, with a keytally organization or user key as the root
key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from keytally.models import Scope
from keytally.unkey import responses
from keytally.unkey.responses import V1Error, V2Envelope, V2Error
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
from keytally.web.routes import protected
from keytally.web.security import Caller

app = create_app(render_error=responses.by_version)
TAGS = ["Unkey's API"]
ERRORS = (400, 401, 403, 404, 429, 500, 503)  # Unkey answers invalid input 400
VERIFY = (
    "Unkey's keys.verifyKey, as keytally's POST /v1/keys/verify decides it: always 200 with `valid` and `code` "
    "once the root key (a keytally key with keys:verify) may verify in the key's organization; a key it may not "
    "reach is NOT_FOUND and counted nowhere."
)


def _verify(caller: Caller, request: V1VerifyKey | V2VerifyKey) -> service.Verified:
    source_ip = app.current_event.request_context.http.source_ip
    return service.verify(caller, request.verification(), source_ip, datetime.now(UTC))


@protected(
    app,
    "POST",
    "/v1/keys.verifyKey",
    Scope.KEYS_VERIFY,
    key_in_body="key",
    error_model=V1Error,
    common_errors=ERRORS,
    summary="Verify a key (Unkey v1)",
    description=f"{VERIFY} `apiId` is optional; a key of another API is FORBIDDEN.",
    tags=TAGS,
)
def v1_verify_key(caller: Caller, request: Annotated[V1VerifyKey, Body()]) -> Response[V1VerifyKeyAnswer]:
    answer = v1_answer(_verify(caller, request), request_id(app.context, app.current_event))
    return responses.v1_ok(app.context, app.current_event, answer)


@protected(
    app,
    "POST",
    "/v2/keys.verifyKey",
    Scope.KEYS_VERIFY,
    key_in_body="key",
    error_model=V2Error,
    common_errors=ERRORS,
    summary="Verify a key (Unkey v2)",
    description=f"{VERIFY} `permissions` is a query: names joined by AND / OR, grouped by parentheses.",
    tags=TAGS,
)
def v2_verify_key(caller: Caller, request: Annotated[V2VerifyKey, Body()]) -> Response[V2Envelope[V2VerifyKeyData]]:
    return responses.v2_ok(app.context, app.current_event, v2_answer(_verify(caller, request)))


lambda_handler = http_handler(app)
