"""The cold-start baseline: the smallest Powertools HTTP API function."""

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

app = APIGatewayHttpResolver()


@app.get("/hello")
def hello() -> dict:
    return {"message": "hello"}


def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
