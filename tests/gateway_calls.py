"""Calls of the gateway functions as AWS makes them — the authorizer's by API Gateway (HTTP API payload 2.0; REST API
REQUEST authorizer), the access log function's by a CloudWatch Logs subscription — and gateways' bindings."""

from __future__ import annotations

import importlib
import json
import sys
import uuid
from pathlib import Path

import boto3
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from devtools.cloudwatch_logs import subscription_event
from devtools.local_api import LambdaContext, authorizer_event, build_event
from devtools.template import PROJECT_ROOT, HttpRoute

CLIENT_IP = "198.51.100.7"


def bind(gateway: str, binding: dict) -> None:
    boto3.client("ssm").put_parameter(
        Name=f"/keytally/gateways/{gateway}", Value=json.dumps(binding), Type="String", Overwrite=True
    )


def invoke(package: str, function_id: str, event: dict) -> dict:
    """A function's answer, invoked as Lambda would (its handler imported from its code directory)."""
    if str(PROJECT_ROOT / "functions") not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT / "functions"))
    handler = importlib.import_module(f"{package}.handler").lambda_handler
    return handler(event, LambdaContext(function_name=function_id))


def authorize(event: dict) -> dict:
    return invoke("gateway_authorizer", "GatewayAuthorizerFunction", event)


def deliver(messages: list[str], log_group: str = "/aws/apigateway/protected-api") -> dict:
    """The access log function's answer to one delivery of the log group's messages."""
    return invoke("access_logs", "AccessLogFunction", subscription_event(log_group, messages))


def http_event(gateway: str, route_key: str, path: str, headers: dict[str, str], ip: str = CLIENT_IP) -> dict:
    """What API Gateway sends an HTTP API's authorizer for a call to `path` matching `route_key`."""
    method, _, template_path = route_key.partition(" ")
    environ = EnvironBuilder(method=method, path=path, headers=headers, environ_base={"REMOTE_ADDR": ip})
    route = HttpRoute(method, template_path, "ExampleFunction", Path("."), "backend.handler")
    event = build_event(Request(environ.get_environ()), route, {})
    event["requestContext"]["apiId"] = gateway
    return authorizer_event(event, [])


def rest_event(gateway: str, method: str, resource: str, path: str, headers: dict[str, str]) -> dict:
    """What API Gateway sends a REST API's REQUEST authorizer (header names as the client spelled them)."""
    return {
        "type": "REQUEST",
        "methodArn": f"arn:aws:execute-api:us-east-1:123456789012:{gateway}/prod/{method}{path}",
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {},
        "pathParameters": {},
        "stageVariables": {},
        "requestContext": {
            "path": f"/prod{path}",
            "accountId": "123456789012",
            "resourceId": "a1b2c3",
            "stage": "prod",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": CLIENT_IP, "userAgent": "curl/8.5.0"},
            "resourcePath": resource,
            "httpMethod": method,
            "apiId": gateway,
            "protocol": "HTTP/1.1",
            "requestTime": "06/Dec/2026:12:00:00 +0000",
            "requestTimeEpoch": 1796558400000,
            "domainName": f"{gateway}.execute-api.us-east-1.amazonaws.com",
        },
    }
