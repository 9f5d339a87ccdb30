"""Unkey's wire formats for the routes that speak its API: v1's bare bodies and `{error: {code, message, docs,
requestId}}`; v2's `{meta: {requestId}, data}` and `{meta: {requestId}, error: {title, detail, status, type,
errors}}`. keytally's errors map to each in one place; every response carries the request id in `Unkey-Request-Id`
beside keytally's headers.

Unkey answers any invalid input 400 (keytally: 413, 415, 422 for some). The SDKs check these: unkey.py wants each
status's one code, @unkey/api 2.x an `errors` list on 400. A missing root key is a 401 as on keytally's routes (Unkey's
v2 answers it 400, its v1 403; both SDKs take a 401 as their typed error).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel, Field

from keytally.errors import KeytallyError, Unprocessable
from keytally.web import envelope

T = TypeVar("T")


def _is_none(value: Any) -> bool:
    return value is None


REFUSED = "keytally does not keep it: sending it is a 400."  # the description of a field refused, never ignored


def optional(description: str | None = None) -> Any:
    """A field left out of the answer when None: Unkey's SDKs take an absent field, not a null."""
    return Field(None, description=description, exclude_if=_is_none)


class V2Meta(BaseModel):
    requestId: str


class V2Envelope(BaseModel, Generic[T]):
    meta: V2Meta
    data: T


class V1ErrorDetail(BaseModel):
    code: str = Field(examples=["BAD_REQUEST"])
    message: str
    docs: str = Field(description="Unkey's page about the code.")
    requestId: str


class V1Error(BaseModel):
    """Unkey v1's error body."""

    error: V1ErrorDetail


class V2Problem(BaseModel):
    location: str = Field(examples=["body.key"])
    message: str


class V2ErrorDetail(BaseModel):
    title: str
    detail: str
    status: int
    type: str
    errors: list[V2Problem] | None = optional("Each offending field; on every 400.")


class V2Error(BaseModel):
    """Unkey v2's error body."""

    meta: V2Meta
    error: V2ErrorDetail


V1_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    412: "PRECONDITION_FAILED",
    429: "TOO_MANY_REQUESTS",
}
INVALID_INPUT = {413, 415, 422}  # answered 400 as Unkey answers every invalid input
V2_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflicting Resource",
    412: "Precondition Failed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}
ERRORS = "https://unkey.com/docs/errors/unkey"
V2_TYPES = {
    400: f"{ERRORS}/application/invalid_input",
    401: f"{ERRORS}/authentication/key_not_found",
    403: f"{ERRORS}/authorization/insufficient_permissions",
}


def headers(context: dict[str, Any], event: Any, exc: KeytallyError | None = None) -> dict[str, str]:
    found = envelope.error_headers(context, event, exc) if exc else envelope.headers(context, event)
    return {**found, "Unkey-Request-Id": envelope.request_id(context, event)}


def v1_ok(context: dict[str, Any], event: Any, body: BaseModel) -> Response[Any]:
    return Response(200, content_types.APPLICATION_JSON, body, headers(context, event))


def v2_ok(context: dict[str, Any], event: Any, data: BaseModel, **beside: Any) -> Response[Any]:
    """`beside`: what v2 puts next to data (a list's `pagination`)."""
    body = {"meta": {"requestId": envelope.request_id(context, event)}, "data": data, **beside}
    return Response(200, content_types.APPLICATION_JSON, body, headers(context, event))


def v1_error(context: dict[str, Any], event: Any, exc: KeytallyError) -> Response[Any]:
    status = 400 if exc.status in INVALID_INPUT else exc.status
    code = V1_CODES.get(status, "INTERNAL_SERVER_ERROR")
    message = exc.description or exc.message
    if isinstance(exc, Unprocessable) and exc.problems:  # Unkey names the first offending field
        message = "{}: {}".format(*exc.problems[0])
    detail = {
        "code": code,
        "message": message,
        "docs": f"https://unkey.dev/docs/api-reference/errors/code/{code}",
        "requestId": envelope.request_id(context, event),
    }
    return Response(status, content_types.APPLICATION_JSON, {"error": detail}, headers(context, event, exc))


def v2_error(context: dict[str, Any], event: Any, exc: KeytallyError) -> Response[Any]:
    status, kind = exc.status, V2_TYPES.get(exc.status, "about:blank")
    if status in INVALID_INPUT:
        status, kind = 400, V2_TYPES[400]
    elif status == 404:
        kind = f"{ERRORS}/data/{'api' if '/v2/apis.' in event.path else 'key'}_not_found"
    detail: dict[str, Any] = {
        "title": V2_TITLES.get(status, "Error"),
        "detail": exc.description or exc.message,
        "status": status,
        "type": kind,
    }
    if status == 400:
        problems = exc.problems if isinstance(exc, Unprocessable) else ()
        detail["errors"] = [{"location": where, "message": what} for where, what in problems]
    body = {"meta": {"requestId": envelope.request_id(context, event)}, "error": detail}
    return Response(status, content_types.APPLICATION_JSON, body, headers(context, event, exc))


def by_version(context: dict[str, Any], event: Any, exc: KeytallyError) -> Response[Any]:
    """v2's shape on /v2/ paths, v1's elsewhere."""
    render = v2_error if event.path.startswith("/v2/") else v1_error
    return render(context, event, exc)
