"""A container's tally of its callers' verifications: one shared-counter write per FLUSH_EVERY verifications (and
one to learn the count), refusals at the limit as this container knows it, and the over-spend that bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keytally.auth import tally
from keytally.auth.rate_limit import Budget, Window
from keytally.storage import rate_limits

NOW = datetime(2026, 12, 2, 10, 15, tzinfo=UTC)


class SharedCounter:
    """The counter items, in memory: (credential, budget, window) -> count, and the writes made."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str], int] = {}
        self.writes = 0

    def add_requests(self, credential_id: str, budget: str, window: str, count: int, expires_epoch: int) -> int:
        self.writes += 1
        key = (credential_id, budget, window)
        self.counts[key] = self.counts.get(key, 0) + count
        return self.counts[key]


@pytest.fixture
def shared(monkeypatch) -> SharedCounter:
    counter = SharedCounter()
    monkeypatch.setattr(rate_limits, "add_requests", counter.add_requests)
    monkeypatch.setattr(tally, "_tallies", {})
    return counter


def test_a_container_writes_once_to_learn_the_count_then_once_every_flush(shared):
    window = Window.containing(NOW)
    counts = [tally.count("ak_caller", Budget.VERIFICATION, window, 10_000) for _ in range(1 + 2 * tally.FLUSH_EVERY)]
    assert counts == list(range(1, 2 + 2 * tally.FLUSH_EVERY))
    assert shared.writes == 1 + 2
    assert shared.counts[("ak_caller", "verification", window.label)] == 1 + 2 * tally.FLUSH_EVERY


def test_the_limit_refuses_without_counting_and_a_new_window_starts_afresh(shared):
    window = Window.containing(NOW)
    assert [tally.count("ak_caller", Budget.VERIFICATION, window, 3) for _ in range(5)] == [1, 2, 3, None, None]
    later = Window.containing(NOW + timedelta(hours=1))
    assert tally.count("ak_caller", Budget.VERIFICATION, later, 3) == 1


def test_containers_over_spend_by_at_most_flush_minus_one_each(shared, monkeypatch):
    window, limit, containers = Window.containing(NOW), 200, 3
    allowed = 0
    states = [{} for _ in range(containers)]
    for _ in range(limit):  # the containers take turns, each with its own memory
        for state in states:
            monkeypatch.setattr(tally, "_tallies", state)
            allowed += tally.count("ak_caller", Budget.VERIFICATION, window, limit) is not None
    assert limit <= allowed <= limit + containers * (tally.FLUSH_EVERY - 1)
