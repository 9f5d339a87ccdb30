"""The gateway authorizer function: API Gateway's Lambda authorizer for customers' own APIs (HTTP APIs: payload 2.0,
simple responses; REST APIs: REQUEST authorizers), verifying each call's product key (keytally.gateway.authorizer)."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerEventV2,
    APIGatewayAuthorizerRequestEvent,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from keytally.gateway.authorizer import GatewayRequest, decide, http_api_answer, rest_api_answer
from keytally.observability import logger, metrics
from keytally.settings import get_settings

get_settings()  # a function missing a variable fails at cold start, not on its first call


def authorize(event: dict) -> dict:
    now = datetime.now(UTC)
    if event.get("version") == "2.0":
        http = APIGatewayAuthorizerEventV2(event)
        api_id, source_ip = http.request_context.api_id, http.request_context.http.source_ip
        return http_api_answer(decide(GatewayRequest(api_id, http.route_key, _lower(http.headers), source_ip), now))
    rest = APIGatewayAuthorizerRequestEvent(event)
    route_key = f"{rest.http_method} {rest.resource}"
    api_id, source_ip = rest.request_context.api_id, rest.request_context.identity.source_ip
    request = GatewayRequest(api_id, route_key, _lower(rest.headers), source_ip)
    return rest_api_answer(decide(request, now), rest.method_arn)


def _lower(headers: dict[str, str] | None) -> dict[str, str]:
    return {name.lower(): value for name, value in (headers or {}).items()}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return authorize(event)
