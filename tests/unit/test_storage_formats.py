"""keytally.storage.dynamodb: the one stored time format and bucket labels, whose text order is time order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from keytally.models import KeyKind, KeyRecord
from keytally.storage.dynamodb import bucket_label, parse_bucket_label, stored_time, to_item


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_bucket_labels_round_trip():
    assert parse_bucket_label(bucket_label(at("2026-11-23T17:00"))) == at("2026-11-23T17:00")


def test_stored_time_is_fixed_width_utc_so_text_order_is_time_order():
    moments = [
        at("2026-11-23T17:00:00"),
        at("2026-11-23T17:00:00.000001"),
        at("2026-11-23T17:00:00.5"),
        at("2026-11-23T17:00:01"),
        datetime(2026, 11, 23, 19, 0, 2, tzinfo=timezone(timedelta(hours=2))),
    ]
    texts = [stored_time(moment) for moment in moments]
    assert {len(text) for text in texts} == {len("2026-11-23T17:00:00.000000Z")}
    assert texts == sorted(texts) and texts[-1] == "2026-11-23T17:00:02.000000Z"
    assert stored_time(datetime(3, 1, 1, 0, 1, tzinfo=UTC)) == "0003-01-01T00:01:00.000000Z"  # the year zero-padded


def test_items_store_every_instant_in_the_one_format():
    record = KeyRecord(
        api_key_id="ak_1",
        key_hash="0" * 64,
        key_start="kt_org_abc",
        key_type=KeyKind.ORGANIZATION,
        org_slug="acme",
        created_time=at("2026-11-23T17:00"),
        expires_at=at("2027-01-01T00:00:00.25"),
    )
    item = to_item(record, pk="KEY#x")
    assert item["created_time"] == "2026-11-23T17:00:00.000000Z"
    assert item["expires_at"] == "2027-01-01T00:00:00.250000Z"
    assert item["key_type"] == "organization" and "last_used_at" not in item
    assert KeyRecord.model_validate(item) == record
