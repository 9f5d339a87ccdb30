"""Shared fixtures: moto's server (DynamoDB, the token signing secret) for the session, fresh tables per test, the
local API in process."""

from __future__ import annotations

import copy
import functools
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from world import World, build_world

os.environ.update(
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_METRICS_DISABLED="true",
    POWERTOOLS_LOG_LEVEL="WARNING",
    POWERTOOLS_SERVICE_NAME="keytally-test",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
)


@functools.cache
def template() -> Any:
    """template.yaml, parsed once: the tests only read it."""
    from devtools.template import Template

    return Template()


@pytest.fixture(scope="session")
def dynamodb_server() -> Iterator[str]:
    from devtools.store import create_secrets, start_moto

    server = start_moto(port=0)
    create_secrets(template())
    yield os.environ["AWS_ENDPOINT_URL_DYNAMODB"]
    server.stop()


def use_tables(monkeypatch: pytest.MonkeyPatch, names: dict[str, str]) -> None:
    """Points the layer at these tables (logical id -> name), as a function's environment would."""
    for variable, value in template().function_environment("ApiKeysFunction", names).items():
        if variable.startswith("KEYTALLY_"):
            monkeypatch.setenv(variable, value)
    forget_tables()


def forget_tables() -> None:
    """Each test starts as a new container, with its own tables."""
    from devtools.store import forget_container

    forget_container()


def new_tables(prefix: str) -> dict[str, str]:
    """Tables and queues created from template.yaml under a unique prefix: logical id -> name."""
    from devtools.store import create_queues, create_tables, local_names

    names = local_names(template(), prefix=f"{prefix}{uuid.uuid4().hex[:10]}-")
    create_tables(template(), names)
    create_queues(template(), names)
    return names


