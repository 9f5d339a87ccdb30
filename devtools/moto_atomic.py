"""Writes on the embedded DynamoDB are atomic, as DynamoDB's are.

moto 5.2.5's server handles requests on many threads with no lock: an UpdateItem's condition and its update may
interleave with another thread's, and a TransactWriteItems whose condition fails restores a copy of the whole table
taken when it began, undoing every write other threads made meanwhile. DynamoDB serializes each item's writes and
isolates transactions from them, and keytally's counters rely on it (tests/integration/test_hot_keys.py runs them
from many threads). `install()` makes moto's writes take one lock in turn; reads are left as they are.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_lock = threading.RLock()
_installed: list[bool] = []


def install() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    if _installed:
        return
    for name in _WRITES:
        setattr(DynamoDBBackend, name, _one_at_a_time(getattr(DynamoDBBackend, name)))
    _installed.append(True)


def _one_at_a_time(write: Any) -> Any:
    @functools.wraps(write)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return write(*args, **kwargs)

    return locked
