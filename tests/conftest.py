"""Shared fixtures: moto's DynamoDB server for the session, fresh tables per test, the local API in process."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

os.environ.update(
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_METRICS_DISABLED="true",
    POWERTOOLS_LOG_LEVEL="WARNING",
    POWERTOOLS_SERVICE_NAME="keytally-test",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
)


@pytest.fixture(scope="session")
def dynamodb_server() -> Iterator[str]:
    from devtools.store import start_moto

    server = start_moto(port=0)
    yield os.environ["AWS_ENDPOINT_URL_DYNAMODB"]
    server.stop()


@pytest.fixture
def tables(dynamodb_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Fresh tables (created from template.yaml) for each test, under a unique prefix."""
    from keytally.settings import get_settings
    from keytally.storage.dynamodb import entity_table, table
    from devtools.store import create_tables, table_names
    from devtools.template import Template

    template = Template()
    names = table_names(template, prefix=f"t{uuid.uuid4().hex[:10]}-")
    create_tables(template, names)
    for variable, value in template.function_environment("ApiKeysFunction", names).items():
        if variable.startswith("KEYTALLY_"):
            monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    entity_table.cache_clear()
    table.cache_clear()
    yield names
    get_settings.cache_clear()
    entity_table.cache_clear()
    table.cache_clear()


@pytest.fixture
def dynamodb_calls(tables: dict[str, str]) -> Iterator[Counter]:
    """Counts DynamoDB requests made through the entity table's client, by operation name."""
    from keytally.storage.dynamodb import entity_table

    calls: Counter = Counter()

    def count(event_name: str, **_: object) -> None:
        calls[event_name.rsplit(".", 1)[-1]] += 1

    events = entity_table().meta.client.meta.events
    events.register("before-send.dynamodb", count)
    yield calls
    events.unregister("before-send.dynamodb", count)


@pytest.fixture
def local_api():
    from devtools.local_api import LocalApi
    from devtools.template import Template

    return LocalApi(Template())


@pytest.fixture
def client(tables: dict[str, str], local_api):
    """An HTTP client for the local API, in process: werkzeug request -> payload-2.0 event -> handler."""
    from werkzeug.test import Client

    return Client(local_api)
