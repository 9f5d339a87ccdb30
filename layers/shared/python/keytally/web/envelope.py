"""The response envelope and headers (Supermetrics conventions), and the models that document them."""

from __future__ import annotations

import re
import secrets
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel, Field

from keytally.auth.rate_limit import Quota
from keytally.errors import KeytallyError, MethodNotAllowed, ServiceUnavailable, TooManyRequests, Unauthorized

_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_NOT_ID_CHARS = re.compile(r"[^A-Za-z0-9_-]")

T = TypeVar("T")


class Meta(BaseModel):
    request_id: str = Field(pattern=_REQUEST_ID.pattern, examples=["BXaEFVtjc7TXaJxgZhmFgSUD9edqq_CN"])


class PageMeta(Meta):
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next page; null on the last.")


class Envelope(BaseModel, Generic[T]):
    meta: Meta
    data: T


class Page(BaseModel, Generic[T]):
    meta: PageMeta
    data: list[T] = Field(max_length=1000)


class ErrorDetail(BaseModel):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$", max_length=100, examples=["BAD_REQUEST"])
    message: str = Field(max_length=255, examples=["The request was invalid."])
    description: str | None = Field(None, max_length=2048)
    docs: str | None = Field(None, description="A link to the API's documentation (its Swagger UI).")


class ErrorEnvelope(BaseModel):
    meta: Meta
    error: ErrorDetail


def request_id(context: dict[str, Any], event: Any) -> str:
    """API Gateway's request id made to fit the pattern, or a fresh one; one per request, kept in context."""
    if "request_id" not in context:
        candidate = _NOT_ID_CHARS.sub("", event.request_context.request_id or "")[:64]
        context["request_id"] = candidate if _REQUEST_ID.match(candidate) else secrets.token_urlsafe(24)
    kept: str = context["request_id"]
    return kept


def docs_link(event: Any) -> str:
    """The Swagger UI of the API the request reached (Unkey's errors carry such a link in `docs`)."""
    scheme = (event.headers.get("x-forwarded-proto") or "https").split(",")[0].strip()
    return f"{scheme}://{event.request_context.domain_name}/v1/docs"


def headers(context: dict[str, Any], event: Any) -> dict[str, str]:
    """Headers on every response: request id, CORS, and the caller's quota once it is known."""
    quota: Quota | None = context.get("quota")
    return {
        "X-Request-Id": request_id(context, event),
        "Access-Control-Allow-Origin": "*",
        **(quota.headers() if quota else {}),
    }


def ok(context: dict[str, Any], event: Any, data: Any, *, status: int = 200, **meta: Any) -> Response[dict[str, Any]]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"meta": {"request_id": request_id(context, event), **meta}, "data": data},
    )


def error(context: dict[str, Any], event: Any, exc: KeytallyError) -> Response[dict[str, Any]]:
    detail = {"code": exc.code, "message": exc.message}
    if exc.description:
        detail["description"] = exc.description
    detail["docs"] = docs_link(event)
    return Response(
        status_code=exc.status,
        content_type=content_types.APPLICATION_JSON,
        body={"meta": {"request_id": request_id(context, event)}, "error": detail},
        headers=error_headers(context, event, exc),
    )


def error_headers(context: dict[str, Any], event: Any, exc: KeytallyError) -> dict[str, str]:
    """Every response's headers, and those the error calls for (WWW-Authenticate, Allow, Retry-After, ...)."""
    extra: dict[str, str] = {}
    if isinstance(exc, Unauthorized):
        extra["WWW-Authenticate"] = 'Bearer realm="keytally"'
        if exc.quota:  # the source address's budget of refused credentials, as the Supermetrics document shows
            extra.update(Quota(*exc.quota).headers())
    if isinstance(exc, MethodNotAllowed):
        extra["Allow"] = ", ".join(exc.allow)
    if isinstance(exc, TooManyRequests):
        extra.update(Quota(limit=exc.limit, remaining=0).headers(), **{"Retry-After": str(exc.retry_after)})
    if isinstance(exc, ServiceUnavailable):
        extra["Retry-After"] = str(exc.retry_after)
    return {**headers(context, event), **extra}
