"""Request and answer of POST /v1/organizations/metrics (ChainPatrol's Get Organization Metrics). The seed names the
request; the answer is keytally's, its counters spelled as verification analytics spell them."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

DATE_OR_INSTANT = "A date (YYYY-MM-DD, UTC) or an ISO 8601 instant with its offset."


class OrganizationMetricsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organizationSlug: str = Field(
        min_length=1,
        max_length=64,
        description="The organization. Anything that is not exactly an organization the caller may access (another "
        "case, a trailing space) is the seed's 403, as another organization's slug is.",
    )
    startDate: AwareDatetime | date | None = Field(
        None,
        union_mode="left_to_right",  # an instant at midnight stays an instant, not a whole day
        description=f"{DATE_OR_INSTANT} Default: all time, from the oldest request log the organization could send "
        "(its creation less the raw retention, 35 days).",
    )
    endDate: AwareDatetime | date | None = Field(
        None,
        union_mode="left_to_right",
        description=f"{DATE_OR_INSTANT} A date includes its whole day. Default: now.",
    )

    @field_validator("startDate", "endDate", mode="before")
    @classmethod
    def _as_text(cls, value: object) -> object:
        """Dates travel as text (or as dates, from Python): a number is refused rather than read as unix time."""
        if value is not None and not isinstance(value, str | date):
            raise ValueError(f"expected text: {DATE_OR_INSTANT}")
        return value


class VerificationCounts(BaseModel):
    total: int = Field(ge=0)
    valid: int = Field(ge=0)
    notFound: int = Field(ge=0)
    forbidden: int = Field(ge=0)
    usageExceeded: int = Field(ge=0)
    rateLimited: int = Field(ge=0)
    unauthorized: int = Field(ge=0)
    disabled: int = Field(ge=0)
    insufficientPermissions: int = Field(ge=0)
    expired: int = Field(ge=0)


class RequestFigures(BaseModel):
    """Request logs ingested through POST /v1/events. Latency in ms: the average exact, percentiles within 1%."""

    total: int = Field(ge=0)
    success: int = Field(ge=0, description="Status below 400.")
    errors: int = Field(ge=0, description="Status 400 or above.")
    successRatePct: float = Field(ge=0, le=100, description="0-100, 2 decimals.")
    avgLatencyMs: float = Field(ge=0)
    p50LatencyMs: float = Field(ge=0)
    p95LatencyMs: float = Field(ge=0)
    p99LatencyMs: float = Field(ge=0)


class KeyCounts(BaseModel):
    """The organization's keys (its own and its APIs' product keys), in the state they had at endDate: each counted in
    one of active, disabled, expired, revoked (revoked first, then expired). From the organization's key census,
    history included: a key disabled after endDate counts as active (a census built for keys older than it counts
    each in its state at the time it was built, from its creation on)."""

    total: int = Field(ge=0, description="Created before endDate.")
    active: int = Field(ge=0)
    disabled: int = Field(ge=0)
    expired: int = Field(ge=0)
    revoked: int = Field(ge=0)
    createdInRange: int = Field(ge=0)
    usedInRange: int = Field(ge=0, description="Distinct keys verified, or named by a request, in the range.")
    usedInRangeErrorPct: float = Field(
        ge=0,
        description="0: usedInRange is exact. Otherwise (more than 200 keys in one hour) an estimate within this "
        "percentage of the true count, with about 95% confidence.",
    )


class OrganizationMetrics(BaseModel):
    organizationSlug: str
    startDate: datetime = Field(description="The range's start as resolved: whole hours, UTC.")
    endDate: datetime = Field(description="The range's end (exclusive) as resolved: whole hours, UTC.")
    verifications: VerificationCounts
    creditsSpent: int = Field(ge=0)
    identities: int = Field(ge=0, description="Distinct externalIds verified in the range.")
    identitiesErrorPct: float = Field(
        ge=0,
        description="0: identities is exact. Otherwise (more than 200 identities in one hour) an estimate within this "
        "percentage of the true count, with about 95% confidence.",
    )
    requests: RequestFigures
    keys: KeyCounts
    apis: int = Field(ge=0, description="APIs created before endDate.")
