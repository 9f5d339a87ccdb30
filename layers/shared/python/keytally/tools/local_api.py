"""The local API: template.yaml's HTTP routes served on Werkzeug, each request turned into a genuine
API Gateway HTTP API payload-2.0 event and handed to the function's handler in this process."""

from __future__ import annotations

import base64
import importlib
import logging
import secrets
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from keytally.tools.template import HttpRoute, Template

API_GATEWAY_MAX_BODY = 10 * 1024 * 1024
access_log = logging.getLogger("keytally.local_api")
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded", "+json", "+xml")


def to_werkzeug_rules(route: HttpRoute) -> list[Rule]:
    """/v1/api_keys/{api_key_id} -> /v1/api_keys/<api_key_id>; {proxy+} -> <path:proxy>; $default -> anything
    no other route matches (Werkzeug tries the more specific rules first)."""
    if route.path == "$default":
        return [Rule("/", endpoint=route), Rule("/<path:default>", endpoint=route)]
    path = route.path.replace("{", "<").replace("}", ">").replace("<proxy+>", "<path:proxy>")
    return [Rule(path, methods=None if route.method == "ANY" else [route.method], endpoint=route)]


def is_text(content_type: str) -> bool:
    return any(marker in content_type for marker in _TEXT_TYPES)


def build_event(request: Request, route: HttpRoute, path_parameters: dict[str, str]) -> dict[str, Any]:
    """An HTTP API payload-2.0 event as API Gateway would send it for this request."""
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        name = name.lower()
        if name != "cookie":
            headers[name] = f"{headers[name]},{value}" if name in headers else value
    cookies = [c.strip() for c in request.headers.get("Cookie", "").split(";") if c.strip()]
    query: dict[str, str] = {name: ",".join(request.args.getlist(name)) for name in request.args}
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": request.path,
        "rawQueryString": request.query_string.decode("latin-1"),
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": request.host,
            "domainPrefix": request.host.split(".")[0].split(":")[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.headers.get("User-Agent", ""),
            },
            "requestId": base64.b64encode(secrets.token_bytes(12)).decode(),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    body = request.get_data()
    if body:
        if is_text(request.content_type or ""):
            event["body"] = body.decode("utf-8", errors="replace")
        else:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    return event


@dataclass
class LambdaContext:
    """What Powertools reads from the Lambda context object."""

    function_name: str
    memory_limit_in_mb: int = 512
    timeout_seconds: int = 10
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


class LocalApi:
    """A WSGI application over template.yaml's routes. Handlers run one at a time, as each Lambda
    execution environment handles one event at a time."""

    def __init__(self, template: Template) -> None:
        self.routes = template.http_routes()
        self.url_map = Map(
            [rule for route in self.routes for rule in to_werkzeug_rules(route)],
            strict_slashes=False,
        )
        self._handlers: dict[str, Callable[..., dict]] = {}
        self._lock = threading.Lock()

    def handler_for(self, route: HttpRoute) -> Callable[..., dict]:
        if route.handler not in self._handlers:
            if str(route.code_dir) not in sys.path:
                sys.path.insert(0, str(route.code_dir))
            module_name, attribute = route.handler.rsplit(".", 1)
            self._handlers[route.handler] = getattr(importlib.import_module(module_name), attribute)
        return self._handlers[route.handler]

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        request.max_content_length = API_GATEWAY_MAX_BODY
        try:
            route, arguments = self.url_map.bind_to_environ(environ).match()
            arguments.pop("default", None)
            event = build_event(request, route, arguments)
        except HTTPException as error:
            # API Gateway's own answers for routes it does not have and bodies it will not take
            response = Response(
                f'{{"message":"{error.name}"}}', status=error.code, content_type="application/json"
            )
            return response(environ, start_response)
        with self._lock:
            result = self.handler_for(route)(event, LambdaContext(function_name=route.function_id))
        access_log.info("%s %s -> %s (%s)", request.method, request.full_path.rstrip("?"),
                        result.get("statusCode"), route.function_id)
        return self.to_response(result)(environ, start_response)

    @staticmethod
    def to_response(result: dict[str, Any]) -> Response:
        body = result.get("body") or ""
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        response = Response(payload, status=result.get("statusCode", 200))
        response.headers.clear()
        for name, value in (result.get("headers") or {}).items():
            response.headers[name] = value
        for name, values in (result.get("multiValueHeaders") or {}).items():
            for value in values:
                response.headers.add(name, value)
        for cookie in result.get("cookies") or []:
            response.headers.add("Set-Cookie", cookie)
        return response


def serve(template: Template, host: str, port: int) -> Any:
    """A threaded Werkzeug server for the local API (call .serve_forever() or run it in a thread)."""
    return make_server(host, port, LocalApi(template), threaded=True)
