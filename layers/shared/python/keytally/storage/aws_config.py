"""How long any AWS request keytally sends (DynamoDB, SQS, Secrets Manager) may take, and how often it is tried.

A store that does not answer must fail a call within seconds, never hold it for the function's whole timeout: each
request gives up after `store_timeout` seconds without an answer (KEYTALLY_STORE_TIMEOUT; 2 s deployed, where a
1 MB Query page takes tens of milliseconds; 30 s locally, where moto is slow) and is tried at most ATTEMPTS times
(the SDK's standard retry mode, throttling included), so an unreachable store costs a call at most about
2 x (1 + 2) s plus the SDK's backoff: inside the API functions' 10 s, answered as a 503 with Retry-After."""

from __future__ import annotations

import functools

from botocore.config import Config

from keytally.settings import get_settings

ATTEMPTS = 2
CONNECT_TIMEOUT = 1.0  # seconds


@functools.cache
def aws_config(*, sdk_retries: bool = True) -> Config:
    """`sdk_retries=False`: one attempt per request, for callers that retry on their own with bounded waits."""
    timeout = get_settings().store_timeout
    return Config(
        connect_timeout=min(CONNECT_TIMEOUT, timeout),
        read_timeout=timeout,
        retries={"mode": "standard", "total_max_attempts": ATTEMPTS if sdk_retries else 1},
    )
