"""An organization's team: who is a member, in which role, and changing that — by its owners (and whoever holds
`members:write` there) through the API, or by an operator.

Least privilege, as for keys: a caller may give, change or take away only a role whose scopes are within its own
in the organization (an admin can neither make nor touch an owner); anyone may leave; the last active owner can
be neither removed, deactivated nor lowered (409). A change counts from the next request of every key and token of
the member (credentials read their user and memberships as stored, on every request)."""

from __future__ import annotations

from keytally.access import organization_for
from keytally.auth.principal import Principal
from keytally.auth.scopes import ROLE_SCOPES
from keytally.errors import Conflict, Forbidden, NotFound
from keytally.models import Membership, Role, Scope, User
from keytally.organizations.models import UpdateMember
from keytally.storage import accounts


def members_with_users(org_slug: str) -> list[tuple[Membership, User | None]]:
    """The organization's memberships with their users (one Query, one BatchGetItem per 100), by email."""
    memberships = accounts.members_of(org_slug)
    users = accounts.users_by_id({membership.user_id for membership in memberships})
    listed = [(membership, users.get(membership.user_id)) for membership in memberships]
    return sorted(listed, key=lambda pair: (pair[1].email if pair[1] else "", pair[0].user_id))


def _membership_of(memberships: list[Membership], org_slug: str, user_id: str) -> Membership:
    found = next((m for m in memberships if m.user_id == user_id), None)
    if found is None:
        raise NotFound(f"User '{user_id}' is not a member of '{org_slug}'.")
    return found


def list_members(principal: Principal, org_slug: str) -> list[tuple[Membership, User | None]]:
    return members_with_users(organization_for(principal, org_slug, Scope.MEMBERS_READ))


def add_member(principal: Principal, org_slug: str, email: str, role: Role) -> tuple[Membership, User]:
    """An existing user, not yet a member (409 otherwise: change a member with update_member)."""
    org_slug = organization_for(principal, org_slug, Scope.MEMBERS_WRITE)
    _require_within(principal, org_slug, role)
    user = accounts.get_user_by_email(email.strip().lower())
    if user is None:
        raise NotFound(f"No user with email '{email}': the user must exist before joining.")
    if any(m.user_id == user.user_id for m in accounts.members_of(org_slug)):
        raise Conflict(f"{user.email} is a member of '{org_slug}' already: change the membership instead.")
    membership = Membership(org_slug=org_slug, user_id=user.user_id, role=role)
    accounts.put_membership(membership)
    return membership, user


def update_member(
    principal: Principal | None, org_slug: str, user_id: str, changes: UpdateMember
) -> tuple[Membership, User | None]:
    """Changes the role and whether the membership is active (only what is sent). None: an operator."""
    if principal is not None:
        org_slug = organization_for(principal, org_slug, Scope.MEMBERS_WRITE)
    memberships = accounts.members_of(org_slug)
    current = _membership_of(memberships, org_slug, user_id)
    updated = current.model_copy(update=changes.model_dump(exclude_none=True))
    if principal is not None:
        _require_within(principal, org_slug, current.role)
        _require_within(principal, org_slug, updated.role)
    if not (updated.is_active and updated.role is Role.OWNER):
        _keep_an_owner(memberships, org_slug, current)
    accounts.put_membership(updated)
    return updated, _user(user_id)


def remove_member(principal: Principal | None, org_slug: str, user_id: str) -> tuple[Membership, User | None]:
    """Anyone may leave; taking someone else out needs `members:write` and a role within the caller's. None: an
    operator. A second removal is 404."""
    leaving = principal is not None and principal.user_id == user_id and principal.org_slug in (None, org_slug)
    if principal is not None:
        org_slug = organization_for(principal, org_slug, Scope.MEMBERS_READ if leaving else Scope.MEMBERS_WRITE)
    memberships = accounts.members_of(org_slug)
    current = _membership_of(memberships, org_slug, user_id)
    if principal is not None and not leaving:
        _require_within(principal, org_slug, current.role)
    _keep_an_owner(memberships, org_slug, current)
    accounts.remove_membership(org_slug, user_id)
    return current, _user(user_id)


def _user(user_id: str) -> User | None:
    return accounts.users_by_id({user_id}).get(user_id)


def _require_within(principal: Principal, org_slug: str, role: Role) -> None:
    if not ROLE_SCOPES[role] <= principal.scopes_in(org_slug):
        raise Forbidden(f"The caller may not give, change or take away the role '{role.value}': it holds less.")


def _keep_an_owner(memberships: list[Membership], org_slug: str, leaving: Membership) -> None:
    """The change takes `leaving` out of the active owners: refused if no other would remain."""
    if not (leaving.is_active and leaving.role is Role.OWNER):
        return
    owners = [m for m in memberships if m.is_active and m.role is Role.OWNER]
    if all(owner.user_id == leaving.user_id for owner in owners):
        raise Conflict(f"'{org_slug}' would have no active owner left: make another member owner first.")
