"""The local API: template.yaml's HTTP routes served on Werkzeug, each request turned into a genuine
API Gateway HTTP API payload-2.0 event and handed to the function's handler in this process; its scheduled
functions run on timers with their schedule's input, as EventBridge Scheduler would; and its queue-fed functions get
batches of their queue's messages, as Lambda's SQS event source would (a message the function reports failed, or
every message of a batch whose invocation raised, is left to come back). A `Gateway` hook, when given, stands in for
what API Gateway does around a call — an authorizer admitting or refusing it, an access-log line once it is served
(devtools/protected_api.py serves examples/protected-api this way)."""

from __future__ import annotations

import base64
import functools
import importlib
import logging
import os
import secrets
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from devtools.template import FunctionTarget, HttpRoute, QueueSource, Schedule, Template

Target = HttpRoute | Schedule | QueueSource | FunctionTarget

API_GATEWAY_MAX_BODY = 10 * 1024 * 1024
access_log = logging.getLogger("keytally.local_api")
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded", "+json", "+xml")
# Handlers are imported one at a time: Python's per-module import locks let a thread see a module another thread is
# still importing when packages import each other (Powertools' event handler and batch utilities both import its
# data classes), and the function whose import it was failed with "partially initialized module".
_first_imports = threading.Lock()


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
    # as API Gateway adds them
    headers.setdefault("x-forwarded-for", request.remote_addr or "127.0.0.1")
    headers.setdefault("x-forwarded-proto", request.scheme)
    headers.setdefault("x-forwarded-port", str(request.environ.get("SERVER_PORT", "")))
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


def authorizer_event(event: dict[str, Any], identity_source: list[str]) -> dict[str, Any]:
    """The payload-2.0 event API Gateway sends an HTTP API's Lambda authorizer for a request, from the event its route
    gets: the request's parts, its route's ARN and the values of the authorizer's identity sources."""
    context = event["requestContext"]
    route_arn = (
        f"arn:aws:execute-api:us-east-1:{context['accountId']}:{context['apiId']}/{context['stage']}/"
        f"{context['http']['method']}{event['rawPath']}"
    )
    authorizer = {key: value for key, value in event.items() if key not in ("body", "isBase64Encoded")}
    return authorizer | {"type": "REQUEST", "routeArn": route_arn, "identitySource": identity_source}


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


class Gateway(Protocol):
    """What API Gateway does around a route's function besides invoking it: its authorizer, its access log."""

    def admit(self, route: HttpRoute, event: dict[str, Any]) -> dict[str, Any] | None:
        """None: the call goes on (its event given the authorizer's context); else API Gateway's own answer (as a
        function's result is shaped)."""

    def served(self, event: dict[str, Any], status: int, latency_ms: float) -> None:
        """The call was answered (by its function, or by `admit`)."""


class LocalApi:
    """A WSGI application over template.yaml's routes. Each function runs one event at a time, as a Lambda execution
    environment does; and every HTTP function shares one turn, since the functions here share one interpreter, where
    Powertools keeps the current event on state every resolver shares — two HTTP functions side by side would
    answer one request with the other's event. Scheduled and queue-fed functions (no resolver) run beside them on
    their own threads, sharing no DynamoDB handle: the layer keeps one set per thread (storage/dynamodb.py)."""

    def __init__(self, template: Template, gateway: Gateway | None = None) -> None:
        self.gateway = gateway
        self.routes = template.http_routes()
        self.url_map = Map(
            [rule for route in self.routes for rule in to_werkzeug_rules(route)],
            strict_slashes=False,
        )
        self.cors = template.cors()
        self._handlers: dict[str, Callable[..., dict]] = {}
        http_turn = threading.Lock()
        self._turns = {route.function_id: http_turn for route in self.routes} | {
            target.function_id: threading.Lock() for target in (*template.schedules(), *template.queue_sources())
        }

    def handler_for(self, target: Target) -> Callable[..., dict]:
        with _first_imports:
            if target.handler not in self._handlers:
                if str(target.code_dir) not in sys.path:
                    sys.path.insert(0, str(target.code_dir))
                module_name, attribute = target.handler.rsplit(".", 1)
                self._handlers[target.handler] = getattr(importlib.import_module(module_name), attribute)
            return self._handlers[target.handler]

    def invoke(self, target: Target, event: dict[str, Any]) -> Any:
        with self._turns.setdefault(target.function_id, threading.Lock()):
            return self.handler_for(target)(event, LambdaContext(function_name=target.function_id))

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        request.max_content_length = API_GATEWAY_MAX_BODY
        if self.cors and request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            return self.preflight()(environ, start_response)
        try:
            route, arguments = self.url_map.bind_to_environ(environ).match()
            arguments.pop("default", None)
            event = build_event(request, route, arguments)
        except HTTPException as error:
            # API Gateway's own answers for routes it does not have and bodies it will not take
            response = Response(f'{{"message":"{error.name}"}}', status=error.code, content_type="application/json")
            return response(environ, start_response)
        started = time.monotonic()
        refused = self.gateway.admit(route, event) if self.gateway else None
        result = self.invoke(route, event) if refused is None else refused
        if self.gateway:
            self.gateway.served(event, result.get("statusCode", 200), (time.monotonic() - started) * 1000)
        access_log.info(
            "%s %s -> %s (%s)",
            request.method,
            request.full_path.rstrip("?"),
            result.get("statusCode"),
            route.function_id if refused is None else f"API Gateway: {route.function_id} not invoked",
        )
        response = self.to_response(result)
        if self.cors and "Origin" in request.headers:
            response.headers["Access-Control-Expose-Headers"] = ", ".join(self.cors.get("ExposeHeaders", []))
        return response(environ, start_response)

    def preflight(self) -> Response:
        """API Gateway's own answer to a CORS preflight, from the template's CorsConfiguration: no function runs."""
        response = Response(status=204)
        response.headers.update(
            {
                "Access-Control-Allow-Origin": ", ".join(self.cors.get("AllowOrigins", [])),
                "Access-Control-Allow-Methods": ", ".join(self.cors.get("AllowMethods", [])),
                "Access-Control-Allow-Headers": ", ".join(self.cors.get("AllowHeaders", [])),
                "Access-Control-Max-Age": str(self.cors.get("MaxAge", 0)),
            }
        )
        return response

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


