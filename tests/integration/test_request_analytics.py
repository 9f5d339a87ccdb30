"""Request analytics (GET /v1/analytics/api_keys) against a brute-force count of the same raw events: every filter
and source in memory, a few of them through the real store (moto, sharded), before the rollup has caught up (a raw
tail and late arrivals into hours it already wrote) and after; tenancy; and the route itself."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from request_oracle import brute_force, exact_percentiles, exact_timeline_percentiles, timeline_percentiles_apart
from sample_requests import sample_request

from keytally import admin, rollup
from keytally.analytics.requests import RequestsQuery, get_request_analytics
from keytally.api_keys.models import CreateApiKey
from keytally.auth.principal import CredentialKind, Principal
from keytally.errors import WrongOrganization
from keytally.models import ALL_SCOPES, RequestSource
from keytally.storage import events as raw
from keytally.storage.event_log import event_log
from keytally.storage.rollup_store import rollup_store
from keytally.timeseries.records import Event

NOW = datetime(2026, 11, 23, 17, 40, tzinfo=UTC)
FIRST_ROLLUP = NOW - timedelta(hours=8, minutes=20)
ENDPOINTS = ("/v1/things", "/v1/things/{id}", "/v1/search")
IPS = ("203.0.113.9", "198.51.100.7", "2001:db8::1", "192.0.2.44", "198.51.100.200")
STATUSES = (200, 200, 200, 201, 204, 301, 400, 404, 429, 500, 503)


def principal(org_slug: str) -> Principal:
    return Principal(
        kind=CredentialKind.ORGANIZATION_KEY, credential_id="ak_caller", scopes=frozenset(ALL_SCOPES), org_slug=org_slug
    )


@pytest.fixture
def keys(tables) -> dict[str, str]:
    """Key id -> its `auth` label: three keys of acme-org (one without a description) and one of beta-org."""
    created = NOW - timedelta(days=60)
    for slug in ("acme-org", "beta-org"):
        admin.create_organization(slug, None, created)
    labels = {}
    for org, description in (
        ("acme-org", "billing service"),
        ("acme-org", "mobile app"),
        ("acme-org", ""),
        ("beta-org", "beta"),
    ):
        record, _ = admin.create_key(
            CreateApiKey(key_type="organization", description=description), created, org_slug=org
        )
        labels[record.api_key_id] = description or record.key_start
    return labels


def random_request(rng: random.Random, number: int, org: str, key_ids: list[str], received: datetime | None = None):
    time = NOW - timedelta(seconds=rng.randint(60, 3 * 86400))
    return sample_request(
        f"r{number:05d}",
        time,
        received_at=received,
        org_slug=org,
        source=rng.choice([RequestSource.INGESTED] * 4 + [RequestSource.KEYTALLY]),
        key_id=rng.choice([*key_ids, ""]),
        endpoint=rng.choice(ENDPOINTS),
        method=rng.choice(["GET", "POST"]),
        status=rng.choice(STATUSES),
        ip=rng.choice(IPS),
        latency_ms=round(rng.lognormvariate(4.5, 1.3) * 8) / 8,  # eighths: sums are exact in any order
    )


@pytest.fixture
def history(keys, time_series, roll_up_fanned_out) -> list[Event]:
    """Three days of acme-org requests (and beta-org's, which must never count), rolled up once at FIRST_ROLLUP (as
    deployed: through the dispatcher and the queue), then more: some on time, some late into hours that rollup
    already wrote."""
    rng = random.Random(5)
    acme_keys = [key_id for key_id, label in keys.items() if label != "beta"]
    beta_keys = [key_id for key_id, label in keys.items() if label == "beta"]
    events = [random_request(rng, n, "acme-org", acme_keys) for n in range(450)]
    events += [random_request(rng, 900 + n, "beta-org", beta_keys + acme_keys) for n in range(100)]
    early = [event for event in events if event.received_at <= FIRST_ROLLUP]
    assert not event_log().put_events(early)
    assert len(roll_up_fanned_out(FIRST_ROLLUP + rollup.INDEX_LAG)) == 2
    late = [
        random_request(rng, 2000 + n, "acme-org", acme_keys, received=NOW - timedelta(minutes=20)) for n in range(60)
    ]
    late = [event for event in late if event.time < FIRST_ROLLUP]
    assert not event_log().put_events([event for event in events if event.received_at > FIRST_ROLLUP] + late)
    return events + late


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def queries(keys: dict[str, str]) -> list[RequestsQuery]:
    first_key = next(iter(keys))
    beta_key = next(key_id for key_id, label in keys.items() if label == "beta")
    plain = RequestsQuery(None, None, None, RequestSource.INGESTED, None, None, 10, latency_timeline=True)
    return [
        plain,
        RequestsQuery(None, first_key, None, RequestSource.INGESTED, None, None, 2),
        RequestsQuery(None, None, ENDPOINTS[1], RequestSource.INGESTED, None, None, 3),
        RequestsQuery(None, first_key, ENDPOINTS[0], RequestSource.INGESTED, None, None, 10),
        RequestsQuery(None, None, None, RequestSource.KEYTALLY, None, None, 10),
        # ragged bounds (floored / rounded up to the hour), two days, previous window reaching past the data
        RequestsQuery(
            None, None, None, RequestSource.INGESTED, ms(NOW - timedelta(days=2, minutes=13)), ms(NOW), 4, True
        ),
        RequestsQuery(None, first_key, None, RequestSource.KEYTALLY, ms(NOW - timedelta(hours=50)), ms(NOW), 10, True),
        RequestsQuery(None, None, None, RequestSource.INGESTED, 0, ms(NOW - timedelta(hours=20, minutes=5)), 100, True),
        RequestsQuery(None, beta_key, None, RequestSource.INGESTED, None, None, 10),  # another organization's key
        RequestsQuery(None, None, "/v1/never", RequestSource.INGESTED, None, None, 10),  # nothing: zeros, no error
    ]


def store_checks(keys: dict[str, str]) -> list[RequestsQuery]:
    """Of the queries, those that read every kind of tile, the raw tail, a key's and an endpoint's rows, both sources
    and the window before."""
    plain, _, _, key_and_endpoint, keytally, ragged, *_ = queries(keys)
    return [plain, key_and_endpoint, keytally, ragged]


def compare_all(events: list[Event], keys: dict[str, str], checked: list[RequestsQuery]) -> int:
    compared = 0
    for query in checked:
        answer = get_request_analytics(principal("acme-org"), query, NOW).model_dump()
        expected = brute_force(events, "acme-org", query, NOW, keys)
        latency = answer.pop("latency")
        exact = expected.pop("exact_latency")
        per_slice = timeline_percentiles_apart(answer)
        assert answer == expected, query
        assert {name: latency[name] for name in exact} == exact, query
        for name, value in exact_percentiles(events, "acme-org", query, NOW).items():
            assert latency[name] == pytest.approx(value, rel=0.01, abs=0.001), (query, name)
        for estimated, true in zip(per_slice, exact_timeline_percentiles(events, "acme-org", query, NOW), strict=True):
            assert estimated == pytest.approx(true, rel=0.01, abs=0.001), query
        compared += 1
    return compared


def test_request_analytics_are_exact_with_a_tail_and_late_events_then_after_a_full_rollup(
    history, keys, time_series, roll_up_fanned_out
):
    checked = queries(keys) if time_series else store_checks(keys)
    assert rollup_store().get_watermark("acme-org") == FIRST_ROLLUP
    assert compare_all(history, keys, checked) == len(checked)
    roll_up_fanned_out(NOW)
    assert rollup_store().get_watermark("acme-org") == NOW - rollup.INDEX_LAG
    compare_all(history, keys, checked)
    # the comparisons are not all of empty windows: every list and counter of the plain query is filled
    answer = get_request_analytics(principal("acme-org"), queries(keys)[0], NOW)
    assert answer.core_metrics.total_requests > 50 and answer.prev_core_metrics.total_requests > 50
    assert answer.core_metrics.total_errors > 0 and answer.latency_breakdown.more_than_1s > 0
    # three keys, then the requests made with none; every IP is listed
    assert [row.other for row in answer.most_used_api_keys] == [False, False, False, True]
    assert len(answer.ip_metrics) == len(IPS) and not any(row.other for row in answer.ip_metrics)
    assert len(answer.endpoint_metrics) > 1 and sum(row.total_requests for row in answer.endpoint_metrics) == (
        answer.core_metrics.total_requests
    )
    assert len(answer.hourly_metrics) >= 20 and None in {row.api_key_id for row in answer.api_key_metrics_30d}


def test_another_organization_is_refused_and_never_counted(keys):
    rng = random.Random(9)
    events = [
        random_request(rng, n, org, list(keys), received=NOW - timedelta(hours=30))
        for n, org in enumerate(["acme-org", "beta-org"] * 30)
    ]  # beta-org's requests name acme-org's keys too: still never acme-org's
    assert not raw.put_events([event for event in events if event.time < NOW - timedelta(hours=30)])
    rollup.roll_up_all(NOW - timedelta(hours=29))
    assert not raw.put_events([event for event in events if event.time >= NOW - timedelta(hours=30)])
    for org in ("acme-org", "beta-org"):
        for query in queries(keys):
            answer = get_request_analytics(principal(org), query, NOW).model_dump()
            answer.pop("latency")
            timeline_percentiles_apart(answer)
            expected = brute_force(events, org, query, NOW, keys)
            expected.pop("exact_latency")
            assert answer == expected, (org, query)
    with pytest.raises(WrongOrganization):
        query = RequestsQuery("acme-org", None, None, RequestSource.INGESTED, None, None, 10)
        get_request_analytics(principal("beta-org"), query, NOW)


def test_the_route_answers_in_the_envelope_and_refuses_bad_input(client, world):
    def get(key: str | None, **params):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = client.get("/v1/analytics/api_keys", headers=headers, query_string=params)
        return response.status_code, response.json

    status, body = get(world.keys["acme"], source="keytally")
    assert status == 200 and body["meta"]["request_id"]
    assert body["data"]["latency_timeline"] is None and body["data"]["latency_slice"] is None  # unless asked
    status, asked = get(world.keys["acme"], source="keytally", latencyTimeline="true")
    assert (
        status == 200
        and asked["data"]["latency_slice"] == "hour"
        and isinstance(asked["data"]["latency_timeline"], list)
    )
    assert get(world.keys["acme"], latencyTimeline="maybe")[0] == 422
    assert list(body["data"]) == [
        "core_metrics",
        "prev_core_metrics",
        "most_used_api_keys",
        "ip_metrics",
        "endpoint_metrics",
        "hourly_metrics",
        "latency_slice",
        "latency_timeline",
        "api_key_metrics_30d",
        "latency_breakdown",
        "latency",
    ]
    assert get(None)[0] == 401
    assert get(world.keys["acme"], limit=0)[0] == 422
    assert get(world.keys["acme"], source="elsewhere")[0] == 422
    assert get(world.keys["acme"], apiKeyId="a b")[0] == 422
    assert get(world.keys["acme"], start=2_000_000_000_000, end=1_000_000_000_000)[0] == 422
    assert get(world.keys["owner"])[0] == 422  # a user key names its organization
    status, body = get(world.keys["nobody"], organizationSlug="acme-org")
    assert (
        status == 403
        and body["error"]["message"] == "You do not have permission to access metrics for this organization"
    )
    assert get(world.keys["owner"], organizationSlug="acme-org")[0] == 200
    assert get(world.keys["staff"], organizationSlug="no-such-org")[0] == 404
