"""The generated OpenAPI document at /v1/openapi.json and Swagger UI at /v1/docs."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

OPENAPI_INFO = {
    "title": "keytally",
    "version": "1.0.0",
    "description": "API-key management and usage analytics. Every JSON response is wrapped as "
    "`{meta: {request_id}, data}`; errors as `{meta: {request_id}, error: {code, message, description}}`.",
    "security_schemes": {"bearerAuth": HTTPBearer(description="An API key: `Authorization: Bearer <key>`")},
}


def register(app: APIGatewayHttpResolver) -> None:
    app.enable_swagger(path="/v1/docs", **OPENAPI_INFO)

    @app.get("/v1/openapi.json", include_in_schema=False)
    def openapi_document():
        return Response(200, content_types.APPLICATION_JSON, app.get_openapi_json_schema(**OPENAPI_INFO))
