"""One hot product key: its counters split over shards (storage/key_counters.py). Exact under concurrency — never a
credit or a window's slot spent twice, never a refusal while the key as a whole has room — and a change of the key
counts from the next verification even when that verification read the key stale."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from keytally.auth.principal import CredentialKind, Principal
from keytally.models import KeyKind, Scope
from keytally.ratelimits import service as ratelimits
from keytally.storage import api_keys
from keytally.storage.dynamodb import entity_table
from keytally.storage.key_counters import counters_key
from keytally.usage import request_scope
from keytally.verify import service
from keytally.verify.models import VerifyKeyRequest

from world import ACME

NOW = datetime.now(UTC).replace(microsecond=0)
THREADS = 16


def call(client, method: str, path: str, key: str, body: dict | None = None) -> dict:
    response = client.open(
        path,
        method=method,
        headers={"Authorization": f"Bearer {key}"},
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
    )
    payload = json.loads(response.get_data())
    assert response.status_code < 300, payload
    return payload["data"]


@pytest.fixture
def hot(client, world):
    """An API of acme's and a maker of its product keys (split over 8 shards unless told)."""
    acme = world.keys["acme"]
    api = call(client, "POST", "/v1/apis", acme, {"name": "hot"})["api_id"]

    def product(**fields) -> tuple[str, str]:
        created = call(client, "POST", "/v1/api_keys", acme, {"api_id": api, "counter_shards": 8, **fields})
        return created["key_value"], created["api_key_id"]

    api_keys.SPLIT_KEYS.clear()
    service.REFUSED.clear()
    return api, product


def verify(api: str, key: str, *, cost: int = 1, now: datetime = NOW, **fields) -> dict:
    caller = Principal(
        kind=CredentialKind.ORGANIZATION_KEY, credential_id="ak_test", scopes=frozenset(Scope), org_slug=ACME
    )
    request = VerifyKeyRequest(key=key, apiId=api, cost=cost, **fields)
    with request_scope.opened():  # the verification events stay in the scope: this file is about the counters
        return service.verify(caller, request.verification(), "203.0.113.9", now).response.model_dump()


def hammer(api: str, key: str, attempts: int, **fields) -> list[list[str]]:
    """`attempts` verifications from THREADS threads at once; each thread's codes in its order."""
    per_thread = attempts // THREADS

    def run(_: int) -> list[str]:
        return [verify(api, key, **fields)["code"] for _ in range(per_thread)]

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def stored(api_key_id: str):
    record = api_keys.get_key_by_id(api_key_id)
    assert record is not None
    return record


def never_valid_after_a_refusal(codes: list[list[str]], refusal: str) -> None:
    """Within one thread a refusal is final here (nothing refills, the window stays): a VALID after it would mean a
    refusal was answered while the key still had room."""
    for thread in codes:
        if refusal in thread:
            assert set(thread[thread.index(refusal) :]) == {refusal}, thread


def test_credits_of_a_split_key_are_spent_exactly_once_each_under_concurrency(hot):
    api, product = hot
    key, key_id = product(remaining=300)
    codes = hammer(api, key, 400)
    flat = [code for thread in codes for code in thread]
    assert flat.count("VALID") == 300 and flat.count("USAGE_EXCEEDED") == 100
    never_valid_after_a_refusal(codes, "USAGE_EXCEEDED")
    assert stored(key_id).remaining == 0


def test_the_rate_limit_of_a_split_key_admits_exactly_its_limit_per_window(hot):
    api, product = hot
    key, _ = product(ratelimit={"limit": 200, "duration": 3_600_000})
    codes = hammer(api, key, 320)
    flat = [code for thread in codes for code in thread]
    assert flat.count("VALID") == 200 and flat.count("RATE_LIMITED") == 120
    never_valid_after_a_refusal(codes, "RATE_LIMITED")
    assert verify(api, key, now=NOW + timedelta(hours=1))["code"] == "VALID"  # the next window opens whole


def test_credits_on_no_one_shard_are_gathered_before_a_refusal(hot):
    api, product = hot
    key, key_id = product(remaining=10)  # shares 2, 2, 1, 1, 1, 1, 1, 1
    answer = verify(api, key, cost=7)
    assert (answer["code"], answer["remaining"]) == ("VALID", 3)
    assert verify(api, key, cost=4)["code"] == "USAGE_EXCEEDED"
    assert (verify(api, key, cost=3)["code"], stored(key_id).remaining) == ("VALID", 0)


