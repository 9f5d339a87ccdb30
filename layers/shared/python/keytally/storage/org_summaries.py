"""Each organization's Prometheus counters as its last rollup left them, all in one partition of the monthly rollup
table (pk `SUMMARIES`, sk the organization, `body` the counters as JSON, `as_of` when they were read), so that
GET /v1/metrics/all reads every organization in a few Query pages (about 1 KB an organization with one API) instead
of ten requests an organization. Written whole by the rollup worker after each run (PutItem: a rerun replaces it);
kept for good, like the month rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from boto3.dynamodb.conditions import Key

from keytally.settings import get_settings
from keytally.storage.dynamodb import query_items, stored_time, table, translated_errors

PARTITION = "SUMMARIES"


def put(org_slug: str, body: str, as_of: datetime) -> None:
    with translated_errors():
        table(get_settings().monthly_table).put_item(
            Item={"pk": PARTITION, "sk": org_slug, "body": body, "as_of": stored_time(as_of)}
        )


def every() -> Iterator[tuple[str, str]]:
    """(organization, body) of every organization summarised, by slug."""
    items = query_items(table(get_settings().monthly_table), KeyConditionExpression=Key("pk").eq(PARTITION))
    for item in items:
        yield item["sk"], item["body"]
