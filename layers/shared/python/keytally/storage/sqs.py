"""SQS clients and queue URLs, one of each per process."""

from __future__ import annotations

import functools
from typing import Any

import boto3

from keytally.storage.aws_config import aws_config


@functools.cache
def client() -> Any:
    return boto3.client("sqs", config=aws_config())


@functools.cache
def queue_url(queue: str) -> str:
    """A queue variable holds the queue's URL in Lambda (the template's !Ref), its name locally."""
    return queue if "://" in queue else str(client().get_queue_url(QueueName=queue)["QueueUrl"])
