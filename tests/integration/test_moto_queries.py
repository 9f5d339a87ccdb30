"""devtools/moto_queries.py changes how the embedded DynamoDB finds a Query's items, never its answers: the same
Queries and Scans, page by page, with moto's own code and with the patch."""

from __future__ import annotations

import random
import uuid
from typing import Any

import boto3
import pytest

from devtools import moto_queries

PARTITIONS = ("org-a#request", "org-b#request", "org-a#verification")


@pytest.fixture
def table_name(dynamodb_server: str) -> str:
    """A table keyed like the raw events table (string keys, an index that not every item is in) with a numeric
    range key on the index, so numbers must sort as numbers: 9 before 10."""
    client = boto3.client("dynamodb")
    name = f"moto-queries-{uuid.uuid4().hex[:10]}"
    string, number = "S", "N"
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": string},
            {"AttributeName": "sk", "AttributeType": string},
            {"AttributeName": "rpk", "AttributeType": string},
            {"AttributeName": "rank", "AttributeType": number},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "ByRank",
                "KeySchema": [
                    {"AttributeName": "rpk", "KeyType": "HASH"},
                    {"AttributeName": "rank", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    rng = random.Random(7)
    items = []
    for n in range(400):
        item: dict[str, Any] = {
            "pk": rng.choice(PARTITIONS),
            "sk": f"2026-11-{rng.randrange(1, 31):02d}T{rng.randrange(24):02d}#{n:04d}",
            "size": "x" * rng.randrange(1, 20_000),
        }
        if rng.random() < 0.8:
            item.update(rpk=item["pk"].split("#")[0], rank=rng.randrange(1, 200))
        items.append(item)
    with boto3.resource("dynamodb").Table(name).batch_writer() as writer:
        for item in items:
            writer.put_item(Item=item)
    return name


QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "org-a#request"}}},
    {
        "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {
            ":p": {"S": "org-b#request"},
            ":a": {"S": "2026-11-05"},
            ":b": {"S": "2026-11-20"},
        },
        "ScanIndexForward": False,
    },
    {
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :d)",
        "ExpressionAttributeValues": {":p": {"S": "org-a#verification"}, ":d": {"S": "2026-11-1"}},
    },
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "org-none#request"}}},
    {
        "IndexName": "ByRank",
        "KeyConditionExpression": "rpk = :p AND #rank BETWEEN :low AND :high",
        "ExpressionAttributeNames": {"#rank": "rank"},
        "ExpressionAttributeValues": {":p": {"S": "org-a"}, ":low": {"N": "9"}, ":high": {"N": "120"}},
    },
    {
        "IndexName": "ByRank",
        "KeyConditionExpression": "rpk = :p",
        "ExpressionAttributeValues": {":p": {"S": "org-b"}},
        "ScanIndexForward": False,
    },
]


def every_page(table: str, operation: str, request: dict[str, Any], limit: int | None) -> list[dict[str, Any]]:
    """Each page as DynamoDB returned it, following LastEvaluatedKey to the end (a store that pages wrongly can loop:
    at most 100 pages)."""
    client = boto3.client("dynamodb")
    pages, start = [], None
    while len(pages) < 100:
        page = getattr(client, operation)(
            TableName=table,
            **request,
            **({"Limit": limit} if limit else {}),
            **({"ExclusiveStartKey": start} if start else {}),
        )
        page.pop("ResponseMetadata")
        pages.append(page)
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages
    raise AssertionError(f"{operation} {request} never ended")


def answers(table: str) -> list[list[dict[str, Any]]]:
    """Every query whole (in 1 MB pages) and in pages of 7 items, and the table scanned."""
    return [every_page(table, "query", request, limit) for request in QUERIES for limit in (None, 7)] + [
        every_page(table, "scan", {}, limit) for limit in (None, 50)
    ]


def test_the_patched_store_answers_every_page_as_moto_does(table_name: str) -> None:
    assert moto_queries.install(), "moto's version changed: check devtools/moto_queries.py against it"
    patched = answers(table_name)
    moto_queries.uninstall()
    try:
        unpatched = answers(table_name)
    finally:
        moto_queries.install()
    assert patched == unpatched
    assert sum(len(page["Items"]) for page in patched[0]) > 100  # the first query really spans pages of 1 MB
    assert len(patched[0]) > 1
