"""The api_keys function: key management, API keyspaces, and the OpenAPI document with its Swagger UI."""

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from api_keys import docs, keys, keyspaces
from keytally.observability import logger, metrics, tracer
from keytally.web.app import create_app

app = create_app()
app.include_router(keys.router)
app.include_router(keyspaces.router)
docs.register(app)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
