"""A model-based test of the public operations (hypothesis' RuleBasedStateMachine): random sequences of creating
organizations, users and keys, memberships granted, changed and ended, staff granted and revoked, users disabled,
request logs sent (backfilled from before the organization existed, late, resent) and rollups run at random
moments — against a small reference model. After every step each organization's request counts in every view
(BitGPT, organization metrics, the Prometheus counters) equal the model's, and every credential reaches exactly
what the model says it may (and no other organization). Events and rollups are kept in memory, entities in moto."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, precondition, rule

from devtools.memory_store import MemoryStore, installed
from keytally import admin, rollup
from keytally.analytics.organization import get_organization_metrics
from keytally.analytics.organization_models import OrganizationMetricsRequest
from keytally.analytics.prometheus import snapshot
from keytally.analytics.requests import RequestsQuery, get_request_analytics
from keytally.api_keys.models import CreateApiKey
from keytally.auth.principal import CredentialKind, Principal
from keytally.errors import Conflict
from keytally.ingest.models import IngestEvents, Outcome, RequestLogEvent
from keytally.ingest.service import ingest
from keytally.models import ALL_SCOPES, RequestSource, Role
from keytally.storage import events as raw
from keytally.timeseries.buckets import Granularity

# Runs in make test, five times as many in make test-all: the same ones every time, so a failure in CI is the one
# you get here; with MODEL_EXAMPLES set, that many new ones each time (hypothesis prints the failing steps)
EXAMPLES = int(os.environ.get("MODEL_EXAMPLES", "10"))
MOST = 3  # organizations, and users, in one run: every invariant asks every credential about every organization
RETENTION = raw.RAW_RETENTION
_runs = itertools.count()


@dataclass
class Model:
    now: datetime
    created: dict[str, datetime] = field(default_factory=dict)  # organization -> creation
    events: dict[str, dict[str, datetime]] = field(default_factory=dict)  # organization -> event id -> time
    staff: dict[str, bool] = field(default_factory=dict)  # user email -> staff
    disabled: set[str] = field(default_factory=set)
    roles: dict[tuple[str, str], tuple[Role, bool]] = field(default_factory=dict)  # (org, email) -> (role, active)
    last_batch: dict[str, tuple[datetime, list[dict]]] = field(default_factory=dict)  # org -> (sent at, lines)

    def may_read_keys(self, email: str, org: str) -> int:
        """The status GET /v1/api_keys?organizationSlug=org answers a user key of `email`."""
        if email in self.disabled:
            return 401
        if self.staff[email]:
            return 200
        role, active = self.roles.get((org, email), (None, False))
        return 200 if active and role in (Role.OWNER, Role.ADMIN) else 403

    def requests_in(self, org: str, start: datetime, end: datetime) -> int:
        return sum(start <= time < end for time in self.events[org].values())


def org_key_principal(org: str) -> Principal:
    return Principal(kind=CredentialKind.ORGANIZATION_KEY, credential_id="ak_model", scopes=ALL_SCOPES, org_slug=org)


class Operations(RuleBasedStateMachine):
    organizations = Bundle("organizations")
    users = Bundle("users")

    def __init__(self) -> None:
        super().__init__()
        self.run = next(_runs)
        self.model = Model(now=Granularity.HOUR.floor(datetime.now(UTC)) - timedelta(days=2))
        self.org_keys: dict[str, str] = {}
        self.user_keys: dict[str, str] = {}
        self.event_numbers = itertools.count()
        self.switch_tables()  # tables of its own: /v1/metrics/all reads only this run's organizations
        self.memory = installed(MemoryStore())
        self.memory.__enter__()

    def teardown(self) -> None:
        self.memory.__exit__(None, None, None)

    # the world

    @initialize(target=organizations)
    def first_organization(self):
        return self.new_organization()

    @precondition(lambda self: len(self.model.created) < MOST)
    @rule(target=organizations)
    def another_organization(self):
        return self.new_organization()

    def new_organization(self):
        slug = f"m{self.run}-o{len(self.model.created)}"
        admin.create_organization(slug, None, self.model.now)
        self.model.created[slug], self.model.events[slug] = self.model.now, {}
        self.org_keys[slug] = admin.create_key(CreateApiKey(description="model"), self.model.now, org_slug=slug)[1]
        return slug

    @precondition(lambda self: len(self.model.staff) < MOST)
    @rule(target=users, staff=st.booleans())
    def new_user(self, staff):
        email = f"u{len(self.model.staff)}@m{self.run}.test"
        admin.create_user(email, is_staff=staff, now=self.model.now)
        self.model.staff[email] = staff
        self.user_keys[email] = admin.create_key(CreateApiKey(key_type="user"), self.model.now, user_email=email)[1]
        return email

    @rule(org=organizations, email=users, role=st.sampled_from(Role))
    def grant(self, org, email, role):
        admin.add_member(org, email, role)
        self.model.roles[(org, email)] = (role, True)

    @rule(org=organizations, email=users, change=st.sampled_from(["remove", "deactivate", "lower"]))
    def end_or_lower(self, org, email, change):
        if (org, email) not in self.model.roles:
            return
        role, active = self.model.roles[(org, email)]
        owners = [key for key, (r, a) in self.model.roles.items() if key[0] == org and r is Role.OWNER and a]
        changes = {
            "remove": lambda: admin.remove_member(org, email),
            "deactivate": lambda: admin.update_member(org, email, is_active=False),
            "lower": lambda: admin.update_member(org, email, role=Role.MEMBER),
        }
        if owners == [(org, email)]:  # the last active owner stays
            with pytest.raises(Conflict):
                changes[change]()
            return
        changes[change]()
        if change == "remove":
            del self.model.roles[(org, email)]
        else:
            self.model.roles[(org, email)] = (role, False) if change == "deactivate" else (Role.MEMBER, active)

    @rule(email=users, staff=st.booleans())
    def set_staff(self, email, staff):
        admin.update_user(email, is_staff=staff)
        self.model.staff[email] = staff

    @rule(email=users, disabled=st.booleans())
    def set_disabled(self, email, disabled):
        admin.update_user(email, is_disabled=disabled)
        (self.model.disabled.add if disabled else self.model.disabled.discard)(email)

    # time and usage

    @rule(minutes=st.integers(1, 6 * 60))
    def time_passes(self, minutes):
        self.model.now += timedelta(minutes=minutes)

    @rule(
        org=organizations,
        ages=st.lists(st.integers(-4 * 60, int(RETENTION.total_seconds()) + 3600), min_size=1, max_size=12),
    )
    def send_logs(self, org, ages):
        """Request logs of any age in the ingest window (before the organization existed too) and a little past it,
        or a few minutes ahead: what is too old or too far ahead is refused, the rest counted."""
        now = self.model.now
        lines = [
            {
                "event_id": f"e{next(self.event_numbers)}",
                "time": now - timedelta(seconds=age),
                "endpoint": f"/v1/things/{age % 4}",
                "method": "GET",
                "status": 200 if age % 3 else 500,
                "latency_ms": float(age % 900),
                "ip": f"203.0.113.{age % 5}",
            }
            | ({"route": "/v1/things/{id}"} if age % 2 else {})
            for age in ages
        ]
        self.send(org, lines, now)
        self.model.last_batch[org] = (now, lines)

    @rule(org=organizations)
    def resend_last_batch(self, org):
        """A client retrying a batch it already sent: nothing is counted twice."""
        if org in self.model.last_batch:
            self.send(org, self.model.last_batch[org][1], self.model.now)

    def send(self, org: str, lines: list[dict], now: datetime) -> None:
        answer = ingest(org_key_principal(org), IngestEvents(events=[RequestLogEvent(**line) for line in lines]), now)
        known = self.model.events[org]
        for line, result in zip(lines, answer.results, strict=True):
            fits = now - RETENTION < line["time"] <= now + timedelta(minutes=5)
            if line["event_id"] in known and result.result is Outcome.DUPLICATE:
                continue
            assert (result.result is Outcome.ACCEPTED) is fits, (line, result)
            if fits:
                known[line["event_id"]] = line["time"]

    @rule(org=organizations)
    def roll_up(self, org):
        rollup.roll_up_named(org, self.model.now)

    # what every view and every credential must show

    @invariant()
    def every_view_counts_every_accepted_event(self):
        now = self.model.now
        for org, created in self.model.created.items():
            since = Granularity.HOUR.floor(created - RETENTION)
            end = Granularity.HOUR.ceil(now)
            expected = self.model.requests_in(org, since, end)
            window = RequestsQuery(None, None, None, RequestSource.INGESTED, 0, int(now.timestamp() * 1000), 10)
            answer = get_request_analytics(org_key_principal(org), window, now)
            bitgpt = answer.core_metrics.total_requests
            # the top lists' rows (and their other row) add up to the total
            assert sum(row.total_requests for row in answer.ip_metrics) == bitgpt, (org, now)
            assert sum(row.usage_count for row in answer.most_used_api_keys) == bitgpt, (org, now)
            metrics = get_organization_metrics(
                org_key_principal(org), OrganizationMetricsRequest(organizationSlug=org), now
            )
            prometheus = snapshot(org, now).requests[RequestSource.INGESTED].total
            assert (bitgpt, metrics.requests.total, prometheus) == (expected,) * 3, (org, now)
            day = RequestsQuery(None, None, None, RequestSource.INGESTED, None, None, 10)  # the last 24 hours
            last_day = get_request_analytics(org_key_principal(org), day, now).core_metrics.total_requests
            day_start = Granularity.HOUR.floor(now - timedelta(hours=24))  # whole hours: 25 of them mid-hour
            assert last_day == self.model.requests_in(org, day_start, end)

    @invariant()
    def every_credential_reaches_exactly_what_its_grants_allow(self):
        for org in self.model.created:
            for email, key in self.user_keys.items():
                response = self.client.get("/v1/api_keys", query_string={"organizationSlug": org}, headers=auth(key))
                assert response.status_code == self.model.may_read_keys(email, org), (email, org, response.json)
            for owner, key in self.org_keys.items():
                response = self.client.get("/v1/api_keys", query_string={"organizationSlug": org}, headers=auth(key))
                assert response.status_code == (200 if owner == org else 403), (owner, org)
        for email, key in self.user_keys.items():
            expected = 401 if email in self.model.disabled else 200 if self.model.staff[email] else 403
            assert self.client.get("/v1/metrics/all", headers=auth(key)).status_code == expected, email


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    "examples", [EXAMPLES, pytest.param(5 * EXAMPLES, marks=pytest.mark.slow)], ids=["few", "many"]
)
def test_every_view_and_every_grant_follow_the_model(client, switch_tables, examples):
    Operations.client, Operations.switch_tables = client, staticmethod(switch_tables)
    Operations.TestCase.settings = settings(
        max_examples=examples,
        derandomize="MODEL_EXAMPLES" not in os.environ,
        stateful_step_count=12,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    Operations.TestCase().runTest()