def test_a_due_refill_is_counted_whole_across_shards(hot):
    api, product = hot
    key, _ = product(refill={"interval": "daily", "amount": 20}, remaining=0)
    tomorrow = NOW + timedelta(days=1)
    answer = verify(api, key, cost=15, now=tomorrow)  # every shard is due: 20 in all, gathered on one
    assert (answer["code"], answer["remaining"]) == ("VALID", 5)
    assert verify(api, key, cost=6, now=tomorrow)["code"] == "USAGE_EXCEEDED"
    assert verify(api, key, cost=5, now=tomorrow)["code"] == "VALID"


def test_a_changed_key_counts_from_the_next_verification_even_read_stale(hot, client, world, monkeypatch):
    """The verification reads a split key eventually consistently: here it is handed the key as it was before each
    change, as a stale replica would answer, and still never says VALID on the old state."""
    api, product = hot
    acme = world.keys["acme"]
    key, key_id = product(remaining=1_000, permissions=["read"])
    assert verify(api, key, permissions=["read"])["code"] == "VALID"
    before = api_keys.get_split_key(stored(key_id).key_hash, consistent=True)
    fresh_read = api_keys.get_split_key

    def stale(key_hash: str, *, consistent: bool):
        return fresh_read(key_hash, consistent=True) if consistent else (before[0], list(before[1]))

    monkeypatch.setattr(api_keys, "get_split_key", stale)
    call(client, "PATCH", f"/v1/api_keys/{key_id}", acme, {"permissions": []})
    assert verify(api, key, permissions=["read"])["code"] == "INSUFFICIENT_PERMISSIONS"
    call(client, "PATCH", f"/v1/api_keys/{key_id}", acme, {"is_enabled": False})
    assert verify(api, key)["code"] == "DISABLED"
    call(client, "DELETE", f"/v1/api_keys/{key_id}", acme)
    assert verify(api, key)["code"] == "NOT_FOUND"


def test_a_split_key_is_verified_without_a_strongly_consistent_read(hot, dynamodb_calls, monkeypatch):
    """Once a container knows the key is split: one eventually consistent BatchGetItem and one UpdateItem, of items
    that each have a partition of their own (none beside the key item)."""
    api, product = hot
    key, key_id = product(remaining=100, ratelimit={"limit": 1_000, "duration": 60_000})
    beside_the_key = counters_key(stored(key_id).key_hash)
    assert "Item" not in entity_table().get_item(Key=beside_the_key, ConsistentRead=True)
    verify(api, key)  # the first in a container reads strongly, and learns the key is split
    consistent: list[bool] = []
    monkeypatch.setattr(api_keys, "batch_get", _recording(api_keys.batch_get, consistent))
    dynamodb_calls.clear()
    for _ in range(5):
        assert verify(api, key)["code"] == "VALID"
    assert dynamodb_calls == {"BatchGetItem": 5, "UpdateItem": 5}
    assert not any(consistent)


def _recording(batch_get, consistent: list[bool]):
    def recorded(*args, **kwargs):
        consistent.append(kwargs.get("consistent", False))
        return batch_get(*args, **kwargs)

    return recorded


def test_a_split_key_reads_as_one_key(hot, client, world):
    api, product = hot
    acme = world.keys["acme"]
    key, key_id = product(remaining=100, ratelimit={"limit": 50, "duration": 60_000})
    for _ in range(7):
        verify(api, key, cost=3)
    shown = call(client, "GET", f"/v1/api_keys/{key_id}", acme)
    assert (shown["remaining"], shown["counter_shards"]) == (79, 8)
    assert call(client, "PATCH", f"/v1/api_keys/{key_id}", acme, {"remaining": 1_000})["remaining"] == 1_000
    record = stored(key_id)
    assert record.key_type is KeyKind.PRODUCT and record.remaining == 1_000 and record.state_version == 2


