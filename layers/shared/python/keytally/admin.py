"""What an operator does (the `keytally` CLI, demo data): create and list organizations, users, memberships, APIs,
keys and personal access tokens; change or remove memberships, change users (staff, disabled); revoke keys and
tokens; load usage history. A change to a user or a membership counts from the next request of every key and token
of that user. The same services the API uses, without a
caller to authorize: an operator may act in every organization, but only in ones that exist."""

from __future__ import annotations

import re
from datetime import datetime

from keytally.api_keys import service as key_service
from keytally.api_keys.models import CreateApiKey
from keytally.apis import service as api_service
from keytally.apis.models import CreateApi
from keytally.auth import secrets
from keytally.errors import NotFound, ServiceUnavailable, Unprocessable
from keytally.models import ALL_SCOPES, ApiRecord, KeyRecord, Membership, Organization, Role, TokenRecord, User
from keytally.organizations import members
from keytally.organizations.models import UpdateMember
from keytally.storage import accounts, apis
from keytally.storage import tokens as token_rows
from keytally.storage.event_log import event_log
from keytally.timeseries.records import Event
from keytally.tokens import service as token_service
from keytally.tokens.models import CreatePersonalAccessToken

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def create_organization(slug: str, name: str | None, now: datetime) -> Organization:
    if not SLUG.match(slug):
        raise Unprocessable("slug: lowercase letters, digits and '-', at most 64 characters")
    organization = Organization(slug=slug, name=name or slug, created_time=now)
    accounts.create_organization(organization)
    return organization


def find_organization(slug: str) -> Organization:
    organization = accounts.get_organization(slug)
    if organization is None:
        raise NotFound(f"Organization '{slug}' does not exist.")
    return organization


def create_user(email: str, *, is_staff: bool, now: datetime) -> User:
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise Unprocessable(f"email: '{email}' is not an email address")
    user = User(user_id=secrets.new_id("usr_"), email=email, is_staff=is_staff, created_time=now)
    accounts.create_user(user)
    return user


def find_user(email: str) -> User:
    user = accounts.get_user_by_email(email.strip().lower())
    if user is None:
        raise NotFound(f"No user with email '{email}'.")
    return user


def update_user(email: str, *, is_staff: bool | None = None, is_disabled: bool | None = None) -> User:
    changes = {
        name: value for name, value in (("is_staff", is_staff), ("is_disabled", is_disabled)) if value is not None
    }
    user = find_user(email)
    if not changes:
        return user
    updated = accounts.update_user(user.user_id, changes)
    if updated is None:
        raise NotFound(f"No user with email '{email}'.")
    return updated


def list_users() -> list[User]:
    return sorted(accounts.list_users(), key=lambda user: user.email)


def list_organizations() -> list[Organization]:
    return sorted(accounts.list_organizations(), key=lambda org: org.slug)


def add_member(org_slug: str, email: str, role: Role, *, is_active: bool = True) -> Membership:
    """Adds the user to the organization, or changes the role they have there (and whether it is active)."""
    find_organization(org_slug)
    membership = Membership(org_slug=org_slug, user_id=find_user(email).user_id, role=role, is_active=is_active)
    accounts.put_membership(membership)
    return membership


def update_member(org_slug: str, email: str, *, role: Role | None = None, is_active: bool | None = None) -> Membership:
    """Changes the role or whether the membership is active; the last active owner stays one (409)."""
    changes = UpdateMember(role=role, is_active=is_active)
    return members.update_member(None, find_organization(org_slug).slug, find_user(email).user_id, changes)[0]


def remove_member(org_slug: str, email: str) -> Membership:
    """Takes the user out of the organization; not the last active owner (409)."""
    return members.remove_member(None, find_organization(org_slug).slug, find_user(email).user_id)[0]


def list_members(org_slug: str) -> list[tuple[Membership, User | None]]:
    return members.members_with_users(find_organization(org_slug).slug)


def create_api(org_slug: str, name: str, now: datetime) -> ApiRecord:
    request = CreateApi(name=name, organizationSlug=org_slug)  # the API's own validation of the name
    return api_service.new_api(find_organization(org_slug).slug, request.name, now)


def list_apis(org_slug: str) -> list[ApiRecord]:
    return apis.list_apis(find_organization(org_slug).slug)


def create_key(
    request: CreateApiKey, now: datetime, *, org_slug: str | None = None, user_email: str | None = None
) -> tuple[KeyRecord, str]:
    """An organization key (`org_slug`), a user key (`user_email`) or a product key (`request.api_id`: its
    organization is the API's). Returns the key with its secret, shown this once."""
    if request.api_id is not None:
        api = apis.get_api(request.api_id)
        if api is None:
            raise NotFound(f"API '{request.api_id}' does not exist.")
        org_slug = api.org_slug
    elif org_slug is not None:
        find_organization(org_slug)
    user = find_user(user_email) if user_email else None
    return key_service.issue_key(request, org_slug=org_slug, user=user, now=now)


def revoke_key(api_key_id: str, now: datetime) -> KeyRecord:
    return key_service.revoke_key(None, api_key_id, now)


def create_token(email: str, request: CreatePersonalAccessToken, now: datetime) -> tuple[TokenRecord, str]:
    """A token of the user with every scope (within their role), under the API's rules: global metrics only for a
    staff user, an organization only where the user is an active member (staff: any)."""
    account = accounts.get_user_with_memberships(find_user(email).user_id)
    if account is None:
        raise NotFound(f"No user with email '{email}'.")
    return token_service.issue_token(account, request, ALL_SCOPES, request.organizationSlug, now)


def revoke_token(pat_id: str, now: datetime) -> TokenRecord:
    """Any user's token; idempotent."""
    record = token_rows.get_token(pat_id)
    revoked = token_rows.revoke_token(pat_id, record.user_id, now) if record else None
    if revoked is None:
        raise NotFound(f"Personal access token '{pat_id}' does not exist.")
    return revoked


def load_events(events: list[Event]) -> None:
    """Stores usage history as it happened (demo data); raises if the store refused any of it."""
    if event_log().put_events(events):
        raise ServiceUnavailable("The store refused some events; start from empty tables and load them again.")
