"""keytally's DynamoDB handles are per thread: boto3's resources are not thread-safe, and the local API and these
tests run functions side by side on threads of one process. Through a shared resource, two threads building key
conditions at once sent one thread's placeholder names with the other's expression: the dev server answered a
documented curl with a 500 ("Query condition missed key schema element: pk") while its rollup ran."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from boto3.dynamodb.conditions import Key

from keytally.storage.dynamodb import clients, entity_table, table, write_all

THREADS = 4


def on_threads(work: Callable[[int], Any], count: int = THREADS) -> list[Any]:
    """`work(n)` for n in range(count), all at once, each on a thread of its own; their results in order."""
    together = threading.Barrier(count)  # no thread can take a second n: the pool starts `count` of them

    def run(n: int) -> Any:
        together.wait()
        return work(n)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


@pytest.fixture
def eager_thread_switches() -> Iterator[None]:
    """Threads take turns as often as the interpreter allows, so interleavings that are rare otherwise happen."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def test_each_thread_has_its_own_resource_and_keeps_it(tables):
    def handles(_: int) -> tuple:
        first = (entity_table(), *clients())
        assert (entity_table(), *clients()) == first  # built once per thread
        return first

    found = on_threads(handles)  # the handles themselves, alive until compared
    assert len({id(thread[0]) for thread in found}) == THREADS
    assert len({id(client) for thread in found for client in thread[1:]}) == 2 * THREADS


def test_threads_querying_at_once_each_get_their_own_items(tables, eager_thread_switches):
    name = tables["KeytallyTable"]
    write_all(name, [{"pk": f"THREAD#{n}", "sk": f"ITEM#{i:03}", "n": n} for n in range(THREADS) for i in range(3)])

    def query(n: int) -> list[str]:
        answers = []
        for _ in range(150):
            condition = Key("pk").eq(f"THREAD#{n}") & Key("sk").between("ITEM#000", "ITEM#001")
            answers.extend(item["sk"] for item in table(name).query(KeyConditionExpression=condition)["Items"])
        return answers

    for n, answers in enumerate(on_threads(query)):
        assert answers == ["ITEM#000", "ITEM#001"] * 150, n
