"""Routes of the organizations a credential may access."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from keytally.organizations import service
from keytally.organizations.models import OrganizationAccess
from keytally.web.envelope import Envelope, ok
from keytally.web.routes import protected
from keytally.web.security import Caller

router = APIGatewayHttpRouter()


@protected(
    router,
    "GET",
    "/v1/organizations",
    None,
    summary="List the organizations the credential may access",
    description="With the caller's role and the scopes it may use in each: an organization key or a token bound to "
    "an organization lists that one, a user's credential the organizations where the user is an active member, "
    "staff every organization. Any valid credential may ask.",
    tags=["Organizations"],
)
def list_organizations(caller: Caller) -> Response[Envelope[list[OrganizationAccess]]]:
    return ok(router.context, router.current_event, service.accessible(caller))
