"""The SAM template: lint-clean, buildable without Docker (a local python3.13 compiles the bytecode), and in step
with the code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devtools import store
from devtools.template import NO_VALUE, PROJECT_ROOT, Template

SAM = str(PROJECT_ROOT / ".tools" / "bin" / "sam")  # its own environment, installed by `make test`
SAM_ENV = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
DASHBOARD_ROUTES = {("GET", "/dashboard"), ("GET", "/dashboard/assets/{name}")}  # a page, not an API operation
PYTHON313_MAGIC = (3571).to_bytes(2, "little") + b"\r\n"  # the first 4 bytes of every CPython 3.13 .pyc
CHECKED_HASH = 0b11  # a .pyc's flags (bytes 4..8): hash-based, source checked at import (PEP 552)


@pytest.mark.parametrize("template", ["template.yaml", "examples/protected-api/template.yaml"])
def test_sam_validate_lint_is_clean(template: str):
    result = subprocess.run(
        [SAM, "validate", "--lint", "--template", template],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env=SAM_ENV,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_every_alarm_notifies_the_chosen_topic_when_it_goes_off_and_ends():
    template = Template()
    notified = [{"Fn::If": ["NotifiesTopic", {"Ref": "AlarmTopicArn"}, {"Ref": "AlarmTopic"}]}]
    alarms = template.of_type("AWS::CloudWatch::Alarm")
    assert len(alarms) >= 4
    for name, alarm in alarms.items():
        assert alarm["Properties"].get("AlarmActions") == notified, name
        assert alarm["Properties"].get("OKActions") == notified, name
    assert template.resources["AlarmEmailSubscription"]["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


def test_sam_build_succeeds(tmp_path: Path):
    build_dir = tmp_path / "build"
    result = subprocess.run(
        [SAM, "build", "--build-dir", str(build_dir)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env=SAM_ENV,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    layer = build_dir / "SharedLayer" / "python"
    assert (layer / "keytally" / "auth" / "authenticate.py").exists()
    assert not (layer / "keytally" / "tools").exists()  # local-only tools stay out of the layer
    assert list(layer.glob("pydantic_core/*aarch64*.so")), "the layer must carry arm64 wheels"
    assert not list(layer.glob("aws_xray_sdk*")) and not list(layer.glob("opentelemetry*"))  # no tracing code
    assert (build_dir / "ApiKeysFunction" / "api_keys" / "handler.py").exists()
    assert (build_dir / "ApiKeysFunction" / "verify" / "handler.py").exists()  # for the merged OpenAPI document
    assert sorted(p.name for p in (build_dir / "VerifyFunction").iterdir()) == ["verify"]
    assert pyc_of(layer / "keytally" / "__init__.py").is_file()
    assert pyc_of(build_dir / "VerifyFunction" / "verify" / "handler.py").is_file()
    dashboard = build_dir / "DashboardFunction" / "dashboard"
    assert (dashboard / "site" / "index.html").is_file() and list((dashboard / "site" / "assets").glob("main-*.js"))
    for artifact in [layer, *build_dir.glob("*Function")]:  # before anything imports from the build
        assert_ships_checked_python313_bytecode(artifact)
    served = subprocess.run(
        [sys.executable, "-c", SERVE_OPENAPI_DOCUMENT],
        cwd=build_dir / "ApiKeysFunction",
        capture_output=True,
        text=True,
        env={**SAM_ENV, "PYTHONPATH": "."},
        timeout=120,
    )
    assert served.returncode == 0, served.stderr
    assert "/v1/keys/verify" in json.loads(served.stdout)["paths"]  # the artifact alone merges every HTTP function


def assert_ships_checked_python313_bytecode(artifact: Path) -> None:
    """Every source in the artifact has checked-hash CPython 3.13 bytecode and no other Python's bytecode ships:
    Lambda's code directory is read-only, so what ships is what a cold start gets."""
    missing = [source for source in artifact.rglob("*.py") if not pyc_of(source).is_file()]
    assert not missing, missing[:5]
    for pyc in artifact.rglob("*.pyc"):
        assert pyc.name.endswith(".cpython-313.pyc") and pyc.parent.name == "__pycache__", pyc
        header = pyc.read_bytes()[:8]
        assert header[:4] == PYTHON313_MAGIC and int.from_bytes(header[4:8], "little") == CHECKED_HASH, pyc


def pyc_of(source: Path) -> Path:
    """Where CPython 3.13 looks for a source file's bytecode."""
    return source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"


