"""Request and response models of the personal-access-token API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from keytally.fields import ID_PATTERN, Slug
from keytally.models import TokenRecord

DEFAULT_LIFETIME_DAYS, MAX_LIFETIME_DAYS = 90, 365


class CreatePersonalAccessToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="What the token is for.")
    read_only: StrictBool = Field(False, description="Only GET, HEAD and OPTIONS, anywhere in the API.")
    access_global_metrics: StrictBool = Field(False, description="GET /v1/metrics/all; staff only.")
    organizationSlug: Slug | None = Field(
        None,
        description="Binds the token to this organization (one where its user is an active member, or any for "
        "staff); a token created by a bound token is bound to the same one.",
    )
    expires_in_days: StrictInt = Field(DEFAULT_LIFETIME_DAYS, ge=1, le=MAX_LIFETIME_DAYS)


class PersonalAccessToken(BaseModel):
    pat_id: str = Field(max_length=50, pattern=ID_PATTERN)
    name: str = Field(max_length=200)
    access_token: str | None = Field(
        None, max_length=4096, description="The token itself (a JWT): only in the create response."
    )
    read_only: bool
    access_global_metrics: bool
    organization_slug: str | None
    scope_names: list[str] = Field(max_length=100, description="What the creating credential held; never more.")
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, record: TokenRecord, access_token: str | None = None) -> PersonalAccessToken:
        return cls(
            pat_id=record.pat_id,
            name=record.name,
            access_token=access_token,
            read_only=record.read_only,
            access_global_metrics=record.access_global_metrics,
            organization_slug=record.org_slug,
            scope_names=[scope.value for scope in record.scope_names],
            created_at=record.created_at,
            expires_at=record.expires_at,
            last_used_at=record.last_used_at,
            revoked_at=record.revoked_at,
        )