def start_schedules(api: LocalApi, schedules: list[Schedule]) -> threading.Event:
    """Runs each scheduled function now and then every `every_seconds`, on a daemon thread, until the returned
    event is set. A failed run is logged and the next goes ahead (the template's MaximumRetryAttempts is 0)."""
    stop = threading.Event()

    def every_interval(schedule: Schedule) -> None:
        while not stop.is_set():
            try:
                result = api.invoke(schedule, schedule.input)
                access_log.info("schedule %s -> %s", schedule.function_id, result)
            except Exception:
                access_log.exception("schedule %s failed", schedule.function_id)
            stop.wait(schedule.every_seconds)

    for schedule in schedules:
        threading.Thread(target=every_interval, args=(schedule,), name=schedule.function_id, daemon=True).start()
    return stop


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source hands a function, from ReceiveMessage's messages."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for message in messages
        ]
    }


@functools.cache
def _sqs(endpoint: str | None) -> Any:
    """One SQS client per endpoint for every poll (a client per poll: its setup, and its log lines, every second)."""
    import boto3

    return boto3.client("sqs")


@functools.cache
def _queue(sqs: Any, queue_name: str) -> tuple[str, str]:
    """The queue's URL and ARN."""
    queue_url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    return queue_url, attributes["QueueArn"]


def deliver_once(api: LocalApi, source: QueueSource, queue_name: str, wait_seconds: int = 0) -> int:
    """One batch of the queue's messages to its function; deletes those it did not report failed (none if the
    invocation raised: they come back after the visibility timeout, or go to the dead-letter queue). Returns how
    many messages were delivered."""
    sqs = _sqs(os.environ.get("AWS_ENDPOINT_URL_SQS"))
    queue_url, queue_arn = _queue(sqs, queue_name)
    messages = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=min(source.batch_size, 10),
        WaitTimeSeconds=wait_seconds,
        MessageSystemAttributeNames=["All"],
    ).get("Messages", [])
    if not messages:
        return 0
    try:
        result = api.invoke(source, sqs_event(messages, queue_arn))
    except Exception:
        access_log.exception("queue %s -> %s failed", queue_name, source.function_id)
        return len(messages)
    failed = {failure["itemIdentifier"] for failure in (result or {}).get("batchItemFailures", [])}
    done = [message for message in messages if message["MessageId"] not in failed]
    if done:
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]} for n, message in enumerate(done)],
        )
    access_log.info(
        "queue %s -> %s: %d delivered, %d failed", queue_name, source.function_id, len(messages), len(failed)
    )
    return len(messages)


def start_queue_sources(api: LocalApi, sources: list[QueueSource], names: dict[str, str]) -> threading.Event:
    """Polls each source's queue (its local name in `names`) on a daemon thread until the returned event is set."""
    stop = threading.Event()

    def poll(source: QueueSource) -> None:
        while not stop.is_set():
            try:
                deliver_once(api, source, names[source.queue], wait_seconds=1)
            except Exception:
                access_log.exception("polling %s failed", source.queue)
                stop.wait(5)

    for source in sources:
        threading.Thread(target=poll, args=(source,), name=source.function_id, daemon=True).start()
    return stop


def serve(template: Template, host: str, port: int) -> Any:
    """A threaded Werkzeug server for the local API (call .serve_forever() or run it in a thread)."""
    return make_server(host, port, LocalApi(template), threaded=True)
