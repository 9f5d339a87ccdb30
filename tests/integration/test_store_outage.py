"""A store that does not answer fails a call within seconds, never holds it for the function's timeout: every AWS
client keytally makes gives up on an unanswered request after KEYTALLY_STORE_TIMEOUT and tries it at most ATTEMPTS
times; the API answers 503 with Retry-After in its envelope. (Events the raw table does not take in time are spilled
and drained: test_spilled_events.py.)"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError

from devtools.faults import UnansweredStore
from keytally.settings import Settings, get_settings
from keytally.storage import sqs
from keytally.storage.aws_config import ATTEMPTS, aws_config
from keytally.storage.dynamodb import clients
from keytally.storage.signing_key import _secrets

from world import ACME


@pytest.fixture
def silent_endpoint() -> Iterator[tuple[str, list[socket.socket]]]:
    """An endpoint that accepts connections and never answers (a paused store): its URL and the connections."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    server.close()
    for connection in accepted:
        connection.close()


@pytest.fixture
def short_timeout(monkeypatch):
    monkeypatch.setenv("KEYTALLY_STORE_TIMEOUT", "0.3")
    get_settings.cache_clear()
    aws_config.cache_clear()
    yield 0.3
    get_settings.cache_clear()
    aws_config.cache_clear()


def test_an_unanswered_request_is_given_up_after_the_timeout_and_tried_attempts_times(silent_endpoint, short_timeout):
    url, accepted = silent_endpoint
    dynamodb = boto3.client("dynamodb", endpoint_url=url, config=aws_config())
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        dynamodb.get_item(TableName="t", Key={"pk": {"S": "x"}})
    waited = time.monotonic() - started
    assert len(accepted) == ATTEMPTS == 2  # one connection per attempt: each timed out
    print(f"an unanswered GetItem failed after {waited:.2f} s ({ATTEMPTS} attempts of {short_timeout} s)")


def test_every_aws_client_keytally_makes_has_the_timeouts(tables):
    deployed = aws_config()
    assert (deployed.read_timeout, deployed.connect_timeout) == (30.0, 1.0)  # locally; 2 s deployed (the default)
    assert Settings.model_fields["store_timeout"].default == 2.0
    for client in (*clients(), sqs.client(), _secrets().client):
        config = client.meta.config
        assert (config.read_timeout, config.connect_timeout) == (deployed.read_timeout, deployed.connect_timeout)
        assert config.retries["total_max_attempts"] in (1, ATTEMPTS)


@pytest.fixture
def unanswered(world) -> Iterator[UnansweredStore]:
    store = UnansweredStore()
    yield store
    store.remove()


@pytest.mark.parametrize(
    ("method", "path", "body", "credential"),
    [
        ("GET", "/v1/api_keys", None, "acme"),
        ("POST", "/v1/keys/verify", {"key": "kt_prd_x", "apiId": "api_x"}, "acme"),
        (
            "POST",
            "/v1/events",
            {
                "events": [
                    {
                        "event_id": "e",
                        "time": 0,
                        "endpoint": "/",
                        "method": "GET",
                        "status": 200,
                        "latency_ms": 1.0,
                        "ip": "203.0.113.9",
                    }
                ]
            },
            "acme",
        ),
        ("GET", "/v1/metrics", None, "acme"),
        ("POST", "/v1/organizations/metrics", {"organizationSlug": ACME}, "owner"),
        ("GET", "/v1/organizations", None, "staff"),
    ],
)
def test_every_route_answers_503_with_retry_after_when_the_store_does_not_answer(
    client, world, unanswered, method, path, body, credential
):
    response = client.open(
        path, method=method, json=body, headers={"Authorization": f"Bearer {world.keys[credential]}"}
    )
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.json["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert response.headers["Retry-After"] == "5" and response.headers["X-Request-Id"]
    assert unanswered.requests == ATTEMPTS  # the caller's key: tried twice, then the answer
