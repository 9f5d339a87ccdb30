"""Request events for tests: one served request with plain defaults, any field overridden."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from keytally.models import RequestSource
from keytally.timeseries.records import Event
from keytally.usage.events import request_event


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
