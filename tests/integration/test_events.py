"""The sample events in events/ and the events the local API builds: genuine payload-2.0 shapes."""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventV2Model,
    ApiGatewayAuthorizerRequest,
    ApiGatewayAuthorizerRequestV2,
    CloudWatchLogsModel,
    SqsModel,
)
from sample_requests import sample_request
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from devtools.local_api import build_event
from devtools.template import Template
from keytally.storage import events as raw
from keytally.storage import rollups, spill

from world import ACME

SAMPLES = sorted((Path(__file__).parents[2] / "events").glob("*.json"))
AUTHORIZER_EVENTS = [path for path in SAMPLES if json.loads(path.read_text()).get("type") == "REQUEST"]
EVENTS = [  # API Gateway payload 2.0, to keytally's routes
    path for path in SAMPLES if "routeKey" in json.loads(path.read_text()) and path not in AUTHORIZER_EVENTS
]
SCHEDULE = Path(__file__).parents[2] / "events" / "rollup_dispatch_schedule.json"
ROLLUP_DUE = Path(__file__).parents[2] / "events" / "rollup_due.json"
SPILLED = Path(__file__).parents[2] / "events" / "spilled_events.json"
ACCESS_LOGS = Path(__file__).parents[2] / "events" / "access_logs_delivery.json"
ROUTES = {route.route_key: route for route in Template().http_routes()}


def built(method: str, path: str, route_key: str, params: dict | None = None, **builder) -> dict:
    environ = EnvironBuilder(method=method, path=path, environ_base={"REMOTE_ADDR": "198.51.100.4"}, **builder)
    return build_event(Request(environ.get_environ()), ROUTES[route_key], params or {})


def shape(value):
    if isinstance(value, dict):
        return {
            key: shape(item)
            for key, item in value.items()
            if key not in ("pathParameters", "body", "cookies", "queryStringParameters")
        }
    return type(value).__name__


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.stem)
def test_each_sample_event_runs_through_its_handler(path, tables, local_api):
    from devtools.local_api import LambdaContext

    event = json.loads(path.read_text())
    APIGatewayProxyEventV2Model.model_validate(event)
    route = ROUTES[event["routeKey"]]
    response = local_api.handler_for(route)(event, LambdaContext(function_name=route.function_id))
    public = event["routeKey"] in ("GET /v1/openapi.json", "GET /dashboard")
    # the samples carry a well-formed key that no store knows: protected routes answer 401 in the envelope (Unkey's
    # v2 routes in Unkey's: the status in the error)
    assert response["statusCode"] == (200 if public else 401)
    if not public:
        error = json.loads(response["body"])["error"]
        assert error.get("code", error.get("status")) in ("UNAUTHORIZED", 401)


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.stem)
def test_built_events_have_the_shape_of_the_samples(path):
    sample = json.loads(path.read_text())
    method, _route_path = sample["routeKey"].split(" ", 1)
    event = built(
        method,
        sample["rawPath"],
        sample["routeKey"],
        sample.get("pathParameters"),
        headers={k: v for k, v in sample["headers"].items() if k != "content-length"},
        data=sample.get("body"),
        query_string=sample["rawQueryString"],
    )
    APIGatewayProxyEventV2Model.model_validate(event)
    assert shape(event) == shape(sample)
    assert event.get("pathParameters") == sample.get("pathParameters")
    assert event.get("queryStringParameters") == sample.get("queryStringParameters")


@pytest.mark.parametrize("path", AUTHORIZER_EVENTS, ids=lambda p: p.stem)
def test_each_authorizer_sample_is_api_gateways_shape_and_refuses_its_unknown_key(path, tables, world):
    from gateway_calls import authorize, bind

    from keytally import admin
    from keytally.gateway.authorizer import Unauthenticated

    sample = json.loads(path.read_text())
    model = ApiGatewayAuthorizerRequestV2 if sample.get("version") == "2.0" else ApiGatewayAuthorizerRequest
    model.model_validate(sample)
    api = admin.create_api(ACME, "orders", datetime.now(UTC))
    bind(sample["requestContext"]["apiId"], {"apiId": api.api_id})
    if sample.get("version") == "2.0":
        assert authorize(sample) == {"isAuthorized": False, "context": {"code": "NOT_FOUND"}}
    else:
        with pytest.raises(Unauthenticated, match="Unauthorized"):
            authorize(sample)


def test_the_access_log_sample_is_a_subscription_delivery_of_the_documented_format(tables, world):
    from gateway_calls import bind, invoke

    from devtools.cloudwatch_logs import subscription_event
    from keytally import admin
    from keytally.api_keys.models import CreateApiKey

    sample = json.loads(ACCESS_LOGS.read_text())
    data = CloudWatchLogsModel.model_validate(sample).awslogs.decoded_data
    lines = [json.loads(log_event.message) for log_event in data.logEvents]
    api = admin.create_api(ACME, "orders", datetime.now(UTC) - timedelta(days=400))
    bind(lines[0]["apiId"], {"apiId": api.api_id})
    answer = invoke("access_logs", "AccessLogFunction", sample)
    assert answer == {"accepted": 0, "duplicates": 0, "skipped": {"too_old": 1, "unknown_api_key": 1}}
    key = admin.create_key(CreateApiKey(api_id=api.api_id), datetime.now(UTC))[0].api_key_id
    now = str(int(datetime.now(UTC).timestamp() * 1000))
    fresh = [
        json.dumps(line | {"requestTimeEpoch": now, "keyId": key if line["keyId"] != "-" else "-"}) for line in lines
    ]

    answer = invoke("access_logs", "AccessLogFunction", subscription_event(data.logGroup, fresh))
    assert answer == {"accepted": 2, "duplicates": 0, "skipped": {}}


