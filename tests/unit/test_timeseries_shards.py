"""The raw shard schedule: the rule that sizes it, which shard an event is in, and how it grows."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from keytally.timeseries.shards import MOST_SHARDS, STEP_NOTICE, ShardSchedule, ShardStep, shards_for

NOW = datetime(2026, 12, 2, 7, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    "events_per_second, shards",
    [(0, 1), (500, 1), (501, 2), (1000, 2), (1001, 4), (5000, 16), (32_000, 64), (10**6, MOST_SHARDS)],
)
def test_a_shard_per_500_events_a_second_in_powers_of_two(events_per_second, shards):
    assert shards_for(events_per_second) == shards


def test_an_events_shard_follows_the_count_in_force_at_its_time_and_spreads_evenly():
    schedule = ShardSchedule((ShardStep(NOW, 4), ShardStep(NOW + timedelta(days=1), 8)))
    ids = [f"ev_{n}" for n in range(4000)]
    assert {schedule.shard_of(event_id, NOW - timedelta(seconds=1)) for event_id in ids} == {0}
    spread = Counter(schedule.shard_of(event_id, NOW) for event_id in ids)
    assert set(spread) == {0, 1, 2, 3} and min(spread.values()) > 900
    assert [schedule.shard_of(event_id, NOW) for event_id in ids] == [schedule.shard_of(e, NOW) for e in ids]
    assert {schedule.shard_of(event_id, NOW + timedelta(days=2)) for event_id in ids} == set(range(8))
    assert schedule.most == 8 and ShardSchedule().most == 1


def test_a_schedule_grows_from_an_hour_at_least_the_notice_away_and_never_shrinks():
    grown = ShardSchedule().grown_to(4, NOW)
    assert grown is not None
    (step,) = grown.steps
    assert step.count == 4 and step.effective_from == datetime(2026, 12, 2, 9, tzinfo=UTC)
    assert step.effective_from - NOW >= STEP_NOTICE
    assert grown.count_at(NOW + STEP_NOTICE) == 1 and grown.count_at(step.effective_from) == 4
    assert grown.grown_to(4, NOW) is None and grown.grown_to(2, NOW) is None  # pending already; fewer: never
    assert grown.grown_to(8, NOW) is not None
