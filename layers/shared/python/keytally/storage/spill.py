"""The spill queue (SQS): events the raw table did not take while an API response waited, kept until the drain
function stores them. A message body is a JSON list of events, at most MESSAGE_BYTES. The queue keeps a message 14
days and, after five failed deliveries, moves it to its dead-letter queue, which raises an alarm."""

from __future__ import annotations

import functools
from collections.abc import Iterator

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import TypeAdapter

from keytally.settings import get_settings
from keytally.storage import sqs
from keytally.timeseries.records import Event

MESSAGE_BYTES = 200_000  # SQS takes 256 KiB a message, attributes included


@functools.cache
def _events() -> TypeAdapter[list[Event]]:
    """Built on first use: most calls never spill, so none pays for it at cold start."""
    return TypeAdapter(list[Event])


def send(events: list[Event]) -> list[Event]:
    """Queues the events; returns those that could not be queued."""
    unsent: list[Event] = []
    for message in _messages(events):
        try:
            sqs.client().send_message(
                QueueUrl=sqs.queue_url(get_settings().spill_queue), MessageBody=_events().dump_json(message).decode()
            )
        except (BotoCoreError, ClientError):
            unsent.extend(message)
    return unsent


def events_of(body: str) -> list[Event]:
    """The events of one message (a pydantic ValidationError if it is not one of ours)."""
    return _events().validate_json(body)


def _messages(events: list[Event]) -> Iterator[list[Event]]:
    message: list[Event] = []
    size = 2  # the list's brackets
    for event in events:
        event_size = len(event.model_dump_json().encode()) + 1  # SQS counts UTF-8 bytes, not characters
        if message and size + event_size > MESSAGE_BYTES:
            yield message
            message, size = [], 2
        message.append(event)
        size += event_size
    if message:
        yield message
