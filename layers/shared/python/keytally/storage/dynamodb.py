"""The entity table handle, item conversion, and the one place DynamoDB errors are translated."""

from __future__ import annotations

import contextlib
import functools
import random
import time
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from keytally.errors import ServiceUnavailable
from keytally.settings import get_settings

_RETRYABLE = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
}


@functools.cache
def entity_table() -> Any:
    """The table of organizations, users, memberships, keyspaces, keys and rate-limit counters."""
    # AWS_ENDPOINT_URL_DYNAMODB, when set, is honoured by boto3 itself.
    return table(get_settings().table_name)


@functools.cache
def table(name: str) -> Any:
    return _resource().Table(name)


@functools.cache
def _resource() -> Any:
    """One resource, so one client and one connection pool, for every table."""
    return boto3.resource("dynamodb")


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """Turn DynamoDB failures the caller cannot act on into a 503; everything else is a bug and stays a 500."""
    try:
        yield
    except ClientError as error:
        if error_code(error) in _RETRYABLE:
            raise ServiceUnavailable("The data store is busy; retry with backoff.") from error
        raise
    except BotoCoreError as error:
        raise ServiceUnavailable("The data store could not be reached; retry with backoff.") from error


def write_all(table_name: str, items: list[dict[str, Any]], *, attempts: int = 8) -> list[dict[str, Any]]:
    """BatchWriteItem in chunks of 25, retrying UnprocessedItems with exponential backoff and jitter.

    Returns the items that were still not written after every attempt (empty when all were). Puts are whole-item
    overwrites, so retrying a chunk, or the whole call, never duplicates anything.
    """
    client = table(table_name).meta.client
    failed: list[dict[str, Any]] = []
    for offset in range(0, len(items), 25):
        pending = [{"PutRequest": {"Item": item}} for item in items[offset:offset + 25]]
        for attempt in range(attempts):
            _back_off(attempt)
            with translated_errors():
                result = client.batch_write_item(RequestItems={table_name: pending})
            pending = result.get("UnprocessedItems", {}).get(table_name, [])
            if not pending:
                break
        failed.extend(request["PutRequest"]["Item"] for request in pending)
    return failed


def existing_keys(table_name: str, keys: list[dict[str, str]], *, attempts: int = 8) -> list[dict[str, str]]:
    """BatchGetItem in chunks of 100, projecting only the key: which of `keys` are stored. UnprocessedKeys are
    retried with backoff; if some are still unanswered the store is busy (503), since 'absent' would be a guess."""
    client = table(table_name).meta.client
    names = {f"#{attribute}": attribute for attribute in keys[0]} if keys else {}
    found: list[dict[str, str]] = []
    for offset in range(0, len(keys), 100):
        pending: dict[str, Any] = {"Keys": keys[offset:offset + 100], "ProjectionExpression": ", ".join(names),
                                   "ExpressionAttributeNames": names}
        for attempt in range(attempts):
            _back_off(attempt)
            with translated_errors():
                result = client.batch_get_item(RequestItems={table_name: pending})
            found.extend(result["Responses"].get(table_name, []))
            pending = result.get("UnprocessedKeys", {}).get(table_name)
            if not pending:
                break
        else:
            raise ServiceUnavailable("The data store is busy; retry with backoff.")
    return found


def _back_off(attempt: int) -> None:
    """Exponential backoff with jitter before every attempt but the first."""
    if attempt:
        time.sleep(min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))


def to_item(model: BaseModel, **keys: str) -> dict[str, Any]:
    """A model as a DynamoDB item: JSON-compatible attributes, None left out, plus the given key attributes."""
    return {**model.model_dump(mode="json", exclude_none=True), **keys}
