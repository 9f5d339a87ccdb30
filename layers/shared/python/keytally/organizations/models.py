"""Response models of `GET /v1/organizations` and of an organization's members; the members requests."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from keytally.models import Membership, Organization, Role, Scope, User


class OrganizationAccess(BaseModel):
    """An organization the credential may access, and what it may do there."""

    organizationSlug: str
    name: str
    created_time: datetime
    role: Role | None = Field(
        description="The user's membership role; null for an organization key, and for staff outside their memberships."
    )
    staff: bool = Field(description="The credential acts for platform staff, who may access every organization.")
    scope_names: list[Scope] = Field(
        description="What the credential may do there: its scopes within its role (a read-only token's: only those "
        "that read)."
    )
    read_only: bool = Field(
        description="A read-only token: GET, HEAD and OPTIONS only (and POST /v1/organizations/metrics, a query)."
    )

    @classmethod
    def of(
        cls, org: Organization, role: Role | None, staff: bool, scopes: frozenset[Scope], read_only: bool
    ) -> OrganizationAccess:
        return cls(
            read_only=read_only,
            organizationSlug=org.slug,
            name=org.name,
            created_time=org.created_time,
            role=role,
            staff=staff,
            scope_names=sorted(scopes, key=lambda scope: scope.value),
        )


class Member(BaseModel):
    """A user's membership of the organization."""

    user_id: str
    email: str | None = Field(description="null only if the user's profile could not be read.")
    role: Role
    is_active: bool = Field(description="An inactive membership grants nothing until activated again.")

    @classmethod
    def of(cls, membership: Membership, user: User | None) -> Member:
        return cls(
            user_id=membership.user_id,
            email=user.email if user else None,
            role=membership.role,
            is_active=membership.is_active,
        )


class AddMember(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254, description="The email of an existing user.")
    role: Role


class UpdateMember(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    is_active: StrictBool | None = None
