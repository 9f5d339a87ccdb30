"""keytally.analytics.exposition: organization snapshots as Prometheus families, in both formats."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from keytally.analytics.exposition import SnapshotCollector, encode
from keytally.analytics.prometheus import OrganizationSnapshot
from keytally.models import Code, RequestSource
from keytally.timeseries.records import LATENCY, REQUEST_LATENCY
from keytally.timeseries.rows import Row

WATERMARK = datetime(2026, 11, 30, 12, tzinfo=UTC)


def snapshot(org_slug: str = "acme") -> OrganizationSnapshot:
    latencies = [3.0, 10.0, 120.0, 4000.0, 20000.0]
    total = Row(
        {},
        (),
        counts=Counter({"200": 4, "500": 1}),
        sums={LATENCY: sum(latencies)},
        at_most=Counter({bound: sum(latency <= bound for latency in latencies) for bound in REQUEST_LATENCY.at_most}),
    )
    return OrganizationSnapshot(
        org_slug,
        verifications={"api_1": Row({}, (), counts=Counter({"VALID": 7, "RATE_LIMITED": 2}), sums={"credits": 7.0})},
        requests={RequestSource.INGESTED: total},
        requests_by_method={
            RequestSource.INGESTED: [
                Row({"method": "GET"}, (), counts=Counter({"200": 3, "500": 1})),
                Row({"method": "POST"}, (), counts=Counter({"200": 1})),
            ]
        },
        keys=Counter({"active": 3, "revoked": 1}),
        watermark=WATERMARK,
    )


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in parse_text(text)
        for sample in family.samples
    }


def test_one_organization_in_the_text_format():
    text, content_type = encode(SnapshotCollector([snapshot()]), None)
    assert content_type.startswith("text/plain; version=0.0.4")
    found = samples(text)
    outcomes = {labels: value for (name, labels), value in found.items() if name == "keytally_verifications_total"}
    assert len(outcomes) == len(Code) and sum(outcomes.values()) == 9  # every outcome, zeros included
    assert found[("keytally_verifications_total", (("api_id", "api_1"), ("outcome", "VALID")))] == 7
    assert found[("keytally_verification_credits_spent_total", (("api_id", "api_1"),))] == 7
    get_500 = (("code", "500"), ("method", "GET"), ("source", "ingested"))
    assert found[("keytally_requests_total", get_500)] == 1
    buckets = [value for (name, _), value in found.items() if name == "keytally_request_duration_seconds_bucket"]
    assert buckets == sorted(buckets) and buckets[0] == 1 and buckets[-1] == 5  # cumulative, +Inf counts all
    assert found[("keytally_request_duration_seconds_bucket", (("le", "0.01"), ("source", "ingested")))] == 2
    assert found[("keytally_request_duration_seconds_sum", (("source", "ingested"),))] == 24.133
    assert found[("keytally_api_keys", (("state", "disabled"),))] == 0
    assert found[("keytally_rollup_watermark_timestamp_seconds", ())] == WATERMARK.timestamp()
    assert not any("org" in dict(labels) for _, labels in found)


def test_every_organization_in_openmetrics():
    collector = SnapshotCollector([snapshot("acme"), snapshot("beta")], organizations=2)
    text, content_type = encode(collector, "application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text; version=1.0.0") and text.endswith("# EOF\n")
    families = {family.name: family for family in parse_openmetrics(text)}
    assert families["keytally_organizations"].samples[0].value == 2
    assert {sample.labels["org"] for sample in families["keytally_verifications"].samples} == {"acme", "beta"}
    assert all("org" in sample.labels for sample in families["keytally_request_duration_seconds"].samples)


def test_an_organization_without_apis_requests_or_rollup_still_has_its_families():
    empty = OrganizationSnapshot("new", requests={RequestSource.INGESTED: Row({}, ())})
    found = samples(encode(SnapshotCollector([empty]), None)[0])
    assert not any(name == "keytally_verifications_total" for name, _ in found)
    assert found[("keytally_request_duration_seconds_count", (("source", "ingested"),))] == 0
    assert not any(name == "keytally_rollup_watermark_timestamp_seconds" for name, _ in found)
