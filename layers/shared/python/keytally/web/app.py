"""The resolver every API function uses, with the one place that turns exceptions into responses."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from keytally.errors import BadRequest, KeytallyError, NotFound, Unprocessable
from keytally.observability import logger
from keytally.web import envelope
from keytally.web.security import RequireScope, admit


def create_app() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)

    def error_response(exc: KeytallyError) -> Response:
        return envelope.error(app.context, app.current_event, exc)

    def with_common_headers(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
        response = next_middleware(app)
        response.headers.update(envelope.headers(app.context, app.current_event))
        return response

    @app.exception_handler(KeytallyError)
    def domain_error(exc: KeytallyError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    def invalid_request(exc: RequestValidationError) -> Response:
        route = app.context.get("_route")
        try:
            for middleware in getattr(route, "middlewares", None) or []:
                if isinstance(middleware, RequireScope):
                    admit(app, middleware.scope)
        except KeytallyError as admission_error:
            return error_response(admission_error)
        return error_response(validation_error(exc))

    @app.not_found
    def unknown_route(_: NotFoundError) -> Response:
        event = app.current_event
        return error_response(NotFound(f"No route {event.http_method} {event.path}."))

    @app.exception_handler(Exception)
    def unexpected(exc: Exception) -> Response:
        logger.exception("Unhandled error")
        return error_response(KeytallyError())

    app.use(middlewares=[with_common_headers])
    return app


def validation_error(exc: RequestValidationError) -> KeytallyError:
    """Malformed JSON is a 400; anything else is a 422 that names each offending field."""
    errors = exc.errors()
    if any(item.get("type") == "json_invalid" for item in errors):
        return BadRequest("The request body is not valid JSON.")
    problems = "; ".join(
        f"{'.'.join(str(part) for part in item.get('loc', ()))}: {item.get('msg', item.get('type'))}"
        for item in errors
    )
    return Unprocessable(problems[:2048])
