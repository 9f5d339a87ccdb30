"""Nothing is lost when the raw events table is busy: an event write retries briefly, then goes to the spill queue,
and the drain function (fed by the local API as Lambda's SQS event source would) stores it. Throttling and partial
batch failures are injected into the raw table's writes; every event sent is counted by the Prometheus export."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sample_requests import sample_request

from devtools.local_api import deliver_once
from devtools.template import Template
from keytally import admin, observability, rollup
from keytally.api_keys.models import CreateApiKey
from keytally.models import Organization
from keytally.storage import dynamodb, spill
from keytally.storage import events as raw
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import EventKind

from world import ACME

DRAIN = next(source for source in Template().queue_sources() if source.function_id == "EventDrainFunction")


@pytest.fixture
def metrics_emitted(monkeypatch) -> Counter:
    emitted: Counter = Counter()

    def add_metric(name: str, unit: str, value: float) -> None:
        emitted[name] += value

    monkeypatch.setattr(observability.metrics, "add_metric", add_metric)
    return emitted


@pytest.fixture
def acme(tables) -> dict:
    """acme-org with an API, its organization key and a product key of the API."""
    now = datetime.now(UTC)
    admin.create_organization(ACME, None, now - timedelta(days=2))
    api_id = admin.create_api(ACME, "payments", now - timedelta(days=2)).api_id
    _, org_key = admin.create_key(CreateApiKey(description="ci"), now, org_slug=ACME)
    product, product_key = admin.create_key(CreateApiKey(api_id=api_id), now, org_slug=ACME)
    return {"api_id": api_id, "org_key": org_key, "product_key": product_key, "product_id": product.api_key_id}


def ingested_request(number: int, time: datetime, api_key_id: str | None = None) -> dict:
    """One request log of POST /v1/events."""
    return {
        "event_id": f"req_{number}",
        "time": time.isoformat(),
        "api_key_id": api_key_id,
        "endpoint": "/v1/orders",
        "method": "GET",
        "status": 200,
        "latency_ms": 12.5,
        "ip": "198.51.100.23",
    }


def drain_everything(local_api, tables) -> int:
    """Delivers the spill queue's messages to the drain function until none is left; returns the deliveries."""
    deliveries = 0
    while delivered := deliver_once(local_api, DRAIN, tables["EventSpillQueue"]):
        deliveries += delivered
    return deliveries


def stored_events(kind: EventKind) -> list:
    """acme-org's events of this hour and the last."""
    hour = Granularity.HOUR.floor(datetime.now(UTC))
    return list(raw.events_in_buckets(ACME, kind, [hour - timedelta(hours=1), hour]))