@pytest.fixture
def tables(dynamodb_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Fresh tables (created from template.yaml) for each test, under a unique prefix."""
    names = new_tables("t")
    use_tables(monkeypatch, names)
    yield names
    forget_tables()


@pytest.fixture
def switch_tables(dynamodb_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], dict[str, str]]]:
    """For a test that needs several fresh worlds: each call creates new tables and points the layer at them."""

    def switch() -> dict[str, str]:
        names = new_tables("s")
        use_tables(monkeypatch, names)
        return names

    yield switch
    forget_tables()


@pytest.fixture
def roll_up_fanned_out(tables: dict[str, str]) -> Callable[[datetime], list[Any]]:
    """The rollup as deployed, at a chosen moment: the dispatcher sends a message per organization marked due to
    the rollup queue (moto's FIFO queue), and each is taken and rolled up as the worker does, at that same moment.
    Returns the runs' reports."""
    import boto3

    from keytally import rollup
    from keytally.analytics.prometheus import summarize
    from keytally.storage import rollup_queue

    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=tables["RollupQueue"])["QueueUrl"]

    def roll_up(now: datetime) -> list[Any]:
        rollup.dispatch(now)
        reports = []
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                org_slug = rollup_queue.message_of(message["Body"]).org_slug
                reports.append(rollup.roll_up_named(org_slug, now))
                summarize(org_slug, now)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return reports

    return roll_up


@pytest.fixture(scope="session")
def world_snapshot(dynamodb_server: str) -> tuple[World, dict[str, list[dict[str, Any]]]]:
    """The test world (tests/world.py), built once: its handles and every item it stored, by table. Building it
    takes ~70 requests; copying it into a test's tables takes a few BatchWriteItems."""
    from keytally.storage.dynamodb import table

    names = new_tables("w")
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_tables(monkeypatch, names)
        world = build_world()
        items = {logical_id: list(scan_items(table(names[logical_id]))) for logical_id in template().tables()}
    forget_tables()
    return world, items


def scan_items(handle: Any) -> Iterator[dict[str, Any]]:
    """Every item of a table, page by page."""
    page = handle.scan()
    yield from page["Items"]
    while "LastEvaluatedKey" in page:
        page = handle.scan(ExclusiveStartKey=page["LastEvaluatedKey"])
        yield from page["Items"]


@pytest.fixture
def world(tables: dict[str, str], world_snapshot: tuple[World, dict[str, list[dict[str, Any]]]]) -> World:
    """A copy of the test world in this test's own tables: what a test changes stays in its tables."""
    from keytally.storage.dynamodb import write_all

    snapshot, items = world_snapshot
    for logical_id, rows in items.items():
        assert not write_all(tables[logical_id], rows)
    return copy.deepcopy(snapshot)


@pytest.fixture
def dynamodb_calls(tables: dict[str, str]) -> Iterator[Counter]:
    """Counts DynamoDB requests made through keytally's clients, by operation name."""
    from keytally.storage.dynamodb import clients

    calls: Counter = Counter()

    def count(event_name: str, **_: object) -> None:
        calls[event_name.rsplit(".", 1)[-1]] += 1

    for dynamodb in clients():
        dynamodb.meta.events.register("before-send.dynamodb", count)
    yield calls
    for dynamodb in clients():
        dynamodb.meta.events.unregister("before-send.dynamodb", count)


@pytest.fixture
def retry_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between DynamoDB retries, recorded instead of waited."""
    from keytally.storage import dynamodb

    recorded: list[float] = []
    monkeypatch.setattr(dynamodb.time, "sleep", recorded.append)
    return recorded


@pytest.fixture
def busy_raw_table(tables: dict[str, str], retry_waits: list[float]) -> Iterator[Any]:
    """The raw events table, throttling or refusing items as a test says (devtools.faults.BusyTable)."""
    from devtools.faults import BusyTable

    busy = BusyTable(tables["RawEventsTable"])
    yield busy
    busy.remove()


@pytest.fixture
def local_api():
    from devtools.local_api import LocalApi

    return LocalApi(template())


@pytest.fixture
def client(tables: dict[str, str], local_api):
    """An HTTP client for the local API, in process: werkzeug request -> payload-2.0 event -> handler."""
    from werkzeug.test import Client

    return Client(local_api)


SHARD_STEP_AT = "2026-11-21T17:40:00+00:00"  # two days before the exactness tests' NOW: their events span it


def shard_schedule(four_shards: bool) -> Any:
    """One shard, or one shard until SHARD_STEP_AT and four from then on (events on both sides of the step, read
    together)."""
    from datetime import datetime

    from keytally.timeseries.shards import ShardSchedule, ShardStep

    return ShardSchedule((ShardStep(datetime.fromisoformat(SHARD_STEP_AT), 4),) if four_shards else ())


def use_shard_schedule(monkeypatch: pytest.MonkeyPatch, schedule: Any) -> None:
    """Every organization's raw shard schedule, as the raw events table's readers and writers and the rollup see it."""
    from keytally.storage import raw_shards
    from keytally.storage.rollup_store import DynamoRollupStore

    monkeypatch.setattr(raw_shards, "schedule_of", lambda org_slug: schedule)
    monkeypatch.setattr(DynamoRollupStore, "schedule_of", staticmethod(lambda org_slug: schedule))


@pytest.fixture(params=["one shard", "four shards from two days ago"])
def raw_shard_schedule(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    schedule = shard_schedule(four_shards=request.param != "one shard")
    use_shard_schedule(monkeypatch, schedule)
    return schedule


@pytest.fixture(params=["in memory", "DynamoDB, four shards from two days ago"])
def time_series(
    request: pytest.FixtureRequest, tables: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """Where an exactness test keeps the time series: in memory (devtools/memory_store.py), where it runs its whole
    matrix, or in DynamoDB (moto) on the sharded schedule, where a few of its queries check that the storage modules
    give the query path what it expects (its first day is on one shard). Yields the memory store, or None."""
    from devtools.memory_store import MemoryStore, installed

    if request.param == "in memory":
        with installed(MemoryStore()) as memory:
            yield memory
    else:
        use_shard_schedule(monkeypatch, shard_schedule(four_shards=True))
        yield None
