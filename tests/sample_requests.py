"""Events for tests: a served request and a verification with plain defaults, any field overridden."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from keytally.models import Code, RequestSource
from keytally.timeseries.records import Event
from keytally.usage.events import request_event, verification_event


def sample_request(event_id: str, time: datetime, *, received_at: datetime | None = None, **fields: Any) -> Event:
    """An ingested GET of /v1/things by ak_1 from 203.0.113.9 in acme, received when it was served."""
    defaults: dict[str, Any] = {
        "source": RequestSource.INGESTED,
        "org_slug": "acme",
        "key_id": "ak_1",
        "endpoint": "/v1/things",
        "method": "GET",
        "status": 200,
        "ip": "203.0.113.9",
        "latency_ms": 10.0,
    }
    return request_event(event_id=event_id, time=time, received_at=received_at or time, **(defaults | fields))


def sample_verification(event_id: str, time: datetime, *, received_at: datetime | None = None, **fields: Any) -> Event:
    """A valid verification of ak_1 of api_1 in acme, spending a credit in 2 ms, received when it was made."""
    defaults: dict[str, Any] = {
        "org_slug": "acme",
        "api_id": "api_1",
        "key_id": "ak_1",
        "identity": "",
        "code": Code.VALID,
        "tags": (),
        "credits": 1,
        "latency_ms": 2.0,
    }
    return verification_event(event_id=event_id, time=time, received_at=received_at or time, **(defaults | fields))
