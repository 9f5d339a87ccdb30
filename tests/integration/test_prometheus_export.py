"""GET /v1/metrics and /v1/metrics/all through the local API: exact counters (against the raw events, before and
after a rollup and after the raw events are gone), ShellUI's access rules, both formats, and promtool's verdict."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from devtools.local_api import build_event
from keytally import admin, rollup
from keytally.api_keys.models import CreateApiKey
from keytally.models import Code, RequestSource, Role
from keytally.settings import get_settings
from keytally.storage import events as raw
from keytally.storage.dynamodb import table
from keytally.timeseries.records import REQUEST_LATENCY, Event
from keytally.tokens.models import CreatePersonalAccessToken
from keytally.usage.events import request_event, verification_event

NOW = datetime.now(UTC)
CREATED = NOW - timedelta(days=40)
ACME, BETA = "acme-org", "beta-org"
METHODS, STATUSES = ("GET", "POST", "DELETE"), (200, 201, 404, 429, 500)


@pytest.fixture
def estate(tables) -> dict:
    """Two organizations with an API each, 40 days old; acme-org's owner, admin and member, and a staff user; an
    organization key of each organization, and one of acme-org without metrics:read."""
    apis = {}
    for slug in (ACME, BETA):
        admin.create_organization(slug, None, CREATED)
        apis[slug] = admin.create_api(slug, "public", CREATED).api_id
    for email, staff, role in (
        ("owner@acme.test", False, Role.OWNER),
        ("admin@acme.test", False, Role.ADMIN),
        ("member@acme.test", False, Role.MEMBER),
        ("staff@keytally.test", True, None),
    ):
        admin.create_user(email, is_staff=staff, now=CREATED)
        if role:
            admin.add_member(ACME, email, role)
    keys = {slug: admin.create_key(CreateApiKey(description=slug), CREATED, org_slug=slug)[1] for slug in (ACME, BETA)}
    no_metrics = CreateApiKey(description="no metrics", scope_names=["analytics:read"])
    keys["acme-no-metrics"] = admin.create_key(no_metrics, CREATED, org_slug=ACME)[1]
    for email in ("owner@acme.test", "staff@keytally.test"):
        keys[email] = admin.create_key(CreateApiKey(key_type="user"), CREATED, user_email=email)[1]
    return {"apis": apis, "keys": keys}


def token(email: str, **fields) -> str:
    return admin.create_token(email, CreatePersonalAccessToken(name="scraper", **fields), datetime.now(UTC))[1]


def history(estate: dict, count: int, seed: int) -> list[Event]:
    """Verifications and ingested requests of both organizations over their 40 days, some arriving late."""
    rng, made = random.Random(seed), []
    for number in range(count):
        org = rng.choice([ACME, ACME, BETA])
        moment = CREATED + timedelta(seconds=rng.uniform(0, (NOW - CREATED).total_seconds() - 60))
        received = moment + timedelta(hours=rng.choice([0, 0, 0, 30]))
        received = min(received, NOW - timedelta(seconds=1))
        if rng.random() < 0.5:
            made.append(
                verification_event(
                    event_id=f"v{seed}_{number}",
                    org_slug=org,
                    time=moment,
                    received_at=received,
                    api_id=estate["apis"][org],
                    key_id=f"ak_{rng.randrange(5)}",
                    identity="",
                    code=rng.choice(list(Code)),
                    tags=(),
                    credits=rng.randrange(3),
                    latency_ms=1.0,
                )
            )
        else:
            made.append(
                request_event(
                    source=RequestSource.INGESTED,
                    event_id=f"r{seed}_{number}",
                    org_slug=org,
                    time=moment,
                    received_at=received,
                    key_id="",
                    endpoint="/v1/things",
                    method=rng.choice(METHODS),
                    status=rng.choice(STATUSES),
                    ip="198.51.100.7",
                    latency_ms=rng.choice([0.5, 5, 7.5, 10, 99, 250, 1000, 2500.5, 10_000, 12_000]),
                )
            )
    assert raw.put_events(made) == []
    return made


def expected(events: list[Event], org: str) -> dict[tuple, float]:
    """Brute force: the samples the export must show for `org`'s verifications and ingested requests."""
    samples: Counter[tuple] = Counter()
    for event in events:
        if event.org_slug != org:
            continue
        if event.kind == "verification":
            api_id = event.dimensions["api_id"]
            samples[
                ("keytally_verifications_total", (("api_id", api_id), ("outcome", event.dimensions["outcome"])))
            ] += 1
            samples[("keytally_verification_credits_spent_total", (("api_id", api_id),))] += event.measures["credits"]
        else:
            labels = (
                ("code", event.dimensions["status"]),
                ("method", event.dimensions["method"]),
                ("source", "ingested"),
            )
            samples[("keytally_requests_total", labels)] += 1
            latency = event.measures["latency_ms"]
            for bound in REQUEST_LATENCY.at_most:
                le = (("le", repr(bound / 1000)), ("source", "ingested"))
                samples[("keytally_request_duration_seconds_bucket", le)] += latency <= bound
            samples[("keytally_request_duration_seconds_count", (("source", "ingested"),))] += 1
            samples[("keytally_request_duration_seconds_sum", (("source", "ingested"),))] += latency / 1000
    return samples


