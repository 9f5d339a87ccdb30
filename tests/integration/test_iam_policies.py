"""Every DynamoDB request a function sends is one its role in template.yaml allows: the action on that table (on
its indexes, for a Query of one). moto does not enforce IAM, so each route is called through the local API — plus
the rollup worker and dispatcher — the requests each function sent are recorded, and checked against the
function's policy statements. A missing action would answer AccessDenied to every call in AWS and nothing here."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gateway_calls import authorize, bind, deliver, http_event
from pydantic import TypeAdapter
from sample_requests import sample_request

from devtools.template import Template
from keytally import admin, rollup
from keytally.analytics.prometheus import summarize
from keytally.api_keys.models import CreateApiKey
from keytally.timeseries.records import Event
from keytally.tokens.models import CreatePersonalAccessToken
from keytally.usage import drain

from world import ACME

TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}

TEMPLATE = Template()


def _resources(resource: Any) -> list[str]:
    """Logical ids of the statement's resources: `Table` for its ARN, `Table/index` for its indexes."""
    resources = resource if isinstance(resource, list) else [resource]
    names = []
    for item in resources:
        if "Fn::GetAtt" in item:
            names.append(item["Fn::GetAtt"][0])
        elif "Fn::Sub" in item and ".Arn}" in item["Fn::Sub"]:  # a table's (other services' are not recorded)
            text = item["Fn::Sub"]
            names.append(text[2 : text.index(".Arn}")] + ("/index" if text.endswith("/index/*") else ""))
    return names


def granted(function_id: str) -> set[tuple[str, str]]:
    allowed = set()
    for policy in TEMPLATE.resources[function_id]["Properties"].get("Policies", []):
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in actions:
                allowed.update((action, resource) for resource in _resources(statement["Resource"]))
    return allowed


class Recorder:
    """The DynamoDB requests sent through keytally's clients, as (action, table logical id[/index])."""

    def __init__(self, tables: dict[str, str]) -> None:
        self.logical = {name: logical for logical, name in tables.items()}
        self.sent: set[tuple[str, str]] = set()

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        operation = model.name
        if "TableName" in params:
            index = "/index" if "IndexName" in params else ""
            self.sent.add((f"dynamodb:{operation}", self.logical[params["TableName"]] + index))
        for name in params.get("RequestItems", {}):
            self.sent.add((f"dynamodb:{operation}", self.logical[name]))
        for item in params.get("TransactItems", []):
            for kind, request in item.items():
                action = TRANSACT_ACTIONS.get(kind, "GetItem")
                self.sent.add((f"dynamodb:{action}", self.logical[request["TableName"]]))

    def take(self) -> set[tuple[str, str]]:
        sent, self.sent = self.sent, set()
        return sent


@pytest.fixture
def recorder(tables):
    from keytally.storage.dynamodb import clients

    recording = Recorder(tables)
    for client in clients():
        client.meta.events.register("provide-client-params.dynamodb", recording)
    yield recording
    for client in clients():
        client.meta.events.unregister("provide-client-params.dynamodb", recording)