def queue_depth(tables) -> int:
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=tables["EventSpillQueue"])["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def redeliver_failures_at_once(tables) -> None:
    """Messages a delivery left in the queue come back at once (the template's visibility timeout is minutes)."""
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=tables["EventSpillQueue"])["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})


def exported(client, org_key: str) -> Counter:
    """keytally_verifications_total by outcome and keytally_requests_total by source, as scraped."""
    response = client.get("/v1/metrics", headers={"Authorization": f"Bearer {org_key}"})
    assert response.status_code == 200
    found: Counter = Counter()
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            if sample.name == "keytally_verifications_total":
                found[("verifications", sample.labels["outcome"])] += sample.value
            elif sample.name == "keytally_requests_total":
                found[("requests", sample.labels["source"])] += sample.value
    return found


@pytest.mark.parametrize("fault", ["throttled", "timing out"])
def test_event_writes_the_table_refuses_are_spilled_then_drained_and_every_event_counts(
    client, local_api, tables, acme, busy_raw_table, metrics_emitted, fault
):
    headers = {"Authorization": f"Bearer {acme['org_key']}"}
    before = exported(client, acme["org_key"])
    setattr(busy_raw_table, fault.replace(" ", "_"), True)
    for _ in range(5):
        response = client.post(
            "/v1/keys/verify", headers=headers, json={"key": acme["product_key"], "apiId": acme["api_id"]}
        )
        assert response.status_code == 200 and response.get_json()["data"]["valid"] is True
    started = datetime.now(UTC)
    batch = [ingested_request(n, started - timedelta(minutes=n)) for n in range(10)]
    ingested = client.post("/v1/events", headers=headers, json={"events": batch}).get_json()["data"]
    assert (ingested["accepted"], ingested["rejected"]) == (10, 0)  # queued for storing counts as accepted

    assert stored_events(EventKind.VERIFICATION) == []
    # each verification carrying its call's request event, the batch, the batch's call
    assert metrics_emitted["UsageEventsSpilled"] == 5 + 10 + 1
    assert queue_depth(tables) == 5 + 1 + 1  # one message per response: 5 verifications, the batch, its call

    busy_raw_table.throttled = busy_raw_table.timing_out = False
    assert drain_everything(local_api, tables) == 7
    assert queue_depth(tables) == 0
    rollup.roll_up_org(Organization(slug=ACME, name=ACME, created_time=started - timedelta(days=2)), datetime.now(UTC))
    after = exported(client, acme["org_key"])
    assert after[("verifications", "VALID")] - before[("verifications", "VALID")] == 5
    assert after[("requests", "ingested")] - before[("requests", "ingested")] == 10
    # the verifications and the batch's call, and the scrape before (stored at once) — the later scrape is not in it
    assert after[("requests", "keytally")] - before[("requests", "keytally")] == 5 + 1 + 1
    assert metrics_emitted["UsageEventsLost"] == 0


def test_a_busy_table_costs_a_response_at_most_60_ms_of_waiting_and_no_hidden_retries(
    client, acme, busy_raw_table, retry_waits
):
    busy_raw_table.throttled = True
    busy_raw_table.write_requests = 0
    headers = {"Authorization": f"Bearer {acme['org_key']}"}
    assert client.get("/v1/apis", headers=headers).status_code == 200
    assert busy_raw_table.write_requests == dynamodb.BRIEF.attempts == 3  # the SDK retried none of them by itself
    # (the clients that do retry by themselves would have sent each attempt again and again)
    assert len(retry_waits) == 2 and sum(retry_waits) <= dynamodb.BRIEF.longest_wait <= 0.1
    retry_waits.clear()  # a write of many events waits no longer: its chunks are retried together
    batch = [ingested_request(n, datetime.now(UTC)) for n in range(100)]
    assert client.post("/v1/events", headers=headers, json={"events": batch}).get_json()["data"]["accepted"] == 100
    assert len(retry_waits) == 2 * 2  # the batch's write and the call's request event


def test_the_drain_survives_partial_batch_failures_and_duplicate_deliveries(local_api, tables, acme, busy_raw_table):
    now = datetime.now(UTC)

    messages = [[sample_request(f"ev_{3 * m + n}", now, org_slug=ACME) for n in range(3)] for m in range(3)]
    for message in messages:
        assert spill.send(message) == []
    assert spill.send(messages[0]) == []  # the same events spilled twice (a resent batch, a repeated delivery)
    busy_raw_table.refused = {"ev_4"}  # one event of the second message keeps failing in the drain
    redeliver_failures_at_once(tables)
    assert deliver_once(local_api, DRAIN, tables["EventSpillQueue"]) == 4
    assert queue_depth(tables) == 1  # only the message with the refused event is left
    assert sorted(e.event_id for e in stored_events(EventKind.REQUEST)) == [f"ev_{n}" for n in (0, 1, 2, 3, 5, 6, 7, 8)]

    busy_raw_table.refused = set()
    assert drain_everything(local_api, tables) == 1
    stored = stored_events(EventKind.REQUEST)
    assert sorted(e.event_id for e in stored) == [f"ev_{n}" for n in range(9)]
    assert all(e.received_at > now for e in stored)  # stored as arriving when the drain wrote them


def test_events_neither_the_table_nor_the_queue_takes_are_logged_and_counted_lost(
    client, acme, busy_raw_table, metrics_emitted, monkeypatch, caplog
):
    busy_raw_table.throttled = True
    monkeypatch.setattr(spill, "send", lambda events: events)
    headers = {"Authorization": f"Bearer {acme['org_key']}"}
    assert client.get("/v1/apis", headers=headers).status_code == 200  # the answer never changes
    assert "Usage events could not be stored" in caplog.text
    assert metrics_emitted == Counter({"UsageEventsSpilled": 1, "UsageEventsLost": 1})


def test_spill_messages_are_sized_in_utf8_bytes_whatever_the_endpoints_characters(tables):
    """Endpoints of 512 three-byte characters: a message sized in characters was 3x over SQS's limit."""
    now = datetime.now(UTC)
    events = [
        sample_request(f"wide_{number}", now, org_slug=ACME, endpoint="/漢" * 256, tags=("ü" * 128,) * 10)
        for number in range(600)
    ]
    assert spill.send(events) == []
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=tables["EventSpillQueue"])["QueueUrl"]
    received = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            assert len(message["Body"].encode()) <= spill.MESSAGE_BYTES
            received += spill.events_of(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert sorted(event.event_id for event in received) == sorted(event.event_id for event in events)
