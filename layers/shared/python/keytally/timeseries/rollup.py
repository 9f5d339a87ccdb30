"""The scheduled rollup: raw events -> hour rows -> day rows -> month rows, per organization, from a watermark.

Invariant after a run with watermark W: the hour rows hold exactly the events received at or before W whose hour
had ended by W; day and month rows are merges of those hour rows. Every bucket is recomputed and written whole, so
a repeated or crashed-and-restarted run writes the same rows again and never double-counts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from keytally.models import Organization
from keytally.storage import accounts
from keytally.storage import events as raw
from keytally.storage import rollups
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import KINDS, EventKind
from keytally.timeseries.rows import aggregate, merge

# Arrivals are found through an eventually consistent index; events received in the last minute wait for the
# next run, so one that is slow to appear in the index is still found.
INDEX_LAG = timedelta(minutes=1)


@dataclass
class RollupReport:
    org_slug: str
    watermark: datetime | None = None
    events_read: int = 0
    buckets_written: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def hours_to_roll(org_slug: str, kind: EventKind, since: datetime, until: datetime) -> set[datetime]:
    """Closed hours (by `until`) whose events changed since the last run: the hours that were still open at
    `since` (events may arrive at most minutes ahead of their time, so the next hour too), and every hour that
    received events in (since, until] — late events included. Cost follows arrivals, not the calendar."""
    closed_by = Granularity.HOUR.floor(until)
    open_at_since = Granularity.HOUR.floor(since)
    hours = {open_at_since, open_at_since + timedelta(hours=1)}
    hours.update(Granularity.HOUR.floor(event.time) for event in raw.events_received(org_slug, kind, since, until))
    return {hour for hour in hours if hour < closed_by}


def roll_up_org(org: Organization, now: datetime) -> RollupReport:
    """From the watermark, or on the first run from the organization's creation (nothing arrived before it)."""
    org_slug = org.slug
    report = RollupReport(org_slug)
    since = rollups.get_watermark(org_slug) or org.created_time
    until = now - INDEX_LAG
    if until <= since:
        report.watermark = since
        return report
    for kind in EventKind:
        spec = KINDS[kind]
        touched: dict[str, set[datetime]] = defaultdict(set)  # partition -> hours rewritten
        for hour in sorted(hours_to_roll(org_slug, kind, since, until)):
            events = [event for event in raw.events_in_hour(org_slug, kind, hour) if event.received_at <= until]
            report.events_read += len(events)
            by_partition = defaultdict(list)
            for event in events:
                by_partition[event.partition].append(event)
            for partition, partition_events in sorted(by_partition.items()):
                rows = aggregate(partition_events, spec)
                rollups.put_rows(Granularity.HOUR, rollups.partition_key(org_slug, kind, partition), hour,
                                 list(rows.values()))
                touched[partition].add(hour)
                report.buckets_written["hour"] += 1
        for partition, hours in sorted(touched.items()):
            pk = rollups.partition_key(org_slug, kind, partition)
            days = _roll_coarser(pk, Granularity.HOUR, Granularity.DAY, hours)
            report.buckets_written["day"] += len(days)
            report.buckets_written["month"] += len(_roll_coarser(pk, Granularity.DAY, Granularity.MONTH, days))
    rollups.put_watermark(org_slug, until)
    report.watermark = until
    return report


def _roll_coarser(pk: str, finer: Granularity, coarser: Granularity, finer_buckets: set[datetime]) -> set[datetime]:
    """Rewrites each coarser bucket that contains a rewritten finer bucket, as the merge of its finer rows."""
    buckets = {coarser.floor(start) for start in finer_buckets}
    for bucket in sorted(buckets):
        rows = rollups.query_rows(finer, pk, bucket, coarser.next(bucket))
        rollups.put_rows(coarser, pk, bucket, list(merge(row for _, row in rows).values()))
    return buckets


def roll_up_all(now: datetime) -> list[RollupReport]:
    """One scheduled run: every organization from its own watermark. An organization whose rollup fails keeps
    its watermark and is simply rolled up again by the next run."""
    return [roll_up_org(org, now) for org in accounts.list_organizations()]
