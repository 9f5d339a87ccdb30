"""The verify function: POST /v1/keys/verify, Unkey's key verification for an organization's product keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from keytally.models import Scope
from keytally.verify import service
from keytally.verify.models import VerifyKeyRequest, VerifyKeyResponse
from keytally.web.app import create_app, http_handler
from keytally.web.envelope import Envelope, ok
from keytally.web.routes import protected
from keytally.web.security import Caller

app = create_app()


@protected(
    app,
    "POST",
    "/v1/keys/verify",
    Scope.KEYS_VERIFY,
    errors=(404,),
    key_in_body="key",
    summary="Verify a product key",
    description="Always 200 with `valid` and Unkey's `code` once the caller may verify in the API's organization. "
    "Checks in order: NOT_FOUND, UNAUTHORIZED (a key of another API), DISABLED, EXPIRED, FORBIDDEN (IP), "
    "INSUFFICIENT_PERMISSIONS, RATE_LIMITED, USAGE_EXCEEDED, VALID. A valid verification uses one rate-limit "
    "token and deducts `cost` credits in one atomic update; a refused one changes nothing. A retried request is a "
    "second verification. Each verification is recorded for /v1/analytics/verifications. Verifications spend their "
    "own hourly budget (3,600,000 per caller key; X-RateLimit-* show it), not the key's management rate_limit.",
    tags=["Verification"],
)
def verify_key(caller: Caller, request: Annotated[VerifyKeyRequest, Body()]) -> Response[Envelope[VerifyKeyResponse]]:
    source_ip = app.current_event.request_context.http.source_ip
    verified = service.verify(caller, request.verification(), source_ip, datetime.now(UTC))
    return ok(app.context, app.current_event, verified.response)


lambda_handler = http_handler(app)
