"""A route of Unkey's API: keytally's `protected`, with the errors documented in the shape of the path's version."""

from __future__ import annotations

from typing import Any

from keytally.models import Scope
from keytally.unkey.responses import V1Error, V2Error
from keytally.web.routes import protected

TAGS = ["Unkey's API"]
ERRORS = (400, 401, 403, 404, 429, 500, 503)  # Unkey answers invalid input 400


def unkey_route(app: Any, method: str, path: str, scope: Scope, summary: str, **more: Any) -> Any:
    version = V2Error if path.startswith("/v2/") else V1Error
    return protected(
        app, method, path, scope, error_model=version, common_errors=ERRORS, summary=summary, tags=TAGS, **more
    )
