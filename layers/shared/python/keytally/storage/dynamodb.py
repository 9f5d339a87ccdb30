"""The entity table handle, item conversion, and the one place DynamoDB errors are translated."""

from __future__ import annotations

import contextlib
import functools
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
    return boto3.resource("dynamodb").Table(get_settings().table_name)


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


def to_item(model: BaseModel, **keys: str) -> dict[str, Any]:
    """A model as a DynamoDB item: JSON-compatible attributes, None left out, plus the given key attributes."""
    return {**model.model_dump(mode="json", exclude_none=True), **keys}
