"""unkey.py 0.10.0 (Unkey's v1 API), unmodified, against keytally: the two-line switch is `server_url`."""

from __future__ import annotations

import time

import pytest
from shared import BASE, ROOT_KEY, new_api, product_key
from unkey_py import Unkey, models


@pytest.fixture(scope="module")
def unkey():
    return Unkey(bearer_auth=ROOT_KEY, server_url=BASE)


@pytest.fixture(scope="module")
def api_id():
    return new_api()


def test_create_verify_and_credits(unkey, api_id):
    created = unkey.keys.create(request={"api_id": api_id, "owner_id": "py_1", "remaining": 2, "meta": {"plan": "pro"}})
    key, key_id = created.object.key, created.object.key_id
    verified = unkey.keys.verify(request={"key": key, "api_id": api_id}).v1_keys_verify_key_response
    assert (verified.valid, verified.code, verified.key_id, verified.remaining) == (True, "VALID", key_id, 1)
    assert verified.owner_id == "py_1" and verified.meta == {"plan": "pro"}
    raised = unkey.keys.update_remaining(request={"key_id": key_id, "op": "increment", "value": 4})
    assert raised.object.remaining == 5
    lowered = unkey.keys.update_remaining(request={"key_id": key_id, "op": "decrement", "value": 9})
    assert lowered.object.remaining == 0
    assert unkey.keys.verify(request={"key": key}).v1_keys_verify_key_response.code == "USAGE_EXCEEDED"


def test_get_update_list_and_delete(unkey, api_id):
    key, key_id = product_key(api_id, remaining=3, external_id="py_2")
    assert unkey.keys.get(key_id=key_id).key.remaining == 3
    unkey.keys.update(request={"key_id": key_id, "name": "renamed", "meta": {"tier": 2}})
    got = unkey.keys.get(key_id=key_id).key
    assert (got.name, got.meta, got.api_id) == ("renamed", {"tier": 2}, api_id)
    listed = unkey.apis.list_keys(request={"api_id": api_id, "owner_id": "py_2"}).object
    assert [listed_key.id for listed_key in listed.keys] == [key_id] and listed.total >= 1
    assert unkey.apis.get(api_id=api_id).object.id == api_id
    unkey.keys.delete(request={"key_id": key_id})
    assert unkey.keys.verify(request={"key": key}).v1_keys_verify_key_response.code == "NOT_FOUND"
    with pytest.raises(models.ErrNotFound):
        unkey.keys.get(key_id=key_id)


def test_analytics_counts_what_was_verified(unkey, api_id):
    key, key_id = product_key(api_id, remaining=1)
    for _ in range(3):
        unkey.keys.verify(request={"key": key, "api_id": api_id})
    # the SDK sends end=1746664158001 (May 2025) unless told: its generator's default, which any user has to override
    window = {"start": int(time.time() * 1000) - 3_600_000, "end": int(time.time() * 1000) + 60_000}
    asked = {"api_id": api_id, "key_id": key_id, **window}
    points = unkey.analytics.get_verifications(request=asked).response_bodies
    assert [(point.valid, point.usage_exceeded, point.total) for point in points] == [(1, 2, 3)]
    days = unkey.keys.get_verifications(request={"key_id": key_id}).object.verifications
    assert [(day.success, day.usage_exceeded) for day in days] == [(1, 2)]


def test_rate_limit_and_errors(unkey):
    asked = {"namespace": "py", "identifier": "user_py", "limit": 1, "duration": 60_000}
    assert unkey.ratelimits.limit(request=asked).object.success is True
    assert unkey.ratelimits.limit(request=asked).object.success is False
    stranger = Unkey(bearer_auth="kt_nosuchkey", server_url=BASE)  # (an SDK object closes its client when dropped)
    with pytest.raises(models.ErrUnauthorized) as refused:
        stranger.keys.verify(request={"key": "x"})
    assert refused.value.data.error.request_id and refused.value.data.error.docs
