"""Protected routes: one decorator gives a route its required scope, its security scheme and its documented
errors, and remembers what admits a call so that admission can run before input validation (see web.app)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from pydantic import BaseModel

from keytally.models import Scope
from keytally.web.envelope import ErrorEnvelope
from keytally.web.openapi import AUTHENTICATED_ERRORS, route_responses
from keytally.web.request_body import METHODS_WITH_BODY
from keytally.web.security import KEY_SECURITY, Admission, RequireCredential

Handler = TypeVar("Handler", bound=Callable[..., Any])

_admissions: dict[tuple[str, str], Admission] = {}  # (method, OpenAPI path) -> what the route requires


def protected(
    router: BaseRouter,
    method: str,
    path: str,
    scope: Scope | None,
    *,
    success: int = 200,
    errors: tuple[int, ...] = (),
    text: tuple[str, ...] = (),
    key_in_body: str | None = None,
    reads_only: bool = False,
    error_model: type[BaseModel] = ErrorEnvelope,
    common_errors: tuple[int, ...] | None = None,
    **documentation: Any,
) -> Callable[[Handler], Handler]:
    """Registers a route that only a valid credential (holding `scope`, unless None) may call; a GET route answers
    HEAD too (headers only: what a read-only token may use is GET, HEAD and OPTIONS). `errors` are the route's own
    error statuses beyond those every authenticated route documents; `documentation` is summary, description, tags;
    `text` the media types of a success that is text, not the JSON envelope; `key_in_body` the body field holding a
    key the route will look up (read together with the caller's); `reads_only` a route that only reads whatever its
    method (a read-only token may call it); `error_model` and `common_errors` the shape and statuses of errors where
    the route speaks another API's (Unkey's)."""
    method = method.upper()
    methods = [method, "HEAD"] if method == "GET" else [method]
    admission = Admission(scope, key_in_body, reads_only)
    for each in methods:
        _admissions[(each, re.sub(r"<(\w+)>", r"{\1}", path))] = admission
    if common_errors is None:  # keytally's: every authenticated route's, and 415 where a body is taken
        common_errors = AUTHENTICATED_ERRORS + ((415,) if method in METHODS_WITH_BODY else ())
    return router.route(
        path,
        methods,
        middlewares=[RequireCredential(admission)],
        security=KEY_SECURITY,
        responses=route_responses(success, *errors, text=text, error_model=error_model, common=common_errors),
        **documentation,
    )


def admission_of(method: str, openapi_path: str) -> Admission | None:
    """What a protected route requires; None for an open route."""
    return _admissions.get((method.upper(), openapi_path))