SERVE_OPENAPI_DOCUMENT = f"""
import json, sys
from api_keys.handler import lambda_handler
from devtools.local_api import LambdaContext
event = json.load(open({str(PROJECT_ROOT / "events" / "openapi_document.json")!r}))
print(lambda_handler(event, LambdaContext(function_name="ApiKeysFunction"))["body"])
"""


ADOT_LAYER = "arn:aws:lambda:eu-west-1:123456789012:layer:AWSOpenTelemetryDistroPython:9"


def test_tracing_is_opentelemetry_zero_code_and_only_when_active():
    """PassThrough (the default) loads no tracing code; Active adds the OpenTelemetry layer and its wrapper to every
    function, and a deployment without the layer's ARN is refused by the template's rule."""
    template = Template()
    functions = template.of_type("AWS::Serverless::Function")
    names = {name: name for name in template.resources}
    chosen = {"Tracing": "Active", "OpenTelemetryLayerArn": ADOT_LAYER}
    for function_id in functions:
        assert "AWS_LAMBDA_EXEC_WRAPPER" not in template.function_environment(function_id, names)
        traced = template.function_environment(function_id, {**names, **chosen})
        assert traced["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/otel-instrument", function_id
        assert "Layers" not in functions[function_id]["Properties"], function_id  # the Globals' layers, always
    layers = template.document["Globals"]["Function"]["Layers"]
    assert layers[0] == {"Ref": "SharedLayer"} and template.resolve(layers[1], {}) is NO_VALUE
    assert template.resolve(layers[1], chosen) == ADOT_LAYER
    rule = template.document["Rules"]["TracingNeedsItsLayer"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "Tracing"}, "Active"]}
    assert rule["Assertions"][0]["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "OpenTelemetryLayerArn"}, ""]}]}


def test_functions_run_python313_on_arm64_with_json_logs():
    template = Template()
    globals_ = template.document["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13" and globals_["Architectures"] == ["arm64"]
    assert globals_["LoggingConfig"]["LogFormat"] == "JSON"


def test_openapi_covers_every_route_of_every_function_and_its_errors(client):
    spec = json.loads(client.get("/v1/openapi.json").get_data())
    documented = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    routes = {(r.method, r.path) for r in Template().http_routes()}
    undocumented = {("GET", "/v1/openapi.json"), ("GET", "/v1/docs"), ("ANY", "$default"), *DASHBOARD_ROUTES}
    assert documented == routes - undocumented
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            unkeys = "." in path.rsplit("/", 1)[-1]  # Unkey's `<namespace>.<operation>`: invalid input is a 400
            errors = {"400" if unkeys else "422", "401", "403", "429", "500"}
            assert errors <= set(operation["responses"]), (method, path)
            assert operation["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}]
            success = next(code for code in operation["responses"] if code.startswith("2"))
            if path.startswith("/v1/metrics"):  # Prometheus text in either format, never JSON
                content = operation["responses"][success]["content"]
                assert [media.split(";")[0] for media in content] == ["text/plain", "application/openmetrics-text"]
                assert all(item["schema"] == {"type": "string"} for item in content.values()), (method, path)
            else:
                assert "$ref" in json.dumps(operation["responses"][success]), (method, path)


def test_every_http_function_may_write_its_request_events_or_spill_them():
    template = Template()
    http_functions = {route.function_id for route in template.http_routes()} - {"DashboardFunction"}
    spill = {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["EventSpillQueue", "QueueName"]}}}
    for function_id in http_functions:
        policies = template.resources[function_id]["Properties"]["Policies"]
        statements = [
            statement
            for policy in policies
            for statement in policy.get("Statement", [])  # SAM policy templates have none
        ]
        assert any(
            "dynamodb:BatchWriteItem" in statement["Action"]
            and statement["Resource"] == {"Fn::GetAtt": ["RawEventsTable", "Arn"]}
            for statement in statements
        ), function_id
        assert spill in policies, function_id
    sources = {source.function_id: source.queue for source in template.queue_sources()}
    assert sources == {"EventDrainFunction": "EventSpillQueue", "RollupFunction": "RollupQueue"}


def test_every_http_function_may_read_the_token_signing_secret():
    """A personal access token may arrive at any route: each function checks it with the signing key."""
    template = Template()
    read_secret = {"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": {"Ref": "PatSigningSecret"}}}
    for function_id in {route.function_id for route in template.http_routes()} - {"DashboardFunction"}:
        assert read_secret in template.resources[function_id]["Properties"]["Policies"], function_id
    environment = template.function_environment("TokensFunction", store.local_names(template))
    assert environment["KEYTALLY_PAT_SECRET"] == "PatSigningSecret"