def scrape(client, credential: str | None, path: str = "/v1/metrics", accept: str | None = None, **params):
    headers = {"Authorization": f"Bearer {credential}"} if credential else {}
    if accept:
        headers["Accept"] = accept
    return client.get(path, headers=headers, query_string=params)


def samples_of(text: str) -> dict[tuple, float]:
    """name, sorted labels -> value, for the families the brute force checks (ingested requests only)."""
    found = {}
    for family in parse_text(text):
        for sample in family.samples:
            labels = dict(sample.labels)
            if labels.get("source") == "keytally":
                continue
            if "le" in labels:
                labels["le"] = repr(float(labels["le"])) if labels["le"] != "+Inf" else "+Inf"
            found[(sample.name, tuple(sorted(labels.items())))] = sample.value
    return found


def checked(found: dict[tuple, float], want: dict[tuple, float]) -> None:
    for key, value in want.items():
        if key[0].endswith("_sum"):
            assert found[key] == pytest.approx(value), key
        else:
            assert found.get(key, 0) == value, key
    counted = [key for key, value in found.items() if value and key[0] == "keytally_verifications_total"]
    assert set(counted) == {key for key, value in want.items() if value and key[0] == "keytally_verifications_total"}


def test_counts_are_exact_before_and_after_the_rollup_and_after_raw_expiry(client, estate):
    events = history(estate, 600, seed=1)
    acme_key = estate["keys"][ACME]
    want = expected(events, ACME)
    response = scrape(client, acme_key)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    checked(samples_of(response.get_data(as_text=True)), want)
    assert estate["apis"][BETA] not in response.get_data(as_text=True)  # tenancy

    rollup.roll_up_all(NOW + timedelta(hours=2))
    checked(samples_of(scrape(client, acme_key).get_data(as_text=True)), want)

    events_table = table(get_settings().events_table)
    with events_table.batch_writer() as writer:  # the raw events expire
        for item in events_table.scan()["Items"]:
            writer.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
    after_expiry = scrape(client, acme_key).get_data(as_text=True)
    checked(samples_of(after_expiry), want)
    assert "keytally_rollup_watermark_timestamp_seconds " in after_expiry


def test_a_scrape_right_after_n_more_verifications_shows_exactly_n_more(client, estate):
    history(estate, 50, seed=2)
    key_value = admin.create_key(
        CreateApiKey(api_id=estate["apis"][ACME], external_id="cust"), NOW - timedelta(days=1)
    )[1]
    before = samples_of(scrape(client, estate["keys"][ACME]).get_data(as_text=True))
    valid = ("keytally_verifications_total", (("api_id", estate["apis"][ACME]), ("outcome", "VALID")))
    for _ in range(3):
        verified = client.post(
            "/v1/keys/verify",
            headers={"Authorization": f"Bearer {estate['keys'][ACME]}"},
            json={"key": key_value, "apiId": estate["apis"][ACME]},
        )
        assert verified.json["data"]["valid"] is True
    after = samples_of(scrape(client, estate["keys"][ACME]).get_data(as_text=True))
    assert after[valid] == before[valid] + 3
    keys_active = ("keytally_api_keys", (("state", "active"),))
    assert (
        after[keys_active] == 3
    )  # acme-org's two organization keys and its product key: no user key, none of beta-org's


@pytest.mark.parametrize(
    ("credential", "params", "status"),
    [
        ("org-key", {}, 200),
        ("acme-no-metrics", {}, 403),  # lacks metrics:read
        ("owner-bound-token", {}, 200),
        ("owner-bound-read-only-token", {}, 200),  # a read-only token suffices
        ("admin-bound-token", {}, 403),  # not an owner
        ("member-bound-token", {}, 403),
        ("staff-bound-token", {}, 200),
        ("owner-token", {}, 400),  # bound to no organization
        ("owner@acme.test", {}, 400),  # a user key is bound to none
        ("org-key", {"organizationSlug": ACME}, 400),  # naming the organization, even its own
        ("org-key", {"org": BETA}, 400),
        ("org-key", {"company_id": "7"}, 400),
        ("org-key", {"organization": ACME}, 400),
        ("org-key", {"org_slug": ACME}, 400),
        (None, {}, 401),
    ],
)
def test_who_may_scrape_one_organization(client, estate, credential, params, status):
    credentials = {
        "org-key": estate["keys"][ACME],
        "owner-bound-token": token("owner@acme.test", organizationSlug=ACME),
        "owner-bound-read-only-token": token("owner@acme.test", organizationSlug=ACME, read_only=True),
        "admin-bound-token": token("admin@acme.test", organizationSlug=ACME),
        "member-bound-token": token("member@acme.test", organizationSlug=ACME),
        "staff-bound-token": token("staff@keytally.test", organizationSlug=ACME),
        "owner-token": token("owner@acme.test"),
    }
    value = credentials.get(credential) or (estate["keys"].get(credential) if credential else None)
    response = scrape(client, value, **params)
    assert response.status_code == status, response.get_data(as_text=True)
    if status != 200:
        assert response.json["error"]["code"] in ("BAD_REQUEST", "FORBIDDEN", "UNAUTHORIZED")


