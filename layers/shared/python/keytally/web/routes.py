"""Protected routes: one decorator gives a route its required scope, its security scheme and its documented
errors, and remembers the scope so that admission can run before input validation (see web.app)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from keytally.models import Scope
from keytally.web.openapi import route_responses
from keytally.web.request_body import METHODS_WITH_BODY
from keytally.web.security import KEY_SECURITY, RequireScope

Handler = TypeVar("Handler", bound=Callable[..., Any])

_scopes: dict[tuple[str, str], Scope] = {}  # (method, OpenAPI path) -> the scope the route requires


def protected(
    router: BaseRouter,
    method: str,
    path: str,
    scope: Scope,
    *,
    success: int = 200,
    errors: tuple[int, ...] = (),
    **documentation: Any,
) -> Callable[[Handler], Handler]:
    """Registers a route that only a credential holding `scope` may call. `errors` are the route's own error
    statuses beyond those every authenticated route documents; `documentation` is summary, description, tags."""
    method = method.upper()
    _scopes[(method, re.sub(r"<(\w+)>", r"{\1}", path))] = scope
    body_errors = (415,) if method in METHODS_WITH_BODY else ()
    return router.route(
        path,
        method,
        middlewares=[RequireScope(scope)],
        security=KEY_SECURITY,
        responses=route_responses(success, *errors, *body_errors),
        **documentation,
    )


def scope_of(method: str, openapi_path: str) -> Scope | None:
    """The scope a protected route requires; None for an open route."""
    return _scopes.get((method.upper(), openapi_path))
