"""Request and response of POST /v1/events: a batch of request-log events and what became of each."""

from __future__ import annotations

import enum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from keytally.fields import IpAddress, Slug, Tag

MAX_BATCH = 1000
HttpMethod = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]


class RequestLogEvent(BaseModel):
    """One request your API served, made with one of your organization's keys or with none."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="Your id for the event (printable ASCII, no spaces); a retry sends it again.",
    )
    time: AwareDatetime = Field(description="When the request was served (ISO 8601 with a zone, or unix time).")
    api_key_id: str | None = Field(
        None,
        min_length=1,
        max_length=50,
        description="The keytally key the request was made with; omitted or null for a request made with none "
        "(request analytics count those under a null key).",
    )
    endpoint: str = Field(
        min_length=1, max_length=512, description="The path the request asked for.", examples=["/v1/things/42"]
    )
    route: str | None = Field(
        None,
        min_length=1,
        max_length=512,
        description="The route template the path matched. Given, analytics count the request under it instead of "
        "`endpoint` (and `endpoint` filters name it), so identifiers in paths do not make an endpoint each.",
        examples=["/v1/things/{id}"],
    )
    method: HttpMethod
    status: StrictInt = Field(ge=100, le=599)
    latency_ms: StrictFloat = Field(ge=0, le=3_600_000)
    ip: IpAddress = Field(description="The client's address.")
    tags: list[Tag] = Field([], max_length=10)


class IngestEvents(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organizationSlug: Slug | None = Field(None, description="Defaults to the calling key's organization.")
    events: Annotated[list[RequestLogEvent], Field(min_length=1, max_length=MAX_BATCH)]


class Outcome(str, enum.Enum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class Reason(str, enum.Enum):
    UNKNOWN_API_KEY = "unknown_api_key"  # also another organization's key: its existence is not revealed
    TOO_OLD = "too_old"
    IN_THE_FUTURE = "in_the_future"
    NOT_STORED = "not_stored"  # the store kept refusing; send the event again


class EventResult(BaseModel):
    event_id: str
    result: Outcome
    reason: Reason | None = None
    retryable: bool | None = Field(None, description="For a rejection: whether sending the event again may work.")


class IngestResult(BaseModel):
    accepted: int
    duplicates: int
    rejected: int
    results: list[EventResult] = Field(description="One per submitted event, in the order submitted.")
