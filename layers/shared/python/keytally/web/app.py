"""The resolver every API function uses: the one place that turns exceptions into responses, the request event
each authenticated call leaves, and the Lambda entry point around it."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
    ValidationException,
)
from aws_lambda_powertools.logging import correlation_paths

from keytally.errors import (
    BadRequest,
    KeytallyError,
    MethodNotAllowed,
    NotFound,
    Unprocessable,
    UnsupportedMediaType,
)
from keytally.observability import logger, metrics
from keytally.settings import get_settings
from keytally.usage import recording, request_scope
from keytally.usage.events import served_request_event, with_served_request
from keytally.web import envelope
from keytally.web.query_string import RawQueryEvent
from keytally.web.request_body import parse_json, refusing_non_json
from keytally.web.routes import admission_of
from keytally.web.security import admit

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


class KeytallyResolver(APIGatewayHttpResolver):
    def methods_of(self, path: str) -> list[str]:
        """The methods some route of the API takes at `path` (empty: no route has it). A function that sees other
        functions' paths (the one behind API Gateway's $default route) knows them all; others know none."""
        return []

    def _to_proxy_event(self, event: dict[str, Any]) -> RawQueryEvent:
        return RawQueryEvent(event, self._json_body_deserializer)

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        """Answers the request, then stores the events it left and its own request event in one write."""
        started_at, started = datetime.now(UTC), time.perf_counter()
        with request_scope.opened() as scope:
            response = super().resolve(refusing_non_json(event), context)
        latency_ms = (time.perf_counter() - started) * 1000
        served = served_request_event(scope, event, response["statusCode"], started_at, latency_ms)
        recording.store(with_served_request(scope.events, served))
        return response


ErrorRenderer = Callable[[dict[str, Any], Any, KeytallyError], Response[Any]]


def create_app(render_error: ErrorRenderer = envelope.error) -> KeytallyResolver:
    """`render_error(context, event, error)`: the response of every error (default keytally's envelope)."""
    get_settings()  # a function missing a variable fails at cold start, not on its first request
    app = KeytallyResolver(enable_validation=True, json_body_deserializer=parse_json)

    def error_response(exc: KeytallyError) -> Response[Any]:
        return render_error(app.context, app.current_event, exc)

    def with_common_headers(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        response = next_middleware(app)
        response.headers.update(envelope.headers(app.context, app.current_event))
        if app.current_event.http_method == "HEAD":  # a GET's headers, no body
            response.body = ""
        return response

    # Powertools' exception_handler is unannotated (the `type: ignore`s below): it would leave the handlers untyped
    @app.exception_handler(KeytallyError)  # type: ignore[untyped-decorator]
    def domain_error(exc: KeytallyError) -> Response[Any]:
        return error_response(exc)

    @app.exception_handler([RequestValidationError, RequestUnsupportedContentType])  # type: ignore[untyped-decorator]
    def invalid_request(exc: ValidationException) -> Response[Any]:
        """Powertools validates input before route middlewares run: admission goes first all the same."""
        admission = admission_of(app.request.method, app.request.route)
        try:
            if admission is not None:
                admit(app, admission)
        except KeytallyError as admission_error:
            return error_response(admission_error)
        return error_response(validation_error(exc))

    @app.not_found
    def unknown_route(_: NotFoundError) -> Response[Any]:
        event = app.current_event
        allow = app.methods_of(event.path)
        if event.http_method in allow:  # a path parameter no route's pattern takes: no such resource
            return error_response(NotFound(f"Nothing is at {event.path}."))
        if allow:
            return error_response(MethodNotAllowed(allow, f"{event.path} takes {', '.join(allow)}."))
        return error_response(NotFound(f"No route {event.http_method} {event.path}."))

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def unexpected(exc: Exception) -> Response[Any]:
        logger.exception("Unhandled error")
        return error_response(
            KeytallyError("The error was logged with this request's request_id; quote it if it persists.")
        )

    app.use(middlewares=[with_common_headers])
    return app


def http_handler(app: APIGatewayHttpResolver) -> LambdaHandler:
    """An HTTP function's `lambda_handler`: Logger (with API Gateway's request id) and Metrics around the
    resolver."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return app.resolve(event, context)

    return lambda_handler


def validation_error(exc: ValidationException) -> KeytallyError:
    """A body that is not JSON is a 415, malformed JSON a 400; anything else is a 422 that names each offending
    field."""
    errors = exc.errors()
    if any(item.get("type") == "unsupported_content_type" for item in errors):
        return UnsupportedMediaType("Send the body as JSON, with 'Content-Type: application/json'.")
    malformed = [item for item in errors if item.get("type") == "json_invalid"]
    if malformed:
        reason = (malformed[0].get("ctx") or {}).get("error")
        return BadRequest(f"The request body is not valid JSON{f': {reason}' if reason else ''}.")
    problems = tuple(
        (".".join(str(part) for part in item.get("loc", ())), str(item.get("msg", item.get("type")))) for item in errors
    )
    return Unprocessable("; ".join(f"{where}: {what}" for where, what in problems)[:2048], problems=problems)
