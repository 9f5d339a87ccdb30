"""The Prometheus export's organization snapshots as metric families, encoded by prometheus_client: the text
format by default, OpenMetrics 1.0 when the scraper's Accept header asks for it.

Every label set is bounded: `api_id` by the organization's APIs, `outcome` by the 9 verification codes, `source` by
2, `method` by the HTTP methods seen, `code` by the status codes seen (100..599), `state` by 4, `org` (on
/v1/metrics/all) by the organizations. No label takes a key, an IP address or an endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from keytally.analytics.prometheus import OrganizationSnapshot
from keytally.models import KEY_STATES, Code
from keytally.timeseries.records import LATENCY, REQUEST_LATENCY

MS_PER_SECOND = 1000


@dataclass(frozen=True)
class SnapshotCollector(Collector):
    """The families of one organization's snapshot, or of every organization's (`organizations` given: each series
    labelled by `org`, plus their count)."""

    snapshots: Sequence[OrganizationSnapshot]
    organizations: int | None = None

    @property
    def by_organization(self) -> bool:
        return self.organizations is not None

    def collect(self) -> Iterator[Metric]:
        org = ["org"] if self.by_organization else []
        verifications = CounterMetricFamily(
            "keytally_verifications", "Key verifications by API and outcome.", labels=[*org, "api_id", "outcome"]
        )
        credits = CounterMetricFamily(
            "keytally_verification_credits_spent", "Credits spent by valid verifications.", labels=[*org, "api_id"]
        )
        requests = CounterMetricFamily(
            "keytally_requests",
            "Requests by source (ingested request logs, or calls to keytally's API), method and status code.",
            labels=[*org, "source", "method", "code"],
        )
        durations = HistogramMetricFamily(
            "keytally_request_duration_seconds", "Request latency by source.", labels=[*org, "source"]
        )
        keys = GaugeMetricFamily("keytally_api_keys", "API keys by state, now.", labels=[*org, "state"])
        watermark = GaugeMetricFamily(
            "keytally_rollup_watermark_timestamp_seconds",
            "Events received up to this time are in the rollups (later ones are read raw).",
            labels=org,
        )
        for snapshot in self.snapshots:
            labels = [snapshot.org_slug] if self.by_organization else []
            for api_id, row in sorted(snapshot.verifications.items()):
                for code in Code:
                    verifications.add_metric([*labels, api_id, code.value], row.counts.get(code.value, 0))
                credits.add_metric([*labels, api_id], row.sums.get("credits", 0))
            for source, rows in snapshot.requests_by_method.items():
                for row in rows:
                    for status, count in sorted(row.counts.items()):
                        requests.add_metric([*labels, source.value, row.dimensions["method"], status], count)
            for source, total in snapshot.requests.items():
                buckets = [
                    (floatToGoString(bound / MS_PER_SECOND), total.at_most.get(bound, 0))  # type: ignore[no-untyped-call]
                    for bound in REQUEST_LATENCY.at_most
                ]
                latency_sum = total.sums.get(LATENCY, 0) / MS_PER_SECOND
                durations.add_metric([*labels, source.value], [*buckets, ("+Inf", total.total)], latency_sum)
            for state in KEY_STATES:
                keys.add_metric([*labels, state], snapshot.keys.get(state, 0))
            if snapshot.watermark is not None:
                watermark.add_metric(labels, snapshot.watermark.timestamp())
        yield from (verifications, credits, requests, durations, keys, watermark)
        if self.organizations is not None:
            yield GaugeMetricFamily("keytally_organizations", "Organizations.", value=self.organizations)


def encode(collector: Collector, accept: str | None) -> tuple[str, str]:
    """(body, content type) in the format the Accept header asks for."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(collector).decode(), content_type