def test_a_body_is_refused_and_an_owner_demoted_is_refused_on_the_next_scrape(client, estate):
    bound = token("owner@acme.test", organizationSlug=ACME)
    with_body = client.get("/v1/metrics", headers={"Authorization": f"Bearer {bound}"}, data="{}")
    assert with_body.status_code == 400
    assert scrape(client, bound).status_code == 200
    admin.add_member(ACME, "owner@acme.test", Role.ADMIN)
    assert scrape(client, bound).status_code == 403


def test_every_organization_as_of_its_last_rollup_for_staff_and_global_tokens_only(
    client, estate, roll_up_fanned_out, dynamodb_calls
):
    events = history(estate, 200, seed=3)
    staff_key = estate["keys"]["staff@keytally.test"]
    before = parse_text(scrape(client, staff_key, "/v1/metrics/all").get_data(as_text=True))
    families = {family.name: family for family in before}
    assert families["keytally_organizations"].samples[0].value == 2  # none rolled up yet: no counters
    assert families["keytally_verifications"].samples == []

    roll_up_fanned_out(datetime.now(UTC))  # each organization's run notes its counters
    dynamodb_calls.clear()
    response = scrape(client, staff_key, "/v1/metrics/all")
    assert response.status_code == 200
    for org in (ACME, BETA):
        found = {
            (name, tuple(pair for pair in labels if pair[0] != "org")): value
            for (name, labels), value in samples_of(response.get_data(as_text=True)).items()
            if dict(labels).get("org") == org
        }
        checked(found, expected(events, org))
    # the caller's key, its rate limit, the organizations' count, the summaries, the request event: not 10 a tenant
    assert sum(dynamodb_calls.values()) <= 6, dynamodb_calls

    global_token = token("staff@keytally.test", access_global_metrics=True, read_only=True)
    assert scrape(client, global_token, "/v1/metrics/all").status_code == 200
    for refused in (estate["keys"]["owner@acme.test"], estate["keys"][ACME], token("owner@acme.test")):
        assert scrape(client, refused, "/v1/metrics/all").status_code == 403


def test_openmetrics_when_asked(client, estate):
    history(estate, 100, seed=4)
    response = scrape(client, estate["keys"][ACME], accept="application/openmetrics-text; version=1.0.0")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
    text = response.get_data(as_text=True)
    assert text.endswith("# EOF\n")
    names = {family.name for family in parse_openmetrics(text)}
    assert {"keytally_verifications", "keytally_requests", "keytally_request_duration_seconds"} <= names
    error = scrape(client, "kt_org_bogus", accept="application/openmetrics-text")
    assert error.status_code == 401 and json.loads(error.get_data())["error"]["code"] == "UNAUTHORIZED"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool missing: apt-get install prometheus")
def test_promtool_finds_nothing_to_fix(client, estate):
    history(estate, 300, seed=5)
    for path, credential in (
        ("/v1/metrics", estate["keys"][ACME]),
        ("/v1/metrics/all", estate["keys"]["staff@keytally.test"]),
    ):
        text = scrape(client, credential, path).get_data(as_text=True)
        checked_by_promtool = subprocess.run(
            ["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
        )
        assert checked_by_promtool.returncode == 0 and not checked_by_promtool.stdout.strip(), (
            checked_by_promtool.stdout + checked_by_promtool.stderr
        )


def test_head_answers_like_get_without_a_body_for_a_read_only_token(client, estate, local_api):
    read_only = token("owner@acme.test", organizationSlug=ACME, read_only=True)
    headers = {"Authorization": f"Bearer {read_only}"}
    route = next(r for r in local_api.routes if (r.method, r.path) == ("HEAD", "/v1/metrics"))
    request = Request(EnvironBuilder(path="/v1/metrics", method="HEAD", headers=headers).get_environ())
    assert local_api.invoke(route, build_event(request, route, {}))["body"] == ""  # the function sends none
    hour_before = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    got = client.get("/v1/metrics", headers=headers)
    head = client.head("/v1/metrics", headers=headers)
    same_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) == hour_before
    assert (got.status_code, head.status_code) == (200, 200)
    assert head.get_data() == b"" and head.headers["Content-Type"] == got.headers["Content-Type"]
    counted = int(got.headers["X-RateLimit-Remaining"]) if same_hour else int(head.headers["X-RateLimit-Limit"])
    assert int(head.headers["X-RateLimit-Remaining"]) == counted - 1  # (an hour turning between them starts anew)
    for path in ("/v1/api_keys", "/v1/organizations", "/v1/personal-access-tokens"):
        assert client.head(path, headers=headers).status_code == 200, path
    assert client.head("/v1/metrics/all", headers=headers).status_code == 403
