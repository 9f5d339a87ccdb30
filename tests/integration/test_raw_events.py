"""keytally.storage.events on moto: month partitions read in hour order, exact hour and arrival bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from boto3.dynamodb.conditions import Key
from sample_requests import sample_request

from keytally.settings import get_settings
from keytally.storage import events as raw
from keytally.storage.dynamodb import PageBudget, ReadLimitReached, query_items, table
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import EventKind

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
    assert [e.event_id for e in raw.events_in_hours("acme", EventKind.REQUEST, hours)] == ["a", "b", "d"]
    assert list(raw.events_in_hours("acme", EventKind.VERIFICATION, hours)) == []
    assert raw.already_stored(
        [event("b", MONTH_START + timedelta(minutes=5)), event("b", MONTH_START - timedelta(hours=5))]
    ) == [event("b", MONTH_START + timedelta(minutes=5))]  # the same id in another hour is another event


def test_arrivals_are_bounded_after_exclusive_until_inclusive(tables):
    arrived = MONTH_START + timedelta(minutes=30)
    late = event("late", MONTH_START - timedelta(days=3), received_at=arrived)
    later = event("later", MONTH_START - timedelta(hours=2), received_at=arrived + timedelta(microseconds=1))
    assert raw.put_events([late, later]) == []
    assert [
        e.event_id for e in raw.events_received("acme", EventKind.REQUEST, arrived - timedelta(days=40), arrived)
    ] == ["late"]
    assert [
        e.event_id for e in raw.events_received("acme", EventKind.REQUEST, arrived, arrived + timedelta(hours=1))
    ] == ["later"]
    assert raw.hours_received("acme", EventKind.REQUEST, MONTH_START - timedelta(days=1), arrived + timedelta(1)) == {
        Granularity.HOUR.floor(late.time),
        Granularity.HOUR.floor(later.time),
    }


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
