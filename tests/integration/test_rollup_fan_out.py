"""The fanned-out rollup on the real store and queue (moto): stored events mark their organization due, the
dispatcher sends one message per organization with work due and nothing for idle ones, the worker rolls each up,
and a run leaving an hour, day or month open is sent back when it closes. A failed run keeps its message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
from sample_requests import sample_request

from devtools.local_api import deliver_once
from devtools.template import Template
from keytally import admin, rollup
from keytally.errors import ServiceUnavailable
from keytally.models import RequestSource
from keytally.storage import events as raw
from keytally.storage import rollup_due, rollup_queue, rollups
from keytally.storage.rollup_store import DynamoRollupStore
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import RAW_BUCKET, REQUESTS

HOUR = datetime(2026, 11, 23, 10, tzinfo=UTC)


def queued(queue_name: str) -> list[rollup_queue.RollupDue]:
    """The messages waiting in the queue (received, then made visible again)."""
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    return sorted((rollup_queue.message_of(message["Body"]) for message in messages), key=lambda due: due.org_slug)


def test_stored_events_mark_their_organization_due_once_per_container_and_five_minutes(tables, dynamodb_calls):
    now = datetime.now(UTC)
    due = rollup_due.due_after(sample_request("e", now, org_slug="acme-org"))
    assert not raw.put_events([sample_request(f"e{n}", now, org_slug="acme-org") for n in range(3)])
    assert not raw.put_events([sample_request("e3", now, org_slug="acme-org")])
    assert dynamodb_calls["BatchWriteItem"] == 2  # the markers ride in the events' own requests
    assert rollup_due.organizations_due(due - timedelta(minutes=5), due + timedelta(minutes=5)) == {"acme-org": due}
    markers = [item for item in tables_items(tables) if item["pk"].startswith("ROLLUP_DUE#")]
    assert len(markers) == 1
    late = sample_request("late", now - timedelta(hours=3), received_at=now, org_slug="acme-org")
    ahead = sample_request("ahead", now + timedelta(minutes=4), received_at=now, org_slug="acme-org")
    assert rollup_due.due_after(late) == due  # by arrival
    assert rollup_due.due_after(ahead) == RAW_BUCKET.next(RAW_BUCKET.floor(ahead.time))  # or by its own time


def tables_items(tables: dict[str, str]) -> list[dict]:
    return boto3.resource("dynamodb").Table(tables["RawEventsTable"]).scan()["Items"]


def test_the_dispatcher_sends_one_message_per_organization_with_work_due_and_none_for_idle_ones(tables):
    for slug in ("acme-org", "beta-org", "idle-org"):
        admin.create_organization(slug, None, HOUR - timedelta(days=1))
    assert not raw.put_events(
        [sample_request(f"a{n}", HOUR + timedelta(minutes=n), org_slug="acme-org") for n in range(8)]
        + [sample_request("b", HOUR + timedelta(minutes=2), org_slug="beta-org")]
    )
    assert rollup.dispatch(HOUR + timedelta(minutes=5, seconds=30)).organizations == 0  # 10:05's not yet due
    report = rollup.dispatch(HOUR + timedelta(minutes=6))
    assert (report.end, report.organizations) == (HOUR + timedelta(minutes=10), 2)
    assert [(due.org_slug, due.due) for due in queued(tables["RollupQueue"])] == [
        ("acme-org", HOUR + timedelta(minutes=5)),
        ("beta-org", HOUR + timedelta(minutes=5)),
    ]
    assert rollup.dispatch(HOUR + timedelta(minutes=8)).organizations == 0  # the cursor moved past them
    assert rollup.dispatch(HOUR + timedelta(minutes=11)).organizations == 1  # acme-org's 10:05-10:07 events
    assert {due.org_slug for due in queued(tables["RollupQueue"])} == {"acme-org", "beta-org"}


def test_an_hour_left_open_is_rolled_up_when_it_closes_though_no_event_arrives_after(tables, roll_up_fanned_out):
    admin.create_organization("acme-org", None, HOUR - timedelta(days=1))
    assert not raw.put_events(
        [sample_request(f"a{n}", HOUR + timedelta(minutes=n), org_slug="acme-org") for n in (1, 2)]
    )
    pk = rollups.partition_key("acme-org", REQUESTS.total, RequestSource.INGESTED.value)

    def rows(granularity: Granularity) -> list[tuple[datetime, int]]:
        stored = rollups.query_rows(
            granularity, pk, datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
        )
        return [(row.bucket, row.row.counts.total()) for row in stored]

    assert len(roll_up_fanned_out(HOUR + timedelta(minutes=7))) == 1
    assert rows(Granularity.FIVE_MINUTES) == [(HOUR, 2)] and rows(Granularity.HOUR) == []
    assert roll_up_fanned_out(HOUR + timedelta(minutes=40)) == []  # nothing new: nobody runs
    (report,) = roll_up_fanned_out(HOUR + timedelta(hours=1, minutes=1))  # the hour closed: sent back
    assert rows(Granularity.HOUR) == [(HOUR, 2)] and report.events_read == 2
    (report,) = roll_up_fanned_out(HOUR + timedelta(hours=14, minutes=1))  # the day closed
    assert rows(Granularity.DAY) == [(Granularity.DAY.floor(HOUR), 2)] and report.events_read == 0
    (report,) = roll_up_fanned_out(datetime(2026, 12, 1, 0, 1, tzinfo=UTC))  # the month closed
    assert rows(Granularity.MONTH) == [(datetime(2026, 11, 1, tzinfo=UTC), 2)]
    assert roll_up_fanned_out(datetime(2026, 12, 2, tzinfo=UTC)) == []


def test_a_failed_run_keeps_its_message_and_the_watermark_for_the_next_delivery(tables, local_api, monkeypatch):
    now = datetime.now(UTC)
    admin.create_organization("acme-org", None, now - timedelta(hours=1))
    assert not raw.put_events([sample_request("a", now - timedelta(minutes=20), org_slug="acme-org")])
    assert rollup.dispatch(now).organizations == 1
    worker = next(source for source in Template().queue_sources() if source.function_id == "RollupFunction")

    def refused(*args, **kwargs):
        raise ServiceUnavailable("throttled")

    with monkeypatch.context() as patched:
        patched.setattr(DynamoRollupStore, "put_rows", staticmethod(refused))
        assert deliver_once(local_api, worker, tables["RollupQueue"]) == 1  # reported failed: not deleted
    assert rollups.get_watermark("acme-org") is None
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=tables["RollupQueue"])["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"  # back after the timeout
