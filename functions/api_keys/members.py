"""Routes of an organization's members: list, add an existing user, change a role or activity, remove."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from keytally.fields import ID_PATTERN
from keytally.models import Scope
from keytally.organizations import members as service
from keytally.organizations.models import AddMember, Member, UpdateMember
from keytally.web.envelope import Envelope, ok
from keytally.web.routes import protected
from keytally.web.security import Caller

router = APIGatewayHttpRouter()
OrganizationSlug = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
UserId = Annotated[str, Path(max_length=50, pattern=ID_PATTERN)]
TAGS = ["Members"]
RULES = (
    "A caller may give, change or take away only a role whose scopes are within its own there (an admin can "
    "neither make nor change an owner); the last active owner cannot be removed, deactivated or lowered (409). "
    "Effective on the next request of every key and token of the member."
)


@protected(
    router,
    "GET",
    "/v1/organizations/<organizationSlug>/members",
    Scope.MEMBERS_READ,
    errors=(404,),
    summary="List an organization's members",
    description="Every membership, inactive ones included, by email.",
    tags=TAGS,
)
def list_members(caller: Caller, organizationSlug: OrganizationSlug) -> Response[Envelope[list[Member]]]:
    listed = [Member.of(membership, user) for membership, user in service.list_members(caller, organizationSlug)]
    return ok(router.context, router.current_event, listed)


@protected(
    router,
    "POST",
    "/v1/organizations/<organizationSlug>/members",
    Scope.MEMBERS_WRITE,
    success=201,
    errors=(404, 409),
    summary="Add an existing user to an organization",
    description=f"A user who is a member already is a 409 (change the membership instead); retrying an add that "
    f"succeeded is a 409 too. {RULES}",
    tags=TAGS,
)
def add_member(
    caller: Caller, organizationSlug: OrganizationSlug, request: Annotated[AddMember, Body()]
) -> Response[Envelope[Member]]:
    membership, user = service.add_member(caller, organizationSlug, request.email, request.role)
    return ok(router.context, router.current_event, Member.of(membership, user), status=201)


@protected(
    router,
    "PATCH",
    "/v1/organizations/<organizationSlug>/members/<user_id>",
    Scope.MEMBERS_WRITE,
    errors=(404, 409),
    summary="Change a member's role, or (de)activate the membership",
    description=f"Changes only the fields sent. Idempotent. {RULES}",
    tags=TAGS,
)
def update_member(
    caller: Caller, organizationSlug: OrganizationSlug, user_id: UserId, request: Annotated[UpdateMember, Body()]
) -> Response[Envelope[Member]]:
    membership, user = service.update_member(caller, organizationSlug, user_id, request)
    return ok(router.context, router.current_event, Member.of(membership, user))


@protected(
    router,
    "DELETE",
    "/v1/organizations/<organizationSlug>/members/<user_id>",
    Scope.MEMBERS_READ,
    errors=(404, 409),
    summary="Remove a member",
    description=f"Anyone may leave (remove themselves); removing another member needs members:write. A second "
    f"removal is a 404. {RULES}",
    tags=TAGS,
)
def remove_member(caller: Caller, organizationSlug: OrganizationSlug, user_id: UserId) -> Response[Envelope[Member]]:
    membership, user = service.remove_member(caller, organizationSlug, user_id)
    return ok(router.context, router.current_event, Member.of(membership, user))
