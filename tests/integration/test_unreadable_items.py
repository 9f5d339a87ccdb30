"""One stored item that does not parse — written by hand, or by an older version (one stored expiry years without
their leading zeros) — never fails a listing, the organization's other answers or another organization's: it is
left out, logged with its key and counted (metric UnreadableItems)."""

from __future__ import annotations

import pytest

from keytally.settings import get_settings
from keytally.storage.dynamodb import table

from world import ACME, BETA


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def spoil(api_key_id: str, **fields: str) -> None:
    """Rewrites fields of a stored key item in place, as an older version would have stored them."""
    entity = table(get_settings().table_name)
    [item] = entity.query(
        IndexName="ById",
        KeyConditionExpression="gsi2pk = :id",
        ExpressionAttributeValues={":id": f"APIKEY#{api_key_id}"},
    )["Items"]
    entity.put_item(Item=item | fields)


@pytest.fixture
def spoiled(world) -> str:
    """acme's "org-no-scope" key stored with an expiry of the year 50, as "50-11-09T00:04:04+00:00"."""
    spoil(world.ids["org-no-scope"], expires_at="50-11-09T00:04:04+00:00")
    return world.ids["org-no-scope"]


@pytest.mark.parametrize(
    ("label", "method", "path", "body"),
    [
        ("acme", "GET", "/v1/api_keys", None),
        ("owner", "GET", "/v1/api_keys?organizationSlug=acme-org", None),
        ("staff", "GET", "/v1/api_keys", None),
        ("acme", "GET", "/v1/metrics", None),
        ("acme", "POST", "/v1/organizations/metrics", {"organizationSlug": ACME}),
        ("staff", "GET", "/v1/metrics/all", None),
        ("beta", "POST", "/v1/organizations/metrics", {"organizationSlug": BETA}),
        ("acme", "GET", "/v1/organizations", None),
    ],
)
def test_an_unreadable_key_is_left_out_of_every_answer(client, world, spoiled, label, method, path, body):
    response = client.open(path, method=method, headers=auth(world.keys[label]), json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert spoiled not in response.get_data(as_text=True)
    if path.startswith("/v1/api_keys"):
        listed = {key["api_key_id"] for key in response.json["data"]}
        assert world.ids["acme"] in listed and world.ids["org-disabled"] in listed


def test_the_unreadable_key_itself_is_reported_missing_and_logged_with_its_key(client, world, spoiled, caplog):
    response = client.get(f"/v1/api_keys/{spoiled}", headers=auth(world.keys["acme"]))
    assert response.status_code == 404, response.get_data(as_text=True)
    logged = [record for record in caplog.records if record.getMessage() == "Unreadable item left out"]
    assert logged and logged[0].key["sk"] == "KEY" and logged[0].errors[0]["loc"] == ("expires_at",)
