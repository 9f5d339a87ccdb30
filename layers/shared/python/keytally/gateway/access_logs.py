"""A protected gateway's access logs, as a CloudWatch Logs subscription delivers them, turned into request events:
the same events POST /v1/events stores (source `ingested`, counted under the route), in the organization of the
keytally API the gateway is bound to, idempotent on API Gateway's request id (a delivery made again stores nothing
twice). A line that is not the documented format (docs/gateway.md), a gateway bound to nothing, a key of another
organization, a time beyond the raw retention: skipped, counted and logged, never an error. Events neither the table
nor the spill queue took raise, so that Lambda invokes the function with the whole delivery again."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Any, NamedTuple

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from keytally.access import bound_api
from keytally.errors import ServiceUnavailable
from keytally.fields import LATEST_INSTANT, IpAddress
from keytally.gateway.binding import binding_of
from keytally.ingest.models import HttpMethod
from keytally.ingest.service import key_owners, rejection, store_new
from keytally.models import RequestSource
from keytally.observability import logger, metrics
from keytally.timeseries.records import Event
from keytally.usage.events import request_event


def _absent_as_none(value: Any) -> Any:
    """API Gateway writes `-` for a variable without a value (no authorizer context: no key)."""
    return None if value in ("-", "") else value


class AccessLogLine(BaseModel):
    """One line of the access log format docs/gateway.md gives (every value a JSON string, as API Gateway writes
    them; numbers are read from their text)."""

    model_config = ConfigDict(extra="ignore")

    requestId: str = Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
    apiId: str = Field(min_length=1, max_length=64)
    routeKey: str = Field(min_length=1, max_length=600)
    path: str = Field(min_length=1, max_length=2048)
    httpMethod: HttpMethod
    status: int = Field(ge=100, le=599)
    responseLatency: float = Field(ge=0, le=3_600_000)
    requestTimeEpoch: int = Field(gt=0, le=int(LATEST_INSTANT.timestamp() * 1000))  # past it: no datetime to take it
    sourceIp: IpAddress
    keyId: Annotated[Annotated[str, Field(max_length=50)] | None, BeforeValidator(_absent_as_none)] = None


class Delivered(NamedTuple):
    accepted: int
    duplicates: int
    skipped: Counter[str]  # why, how many


def ingest(messages: list[str], now: datetime) -> Delivered:
    """Stores the request events of a delivery's log messages; raises ServiceUnavailable when some could be stored
    nowhere (the delivery is to come again)."""
    skipped: Counter[str] = Counter()
    lines: dict[str, AccessLogLine] = {}  # by request id: a request logged twice is one request
    repeated = 0
    for message in messages:
        try:
            line = AccessLogLine.model_validate(json.loads(message))
        except (ValueError, ValidationError):
            skipped["not_the_access_log_format"] += 1
            continue
        repeated += line.requestId in lines
        lines[line.requestId] = line
    events = _events(list(lines.values()), now, skipped)
    duplicates, unstored = store_new(events)
    delivered = Delivered(len(events) - len(duplicates) - len(unstored), len(duplicates) + repeated, skipped)
    if skipped:
        metrics.add_metric(name="AccessLogLinesSkipped", unit="Count", value=sum(skipped.values()))
        logger.warning("Access log lines skipped", extra={"skipped": dict(skipped)})
    if unstored:
        raise ServiceUnavailable(f"{len(unstored)} request events could be stored nowhere; the delivery is retried.")
    return delivered


def _events(lines: list[AccessLogLine], now: datetime, skipped: Counter[str]) -> list[Event]:
    organizations = {gateway: _organization_of(gateway) for gateway in {line.apiId for line in lines}}
    owners = key_owners({line.keyId for line in lines if line.keyId is not None})
    events = []
    for line in lines:
        org_slug, time = organizations[line.apiId], datetime.fromtimestamp(line.requestTimeEpoch / 1000, UTC)
        reason = rejection(time, now)
        if org_slug is None:
            skipped["gateway_not_bound"] += 1
        elif line.keyId is not None and owners.get(line.keyId) != org_slug:
            skipped["unknown_api_key"] += 1
        elif reason is not None:
            skipped[reason.value] += 1
        else:
            events.append(_event(line, org_slug, time, now))
    return events


def _organization_of(gateway_api_id: str) -> str | None:
    binding = binding_of(gateway_api_id)
    api = bound_api(binding.apiId) if binding is not None else None
    return api.org_slug if api is not None else None


def _event(line: AccessLogLine, org_slug: str, time: datetime, now: datetime) -> Event:
    _, _, route = line.routeKey.partition(" ")  # `GET /orders/{id}`; `$default` has none: the path is the endpoint
    return request_event(
        source=RequestSource.INGESTED,
        event_id=line.requestId,
        org_slug=org_slug,
        time=time,
        received_at=now,
        key_id=line.keyId or "",
        endpoint=route or line.path,
        path=line.path if route and route != line.path else "",
        method=line.httpMethod,
        status=line.status,
        ip=line.sourceIp,
        latency_ms=line.responseLatency,
    )
