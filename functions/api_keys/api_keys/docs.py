"""The generated OpenAPI document at /v1/openapi.json and Swagger UI at /v1/docs.

Powertools' OpenAPI models take ~60 ms to import, which only these two routes need, so they are imported when the
document is first asked for rather than on every cold start (which `app.enable_swagger` would do).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

TITLE = "keytally"
VERSION = "1.0.0"
DESCRIPTION = (
    "API-key management and usage analytics. Every JSON response is wrapped as `{meta: {request_id}, data}`; "
    "errors as `{meta: {request_id}, error: {code, message, description}}`."
)


def register(app: APIGatewayHttpResolver) -> None:
    @cache
    def document() -> str:
        from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

        bearer = HTTPBearer(description="An API key: `Authorization: Bearer <key>`")
        return app.get_openapi_json_schema(
            title=TITLE, version=VERSION, description=DESCRIPTION, security_schemes={"bearerAuth": bearer}
        )

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
