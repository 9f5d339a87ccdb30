"""OpenAPI fragments shared by routes: the error responses each route documents and the headers of each."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from keytally.web.envelope import ErrorEnvelope

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader

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
    501: "keytally does not implement the operation (the answer says what does instead)",
    503: "The data store is busy or did not answer in time; retry after Retry-After seconds, with backoff",
}
AUTHENTICATED_ERRORS = (400, 401, 403, 413, 422, 429, 500, 503)

_COUNT: dict[str, object] = {"type": "integer", "minimum": 0}
_REQUEST_ID: dict[str, OpenAPIResponseHeader] = {
    "X-Request-Id": {"description": "This request's id, as in `meta.request_id`.", "schema": {"type": "string"}},
}
_QUOTA: dict[str, OpenAPIResponseHeader] = {
    "X-RateLimit-Limit": {
        "description": "The hourly budget this call spent: the caller key's `rate_limit`, or for "
        "POST /v1/keys/verify its verification budget. Absent when the call was refused before its key was known.",
        "schema": _COUNT,
    },
    "X-RateLimit-Remaining": {"description": "What is left of that budget this hour.", "schema": _COUNT},
}
_HEADERS: dict[int, dict[str, OpenAPIResponseHeader]] = {
    401: {
        **_REQUEST_ID,
        "WWW-Authenticate": {"description": 'Always `Bearer realm="keytally"`.', "schema": {"type": "string"}},
        "X-RateLimit-Limit": {
            "description": "Refused credentials the caller's address may send an hour (past it, 429).",
            "schema": _COUNT,
        },
        "X-RateLimit-Remaining": {"description": "What is left of that budget this hour.", "schema": _COUNT},
    },
    413: _REQUEST_ID,  # the size is checked before the credential
    429: {
        **_REQUEST_ID,
        **_QUOTA,
        "Retry-After": {"description": "Seconds until the budget renews.", "schema": _COUNT},
    },
    503: {
        **_REQUEST_ID,
        **_QUOTA,
        "Retry-After": {"description": "Seconds to wait before retrying.", "schema": _COUNT},
    },
}


def route_responses(
    success: int = 200,
    *errors: int,
    text: tuple[str, ...] = (),
    error_model: type[BaseModel] = ErrorEnvelope,
    common: tuple[int, ...] = AUTHENTICATED_ERRORS,
) -> dict[int, OpenAPIResponse]:
    """The success response (its schema taken from the route's return type, or text in the `text` media types),
    the given error statuses, and the errors every authenticated route can give (`common`), as `error_model`."""
    documented: dict[int, OpenAPIResponse] = {success: {"description": "Success", "headers": _headers_of(success)}}
    if text:
        documented[success]["content"] = {media: {"schema": {"type": "string"}} for media in text}
    for status in sorted(set(errors) | set(common)):
        documented[status] = {
            "description": _DESCRIPTIONS[status],
            "headers": _headers_of(status),
            "content": {"application/json": {"model": error_model}},
        }
    return documented


def _headers_of(status: int) -> dict[str, OpenAPIResponseHeader]:
    """The headers a response with this status carries (the quota's once the caller's key is known)."""
    return _HEADERS.get(status, {**_REQUEST_ID, **_QUOTA})
