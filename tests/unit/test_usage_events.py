"""A call's own request event rides on the verification it made: same organization, five minutes and arrival, or
not at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sample_requests import sample_request, sample_verification

from keytally.models import RequestSource
from keytally.storage import events as raw
from keytally.timeseries.records import Event
from keytally.timeseries.shards import ShardSchedule
from keytally.usage.events import with_served_request

NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def verification(org: str = "acme", at: datetime = NOON + timedelta(minutes=30, milliseconds=20)) -> Event:
    return sample_verification(f"ev_v{at:%H%M%S}", at, org_slug=org)


def served(org: str = "acme", at: datetime = NOON + timedelta(minutes=30)) -> Event:
    return sample_request(
        "ev_r1", at, org_slug=org, source=RequestSource.KEYTALLY, key_id="ak_caller", endpoint="/v1/keys/verify"
    )


def test_the_request_event_rides_on_the_first_verification_and_arrives_with_it():
    first, second = verification(), verification(at=NOON + timedelta(minutes=31))
    events = with_served_request([first, second], served())
    assert [event.event_id for event in events] == [first.event_id, second.event_id]
    carried = events[0].served_request
    assert carried is not None and carried.event_id == "ev_r1" and events[1].served_request is None
    assert carried.received_at == first.received_at and carried.time == served().time


@pytest.mark.parametrize(
    "host, request_",
    [
        (
            verification(at=NOON + timedelta(seconds=1)),
            served(at=NOON - timedelta(seconds=1)),
        ),  # the five minutes turned
        (verification(org="beta"), served(org="acme")),  # another organization
    ],
)
def test_a_request_event_that_may_not_ride_is_an_event_of_its_own(host, request_):
    events = with_served_request([host], request_)
    assert events == [host, request_]


def test_no_request_rides_on_a_request_or_on_a_verification_that_carries_one_already():
    carrier = with_served_request([verification()], served())[0]
    other = served().model_copy(update={"event_id": "ev_r2"})
    assert with_served_request([carrier], other) == [carrier, other]
    assert with_served_request([served()], other) == [served(), other]
    assert with_served_request([verification()], None) == [verification()]


def test_an_event_carrying_a_request_of_other_five_minutes_or_another_arrival_is_refused():
    host = verification()
    with pytest.raises(ValidationError):
        Event.model_validate(
            {**dict(host), "served_request": served(at=NOON - timedelta(minutes=1)).received(host.received_at)}
        )
    with pytest.raises(ValidationError):
        Event.model_validate({**dict(host), "served_request": served()})  # arrived at another moment


def test_an_event_arrives_again_with_the_request_it_carries():
    carrier = with_served_request([verification()], served())[0]
    later = NOON + timedelta(hours=3)
    arrived = carrier.received(later)
    assert arrived.received_at == later and arrived.served_request is not None
    assert arrived.served_request.received_at == later


def test_a_carrier_is_stored_as_one_item_and_read_back_whole():
    carrier = with_served_request([verification()], served())[0]
    item = raw.to_item(carrier, ShardSchedule())
    assert item["pk"] == "acme#verification#2026-11" and "rpk" not in item  # on time: in no index
    assert raw.from_item(item) == carrier
