"""Request and response models of `/v1/apis`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from keytally.fields import Slug
from keytally.models import ApiRecord


class CreateApi(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    organizationSlug: Slug | None = Field(None, description="Defaults to the calling key's organization.")


class Api(BaseModel):
    """An API: product keys are issued and verified inside one."""

    api_id: str
    name: str
    organizationSlug: str
    created_time: datetime

    @classmethod
    def of(cls, record: ApiRecord) -> Api:
        return cls(
            api_id=record.api_id,
            name=record.name,
            organizationSlug=record.org_slug,
            created_time=record.created_time,
        )
