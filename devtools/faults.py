"""Faults injected into keytally's DynamoDB clients, for the tests and the bench: a table that throttles writes, does
not answer them in time, or leaves items of chosen events unprocessed, as a busy table does; and a store that
answers nothing in time."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

from keytally.storage.dynamodb import clients

THROTTLED = json.dumps(
    {"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", "message": "slow down"}
).encode()


class _Body:
    def __init__(self, content: bytes) -> None:
        self.content = content

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self.content


class BusyTable:
    """BatchWriteItem requests to `table_name`, through every client keytally uses. While `throttled`, each request
    is answered with DynamoDB's throttling error on the wire, so the SDK's own retries (where a client has them)
    see it as they would the real one; while `timing_out`, it gets no answer in time (the SDK's read timeout).
    Items of the events whose `event_id` is in `refused` are left unprocessed. `write_requests` counts the requests
    sent to the table. `remove()` restores the clients."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.throttled = False
        self.timing_out = False
        self.refused: set[str] = set()
        self.write_requests = 0
        for client in clients():
            client.meta.events.register("before-send.dynamodb.BatchWriteItem", self._send)
            client.batch_write_item = functools.partial(self._batch_write_item, client.batch_write_item)

    def remove(self) -> None:
        for client in clients():
            client.meta.events.unregister("before-send.dynamodb.BatchWriteItem", self._send)
            del client.batch_write_item  # the instance's stand-in: the client's own method shows again

    def _send(self, request: Any, **_: object) -> AWSResponse | None:
        if self.table_name not in json.loads(request.body)["RequestItems"]:
            return None
        self.write_requests += 1
        if self.timing_out:
            raise ReadTimeoutError(endpoint_url=request.url)
        return AWSResponse(request.url, 400, {}, _Body(THROTTLED)) if self.throttled else None

    def _batch_write_item(self, write: Callable[..., dict], RequestItems: dict) -> dict:  # noqa: N803 - boto3's name
        requests = RequestItems.get(self.table_name)
        if requests is None or not self.refused:
            return write(RequestItems=RequestItems)
        refused = [r for r in requests if r["PutRequest"]["Item"].get("event_id") in self.refused]  # not markers
        taken = [r for r in requests if r not in refused]
        result = write(RequestItems={self.table_name: taken}) if taken else {"UnprocessedItems": {}}
        return {**result, "UnprocessedItems": {self.table_name: refused} if refused else {}}


class UnansweredStore:
    """Every DynamoDB request, through every client keytally uses, gets no answer in time: the SDK's read timeout,
    at once (no waiting), as a paused or unreachable store would give. `requests` counts the attempts sent.
    `remove()` restores the clients."""

    def __init__(self) -> None:
        self.requests = 0
        for client in clients():
            client.meta.events.register("before-send.dynamodb", self._send)

    def remove(self) -> None:
        for client in clients():
            client.meta.events.unregister("before-send.dynamodb", self._send)

    def _send(self, request: Any, **_: object) -> None:
        self.requests += 1
        raise ReadTimeoutError(endpoint_url=request.url)
