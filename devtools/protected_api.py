"""The example protected API (examples/protected-api) served locally as API Gateway serves it: each call of a route
with the template's authorizer goes first to keytally's authorizer function (resolved through the keytally stack's
exports), with API Gateway's answers — 401 without the identity source, 403 when refused, 500 when it fails — and
each answered call leaves a line in the template's access log format, delivered in batches to keytally's access log
function as a CloudWatch Logs subscription delivers them. Its binding is the template's SSM parameter, written
locally with the demo API's id."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import boto3

from devtools.cloudwatch_logs import subscription_event
from devtools.local_api import LocalApi, access_log, authorizer_event
from devtools.template import PROJECT_ROOT, HttpRoute, Template

EXAMPLE_TEMPLATE = PROJECT_ROOT / "examples" / "protected-api" / "template.yaml"
LOCAL_GATEWAY_ID = "exampleapi"  # the example API's id locally (API Gateway ids are 10 characters)
KEYTALLY_STACK = "keytally"  # the local keytally stack's name (devtools.template.LOCAL_PSEUDO_PARAMETERS)
_CONTEXT_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]+)")


def _answer(status: int, message: str) -> dict[str, Any]:
    """API Gateway's own answer, as its HTTP APIs give it."""
    body = json.dumps({"message": message})
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": body}


def access_log_line(log_format: str, event: dict[str, Any], status: int, latency_ms: float) -> str:
    """The access-log line API Gateway writes for a call (its payload-2.0 event), in an HttpApi's `Format`."""
    context = event["requestContext"]
    authorizer = context.get("authorizer", {})
    variables = {
        "requestId": context["requestId"],
        "apiId": context["apiId"],
        "routeKey": event["routeKey"],
        "path": context["http"]["path"],
        "httpMethod": context["http"]["method"],
        "status": str(status),
        "responseLatency": str(round(latency_ms)),
        "requestTimeEpoch": str(context["timeEpoch"]),
        "identity.sourceIp": context["http"]["sourceIp"],
        "authorizer.error": authorizer.get("error", "-"),
    } | {f"authorizer.{name}": str(value) for name, value in authorizer.get("lambda", {}).items()}
    flat = " ".join(log_format.split())
    return _CONTEXT_VARIABLE.sub(lambda m: json.dumps(variables.get(m.group(1), "-"))[1:-1], flat)


class ProtectedApiGateway:
    """The API Gateway around the example's routes (devtools.local_api.Gateway)."""

    def __init__(self, keytally: LocalApi, keytally_template: Template, example: Template, api_id: str) -> None:
        self.keytally = keytally
        self.local_names = {"KeytallyStack": KEYTALLY_STACK, "KeytallyApiId": api_id, "OrdersApi": LOCAL_GATEWAY_ID}
        http_api = example.http_api()
        exports = keytally_template.exported_functions()
        self.authorizers = {
            name: (
                keytally_template.function(exports[self._import(example, settings["FunctionArn"])]),
                [f"$request.header.{header}" for header in settings.get("Identity", {}).get("Headers", [])],
            )
            for name, settings in http_api["Auth"]["Authorizers"].items()
        }
        self.log_format = http_api["AccessLogSettings"]["Format"]
        self.log_destination = keytally_template.function(exports[self._subscription_destination(example)])
        self.pending: list[str] = []
        self.lock = threading.Lock()
        self.bind(example)

    def _import(self, example: Template, value: dict[str, Any]) -> str:
        return str(example.resolve(value["Fn::ImportValue"], self.local_names))

    def _subscription_destination(self, example: Template) -> str:
        (subscription,) = example.of_type("AWS::Logs::SubscriptionFilter").values()
        return self._import(example, subscription["Properties"]["DestinationArn"])

    def bind(self, example: Template) -> None:
        """Writes the template's binding parameter, as its stack would."""
        for parameter in example.of_type("AWS::SSM::Parameter").values():
            properties = parameter["Properties"]
            boto3.client("ssm").put_parameter(
                Name=example.resolve(properties["Name"], self.local_names),
                Value=example.resolve(properties["Value"], self.local_names),
                Type=properties["Type"],
                Overwrite=True,
            )

    def admit(self, route: HttpRoute, event: dict[str, Any]) -> dict[str, Any] | None:
        event["requestContext"]["apiId"] = LOCAL_GATEWAY_ID
        if route.authorizer is None:
            return None
        function, identity_sources = self.authorizers[route.authorizer]
        headers = event["headers"]
        values = [headers.get(source.rsplit(".", 1)[1].lower()) for source in identity_sources]
        if not all(values):  # API Gateway answers itself: the authorizer is not invoked
            return _answer(401, "Unauthorized")
        try:
            answer = self.keytally.invoke(function, authorizer_event(event, values))
        except Exception as error:
            access_log.warning("the authorizer failed: %s", error)
            event["requestContext"]["authorizer"] = {"error": "The authorizer failed"}
            return _answer(500, "Internal Server Error")
        if not answer.get("isAuthorized"):
            return _answer(403, "Forbidden")
        event["requestContext"]["authorizer"] = {"lambda": answer.get("context", {})}
        return None

    def served(self, event: dict[str, Any], status: int, latency_ms: float) -> None:
        line = access_log_line(self.log_format, event, status, latency_ms)
        with self.lock:
            self.pending.append(line)

    def flush(self) -> int:
        """Delivers the lines logged since the last delivery to keytally's access log function; how many. A delivery
        the function fails is kept for the next (Lambda invokes a failed asynchronous delivery again)."""
        with self.lock:
            lines, self.pending = self.pending, []
        if not lines:
            return 0
        try:
            self.keytally.invoke(self.log_destination, subscription_event("OrdersApi-access", lines))
        except Exception:
            with self.lock:
                self.pending = lines + self.pending
            raise
        return len(lines)

    def deliver_every(self, seconds: float) -> threading.Event:
        """Flushes on a daemon thread every `seconds` (CloudWatch Logs delivers within seconds) until the returned
        event is set."""
        stop = threading.Event()

        def deliver() -> None:
            while not stop.wait(seconds):
                try:
                    self.flush()  # the access log function logs what it stored
                except Exception:
                    access_log.exception("delivering access logs failed")

        threading.Thread(target=deliver, name="access-log-delivery", daemon=True).start()
        return stop


def protected_api(keytally: LocalApi, keytally_template: Template, api_id: str) -> tuple[LocalApi, ProtectedApiGateway]:
    """The example API's local API, and the gateway around it, its keys verified in keytally's API `api_id`."""
    example = Template(EXAMPLE_TEMPLATE)
    gateway = ProtectedApiGateway(keytally, keytally_template, example, api_id)
    return LocalApi(example, gateway), gateway