def test_a_key_split_later_keeps_its_balance_and_window(hot, client, world):
    api, product = hot
    acme = world.keys["acme"]
    month = 30 * 86_400_000  # the PATCH counts the window at the server's now: one no test run crosses
    key, key_id = product(counter_shards=1, remaining=100, ratelimit={"limit": 40, "duration": month})
    for _ in range(5):
        assert verify(api, key, cost=3, now=datetime.now(UTC))["code"] == "VALID"
    split = call(client, "PATCH", f"/v1/api_keys/{key_id}", acme, {"counter_shards": 4})
    assert (split["counter_shards"], split["remaining"]) == (4, 85)
    record = stored(key_id)
    assert (record.ratelimit_count, record.state_version) == (5, 1)
    codes = [verify(api, key, now=datetime.now(UTC))["code"] for _ in range(40)]
    assert codes.count("VALID") == 35 and set(codes[35:]) == {"RATE_LIMITED"}  # 5 + 35 = the window's 40
    joined = call(client, "PATCH", f"/v1/api_keys/{key_id}", acme, {"counter_shards": 1, "description": "cooled"})
    assert (joined["counter_shards"], joined["remaining"], joined["description"]) == (1, 50, "cooled")
    left = [counters_key(record.key_hash, index, apart=True) for index in range(1, 4)]
    assert not any("Item" in entity_table().get_item(Key=shard, ConsistentRead=True) for shard in left)
    assert verify(api, key, now=datetime.now(UTC))["code"] == "RATE_LIMITED"


def test_a_verification_landing_during_a_split_is_kept(hot, client, world, monkeypatch):
    """The split reads the counters, then writes them laid anew on the condition they are as read: a verification
    spending in between fails that write, and the split reads again rather than give the credits back."""
    api, product = hot
    acme = world.keys["acme"]
    key, key_id = product(counter_shards=1, remaining=10)
    read = api_keys.get_split_key
    landed: list[str] = []

    def read_then_verify(*args, **kwargs):
        found = read(*args, **kwargs)
        if not landed:
            landed.append(verify(api, key, cost=4)["code"])
        return found

    monkeypatch.setattr(api_keys, "get_split_key", read_then_verify)
    split = call(client, "PATCH", f"/v1/api_keys/{key_id}", acme, {"counter_shards": 2})
    assert landed == ["VALID"] and (split["counter_shards"], split["remaining"]) == (2, 6)


def test_a_split_key_without_credits_or_a_rate_limit_is_verified_on_its_version(hot, client, world, monkeypatch):
    """Nothing to spend: each verification still writes its shard's last use, on the condition of the version read,
    so a stale read is never VALID after a change (here: disabled)."""
    api, product = hot
    key, key_id = product()
    assert [verify(api, key)["code"] for _ in range(20)] == ["VALID"] * 20
    before = api_keys.get_split_key(stored(key_id).key_hash, consistent=True)
    fresh_read = api_keys.get_split_key

    def stale(key_hash: str, *, consistent: bool):
        return fresh_read(key_hash, consistent=True) if consistent else (before[0], list(before[1]))

    monkeypatch.setattr(api_keys, "get_split_key", stale)
    call(client, "PATCH", f"/v1/api_keys/{key_id}", world.keys["acme"], {"is_enabled": False})
    assert verify(api, key)["code"] == "DISABLED"


def test_a_standalone_rate_limit_counts_exactly_under_concurrency(world):
    """Unkey's ratelimit.limit: 160 requests at once of costs 1-3 against a window of 100: what succeeded adds up to
    at most 100, every refusal came when what was left could not take its cost, and what is left is the rest."""
    caller = Principal(
        kind=CredentialKind.ORGANIZATION_KEY, credential_id="ak_test", scopes=frozenset(Scope), org_slug=ACME
    )

    def run(thread: int) -> list[tuple[int, ratelimits.Limited]]:
        costs = [1 + (thread + attempt) % 3 for attempt in range(10)]
        with request_scope.opened():
            return [(cost, ratelimits.limit(caller, "api", "user_9", 100, 60_000, cost, NOW)) for cost in costs]

    with ThreadPoolExecutor(THREADS) as pool:
        answers = [answer for thread in pool.map(run, range(THREADS)) for answer in thread]
    spent = sum(cost for cost, answer in answers if answer.success)
    assert spent <= 100
    assert all(answer.remaining < cost for cost, answer in answers if not answer.success)  # only when it did not fit
    last = ratelimits.limit(caller, "api", "user_9", 100, 60_000, 0, NOW)
    assert last.remaining == 100 - spent
