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
    return boto3.resource("dynamodb").Table(name)


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
            if attempt:
                time.sleep(min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))
            with translated_errors():
                result = client.batch_write_item(RequestItems={table_name: pending})
            pending = result.get("UnprocessedItems", {}).get(table_name, [])
            if not pending:
                break
        failed.extend(request["PutRequest"]["Item"] for request in pending)
    return failed


def to_item(model: BaseModel, **keys: str) -> dict[str, Any]:
    """A model as a DynamoDB item: JSON-compatible attributes, None left out, plus the given key attributes."""
    return {**model.model_dump(mode="json", exclude_none=True), **keys}
