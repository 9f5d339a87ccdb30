"""Admission of a request to a protected route: body size, credential, rate limit, a read-only token's method,
then route scope.

These checks outrank input validation: Powertools validates before route middlewares run, so the
validation-error handler calls `admit` itself (with the route's scope from web.routes) before it answers 400/422.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Annotated, Any, NamedTuple

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.middlewares import BaseMiddlewareHandler, NextMiddleware
from aws_lambda_powertools.event_handler.request import Request
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from keytally.auth.authenticate import authenticate
from keytally.auth.headers import credential_in
from keytally.auth.principal import Principal
from keytally.auth.rate_limit import Budget
from keytally.errors import PayloadTooLarge
from keytally.models import Scope
from keytally.settings import get_settings
from keytally.usage import request_scope

BEARER_SCHEME, API_KEY_SCHEME = "bearerAuth", "apiKeyAuth"  # the OpenAPI security schemes a key may travel in
KEY_SECURITY: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}, {API_KEY_SCHEME: []}]  # either one


def body_size(event: APIGatewayProxyEventV2) -> int:
    body = event.body or ""
    return len(base64.b64decode(body)) if event.is_base64_encoded else len(body.encode())


class Admission(NamedTuple):
    """What a protected route requires of its caller: a valid credential, holding `scope` unless it is None (the
    route then decides itself who may call, e.g. a user's own tokens). `key_in_body`: the body field holding a key
    the route looks up, which authentication reads together with the caller's own key."""

    scope: Scope | None
    key_in_body: str | None = None
    reads_only: bool = False  # the route only reads, whatever its method: a read-only token may call it

    def keys_named(self, event: APIGatewayProxyEventV2) -> tuple[str, ...]:
        """The key the body names, if it is a JSON object with a string there (validation judges the rest). The
        event keeps the body it parses, so validation does not parse it again (nor this, after validation)."""
        if self.key_in_body is None:
            return ()
        try:
            body = event.json_body  # parsed by the resolver's parse_json
        except ValueError:  # malformed or too deep: validation answers it
            return ()
        value = body.get(self.key_in_body) if isinstance(body, dict) else None
        return (value,) if isinstance(value, str) else ()


def admit(app: APIGatewayHttpResolver, admission: Admission) -> None:
    """Runs once per request; keeps the principal and quota in the resolver context for handlers and headers, and
    the keys looked up with the caller's in the request scope."""
    if "admitted" in app.context:
        return
    # Powertools leaves append_context unannotated (the `type: ignore`s here)
    app.append_context(admitted=True)  # type: ignore[no-untyped-call]
    event = app.current_event
    limit = get_settings().max_body_bytes
    if body_size(event) > limit:
        raise PayloadTooLarge(f"Request bodies are limited to {limit} bytes.")
    source_ip, now = event.request_context.http.source_ip, datetime.now(UTC)
    budget = Budget.of_scope(admission.scope)
    credential = credential_in(event.headers)
    authenticated = authenticate(credential, source_ip, now, budget, with_keys=admission.keys_named(event))
    app.append_context(principal=authenticated.principal, quota=authenticated.quota)  # type: ignore[no-untyped-call]
    request_scope.note_caller(authenticated.principal)
    request_scope.note_keys(authenticated.keys)
    if not admission.reads_only:
        authenticated.principal.require_method(event.request_context.http.method)
    if admission.scope is not None:
        authenticated.principal.require_scope(admission.scope)


class RequireCredential(BaseMiddlewareHandler[APIGatewayHttpResolver]):
    """Route middleware: the caller must present a valid credential, as the route's admission says."""

    def __init__(self, admission: Admission) -> None:
        super().__init__()
        self.admission = admission

    def handler(self, app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        admit(app, self.admission)
        return next_middleware(app)


def current_principal(request: Request) -> Principal:
    """For `Annotated[Principal, Depends(current_principal)]` in protected routes."""
    principal: Principal = request.context["principal"]
    return principal


Caller = Annotated[Principal, Depends(current_principal)]  # the authenticated caller of a protected route
