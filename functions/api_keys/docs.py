"""The OpenAPI document of every HTTP function at /v1/openapi.json, Swagger UI at /v1/docs, and the methods each
path takes (this function is behind API Gateway's $default route: a known path with another method is a 405).

Each function has its own resolver; this one merges their generated schemas. The other documented functions'
packages ship in this function's artifact (functions/Makefile's HTTP_PACKAGES) so their handlers can be imported here
and asked for their schema; the dashboard serves a page, not an operation, and is not among them.
Powertools' OpenAPI models take ~60 ms to import, which only these two routes need, so they are imported when the
document is first asked for rather than on every cold start (which `app.enable_swagger` would do).
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from keytally.web.app import KeytallyResolver
from keytally.web.security import API_KEY_SCHEME, BEARER_SCHEME

TITLE = "keytally"
VERSION = "1.0.0"
DESCRIPTION = (
    "API-key management and usage analytics. Every JSON response is wrapped as `{meta: {request_id}, data}`; "
    "errors as `{meta: {request_id}, error: {code, message, description}}`."
)


# the function packages whose operations the document holds, besides this one
DOCUMENTED_FUNCTIONS = (
    "ingest",
    "key_analytics",
    "org_metrics",
    "prometheus_export",
    "tokens",
    "unkey",
    "unkey_verify",
    "verification_analytics",
    "verify",
)


def other_http_resolvers() -> Iterator[APIGatewayHttpResolver]:
    """The `app` of every other documented function."""
    for package in DOCUMENTED_FUNCTIONS:
        yield importlib.import_module(f"{package}.handler").app


def register(app: KeytallyResolver) -> None:
    @cache
    def document() -> str:
        from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
        from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer

        security_schemes = {
            BEARER_SCHEME: HTTPBearer(description="A keytally key: `Authorization: Bearer <key>`"),
            API_KEY_SCHEME: APIKey(in_=APIKeyIn.header, name="X-API-Key", description="The same key, instead"),
        }
        merge = OpenAPIMerge(
            title=TITLE,
            version=VERSION,
            description=DESCRIPTION,
            security_schemes=security_schemes,
            on_conflict="error",
        )
        for resolver in (app, *other_http_resolvers()):
            merge.add_schema(resolver.get_openapi_schema(security_schemes=security_schemes))
        return merge.get_openapi_json_schema()

    @cache
    def route_table() -> list[tuple[re.Pattern[str], list[str]]]:
        """Each documented path as a pattern, with the methods it takes."""
        paths = json.loads(document())["paths"]
        return [
            (
                re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path))),
                sorted(method.upper() for method in operations),
            )
            for path, operations in paths.items()
        ]

    def methods_of(path: str) -> list[str]:
        return next((methods for pattern, methods in route_table() if pattern.fullmatch(path)), [])

    app.methods_of = methods_of  # type: ignore[method-assign]

    @app.get("/v1/openapi.json", include_in_schema=False)
    def openapi_document():
        return Response(200, content_types.APPLICATION_JSON, document())

    @app.get("/v1/docs", include_in_schema=False)
    def swagger_ui():
        from aws_lambda_powertools.event_handler.openapi import swagger_ui as bundle
        from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

        assets = Path(bundle.__file__).parent
        html = generate_swagger_html(
            spec=document().replace("</", "<\\/"),  # the spec is inlined in a <script>
            swagger_js=(assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
            swagger_css=(assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
            swagger_base_url="",
            oauth2_config=None,
        )
        return Response(200, content_types.TEXT_HTML, html)
