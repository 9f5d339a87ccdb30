"""The one place that speaks DynamoDB's language: table handles, the stored time format, pagination, and the
translation of DynamoDB's errors (throttling to 503, failed conditions to ConditionFailed)."""

from __future__ import annotations

import contextlib
import enum
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar

import boto3
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ValidationError

from keytally.errors import ServiceUnavailable
from keytally.observability import logger, metrics
from keytally.settings import get_settings
from keytally.storage.aws_config import aws_config

_RETRYABLE = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
}


class ConditionFailed(Exception):
    """A conditional write's condition did not hold; nothing was written. `item` is the item as it is now, when
    the request asked for it (ReturnValuesOnConditionCheckFailure=ALL_OLD)."""

    def __init__(self, item: dict[str, Any] | None = None) -> None:
        super().__init__("The condition of the write did not hold.")
        self.item = item


class StoreUnreachable(ServiceUnavailable):
    """The store did not answer in time (storage/aws_config.py), or could not be reached at all."""


class ReadLimitReached(Exception):
    """Reads sharing a PageBudget needed more Query pages than it holds; the read stopped there."""


class Retries(NamedTuple):
    """How a batch request retries what DynamoDB did not take (throttled requests, unprocessed items): `attempts`
    in all, waiting `base`·2^n seconds (at most `cap`, with jitter) before each retry. `sdk_retries`: the SDK also
    retries within each attempt (for many seconds, at worst); without, these waits are all the waiting there is."""

    attempts: int
    base: float
    cap: float
    sdk_retries: bool = True

    def wait(self, attempt: int) -> None:
        """Before every attempt but the first."""
        if attempt:
            time.sleep(min(self.cap, self.base * 2.0**attempt) * random.uniform(0.5, 1.0))

    @property
    def longest_wait(self) -> float:
        return sum(min(self.cap, self.base * 2.0**attempt) for attempt in range(1, self.attempts))


PATIENT = Retries(attempts=8, base=0.05, cap=2.0)  # work that may take seconds: the rollup, the spill drain
BRIEF = Retries(attempts=3, base=0.01, cap=0.04, sdk_retries=False)  # an API response waits: 60 ms at most


@dataclass
class PageBudget:
    """How many Query requests (pages of up to 1 MB) the reads that share this budget may send between them."""

    pages: int
    sent: int = 0

    def spend(self) -> None:
        if self.sent >= self.pages:
            raise ReadLimitReached(f"more than {self.pages} pages")
        self.sent += 1


class _Handles(threading.local):
    """Resources and table handles, one set per thread. boto3's resources are not thread-safe: a resource numbers the
    placeholders of the condition expressions it builds on state it keeps, so two threads querying through one can
    send one thread's names with the other's expression ("Query condition missed key schema element: pk"). A Lambda
    environment runs one invocation at a time on one thread, so it holds one set; the local API and the tests run
    functions side by side on threads."""

    def __init__(self) -> None:
        self.resources: dict[bool, Any] = {}
        self.tables: dict[str, Any] = {}


_handles = _Handles()


def entity_table() -> Any:
    """The table of organizations, users, memberships, APIs, keys and rate-limit counters."""
    # AWS_ENDPOINT_URL_DYNAMODB, when set, is honoured by boto3 itself.
    return table(get_settings().table_name)


def table(name: str) -> Any:
    if name not in _handles.tables:
        _handles.tables[name] = _resource(sdk_retries=True).Table(name)
    return _handles.tables[name]


def forget_tables() -> None:
    """Drops this thread's table handles: the next call finds its tables by the settings' names anew."""
    _handles.tables.clear()


def _resource(sdk_retries: bool) -> Any:
    """One resource, so one client and one connection pool, for every table; `sdk_retries=False` for writes whose
    waits must stay bounded: its client never retries by itself."""
    if sdk_retries not in _handles.resources:
        _handles.resources[sdk_retries] = boto3.resource("dynamodb", config=aws_config(sdk_retries=sdk_retries))
    return _handles.resources[sdk_retries]


