"""OpenAPI fragments shared by routes: the error responses each route documents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from keytally.web.envelope import ErrorEnvelope

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

_DESCRIPTIONS = {
    400: "Malformed request (invalid JSON, bad cursor, forbidden parameter)",
    401: "Missing, unknown, malformed, disabled, expired or revoked credential (WWW-Authenticate: Bearer)",
    403: "The credential may not do this: wrong organization, scope, role or source IP",
    404: "No such resource visible to the caller",
    409: "The resource already exists",
    413: "Request body over 1 MiB",
    415: "The body is not JSON (Content-Type: application/json)",
    422: "Validation failed; the description names each field",
    429: "Hourly rate limit used up (Retry-After)",
    500: "Unexpected error (no details are leaked)",
    503: "The data store is busy; retry with backoff",
}
AUTHENTICATED_ERRORS = (400, 401, 403, 413, 422, 429, 500, 503)


def route_responses(success: int = 200, *errors: int) -> dict[int, OpenAPIResponse]:
    """The success response (its schema taken from the route's return type), the given error statuses,
    and the errors every authenticated route can give."""
    documented: dict[int, OpenAPIResponse] = {success: {"description": "Success"}}
    for status in sorted(set(errors) | set(AUTHENTICATED_ERRORS)):
        documented[status] = {
            "description": _DESCRIPTIONS[status],
            "content": {"application/json": {"model": ErrorEnvelope}},
        }
    return documented
