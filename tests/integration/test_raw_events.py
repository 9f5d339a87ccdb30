"""keytally.storage.events on moto: month partitions read in hour order, exact hour and arrival bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from boto3.dynamodb.conditions import Key
from sample_requests import sample_request, sample_verification

from keytally.models import RequestSource
from keytally.settings import get_settings
from keytally.storage import events as raw
from keytally.storage import raw_shards
from keytally.storage.dynamodb import PageBudget, ReadLimitReached, query_items, table
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import Event, EventKind
from keytally.timeseries.shards import ShardSchedule, ShardStep
from keytally.usage.events import with_served_request

MONTH_START = Granularity.MONTH.floor(datetime.now(UTC))


def event(event_id: str, time: datetime, received_at: datetime | None = None, org: str = "acme"):
    return sample_request(event_id, time, received_at=received_at, org_slug=org)


def test_hours_across_a_month_boundary_come_back_in_hour_order_and_only_those_asked_for(tables):
    last_hour_of_previous_month = MONTH_START - timedelta(hours=1)
    stored = [
        event("b", MONTH_START + timedelta(minutes=5)),
        event("a", last_hour_of_previous_month),
        event("c", MONTH_START + timedelta(hours=2)),
        event("d", MONTH_START + timedelta(hours=3)),
        event("z", MONTH_START, org="beta"),
    ]
    assert raw.put_events(stored) == []
    hours = [MONTH_START + timedelta(hours=3), last_hour_of_previous_month, MONTH_START]
    assert [e.event_id for e in raw.events_in_buckets("acme", EventKind.REQUEST, hours)] == ["a", "b", "d"]
    assert list(raw.events_in_buckets("acme", EventKind.VERIFICATION, hours)) == []
    assert raw.already_stored(
        [event("b", MONTH_START + timedelta(minutes=5)), event("b", MONTH_START - timedelta(hours=5))]
    ) == [event("b", MONTH_START + timedelta(minutes=5))]  # the same id in another hour is another event


def test_late_arrivals_are_bounded_after_exclusive_until_inclusive_and_events_on_time_stay_out_of_the_index(tables):
    arrived = MONTH_START + timedelta(minutes=30)
    late = event("late", MONTH_START - timedelta(days=3), received_at=arrived)
    later = event("later", MONTH_START - timedelta(hours=2), received_at=arrived + timedelta(microseconds=1))
    on_time = event("on_time", MONTH_START + timedelta(minutes=30), received_at=arrived + timedelta(minutes=4))
    five_late = event("five_late", MONTH_START + timedelta(minutes=29), received_at=arrived)  # its five minutes ended
    early = event("early", MONTH_START + timedelta(hours=1, minutes=1), received_at=arrived)  # clock ahead
    assert raw.put_events([late, later, on_time, five_late, early]) == []
    assert [
        e.event_id for e in raw.late_events_received("acme", EventKind.REQUEST, arrived - timedelta(days=40), arrived)
    ] == ["five_late", "late"]
    assert [
        e.event_id for e in raw.late_events_received("acme", EventKind.REQUEST, arrived, arrived + timedelta(hours=1))
    ] == ["later"]
    hours = raw.buckets_of_late_events(
        "acme", EventKind.REQUEST, MONTH_START - timedelta(days=1), arrived + timedelta(1), Granularity.HOUR
    )
    assert hours == {Granularity.HOUR.floor(late.time), Granularity.HOUR.floor(later.time), MONTH_START}
    items = table(get_settings().events_table).scan()["Items"]
    stored = {item["event_id"]: item for item in items if "kind" in item}  # not the rollup's due markers
    assert {event_id for event_id, item in stored.items() if "rpk" in item} == {"late", "later", "five_late"}


def test_a_page_budget_stops_a_read_at_the_request_that_would_exceed_it(tables):
    stored = [event(f"e{n}", MONTH_START + timedelta(minutes=n)) for n in range(3)]
    assert raw.put_events(stored) == []
    condition = Key("pk").eq(raw.month_partition("acme", EventKind.REQUEST, MONTH_START))
    events_table = table(get_settings().events_table)
    budget = PageBudget(3)
    assert len(list(query_items(events_table, budget=budget, KeyConditionExpression=condition, Limit=1))) == 3
    assert budget.sent == 3  # a page per item
    with pytest.raises(ReadLimitReached):
        list(query_items(events_table, budget=PageBudget(2), KeyConditionExpression=condition, Limit=1))


def carrier(event_id: str, time: datetime, received_at: datetime) -> Event:
    """A verification carrying the request event of its call, `r{event_id}`."""
    verification = sample_verification(event_id, time, received_at=received_at)
    served = sample_request(f"r{event_id}", time, received_at=received_at, source=RequestSource.KEYTALLY)
    (stored,) = with_served_request([verification], served)
    return stored


def test_requests_carried_by_verifications_are_read_with_the_requests_in_hour_and_arrival_order(tables):
    arrived = MONTH_START + timedelta(hours=5)
    stored = [
        event("a", MONTH_START + timedelta(minutes=1)),
        carrier("b", MONTH_START + timedelta(minutes=2), MONTH_START + timedelta(minutes=2)),
        event("c", MONTH_START + timedelta(hours=1)),
        carrier("d", MONTH_START + timedelta(hours=2), arrived),  # late, in the index
        event("e", MONTH_START + timedelta(hours=3), received_at=arrived + timedelta(seconds=1)),  # late too
        carrier("f", MONTH_START + timedelta(hours=3), arrived + timedelta(seconds=2)),
    ]
    assert raw.put_events(stored) == []
    hours = list(Granularity.HOUR.starts(MONTH_START, MONTH_START + timedelta(hours=4)))
    in_hours = [e.event_id for e in raw.events_in_buckets("acme", EventKind.REQUEST, hours)]
    assert in_hours[:4] == ["a", "rb", "c", "rd"] and sorted(in_hours[4:]) == ["e", "rf"]  # one hour: by id
    assert [e.event_id for e in raw.events_in_buckets("acme", EventKind.VERIFICATION, hours)] == ["b", "d", "f"]
    late = raw.late_events_received("acme", EventKind.REQUEST, MONTH_START + timedelta(hours=4), arrived + timedelta(1))
    assert [(e.event_id, e.kind) for e in late] == [("rd", "request"), ("e", "request"), ("rf", "request")]
    assert raw.buckets_of_late_events(
        "acme", EventKind.REQUEST, MONTH_START, arrived + timedelta(1), Granularity.HOUR
    ) == {
        MONTH_START + timedelta(hours=2),
        MONTH_START + timedelta(hours=3),
    }
    assert sum("kind" in item for item in table(get_settings().events_table).scan()["Items"]) == 6  # and markers


def test_events_spread_over_shards_are_read_merged_in_time_and_arrival_order(tables, monkeypatch):
    schedule = ShardSchedule((ShardStep(MONTH_START, 4),))
    monkeypatch.setattr(raw_shards, "schedule_of", lambda org_slug: schedule)
    on_time = [event(f"e{n:03d}", MONTH_START + timedelta(minutes=n % 50, seconds=n)) for n in range(40)]
    arrived = MONTH_START + timedelta(hours=2)
    late = [event(f"l{n:03d}", MONTH_START, received_at=arrived + timedelta(seconds=n)) for n in range(12)]
    before = event("before", MONTH_START - timedelta(minutes=1))  # one shard then
    assert raw.put_events([*on_time, *late, before]) == []
    partitions = {item["pk"] for item in table(get_settings().events_table).scan()["Items"]}
    assert {pk.split("#")[3] for pk in partitions if pk.count("#") == 3} == {"1", "2", "3"}
    hours = [MONTH_START - timedelta(hours=1), MONTH_START]
    read = list(raw.events_in_buckets("acme", EventKind.REQUEST, hours))
    assert sorted(e.event_id for e in read) == sorted(e.event_id for e in [*on_time, *late, before])
    keys = [raw.primary_key(e, schedule)["sk"] for e in read]
    assert keys == sorted(keys)  # time order across the shards
    received = raw.late_events_received("acme", EventKind.REQUEST, MONTH_START, arrived + timedelta(minutes=1))
    assert [e.event_id for e in received] == [e.event_id for e in late]  # arrival order across the shards
    assert raw.already_stored([*on_time, event("e999", MONTH_START)]) == on_time


def test_a_shard_step_is_added_once_with_notice_and_a_racing_one_loses(tables, monkeypatch):
    now = datetime(2026, 12, 2, 7, 20, tzinfo=UTC)
    step = raw_shards.grow("acme", 4, now)
    assert step == ShardStep(datetime(2026, 12, 2, 9, tzinfo=UTC), 4)
    assert raw_shards.grow("acme", 4, now) is None
    assert raw_shards.schedule_of("acme").steps == (step,)
    reads = raw_shards.schedule_of
    monkeypatch.setattr(raw_shards, "schedule_of", lambda org_slug: ShardSchedule())  # decided on what it read
    assert raw_shards.grow("acme", 8, now) is None  # before the other run's step: not written
    assert reads("acme").steps == (step,)
