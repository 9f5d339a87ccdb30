"""What an operator does (the `keytally` CLI, demo data): create organizations, users, memberships, APIs, keys
and personal access tokens, revoke keys and tokens, load usage history. The same services the API uses, without a
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


def add_member(org_slug: str, email: str, role: Role) -> Membership:
    """Adds the user to the organization, or changes the role they have there."""
    find_organization(org_slug)
    membership = Membership(org_slug=org_slug, user_id=find_user(email).user_id, role=role)
    accounts.put_membership(membership)
    return membership


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
