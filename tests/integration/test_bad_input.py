"""Bad input is a clean 4xx in the product's envelope, never a 500, and stores nothing."""

from __future__ import annotations

import json

import pytest

from world import ACME


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "application/octet-stream",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ],
)
def test_a_body_that_is_not_json_is_401_without_a_credential_and_415_with_one(client, world, content_type):
    assert client.post("/v1/apis", data="{}", content_type=content_type).status_code == 401
    refused = client.post("/v1/apis", data="{}", content_type=content_type, headers=auth(world.keys["acme"]))
    assert refused.status_code == 415, refused.get_data(as_text=True)
    assert refused.json["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_an_empty_form_body_creates_nothing(client, world):
    before = client.get("/v1/api_keys", headers=auth(world.keys["acme"])).json["data"]
    refused = client.post(
        "/v1/api_keys", data="", content_type="application/x-www-form-urlencoded", headers=auth(world.keys["acme"])
    )
    assert refused.status_code == 415
    assert client.get("/v1/api_keys", headers=auth(world.keys["acme"])).json["data"] == before


def test_json_with_a_charset_is_json(client, world):
    created = client.post(
        "/v1/apis",
        data=json.dumps({"name": "x"}),
        content_type="application/json; charset=utf-8",
        headers=auth(world.keys["acme"]),
    )
    assert created.status_code == 201


def test_absurdly_nested_json_is_400(client, world):
    for body in ("[" * 1000 + "]" * 1000, "[" * 200_000 + "]" * 200_000):
        for path in ("/v1/apis", "/v1/keys/verify"):  # the latter's admission reads the body for a key first
            answer = client.post(path, data=body, content_type="application/json", headers=auth(world.keys["acme"]))
            assert answer.status_code == 400 and answer.json["error"]["code"] == "BAD_REQUEST", path


def test_instants_at_the_end_of_time_are_422_naming_the_field(client, world):
    api = client.post("/v1/apis", json={"name": "x"}, headers=auth(world.keys["acme"])).json["data"]["api_id"]
    for query in (
        "end=253402300799999",
        "start=253402300000000&end=253402300799999",
        "end=253402300799999&groupBy=hour",
    ):
        answer = client.get(f"/v1/analytics/verifications?apiId={api}&{query}", headers=auth(world.keys["acme"]))
        assert answer.status_code == 422, (query, answer.get_data(as_text=True))
        assert "end" in answer.json["error"]["description"]


def test_a_cursor_with_an_incomplete_position_is_400(client, world):
    from keytally.api_keys import cursor

    page = client.get("/v1/api_keys?limit=1", headers=auth(world.keys["acme"])).json
    assert page["meta"]["next_cursor"]
    for start in ({"gsi1pk": f"ORG#{ACME}"}, {"gsi1pk": f"ORG#{ACME}", "pk": "KEY#x"}):
        crafted = cursor.encode(0, start)
        answer = client.get(f"/v1/api_keys?cursor={crafted}", headers=auth(world.keys["acme"]))
        assert answer.status_code == 400, answer.get_data(as_text=True)
        assert answer.json["error"]["code"] == "BAD_REQUEST"


def test_trace_on_a_known_path_is_405_with_allow(client, world):
    answer = client.open("/v1/api_keys", method="TRACE", headers=auth(world.keys["acme"]))
    assert answer.status_code == 405 and answer.json["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert set(answer.headers["Allow"].split(", ")) >= {"GET", "POST"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rate_limit": True}, "rate_limit"),
        ({"rate_limit": "100"}, "rate_limit"),
        ({"rate_limit": 100.5}, "rate_limit"),
        ({"is_enabled": "yes"}, "is_enabled"),
        ({"is_enabled": 1}, "is_enabled"),
    ],
)
def test_request_models_take_json_types_strictly(client, world, body, field):
    before = client.get("/v1/api_keys", headers=auth(world.keys["acme"])).json["data"]
    refused = client.post("/v1/api_keys", json=body, headers=auth(world.keys["acme"]))
    assert refused.status_code == 422 and field in refused.json["error"]["description"]
    patched = client.patch(f"/v1/api_keys/{world.ids['acme']}", json=body, headers=auth(world.keys["acme"]))
    assert patched.status_code == 422 and field in patched.json["error"]["description"]
    assert client.get("/v1/api_keys", headers=auth(world.keys["acme"])).json["data"] == before


def test_verification_and_ingestion_numbers_are_strict_too(client, world):
    api = client.post("/v1/apis", json={"name": "x"}, headers=auth(world.keys["acme"])).json["data"]["api_id"]
    verify = client.post(
        "/v1/keys/verify", json={"key": "kt_prd_x", "apiId": api, "cost": "1"}, headers=auth(world.keys["acme"])
    )
    assert verify.status_code == 422 and "cost" in verify.json["error"]["description"]
    event = {
        "event_id": "e1",
        "time": "2026-11-23T17:00:00Z",
        "api_key_id": world.ids["acme"],
        "endpoint": "/x",
        "method": "GET",
        "status": "200",
        "latency_ms": 1.5,
        "ip": "198.51.100.1",
    }
    ingest = client.post("/v1/events", json={"events": [event]}, headers=auth(world.keys["acme"]))
    assert ingest.status_code == 422 and "status" in ingest.json["error"]["description"]


def test_a_path_parameter_no_route_takes_is_404_not_405(client, world):
    for method in ("GET", "PATCH", "DELETE"):
        answer = client.open("/v1/api_keys/%3B%7F", method=method, headers=auth(world.keys["acme"]), json={})
        assert answer.status_code == 404 and answer.json["error"]["code"] == "NOT_FOUND", method
