"""unkey-py 3.2.2 (Unkey's v2 API), unmodified, against keytally: the two-line switch is `server_url`."""

from __future__ import annotations

import pytest
from shared import BASE, ROOT_KEY, new_api, product_key

from unkey.py import Unkey, errors


@pytest.fixture(scope="module")
def unkey():
    return Unkey(root_key=ROOT_KEY, server_url=BASE)


@pytest.fixture(scope="module")
def api_id():
    return new_api()


def test_create_verify_and_credits(unkey, api_id):
    created = unkey.keys.create_key(api_id=api_id, external_id="py_3", credits={"remaining": 2}, meta={"a": 1}).data
    verified = unkey.keys.verify_key(key=created.key, credits={"cost": 1}).data
    assert (verified.valid, verified.code, verified.key_id, verified.credits) == (True, "VALID", created.key_id, 1)
    assert verified.meta == {"a": 1} and verified.identity.external_id == "py_3"
    raised = unkey.keys.update_credits(key_id=created.key_id, operation="increment", value=4).data
    assert raised.remaining == 5
    assert unkey.keys.update_credits(key_id=created.key_id, operation="set", value=None).data.remaining is None


def test_get_update_list_and_delete(unkey, api_id):
    key, key_id = product_key(api_id, external_id="py_4")
    unkey.keys.update_key(key_id=key_id, name="renamed", enabled=False)
    got = unkey.keys.get_key(key_id=key_id).data
    assert (got.name, got.enabled) == ("renamed", False)
    assert unkey.keys.verify_key(key=key).data.code == "DISABLED"
    page = unkey.apis.list_keys(api_id=api_id, external_id="py_4")
    assert [listed.key_id for listed in page.result.data] == [key_id]
    assert unkey.apis.get_api(api_id=api_id).data.id == api_id
    unkey.keys.delete_key(key_id=key_id)
    with pytest.raises(errors.NotFoundErrorResponse):
        unkey.keys.get_key(key_id=key_id)


def test_rate_limit_and_errors(unkey):
    asked = {"namespace": "py", "identifier": "user_py2", "limit": 1, "duration": 60_000}
    assert unkey.ratelimit.limit(**asked).data.success is True
    assert unkey.ratelimit.limit(**asked).data.success is False
    with pytest.raises(errors.BadRequestErrorResponse):
        unkey.keys.verify_key(key="x", permissions="read AND")
    stranger = Unkey(root_key="kt_nosuchkey", server_url=BASE)  # (an SDK object closes its client when dropped)
    with pytest.raises(errors.UnauthorizedErrorResponse):
        stranger.keys.verify_key(key="x")