def _client(sdk_retries: bool) -> Any:
    return _resource(sdk_retries).meta.client


def clients() -> tuple[Any, ...]:
    """Every DynamoDB client keytally sends requests through on this thread (for whoever counts them: tests, the
    bench)."""
    return _client(True), _client(False)


def org_partition(org_slug: str) -> str:
    """The entity table's partition of an organization: the organization, its APIs, keys and members."""
    return f"ORG#{org_slug}"


def user_partition(user_id: str) -> str:
    return f"USER#{user_id}"


def stored_time(moment: datetime) -> str:
    """An instant as every table stores it: fixed-width ISO 8601 UTC to the microsecond, so text order is time
    order and conditions can compare instants as strings."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"  # years zero-padded


def bucket_label(start: datetime) -> str:
    """A bucket's start as stored in sort keys: ISO 8601 UTC to the hour, and its minutes if past the hour
    (`2026-12-02T06`, `2026-12-02T06:05`). `#` sorts before `:`, so `{label}#...` keys of an hour's first five
    minutes sort before those of the next five, and every key of an hour between its label and the next hour's."""
    start = start.astimezone(UTC)
    return start.strftime("%Y-%m-%dT%H:%M" if start.minute else "%Y-%m-%dT%H")


def parse_bucket_label(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M" if ":" in text else "%Y-%m-%dT%H").replace(tzinfo=UTC)


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _condition_failed(error: ClientError) -> bool:
    code = _error_code(error)
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons", [])
        return any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons) or not reasons
    return code == "ConditionalCheckFailedException"


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """A failed condition becomes ConditionFailed; failures the caller cannot act on become a 503; anything else
    is a bug and stays a 500."""
    try:
        yield
    except ClientError as error:
        if _condition_failed(error):
            item = error.response.get("Item")
            raise ConditionFailed(_plain(item) if item else None) from error
        if _error_code(error) in _RETRYABLE:
            raise ServiceUnavailable("The data store is busy; retry with backoff.") from error
        raise
    except BotoCoreError as error:  # timeouts and connection failures, after the SDK's attempts
        raise StoreUnreachable("The data store did not answer in time; retry with backoff.") from error


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """An item in DynamoDB's wire format (as a failed condition returns it) as plain Python values."""
    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in item.items()}


def query_pages(
    handle: Any, *, limit: int | None = None, budget: PageBudget | None = None, **query: Any
) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any] | None]]:
    """Each page of a Query as (items, where the next page starts), fetched as they are consumed. With `limit`,
    each request asks only for the items still wanted and paging stops once `limit` items have come; with
    `budget`, each request spends one of its pages."""
    returned = 0
    while True:
        if limit is not None:
            query["Limit"] = limit - returned
        if budget is not None:
            budget.spend()
        with translated_errors():
            page = handle.query(**query)
        items, next_start = page["Items"], page.get("LastEvaluatedKey")
        returned += len(items)
        yield items, next_start
        if next_start is None or (limit is not None and returned >= limit):
            return
        query["ExclusiveStartKey"] = next_start


def query_items(handle: Any, *, budget: PageBudget | None = None, **query: Any) -> Iterator[dict[str, Any]]:
    """The items of every page of a Query, fetched as they are consumed."""
    for items, _ in query_pages(handle, budget=budget, **query):
        yield from items


