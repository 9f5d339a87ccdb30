"""Which organizations a credential may access: an organization-bound credential its own (a token bound there only
while its user may still access it), staff every one, a user's credential those where the user is an active member.
Never another: the list is filtered by the same rule every route applies (`Principal.may_access`)."""

from __future__ import annotations

from keytally.auth.principal import Principal
from keytally.models import Organization
from keytally.organizations.models import OrganizationAccess
from keytally.storage import accounts


def accessible(principal: Principal) -> list[OrganizationAccess]:
    """Sorted by slug."""
    organizations: list[Organization]
    if principal.org_slug is not None:
        organizations = _found([principal.org_slug])
    elif principal.is_staff:
        organizations = accounts.list_organizations()
    elif principal.account is not None:
        organizations = _found([m.org_slug for m in principal.account.memberships if m.is_active])
    else:
        organizations = []
    return [
        OrganizationAccess.of(
            org,
            principal.account.role_in(org.slug) if principal.account else None,
            principal.is_staff,
            principal.scopes_in(org.slug),
            principal.read_only,
        )
        for org in sorted(organizations, key=lambda org: org.slug)
        if principal.may_access(org.slug)
    ]


def _found(slugs: list[str]) -> list[Organization]:
    return [org for org in map(accounts.get_organization, sorted(set(slugs))) if org is not None]
