"""The cold-start floor of the stack every keytally function carries, with no keytally code: the hello-world with
request validation on, Logger and Metrics, and boto3's DynamoDB resource layer."""

import boto3.dynamodb.conditions  # noqa: F401  (what the storage layer imports)
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

logger = Logger()
metrics = Metrics()
app = APIGatewayHttpResolver(enable_validation=True)


@app.get("/hello")
def hello() -> dict:
    return {"message": "hello"}


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