def write_all(table_name: str, items: list[dict[str, Any]], *, retries: Retries = PATIENT) -> list[dict[str, Any]]:
    """BatchWriteItem in chunks of 25; what was throttled or left unprocessed is sent again, all chunks together,
    after each of `retries`' waits (so a call waits at most `retries.longest_wait`, however many items it writes).

    Returns the items that were still not written after every attempt (empty when all were), or at once every
    item not written yet when the store does not answer in time (waiting on it chunk after chunk would hold the call
    for minutes). Puts are whole-item overwrites, so retrying a chunk, or the whole call, never duplicates anything.
    """
    client = _client(retries.sdk_retries)
    pending = [{"PutRequest": {"Item": item}} for item in items]
    for attempt in range(retries.attempts):
        if not pending:
            break
        retries.wait(attempt)
        left: list[dict[str, Any]] = []
        for offset in range(0, len(pending), 25):
            chunk = pending[offset : offset + 25]
            try:
                with translated_errors():
                    result = client.batch_write_item(RequestItems={table_name: chunk})
            except StoreUnreachable:
                return [request["PutRequest"]["Item"] for request in left + pending[offset:]]
            except ServiceUnavailable:  # throttled as a whole
                left.extend(chunk)
                continue
            left.extend(result.get("UnprocessedItems", {}).get(table_name, []))
        pending = left
    return [request["PutRequest"]["Item"] for request in pending]


def batch_get(
    table_name: str,
    keys: list[dict[str, str]],
    attributes: tuple[str, ...] | None = (),
    *,
    consistent: bool = False,
) -> list[dict[str, Any]]:
    """BatchGetItem in chunks of 100: the stored items among `keys`, projecting their key and `attributes` (None:
    whole items), strongly consistent if asked. UnprocessedKeys are retried with backoff; if some are still
    unanswered the store is busy (503), since 'absent' would be a guess."""
    client = table(table_name).meta.client
    projection: dict[str, Any] = {}
    if attributes is not None and keys:
        names = {f"#{attribute}": attribute for attribute in (*keys[0], *attributes)}
        projection = {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}
    found: list[dict[str, Any]] = []
    for offset in range(0, len(keys), 100):
        pending: dict[str, Any] = {"Keys": keys[offset : offset + 100], "ConsistentRead": consistent, **projection}
        for attempt in range(PATIENT.attempts):
            PATIENT.wait(attempt)
            with translated_errors():
                result = client.batch_get_item(RequestItems={table_name: pending})
            found.extend(result["Responses"].get(table_name, []))
            pending = result.get("UnprocessedKeys", {}).get(table_name)
            if not pending:
                break
        else:
            raise ServiceUnavailable("The data store is busy; retry with backoff.")
    return found


def record_use(key: dict[str, str], now: datetime, stale_before: datetime) -> None:
    """Sets the entity's last_used_at at most once per staleness window: concurrent callers race on the condition,
    one wins; an entity deleted meanwhile stays deleted."""
    try:
        with translated_errors():
            entity_table().update_item(
                Key=key,
                UpdateExpression="SET last_used_at = :now",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(last_used_at) OR last_used_at < :stale)",
                ExpressionAttributeValues={":now": stored_time(now), ":stale": stored_time(stale_before)},
            )
    except ConditionFailed:
        pass


def to_item(model: BaseModel, **keys: str) -> dict[str, Any]:
    """A model as a DynamoDB item: None left out, instants in the one stored format, plus the given key
    attributes."""
    return {**_attribute(model.model_dump(exclude_none=True)), **keys}


Record = TypeVar("Record")


def readable(items: Iterable[dict[str, Any]], parse: Callable[[dict[str, Any]], Record]) -> list[Record]:
    """The items that parse. One that does not (written by hand, or by an older version) is left out, logged with
    its key and counted (metric UnreadableItems): it never fails a listing, nor another organization's answer; a
    read of that one item finds nothing."""
    parsed = []
    for item in items:
        try:
            parsed.append(parse(item))
        except ValidationError as error:
            key = {name: item.get(name) for name in ("pk", "sk")}
            logger.error(
                "Unreadable item left out",
                extra={"key": key, "errors": error.errors(include_url=False, include_input=False)},
            )
            metrics.add_metric(name="UnreadableItems", unit="Count", value=1)
    return parsed


def _attribute(value: Any) -> Any:
    if isinstance(value, dict):
        return {name: _attribute(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [_attribute(item) for item in value]
    if isinstance(value, datetime):
        return stored_time(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value
