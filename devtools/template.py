"""Reads template.yaml, the one source of truth for routes, tables and function environments."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


def _project_root() -> Path:
    """The checkout devtools belongs to: the nearest folder above this file that holds template.yaml."""
    here = Path(__file__).resolve()
    for folder in here.parents:
        if (folder / "template.yaml").is_file():
            return folder
    raise FileNotFoundError(f"No template.yaml in any folder above {here}")


PROJECT_ROOT = _project_root()
TEMPLATE_PATH = PROJECT_ROOT / "template.yaml"


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads short-form intrinsics (!Ref, !GetAtt, !Sub, ...) as their long forms."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str  # API Gateway syntax: /v1/api_keys/{api_key_id}
    function_id: str
    code_dir: Path
    handler: str  # module.attribute
    authorizer: str | None = None  # the HttpApi's authorizer this route calls first (its name in the API's Auth)

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class FunctionTarget:
    """A function invoked by other means than an event of its own (an API's authorizer, a log subscription)."""

    function_id: str
    code_dir: Path
    handler: str


@dataclass(frozen=True)
class Schedule:
    """A function EventBridge Scheduler runs at a fixed rate, with a fixed input."""

    function_id: str
    code_dir: Path
    handler: str
    every_seconds: int
    input: dict[str, Any]


@dataclass(frozen=True)
class QueueSource:
    """A function Lambda's SQS event source feeds: batches of messages of a queue, partial batch responses."""

    function_id: str
    code_dir: Path
    handler: str
    queue: str  # the queue's logical id
    batch_size: int


# pseudo parameters as the local stack answers them (the stack is named as template.yaml's services are)
NO_VALUE = object()  # AWS::NoValue: the property it is given to is left out
LOCAL_PSEUDO_PARAMETERS = {
    "AWS::StackName": "keytally",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
}
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class Template:
    def __init__(self, path: Path = TEMPLATE_PATH) -> None:
        self.path = path
        self.document = yaml.load(path.read_text(), Loader=_CloudFormationLoader)  # noqa: S506 (safe loader)
        self.resources: dict[str, dict[str, Any]] = self.document["Resources"]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {name: res for name, res in self.resources.items() if res["Type"] == resource_type}

    def cors(self) -> dict[str, Any]:
        """The HttpApi's CorsConfiguration (empty: no CORS)."""
        apis = self.of_type("AWS::Serverless::HttpApi").values()
        return next((api["Properties"].get("CorsConfiguration", {}) for api in apis), {})

    def tables(self) -> dict[str, dict[str, Any]]:
        return {name: res["Properties"] for name, res in self.of_type("AWS::DynamoDB::Table").items()}

    def secrets(self) -> dict[str, dict[str, Any]]:
        """Secrets Manager secrets; locally each is named by its logical id."""
        return {name: res["Properties"] for name, res in self.of_type("AWS::SecretsManager::Secret").items()}

    def queues(self) -> dict[str, dict[str, Any]]:
        """SQS queues; locally each is named by its logical id (and a prefix, as tables are)."""
        return {name: res["Properties"] for name, res in self.of_type("AWS::SQS::Queue").items()}

    def _function_events(self, event_type: str) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
        """(function id, function properties, event properties) of every function event of the type."""
        for name, function in self.of_type("AWS::Serverless::Function").items():
            properties = function["Properties"]
            for event in (properties.get("Events") or {}).values():
                if event["Type"] == event_type:
                    yield name, properties, event["Properties"]

    def queue_sources(self) -> list[QueueSource]:
        return [
            QueueSource(
                function_id=name,
                code_dir=self.path.parent / properties["CodeUri"],
                handler=properties["Handler"],
                queue=event["Queue"]["Fn::GetAtt"][0],
                batch_size=int(event.get("BatchSize", 10)),
            )
            for name, properties, event in self._function_events("SQS")
        ]

    def http_routes(self) -> list[HttpRoute]:
        return [
            HttpRoute(
                method=event["Method"].upper(),
                path=event["Path"],
                function_id=name,
                code_dir=self.path.parent / properties["CodeUri"],
                handler=properties["Handler"],
                authorizer=self._route_authorizer(event),
            )
            for name, properties, event in self._function_events("HttpApi")
        ]

    def _route_authorizer(self, event: dict[str, Any]) -> str | None:
        """The route's own Auth.Authorizer, else its API's DefaultAuthorizer; NONE (or no Auth): none."""
        api = self.resources.get(event.get("ApiId", {}).get("Ref", ""), {}).get("Properties", {})
        name = event.get("Auth", {}).get("Authorizer") or api.get("Auth", {}).get("DefaultAuthorizer")
        return None if name in (None, "NONE") else name

    def http_api(self) -> dict[str, Any]:
        """The properties of the template's one HttpApi."""
        (api,) = self.of_type("AWS::Serverless::HttpApi").values()
        return api["Properties"]

    def function(self, function_id: str) -> FunctionTarget:
        properties = self.resources[function_id]["Properties"]
        return FunctionTarget(function_id, self.path.parent / properties["CodeUri"], properties["Handler"])

    def exported_functions(self) -> dict[str, str]:
        """Export name (as the local stack names it) -> the function whose ARN the output exports."""
        exported = {}
        for output in self.document.get("Outputs", {}).values():
            value = output.get("Value", {})
            if "Export" in output and "Fn::GetAtt" in value and value["Fn::GetAtt"][1] == "Arn":
                exported[self.resolve(output["Export"]["Name"], {})] = value["Fn::GetAtt"][0]
        return exported

    def schedules(self) -> list[Schedule]:
        schedules = []
        for name, properties, event in self._function_events("ScheduleV2"):
            rate = _RATE.match(event["ScheduleExpression"])
            if rate is None:
                raise ValueError(f"The local API runs rate() schedules only: {event}")
            schedules.append(
                Schedule(
                    function_id=name,
                    code_dir=self.path.parent / properties["CodeUri"],
                    handler=properties["Handler"],
                    every_seconds=int(rate.group(1)) * _UNIT_SECONDS[rate.group(2).rstrip("s")],
                    input=json.loads(event.get("Input", "{}")),
                )
            )
        return schedules

    def function_environment(self, function_id: str, local_names: dict[str, str]) -> dict[str, str]:
        """Globals' and the function's variables, with !Ref/!Sub resolved to local names (of tables and queues:
        logical id -> name) and defaults."""
        variables = dict(
            self.document.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
        )
        variables.update(self.resources[function_id]["Properties"].get("Environment", {}).get("Variables", {}))
        resolved = {name: self.resolve(value, local_names) for name, value in variables.items()}
        return {name: str(value) for name, value in resolved.items() if value is not NO_VALUE}

    def resolve(self, value: Any, local_names: dict[str, str]) -> Any:
        """A value with !Ref, !Sub and !If resolved: to `local_names` (logical id or parameter -> local value),
        secrets' logical ids, the local stack's pseudo parameters, or parameters' defaults; AWS::NoValue is
        NO_VALUE (the property is left out)."""
        if not isinstance(value, dict):
            return value
        if "Fn::If" in value:
            condition, when_true, when_false = value["Fn::If"]
            return self.resolve(when_true if self.holds(condition, local_names) else when_false, local_names)
        if value == {"Ref": "AWS::NoValue"}:
            return NO_VALUE
        if "Ref" in value:
            name = value["Ref"]
            if name in local_names:
                return local_names[name]
            if name in self.secrets():
                return name
            if name in LOCAL_PSEUDO_PARAMETERS:
                return LOCAL_PSEUDO_PARAMETERS[name]
            return self.document.get("Parameters", {})[name].get("Default", "")
        if "Fn::Sub" in value:
            return re.sub(
                r"\$\{([A-Za-z0-9:]+)\}",
                lambda m: str(self.resolve({"Ref": m.group(1)}, local_names)),
                value["Fn::Sub"],
            )
        raise ValueError(f"The local API cannot resolve {value}")

    def holds(self, condition: str, local_names: dict[str, str]) -> bool:
        """Whether one of the template's Conditions holds for the local stack (its parameters' defaults)."""
        return self._evaluate(self.document.get("Conditions", {})[condition], local_names)

    def _evaluate(self, expression: dict[str, Any], local_names: dict[str, str]) -> bool:
        (function, arguments), *_ = expression.items()
        if function == "Condition":
            return self.holds(arguments, local_names)
        if function == "Fn::Equals":
            left, right = (self.resolve(argument, local_names) for argument in arguments)
            return str(left) == str(right)
        if function == "Fn::Not":
            return not self._evaluate(arguments[0], local_names)
        if function == "Fn::And":
            return all(self._evaluate(argument, local_names) for argument in arguments)
        if function == "Fn::Or":
            return any(self._evaluate(argument, local_names) for argument in arguments)
        raise ValueError(f"The local API cannot evaluate the condition {expression}")
