"""A small world of organizations, users and keys for the authorization and API tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from keytally import admin
from keytally.api_keys.models import CreateApiKey
from keytally.models import Role

ACME, BETA = "acme-org", "beta-org"


@dataclass
class World:
    keys: dict[str, str] = field(default_factory=dict)  # label -> key value
    ids: dict[str, str] = field(default_factory=dict)  # label -> api_key_id

    def issue(self, label: str, *, org: str | None = None, user: str | None = None, **fields: Any) -> str:
        request = CreateApiKey(key_type="user" if user else "organization", description=label, **fields)
        record, value = admin.create_key(request, datetime.now(UTC), org_slug=org, user_email=user)
        self.keys[label], self.ids[label] = value, record.api_key_id
        return value


def build_world() -> World:
    now = datetime.now(UTC)
    for slug in (ACME, BETA):
        admin.create_organization(slug, None, now)
    for email, staff in (
        ("owner@acme.test", False),
        ("admin@acme.test", False),
        ("both@test.test", False),
        ("nobody@test.test", False),
        ("staff@keytally.test", True),
    ):
        admin.create_user(email, is_staff=staff, now=now)
    admin.add_member(ACME, "owner@acme.test", Role.OWNER)
    admin.add_member(ACME, "admin@acme.test", Role.ADMIN)
    admin.add_member(ACME, "both@test.test", Role.OWNER)
    admin.add_member(BETA, "both@test.test", Role.MEMBER)

    world = World()
    past = now - timedelta(days=1)
    world.issue("acme", org=ACME)
    world.issue("beta", org=BETA)
    for kind, owner in (("org", {"org": ACME}), ("user", {"user": "owner@acme.test"})):
        world.issue(f"{kind}-disabled", is_enabled=False, **owner)
        world.issue(f"{kind}-expired", expires_at=past, **owner)
        world.issue(f"{kind}-revoked", **owner)
        admin.revoke_key(world.ids[f"{kind}-revoked"], now)
        world.issue(f"{kind}-wrong-ip", allow_ips=["10.0.0.0/8", "2001:db8::/32"], **owner)
        world.issue(f"{kind}-right-ip", allow_ips=["127.0.0.0/8"], **owner)
        world.issue(f"{kind}-no-scope", scope_names=["analytics:read"], **owner)
    world.issue("owner", user="owner@acme.test")
    world.issue("admin", user="admin@acme.test")
    world.issue("both", user="both@test.test")
    world.issue("nobody", user="nobody@test.test")
    world.issue("staff", user="staff@keytally.test")
    return world
