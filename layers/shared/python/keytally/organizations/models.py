"""Response model of `GET /v1/organizations`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from keytally.models import Organization, Role, Scope


class OrganizationAccess(BaseModel):
    """An organization the credential may access, and what it may do there."""

    organizationSlug: str
    name: str
    created_time: datetime
    role: Role | None = Field(
        description="The user's membership role; null for an organization key, and for staff outside their memberships."
    )
    staff: bool = Field(description="The credential acts for platform staff, who may access every organization.")
    scope_names: list[Scope] = Field(description="What the credential may do there: its scopes within its role.")

    @classmethod
    def of(cls, org: Organization, role: Role | None, staff: bool, scopes: frozenset[Scope]) -> OrganizationAccess:
        return cls(
            organizationSlug=org.slug,
            name=org.name,
            created_time=org.created_time,
            role=role,
            staff=staff,
            scope_names=sorted(scopes, key=lambda scope: scope.value),
        )
