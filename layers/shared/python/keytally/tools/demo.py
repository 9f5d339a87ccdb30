"""Demo data: two organizations, users with memberships in one and both, a staff user, keys of every kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from keytally import accounts
from keytally.apikeys import service
from keytally.apikeys.models import CreateApiKey, CreateKeyspace
from keytally.auth.scopes import Role
from keytally.storage import accounts as account_store

ORGS = {"acme-org": "Acme Corporation", "beta-org": "Beta Industries"}
USERS = {  # email: (staff, {org: role})
    "alice@acme.example": (False, {"acme-org": Role.OWNER}),
    "bob@example.com": (False, {"acme-org": Role.ADMIN, "beta-org": Role.MEMBER}),
    "carol@beta.example": (False, {"beta-org": Role.OWNER}),
    "staff@keytally.example": (True, {}),
}


@dataclass(frozen=True)
class DemoKey:
    label: str
    api_key_id: str
    key_value: str


def seed() -> list[DemoKey]:
    """Creates what is missing (organizations and users are kept if present) and issues fresh keys."""
    now = datetime.now(UTC)
    for slug, name in ORGS.items():
        if account_store.get_organization(slug) is None:
            accounts.create_organization(slug, name, now)
            service.create_keyspace(None, CreateKeyspace(name=f"{name} public API", organizationSlug=slug), now)
    for email, (is_staff, roles) in USERS.items():
        if account_store.get_user_by_email(email) is None:
            accounts.create_user(email, is_staff=is_staff, now=now)
        for slug, role in roles.items():
            accounts.add_member(slug, email, role)

    keys = []
    for slug in ORGS:
        record, value = service.issue_key(
            CreateApiKey(description=f"{slug} organization key"), org_slug=slug, user=None, now=now
        )
        keys.append(DemoKey(f"organization key of {slug}", record.api_key_id, value))
    for email in USERS:
        record, value = service.issue_key(
            CreateApiKey(key_type="user", description=f"{email} user key"),
            org_slug=None,
            user=accounts.find_user(email),
            now=now,
        )
        keys.append(DemoKey(f"user key of {email}", record.api_key_id, value))
    return keys