def test_repeated_query_keys_cookies_and_source_ip():
    event = built(
        "GET",
        "/v1/api_keys",
        "GET /v1/api_keys",
        query_string="tag=a&tag=b&limit=5",
        headers={"Cookie": "a=1; b=2", "X-Custom": "x"},
    )
    model = APIGatewayProxyEventV2Model.model_validate(event)
    assert model.queryStringParameters == {"tag": "a,b", "limit": "5"}
    assert event["rawQueryString"] == "tag=a&tag=b&limit=5"
    assert model.cookies == ["a=1", "b=2"] and "cookie" not in event["headers"]
    assert event["requestContext"]["http"]["sourceIp"] == "198.51.100.4"
    assert event["headers"]["x-custom"] == "x"


def test_binary_bodies_are_base64_and_text_bodies_are_not():
    binary = built("POST", "/v1/apis", "POST /v1/apis", data=b"\x00\xff", content_type="application/octet-stream")
    assert binary["isBase64Encoded"] is True and base64.b64decode(binary["body"]) == b"\x00\xff"
    text = built("POST", "/v1/apis", "POST /v1/apis", json={"name": "x"})
    assert text["isBase64Encoded"] is False and json.loads(text["body"]) == {"name": "x"}


def test_path_parameters_and_route_key():
    event = built("GET", "/v1/api_keys/ak_1", "GET /v1/api_keys/{api_key_id}", {"api_key_id": "ak_1"})
    assert event["pathParameters"] == {"api_key_id": "ak_1"}
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "GET /v1/api_keys/{api_key_id}"


def test_the_schedule_sample_is_the_templates_input_and_dispatches_the_organizations_with_new_events(
    tables, monkeypatch
):
    from devtools.local_api import LambdaContext
    from devtools.template import PROJECT_ROOT
    from keytally import admin

    sample = json.loads(SCHEDULE.read_text())
    schedule = Template().document["Resources"]["RollupDispatchFunction"]["Properties"]["Events"]["EveryMinute"]
    assert json.loads(schedule["Properties"]["Input"]) == sample
    assert set(SAMPLES) == set(EVENTS) | set(AUTHORIZER_EVENTS) | {SCHEDULE, SPILLED, ROLLUP_DUE, ACCESS_LOGS}
    now = datetime.now(UTC)
    admin.create_organization("sched-org", None, now - timedelta(hours=1))
    admin.create_organization("idle-org", None, now - timedelta(hours=1))
    admin.load_events([sample_request("ev_1", now - timedelta(minutes=10), org_slug="sched-org")])
    monkeypatch.syspath_prepend(str(PROJECT_ROOT / "functions"))
    handler = importlib.import_module("rollup_dispatch.handler").lambda_handler
    result = handler(sample, LambdaContext(function_name="RollupDispatchFunction"))
    assert result["organizations"] == 1  # idle-org has nothing new


def test_the_rollup_due_sample_rolls_up_its_organization(tables, local_api):
    from devtools.local_api import LambdaContext
    from keytally import admin

    sample = json.loads(ROLLUP_DUE.read_text())
    SqsModel.model_validate(sample)
    (record,) = sample["Records"]
    assert hashlib.md5(record["body"].encode()).hexdigest() == record["md5OfBody"]
    admin.create_organization("acme-org", None, datetime.now(UTC) - timedelta(hours=1))
    worker = next(source for source in Template().queue_sources() if source.function_id == "RollupFunction")
    result = local_api.handler_for(worker)(sample, LambdaContext(function_name=worker.function_id))
    assert result == {"batchItemFailures": []}
    assert rollups.get_watermark("acme-org") is not None


def test_the_spilled_events_sample_runs_through_the_drain_and_matches_what_the_local_api_delivers(tables, local_api):
    from devtools.local_api import LambdaContext, sqs_event

    sample = json.loads(SPILLED.read_text())
    SqsModel.model_validate(sample)
    (record,) = sample["Records"]
    assert hashlib.md5(record["body"].encode()).hexdigest() == record["md5OfBody"]
    drain = next(source for source in Template().queue_sources() if source.function_id == "EventDrainFunction")
    result = local_api.handler_for(drain)(sample, LambdaContext(function_name=drain.function_id))
    assert result == {"batchItemFailures": []}
    (stored,) = raw.already_stored(spill.events_of(record["body"]))
    assert stored.event_id == "ev_3GQ2pQ0r6WQ0ZyXh4bXo1c"

    message = {
        "MessageId": "m1",
        "ReceiptHandle": "r1",
        "Body": record["body"],
        "Attributes": record["attributes"],
        "MD5OfBody": record["md5OfBody"],
    }
    assert shape(sqs_event([message], record["eventSourceARN"])) == shape(sample)
