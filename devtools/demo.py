"""Demo data: two organizations, users with memberships in one and both, a staff user, keys of every kind, and
for each new organization an API with product keys and 30 days of usage (left for the rollup to find)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from devtools import demo_usage
from keytally import admin
from keytally.api_keys.models import CreateApiKey, RateLimitRequest, RefillRequest
from keytally.errors import NotFound
from keytally.models import KeyRecord, Organization, Role
from keytally.tokens.models import CreatePersonalAccessToken

ORGS = {"acme-org": "Acme Corporation", "beta-org": "Beta Industries"}
USERS = {  # email: (staff, {org: role})
    "alice@acme.example": (False, {"acme-org": Role.OWNER}),
    "bob@example.com": (False, {"acme-org": Role.ADMIN, "beta-org": Role.MEMBER}),
    "carol@beta.example": (False, {"beta-org": Role.OWNER}),
    "staff@keytally.example": (True, {}),
}
CUSTOMERS = {  # external_id: what its product key carries
    "cust_hooli": {"remaining": 50_000, "refill": RefillRequest(interval="monthly", amount=50_000)},
    "cust_initech": {"ratelimit": RateLimitRequest(limit=100, duration=60_000)},
    "cust_globex": {"permissions": ["orders:read"]},
    "cust_umbrella": {"remaining": 1_000},
    "cust_stark": {},
}


@dataclass(frozen=True)
class DemoKey:
    label: str
    api_key_id: str
    key_value: str


@dataclass
class DemoToken:
    label: str
    pat_id: str
    access_token: str


@dataclass
class Demo:
    keys: list[DemoKey] = field(default_factory=list)
    tokens: list[DemoToken] = field(default_factory=list)
    apis: dict[str, str] = field(default_factory=dict)  # org slug -> api_id of its public API
    events: int = 0  # usage events seeded


def seed() -> Demo:
    """Creates what is missing (organizations and users are kept if present) and issues fresh keys and a read-only
    personal access token of acme-org's owner. A new
    organization is dated 31 days back and gets its API, product keys and 30 days of usage. Analytics are exact at
    once (they read the raw tail); the rollup makes them cheap."""
    now = datetime.now(UTC)
    demo = Demo()
    for slug, name in ORGS.items():
        try:
            demo.apis[slug] = admin.list_apis(slug)[0].api_id
        except NotFound:
            demo.events += _new_organization(demo, admin.create_organization(slug, name, now - timedelta(days=31)), now)
    for email, (is_staff, roles) in USERS.items():
        try:
            admin.find_user(email)
        except NotFound:
            admin.create_user(email, is_staff=is_staff, now=now)
        for slug, role in roles.items():
            admin.add_member(slug, email, role)

    for slug in ORGS:
        record, value = admin.create_key(CreateApiKey(description=f"{slug} organization key"), now, org_slug=slug)
        demo.keys.append(DemoKey(f"organization key of {slug}", record.api_key_id, value))
    for email in USERS:
        record, value = admin.create_key(
            CreateApiKey(key_type="user", description=f"{email} user key"), now, user_email=email
        )
        demo.keys.append(DemoKey(f"user key of {email}", record.api_key_id, value))
    owner, org = "alice@acme.example", "acme-org"  # its owner (USERS)
    request = CreatePersonalAccessToken(name="demo dashboard", read_only=True, organizationSlug=org)
    token, value = admin.create_token(owner, request, now)
    demo.tokens.append(DemoToken(f"read-only token of {owner} ({org})", token.pat_id, value))
    return demo


def _new_organization(demo: Demo, org: Organization, now: datetime) -> int:
    """Its public API and a product key per customer (the first one shown), then the usage history."""
    api = admin.create_api(org.slug, f"{org.name} public API", org.created_time)
    demo.apis[org.slug] = api.api_id
    products: list[KeyRecord] = []
    for external_id, fields in CUSTOMERS.items():
        request = CreateApiKey(api_id=api.api_id, external_id=external_id, description=external_id, **fields)
        record, value = admin.create_key(request, org.created_time)
        products.append(record)
        if len(products) == 1:
            demo.keys.append(DemoKey(f"product key of {org.slug} ({external_id})", record.api_key_id, value))
    events = demo_usage.history(org.slug, api.api_id, products, now)
    admin.load_events(events)
    return len(events)