def test_every_function_may_send_every_dynamodb_request_it_sends(client, world, recorder):
    now = datetime.now(UTC)
    api = admin.create_api(ACME, "payments", now)
    product_record, product = admin.create_key(
        CreateApiKey(api_id=api.api_id, remaining=5, refill={"interval": "daily", "amount": 5}), now
    )
    product_id = product_record.api_key_id
    token, token_value = admin.create_token("staff@keytally.test", CreatePersonalAccessToken(name="t"), now)
    scraper = admin.create_token("owner@acme.test", CreatePersonalAccessToken(name="s", organizationSlug=ACME), now)[1]
    staff, acme, owner = world.keys["staff"], world.keys["acme"], world.keys["owner"]
    member = admin.find_user("admin@acme.test").user_id
    event = {
        "event_id": "e1",
        "time": now.isoformat(),
        "endpoint": "/x",
        "method": "GET",
        "status": 200,
        "latency_ms": 1.0,
        "ip": "203.0.113.9",
        "api_key_id": world.ids["acme"],
    }
    paths = {
        "{api_key_id}": world.ids["org-disabled"],
        "{pat_id}": token.pat_id,
        "{organizationSlug}": ACME,
        "{user_id}": member,
        "{name}": "missing.js",
    }
    bodies = {
        ("POST", "/v1/api_keys"): {"description": "x", "organizationSlug": ACME},
        ("PATCH", "/v1/api_keys/{api_key_id}"): {"description": "y"},
        ("POST", "/v1/apis"): {"name": "x", "organizationSlug": ACME},
        ("POST", "/v1/keys/verify"): {"key": product, "apiId": api.api_id},
        ("POST", "/v1/events"): {"organizationSlug": ACME, "events": [event]},
        ("POST", "/v1/organizations/metrics"): {"organizationSlug": ACME},
        ("POST", "/v1/personal-access-tokens"): {"name": "n"},
        ("POST", "/v1/organizations/{organizationSlug}/members"): {"email": "nobody@test.test", "role": "member"},
        ("PATCH", "/v1/organizations/{organizationSlug}/members/{user_id}"): {"role": "admin"},
        ("POST", "/v1/keys.verifyKey"): {"key": product, "apiId": api.api_id},
        ("POST", "/v2/keys.verifyKey"): {"key": product},
        ("POST", "/v1/keys.createKey"): {"apiId": api.api_id, "externalId": "c1"},
        ("POST", "/v2/keys.createKey"): {"apiId": api.api_id},
        ("POST", "/v2/keys.getKey"): {"keyId": product_id},
        ("POST", "/v1/keys.updateKey"): {"keyId": product_id, "externalId": "c2", "enabled": True},
        ("POST", "/v2/keys.updateKey"): {"keyId": product_id, "meta": {"a": 1}},
        ("POST", "/v1/keys.updateRemaining"): {"keyId": product_id, "op": "set", "value": 7},  # counters alone
        ("POST", "/v2/keys.updateCredits"): {"keyId": product_id, "operation": "decrement", "value": 1},
        ("POST", "/v2/apis.getApi"): {"apiId": api.api_id},
        ("POST", "/v2/apis.listKeys"): {"apiId": api.api_id, "externalId": "c2"},
        ("POST", "/v1/ratelimits.limit"): {"identifier": "i", "limit": 1, "duration": 1000},
        ("POST", "/v2/ratelimit.limit"): {"namespace": "n", "identifier": "i", "limit": 1, "duration": 1000},
    }
    unkey_queries = {
        "/v1/keys.getKey": {"keyId": product_id},
        "/v1/keys.getVerifications": {"keyId": product_id},
        "/v1/apis.getApi": {"apiId": api.api_id},
        "/v1/apis.listKeys": {"apiId": api.api_id},
        "/v1/analytics.getVerifications": {"apiId": api.api_id, "groupBy": "key,hour"},
    }
    credentials = {
        ("POST", "/v1/keys/verify"): acme,
        ("POST", "/v1/events"): acme,
        ("GET", "/v1/metrics"): scraper,
        ("DELETE", "/v1/personal-access-tokens/{pat_id}"): token_value,
        ("POST", "/v1/personal-access-tokens"): owner,
    }
    sent: dict[str, set[tuple[str, str]]] = defaultdict(set)
    routes = sorted(TEMPLATE.http_routes(), key=lambda route: route.method == "DELETE")  # deletes last
    for route in routes:
        path = route.path
        for name, value in paths.items():
            path = path.replace(name, value)
        key = (route.method, route.path)
        unkey = "." in route.path  # Unkey's routes, with the organization's key as the root key
        headers = {"Authorization": f"Bearer {credentials.get(key, acme if unkey else staff)}"}
        query = (
            unkey_queries.get(route.path)
            if unkey
            else {"apiId": api.api_id}
            if "verifications" in path
            else {"organizationSlug": ACME}
            if route.path in ("/v1/analytics/api_keys", "/v1/api_keys", "/v1/apis")
            else None
        )
        response = client.open(path, method=route.method, headers=headers, json=bodies.get(key), query_string=query)
        assert response.status_code < 500, (key, response.get_data(as_text=True))
        assert response.status_code < 400 or not (bodies.get(key) or (unkey and query)), (key, response.get_data())
        sent[route.function_id] |= recorder.take()
    # a change of a product key's counters alone: the key item is only checked (a ConditionCheck)
    patched = client.patch(
        f"/v1/api_keys/{product_id}", headers={"Authorization": f"Bearer {acme}"}, json={"remaining": 3}
    )
    assert patched.status_code == 200, patched.get_data(as_text=True)
    sent["ApiKeysFunction"] |= recorder.take()
    later = now + timedelta(minutes=10)
    rollup.dispatch(later)
    sent["RollupDispatchFunction"] |= recorder.take()
    rollup.roll_up_named(ACME, later)
    summarize(ACME, later)  # the worker's note for /v1/metrics/all
    sent["RollupFunction"] |= recorder.take()
    spilled = sample_request("spilled", now, org_slug=ACME)
    drain.store_message(TypeAdapter(list[Event]).dump_json([spilled]).decode(), later)
    sent["EventDrainFunction"] |= recorder.take()
    bind("gwiam", {"apiId": api.api_id, "routes": {"GET /x": {"cost": 2}}})
    assert authorize(http_event("gwiam", "GET /x", "/x", {"X-API-Key": product}))["isAuthorized"] is True
    sent["GatewayAuthorizerFunction"] |= recorder.take()
    line = {
        "requestId": "r1",
        "apiId": "gwiam",
        "routeKey": "GET /x",
        "path": "/x",
        "httpMethod": "GET",
        "status": "200",
        "responseLatency": "12",
        "requestTimeEpoch": str(int(now.timestamp() * 1000)),
        "sourceIp": "203.0.113.9",
        "keyId": product_id,
    }
    assert deliver([json.dumps(line)])["accepted"] == 1
    sent["AccessLogFunction"] |= recorder.take()

    assert sent["VerifyFunction"] and sent["RollupFunction"] and sent["EventDrainFunction"]
    assert sent["GatewayAuthorizerFunction"] and sent["AccessLogFunction"]
    missing = {function_id: sorted(requests - granted(function_id)) for function_id, requests in sent.items()}
    assert {function_id: gaps for function_id, gaps in missing.items() if gaps} == {}
