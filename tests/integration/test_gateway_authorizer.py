"""The gateway authorizer, invoked as API Gateway invokes it (HTTP API payload 2.0 with simple responses; REST API
REQUEST authorizer): the same verdicts, counters and events as POST /v1/keys/verify, per route rules, in the keytally
API the gateway is bound to and nowhere else."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from gateway_calls import CLIENT_IP, authorize, bind, http_event, rest_event
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keytally.gateway.authorizer import GatewayNotBound, Unauthenticated


def call(client, method: str, path: str, key: str, body: dict | None = None) -> tuple[int, dict]:
    response = client.open(
        path,
        method=method,
        headers={"Authorization": f"Bearer {key}"},
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
    )
    return response.status_code, json.loads(response.get_data())


@pytest.fixture
def gateway(client, world):
    """acme's API bound to a fresh gateway id, routes ruled as the example's are; a function making its keys."""
    acme = world.keys["acme"]
    api = call(client, "POST", "/v1/apis", acme, {"name": "orders"})[1]["data"]["api_id"]
    gateway_id = f"gw{uuid.uuid4().hex[:8]}"
    routes = {"DELETE /orders/{id}": {"permissions": "orders.admin OR (orders.write AND orders.delete)", "cost": 5}}
    bind(gateway_id, {"apiId": api, "routes": routes})

    def product(**fields) -> tuple[str, str]:
        status, body = call(client, "POST", "/v1/api_keys", fields.pop("caller", acme), {"api_id": api, **fields})
        assert status == 201, body
        return body["data"]["key_value"], body["data"]["api_key_id"]

    return gateway_id, api, product


def test_a_valid_key_gets_through_with_its_verification_in_the_context(gateway):
    gateway_id, _, product = gateway
    key, key_id = product(
        external_id="cust_42",
        remaining=10,
        permissions=["orders.read", "orders.write"],
        ratelimit={"limit": 100, "duration": 60_000},
    )
    answer = authorize(http_event(gateway_id, "GET /orders/{id}", "/orders/7", {"Authorization": f"Bearer {key}"}))
    assert answer["isAuthorized"] is True
    context = answer["context"]
    assert context["code"] == "VALID" and context["keyId"] == key_id and context["externalId"] == "cust_42"
    assert context["remaining"] == 9 and context["permissions"] == "orders.read,orders.write"
    assert context["ratelimitLimit"] == 100 and context["ratelimitRemaining"] == 99 and context["ratelimitReset"] > 0
    assert all(isinstance(value, str | int | bool) for value in context.values())  # flat, as REST APIs need


@pytest.mark.parametrize(
    "headers",
    [{"X-API-Key": "{key}"}, {"Authorization": "{key}"}, {"authorization": "bearer {key}"}],
    ids=["x-api-key", "bare authorization", "lower-case bearer"],
)
def test_a_key_travels_where_keytally_takes_one(gateway, headers):
    gateway_id, _, product = gateway
    key, _ = product()
    filled = {name: value.format(key=key) for name, value in headers.items()}
    assert authorize(http_event(gateway_id, "GET /orders", "/orders", filled))["isAuthorized"] is True


def test_a_binding_may_name_the_one_header_keys_travel_in(gateway, client, world):
    gateway_id, api, product = gateway
    key, _ = product()
    bind(gateway_id, {"apiId": api, "keyHeader": "x-acme-key"})
    from keytally.storage import gateway_bindings

    gateway_bindings.ssm_parameters().clear_cache()  # as a container would within a minute
    assert authorize(http_event(gateway_id, "GET /orders", "/orders", {"X-Acme-Key": key}))["isAuthorized"] is True
    refused = authorize(http_event(gateway_id, "GET /orders", "/orders", {"Authorization": f"Bearer {key}"}))
    assert refused == {"isAuthorized": False}  # no key in the named header: nothing verified


def test_each_refusal_is_api_gateways_403_with_unkeys_code(gateway, client, world):
    gateway_id, _, product = gateway
    other_api = call(client, "POST", "/v1/apis", world.keys["beta"], {"name": "beta"})[1]["data"]["api_id"]
    other_orgs_key = call(client, "POST", "/v1/api_keys", world.keys["beta"], {"api_id": other_api})[1]["data"]
    revoked, revoked_id = product()
    assert call(client, "DELETE", f"/v1/api_keys/{revoked_id}", world.keys["acme"])[0] == 200
    cases = {
        "NOT_FOUND": revoked,
        "UNAUTHORIZED": other_orgs_key["key_value"],
        "DISABLED": product(is_enabled=False)[0],
        "FORBIDDEN": product(allow_ips=["10.0.0.0/8"])[0],
        "USAGE_EXCEEDED": product(remaining=0)[0],
    }
    # keytally's own credentials are no product keys: refused unread, whichever organization they act in
    for credential in (world.keys["acme"], world.keys["owner"], world.keys["staff"]):
        answer = authorize(http_event(gateway_id, "GET /orders", "/orders", {"Authorization": f"Bearer {credential}"}))
        assert answer == {"isAuthorized": False, "context": {"code": "NOT_FOUND"}}
    for code, key in cases.items():
        answer = authorize(http_event(gateway_id, "GET /orders", "/orders", {"Authorization": f"Bearer {key}"}))
        assert answer["isAuthorized"] is False and answer["context"]["code"] == code, code
        if code in ("NOT_FOUND", "UNAUTHORIZED"):
            assert "keyId" not in answer["context"]  # nothing of a key the API does not own


def test_a_route_asks_its_permissions_and_spends_its_cost(gateway):
    gateway_id, _, product = gateway
    reader, _ = product(permissions=["orders.read"], remaining=20)
    writer, _ = product(permissions=["orders.write", "orders.delete"], remaining=20)

    def delete(key: str) -> dict:
        return authorize(http_event(gateway_id, "DELETE /orders/{id}", "/orders/7", {"X-API-Key": key}))

    assert delete(reader)["context"]["code"] == "INSUFFICIENT_PERMISSIONS"
    allowed = delete(writer)
    assert allowed["isAuthorized"] is True and allowed["context"]["remaining"] == 15  # the route costs 5
    listed = authorize(http_event(gateway_id, "GET /orders", "/orders", {"X-API-Key": reader}))
    assert listed["isAuthorized"] is True and listed["context"]["remaining"] == 19  # a route not ruled: any key, 1


def test_out_of_credits_and_rate_limited_are_refused_from_the_next_call(gateway):
    gateway_id, _, product = gateway
    credits, _ = product(remaining=2)
    limited, _ = product(ratelimit={"limit": 2, "duration": 3_600_000})
    for key, code in ((credits, "USAGE_EXCEEDED"), (limited, "RATE_LIMITED")):
        event = http_event(gateway_id, "GET /orders", "/orders", {"X-API-Key": key})
        answers = [authorize(event) for _ in range(3)]
        assert [answer["isAuthorized"] for answer in answers] == [True, True, False]
        assert answers[2]["context"]["code"] == code


def test_rest_api_answers_401_for_keys_that_are_not_the_apis_and_a_policy_otherwise(gateway, client, world):
    gateway_id, _, product = gateway
    revoked, revoked_id = product()
    assert call(client, "DELETE", f"/v1/api_keys/{revoked_id}", world.keys["acme"])[0] == 200
    key, key_id = product(remaining=1)
    event = rest_event(gateway_id, "GET", "/orders/{id}", "/orders/a@b", {"Authorization": f"Bearer {key}"})
    allowed = authorize(event)
    assert allowed["principalId"] == key_id and allowed["context"]["code"] == "VALID"
    assert allowed["policyDocument"]["Statement"] == [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}
    ]
    denied = authorize(event)  # out of credits: a Deny policy, API Gateway's 403
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert denied["context"]["code"] == "USAGE_EXCEEDED"
    disabled = product(is_enabled=False)[0]
    for headers in ({}, {"X-API-Key": "kt_prod_notakey"}, {"X-API-Key": disabled}, {"X-API-Key": revoked}):
        with pytest.raises(Unauthenticated) as raised:
            authorize(rest_event(gateway_id, "GET", "/orders", "/orders", headers))
        assert str(raised.value) == "Unauthorized"  # the one error message API Gateway answers 401


def test_a_gateway_bound_to_nothing_lets_nothing_through(gateway, world):
    _, _, product = gateway
    key, _ = product()
    with pytest.raises(GatewayNotBound):  # API Gateway answers 500
        authorize(http_event("gwunbound", "GET /orders", "/orders", {"X-API-Key": key}))
    bind("gwmissingapi", {"apiId": "api_doesnotexist"})
    with pytest.raises(GatewayNotBound):
        authorize(http_event("gwmissingapi", "GET /orders", "/orders", {"X-API-Key": key}))
    bind("gwmalformed", {"apiId": "api_x", "routes": {"GET /": {"permissions": "a AND ("}}})
    with pytest.raises(GatewayNotBound):
        authorize(http_event("gwmalformed", "GET /", "/", {"X-API-Key": key}))


def test_each_verification_counts_in_the_bound_apis_analytics(gateway, client, world):
    gateway_id, api, product = gateway
    key, key_id = product(remaining=1)
    other_key = call(client, "POST", "/v1/apis", world.keys["beta"], {"name": "b"})[1]["data"]["api_id"]
    beta_key = call(client, "POST", "/v1/api_keys", world.keys["beta"], {"api_id": other_key})[1]["data"]["key_value"]
    for sent in (key, key, beta_key):
        authorize(http_event(gateway_id, "GET /orders", "/orders", {"X-API-Key": sent}))
    status, body = call(client, "GET", f"/v1/analytics/verifications?apiId={api}&groupBy=key", world.keys["acme"])
    assert status == 200, body
    counts = {row["keyId"]: row for row in body["data"]}
    assert counts[key_id]["valid"] == 1 and counts[key_id]["usageExceeded"] == 1
    totals = call(client, "GET", f"/v1/analytics/verifications?apiId={api}", world.keys["acme"])[1]["data"]
    assert [(row["total"], row["unauthorized"]) for row in totals] == [(3, 1)]  # beta's key, under no key of acme's
    beta = call(client, "GET", f"/v1/analytics/verifications?apiId={other_key}", world.keys["beta"])[1]
    assert sum(row["total"] for row in beta["data"]) == 0  # nothing in the other organization


def test_a_warm_authorizer_costs_what_verify_costs(gateway, dynamodb_calls):
    gateway_id, _, product = gateway
    key, _ = product(remaining=100)
    event = http_event(gateway_id, "GET /orders", "/orders", {"X-API-Key": key})
    authorize(event)  # the binding and the API, read once per container
    dynamodb_calls.clear()
    assert authorize(event)["isAuthorized"] is True
    assert dynamodb_calls == {"BatchGetItem": 1, "UpdateItem": 1, "BatchWriteItem": 1}


def sometimes(value: st.SearchStrategy, rarely: st.SearchStrategy | None = None) -> st.SearchStrategy:
    """Mostly a setting that lets a call through (or none), now and then one that refuses it."""
    return st.one_of(st.just(None), value, value, *([rarely] if rarely is not None else []))


KEY_STATES = st.fixed_dictionaries(
    {
        "is_enabled": sometimes(st.just(True), st.just(False)),
        "expires_at": sometimes(st.just("future"), st.just("past")),
        "allow_ips": sometimes(st.just(["198.51.100.0/24"]), st.just(["10.0.0.0/8"])),
        "permissions": sometimes(st.lists(st.sampled_from(["a", "b", "c"]), unique=True)),
        "remaining": st.one_of(st.none(), st.integers(0, 5)),
        "ratelimit": sometimes(st.integers(1, 3).map(lambda limit: {"limit": limit, "duration": 3_600_000})),
    }
).map(lambda state: {name: value for name, value in state.items() if value is not None})
RULES = st.fixed_dictionaries(
    {"permissions": sometimes(st.sampled_from(["a", "a AND b", "c"])), "cost": st.one_of(st.none(), st.integers(0, 3))}
).map(lambda rule: {name: value for name, value in rule.items() if value is not None})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=KEY_STATES, rule=RULES, calls=st.integers(1, 4))
def test_the_authorizer_decides_each_call_as_verify_does(gateway, client, world, state, rule, calls):
    """Two keys alike, one called through a gateway's route, one verified with what the route asks: the same code,
    credits and rate-limit state, call after call."""
    _, api, product = gateway
    when = {"past": datetime.now(UTC) - timedelta(days=1), "future": datetime.now(UTC) + timedelta(days=1)}
    fields = state | ({"expires_at": when[state["expires_at"]].isoformat()} if "expires_at" in state else {})
    through_gateway, verified = product(**fields)[0], product(**fields)[0]
    gateway_id = f"gw{uuid.uuid4().hex[:8]}"
    bind(gateway_id, {"apiId": api, "routes": {"GET /r": rule}})
    asked = {"permissions": rule["permissions"].split(" AND ") if "permissions" in rule else [], "ip": CLIENT_IP}
    asked |= {"cost": rule["cost"]} if "cost" in rule else {}
    for _ in range(calls):
        context = authorize(http_event(gateway_id, "GET /r", "/r", {"X-API-Key": through_gateway}))["context"]
        body = {"key": verified, "apiId": api, **asked}
        answer = call(client, "POST", "/v1/keys/verify", world.keys["acme"], body)[1]["data"]
        assert context["code"] == answer["code"]
        assert context.get("remaining") == answer.get("remaining")
        assert context.get("ratelimitRemaining") == (answer.get("ratelimit") or {}).get("remaining")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(max_size=3000), header=st.sampled_from(["Authorization", "X-API-Key"]))
def test_any_header_value_is_refused_cleanly_never_an_error(gateway, value, header):
    gateway_id, _, _ = gateway
    event = http_event(gateway_id, "GET /orders", "/orders", {})
    event["headers"][header.lower()] = value  # what a client may send, past what werkzeug would build
    answer = authorize(event)
    assert answer["isAuthorized"] is False and answer.get("context", {}).get("code", "NOT_FOUND") == "NOT_FOUND"
    rest = rest_event(gateway_id, "GET", "/orders", "/orders", {header: value})
    with pytest.raises(Unauthenticated):
        authorize(rest)
