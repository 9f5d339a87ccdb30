"""Organizations, users and memberships: the operator's actions (the CLI and demo data use them)."""

from __future__ import annotations

import re
from datetime import datetime

from keytally.auth import secrets
from keytally.auth.scopes import Role
from keytally.errors import NotFound, Unprocessable
from keytally.models import Membership, Organization, User
from keytally.storage import accounts

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def create_organization(slug: str, name: str | None, now: datetime) -> Organization:
    if not SLUG.match(slug):
        raise Unprocessable("slug: lowercase letters, digits and '-', at most 64 characters")
    organization = Organization(slug=slug, name=name or slug, created_time=now)
    accounts.create_organization(organization)
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
    if accounts.get_organization(org_slug) is None:
        raise NotFound(f"Organization '{org_slug}' does not exist.")
    membership = Membership(org_slug=org_slug, user_id=find_user(email).user_id, role=role)
    accounts.put_membership(membership)
    return membership
