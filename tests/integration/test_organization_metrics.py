"""Organization metrics (POST /v1/organizations/metrics) through the real store (moto) against a brute-force count
of the same events and keys: all time and narrower ranges, with a raw tail and late arrivals, after a full rollup,
and again after every raw event is gone (rollups outlive the raw retention); tenancy; the seed's access rules."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sample_requests import sample_request

from keytally import admin, rollup
from keytally.analytics.organization import get_organization_metrics
from keytally.analytics.organization_models import OrganizationMetricsRequest
from keytally.analytics.outcome_fields import OUTCOME_FIELDS
from keytally.api_keys.models import CreateApiKey
from keytally.auth.principal import CredentialKind, Principal
from keytally.models import ALL_SCOPES, Code, KeyRecord, RequestSource
from keytally.settings import get_settings
from keytally.storage import api_keys
from keytally.storage import events as raw
from keytally.storage.dynamodb import table
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import Event
from keytally.usage.events import verification_event

from world import ACME, BETA

NOW = datetime(2026, 11, 23, 17, 40, tzinfo=UTC)
CREATED = NOW - timedelta(days=50, hours=5)
FIRST_ROLLUP = NOW - timedelta(hours=9, minutes=20)
IDENTITIES = ("cust_1", "cust_2", "cust_3", "cust_4", "")


def principal(org_slug: str) -> Principal:
    return Principal(
        kind=CredentialKind.ORGANIZATION_KEY, credential_id="ak_caller", scopes=frozenset(ALL_SCOPES), org_slug=org_slug
    )


@pytest.fixture
def estate(tables) -> dict[str, list]:
    """acme-org (two APIs, keys in every state, created at different times) and beta-org (one API, one key)."""
    for slug in ("acme-org", "beta-org"):
        admin.create_organization(slug, None, CREATED)
    apis = {
        "acme-org": [
            admin.create_api("acme-org", name, CREATED + timedelta(days=days)) for name, days in (("a", 0), ("b", 20))
        ],
        "beta-org": [admin.create_api("beta-org", "c", CREATED)],
    }
    product = [
        ({"is_enabled": False}, 1),
        ({"expires_at": NOW - timedelta(days=10)}, 2),
        ({"expires_at": NOW + timedelta(days=10)}, 3),
        ({}, 30),
        ({}, 45),
        ({}, 49),
    ]
    for fields, days in product:
        request = CreateApiKey(api_id=apis["acme-org"][0].api_id, external_id="cust_1", **fields)
        admin.create_key(request, CREATED + timedelta(days=days))
    admin.create_key(CreateApiKey(description="ops"), CREATED + timedelta(days=5), org_slug="acme-org")
    revoked, _ = admin.create_key(CreateApiKey(description="old"), CREATED, org_slug="acme-org")
    admin.revoke_key(revoked.api_key_id, NOW - timedelta(days=15))
    admin.create_key(CreateApiKey(description="beta"), CREATED, org_slug="beta-org")
    return apis


def keys_of(org: str) -> list[KeyRecord]:
    return api_keys.keys_of_organization(org)


def events(rng: random.Random, estate: dict, count: int, first: int, received: datetime | None = None) -> list[Event]:
    made: list[Event] = []
    everyone = [key.api_key_id for org in estate for key in keys_of(org)] + ["ak_gone", ""]
    for number in range(first, first + count):
        org = rng.choice(["acme-org"] * 4 + ["beta-org"])
        time = CREATED + timedelta(
            seconds=rng.randint(0, int((Granularity.HOUR.floor(NOW) - CREATED).total_seconds()) - 1)
        )
        if rng.random() < 0.6:
            code = rng.choice(list(Code))
            made.append(
                verification_event(
                    event_id=f"v{number:05d}",
                    org_slug=org,
                    time=time,
                    received_at=received or time,
                    api_id=rng.choice(estate[org]).api_id,
                    key_id=rng.choice(everyone),
                    identity=rng.choice(IDENTITIES),
                    code=code,
                    tags=(),
                    credits=rng.choice([0, 1, 5]) if code is Code.VALID else 0,
                    latency_ms=3.0,
                )
            )
        else:
            made.append(
                sample_request(
                    f"r{number:05d}",
                    time,
                    received_at=received,
                    org_slug=org,
                    source=rng.choice([RequestSource.INGESTED] * 3 + [RequestSource.KEYTALLY]),
                    key_id=rng.choice(everyone),
                    status=rng.choice([200, 201, 302, 400, 404, 500]),
                    latency_ms=round(rng.lognormvariate(4, 1) * 8) / 8,
                )
            )
    return made


@pytest.fixture
def history(estate) -> list[Event]:
    rng = random.Random(3)
    stored = events(rng, estate, 400, 0)
    assert not raw.put_events([e for e in stored if e.received_at <= FIRST_ROLLUP])
    rollup.roll_up_all(FIRST_ROLLUP + rollup.INDEX_LAG)
    late = [e for e in events(rng, estate, 50, 5000, received=NOW - timedelta(minutes=30)) if e.time < FIRST_ROLLUP]
    assert not raw.put_events([e for e in stored if e.received_at > FIRST_ROLLUP] + late)
    return stored + late


def resolved(start: date | datetime | None, end: date | datetime | None) -> tuple[datetime, datetime]:
    def instant(value: date | datetime) -> datetime:
        return value if isinstance(value, datetime) else datetime(value.year, value.month, value.day, tzinfo=UTC)

    first = Granularity.HOUR.floor(instant(start) if start else CREATED - raw.RAW_RETENTION)
    last = instant(end) + timedelta(days=1) if isinstance(end, date) and not isinstance(end, datetime) else end or NOW
    return first, Granularity.HOUR.ceil(last)


def brute_force(org: str, estate: dict, events: list[Event], start, end) -> dict:
    first, last = resolved(start, end)
    mine = [e for e in events if e.org_slug == org and first <= e.time < last]
    verifications = [e for e in mine if e.kind.value == "verification"]
    requests = [e for e in mine if e.kind.value == "request" and e.dimensions["source"] == "ingested"]
    outcomes = Counter(e.dimensions["outcome"] for e in verifications)
    errors = sum(int(e.dimensions["status"]) >= 400 for e in requests)
    latencies = [e.measures["latency_ms"] for e in requests]
    keys = [key for key in keys_of(org) if key.created_time < last]
    used = {e.dimensions["key_id"] for e in mine if e.kind.value == "verification" or "status" in e.dimensions}

    def state(key: KeyRecord) -> str:
        if key.revoked_at and key.revoked_at < last:
            return "revoked"
        if key.expires_at and key.expires_at < last:
            return "expired"
        return "active" if key.is_enabled else "disabled"

    states = Counter(state(key) for key in keys)
    return {
        "organizationSlug": org,
        "startDate": first,
        "endDate": last,
        "verifications": {"total": len(verifications)}
        | {field: outcomes[code.value] for code, field in OUTCOME_FIELDS.items()},
        "creditsSpent": sum(int(e.measures["credits"]) for e in verifications),
        "identities": len({e.dimensions["identity"] for e in verifications} - {""}),
        "identitiesErrorPct": 0.0,
        "requests": {
            "total": len(requests),
            "success": len(requests) - errors,
            "errors": errors,
            "successRatePct": round(100 * (len(requests) - errors) / len(requests), 2) if requests else 0.0,
            "avgLatencyMs": round(sum(latencies) / len(latencies), 2) if latencies else 0.0,
        },
        "keys": {
            "total": len(keys),
            **{name: states[name] for name in ("active", "disabled", "expired", "revoked")},
            "createdInRange": sum(first <= key.created_time < last for key in keys),
            "usedInRange": len(used - {""}),
            "usedInRangeErrorPct": 0.0,
        },
        "apis": sum(api.created_time < last for api in estate[org]),
    }


RANGES = [
    (None, None),  # all time
    (date(2026, 11, 1), date(2026, 11, 20)),
    (datetime(2026, 10, 10, 3, 30, tzinfo=UTC), datetime(2026, 11, 23, 12, 15, tzinfo=UTC)),
    (datetime(2026, 11, 5, 10, 0, tzinfo=timezone(timedelta(hours=-5))), None),
    (date(2026, 11, 23), date(2026, 11, 23)),  # one whole day, the current one
]


def compare_all(estate: dict, events: list[Event], ranges: list = RANGES) -> int:
    for org in ("acme-org", "beta-org"):
        for start, end in ranges:
            request = OrganizationMetricsRequest(organizationSlug=org, startDate=start, endDate=end)
            answer = get_organization_metrics(principal(org), request, NOW).model_dump()
            percentiles = {
                name: answer["requests"].pop(name) for name in ("p50LatencyMs", "p95LatencyMs", "p99LatencyMs")
            }
            assert answer == brute_force(org, estate, events, start, end), (org, start, end)
            assert all(value >= 0 for value in percentiles.values())
    return len(ranges)


def test_metrics_are_exact_with_a_tail_then_after_rollup_and_after_the_raw_events_expire(estate, history):
    compare_all(estate, history, RANGES[:2])  # all time and a range, from rollups, a raw tail and late arrivals
    rollup.roll_up_all(NOW)
    compare_all(estate, history)
    events_table = table(get_settings().events_table)
    for item in events_table.scan()["Items"]:  # every event is older than the current hour: all rolled up
        events_table.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
    assert compare_all(estate, history) == len(RANGES)
    whole = get_organization_metrics(
        principal("acme-org"), OrganizationMetricsRequest(organizationSlug="acme-org"), NOW
    )
    assert whole.verifications.total > 150 and whole.identities == 4 and whole.requests.errors > 0
    assert (whole.keys.active, whole.keys.disabled, whole.keys.expired, whole.keys.revoked) == (5, 1, 1, 1)
    assert whole.apis == 2 and whole.keys.usedInRange > 0
    latencies = sorted(
        e.measures["latency_ms"]
        for e in history
        if e.org_slug == "acme-org" and e.kind.value == "request" and e.dimensions["source"] == "ingested"
    )
    for name, quantile in (("p50LatencyMs", 0.5), ("p95LatencyMs", 0.95), ("p99LatencyMs", 0.99)):
        exact = latencies[int(quantile * (len(latencies) - 1))]
        assert getattr(whole.requests, name) == pytest.approx(exact, rel=0.01), name


def post(client, key: str | None, body: dict):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = client.post("/v1/organizations/metrics", json=body, headers=headers)
    return response.status_code, response.json


DENIED = "You do not have permission to access metrics for this organization"


def test_access_is_exactly_the_seeds(client, world):
    def status(label: str | None, slug: str) -> tuple[int, str | None]:
        code, body = post(client, world.keys[label] if label else None, {"organizationSlug": slug})
        return code, body.get("error", {}).get("message") if code >= 400 else None

    assert status("acme", ACME) == (200, None)  # an organization key, its own slug
    assert status("acme", BETA) == (403, DENIED)  # ... and no other
    assert status("acme", "no-such-org") == (403, DENIED)  # a missing organization reads the same
    for almost in ("ACME-ORG", "acme-org ", " acme-org", "acme_org", "acme-org\u00a0"):  # not exactly a slug
        assert status("acme", almost) == (403, DENIED), almost
        assert status("owner", almost) == (403, DENIED), almost
    assert status("both", BETA) == (200, None)  # a user key: any organization its user is a member of, any role
    assert status("both", ACME) == (200, None)
    assert status("admin", BETA) == (403, DENIED)  # not a member
    assert status("nobody", "no-such-org") == (403, DENIED)
    assert status("staff", BETA) == (200, None)
    assert status("staff", "no-such-org")[0] == 404
    assert status(None, ACME)[0] == 401
    assert status("org-revoked", ACME)[0] == 401
    bare = client.post(
        "/v1/organizations/metrics", json={"organizationSlug": ACME}, headers={"Authorization": world.keys["acme"]}
    )
    assert bare.status_code == 200  # the seed's `Authorization: <api-key>`, without Bearer


def test_bad_bodies_are_clean_4xx(client, world):
    key = world.keys["acme"]
    assert post(client, key, {})[0] == 422
    assert post(client, key, {"organizationSlug": ACME, "startDate": "2026-11-02", "endDate": "2026-11-01"})[0] == 422
    assert post(client, key, {"organizationSlug": ACME, "startDate": "2026-11-01T10:00:00"})[0] == 422  # no offset
    assert post(client, key, {"organizationSlug": ACME, "startDate": 1793318400})[0] == 422  # not a date
    assert post(client, key, {"organizationSlug": ACME, "endDate": "2026-02-30"})[0] == 422
    assert post(client, key, {"organizationSlug": ACME, "extra": 1})[0] == 422
    status, body = post(client, key, {"organizationSlug": ACME, "startDate": "0001-01-01", "endDate": "9999-12-31"})
    assert status == 200 and body["data"]["endDate"] == "9999-01-01T00:00:00Z"
    status, body = post(client, key, {"organizationSlug": ACME, "endDate": "2026-11-01"})
    assert status == 200 and body["data"]["endDate"] == "2026-11-02T00:00:00Z"
    extremes = {"startDate": "0001-01-01T00:00:00+01:00", "endDate": "9999-12-31T23:00:00-05:00"}
    status, body = post(client, key, {"organizationSlug": ACME, **extremes})
    assert status == 200 and body["data"]["startDate"] == "1970-01-01T00:00:00Z"
