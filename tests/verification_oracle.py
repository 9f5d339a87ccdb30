"""A brute-force oracle for verification analytics: random verification events, their counts by plain iteration,
and datapoints in the same comparable form. The in-memory matrix and the moto-backed checks both use it."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, datetime

from keytally.analytics.outcome_fields import OUTCOME_FIELDS
from keytally.analytics.verification_models import Datapoint, GroupBy
from keytally.analytics.verifications import VerificationsQuery
from keytally.models import Code
from keytally.timeseries.buckets import Granularity
from keytally.timeseries.records import Event, EventKind

KEYS, IDENTITIES, TAGS = ("k1", "k2", "k3"), ("c1", "c2", ""), ("t1", "t2", "t3")
HOUR_MS = 3_600_000


def event(rng: random.Random, org: str, api: str, time: datetime, received: datetime, number: int) -> Event:
    return Event(
        event_id=f"ev{number:06d}",
        kind=EventKind.VERIFICATION,
        org_slug=org,
        time=time,
        received_at=received,
        dimensions={
            "api_id": api,
            "key_id": rng.choice([*KEYS, ""]),  # "": a key that was not found
            "identity": rng.choice(IDENTITIES),
            "outcome": rng.choice(list(Code)).value,
        },
        tags=tuple(sorted(rng.sample(TAGS, rng.randint(0, 2)))),
        measures={"latency_ms": rng.uniform(1, 200), "credits": 1},
    )


def brute_force(events: list[Event], query: VerificationsQuery) -> list[tuple]:
    """The query's answer counted event by event: [start, end) in whole hours (start floored, end rounded up), time
    slices cut at the window (the first one begins at its start)."""
    assert query.start_ms is not None and query.end_ms is not None
    start = Granularity.HOUR.floor(datetime.fromtimestamp(query.start_ms / 1000, UTC))
    end = datetime.fromtimestamp(-(-query.end_ms // HOUR_MS) * HOUR_MS / 1000, UTC)
    slices = next((Granularity(g.value) for g in query.group_by if g.value in ("hour", "day", "month")), None)
    groups: dict[tuple, Counter] = defaultdict(Counter)
    for e in events:
        d = e.dimensions
        if d["api_id"] != query.api_id or not start <= e.time < end:
            continue
        if (
            (query.key_ids and d["key_id"] not in query.key_ids)
            or (GroupBy.KEY in query.group_by and not d["key_id"])
            or (GroupBy.IDENTITY in query.group_by and not d["identity"])
            or (query.external_id is not None and d["identity"] != query.external_id)
            or not set(query.tags) <= set(e.tags)
        ):
            continue
        tag_groups = e.tags if GroupBy.TAG in query.group_by else [e.tags] if GroupBy.TAGS in query.group_by else [None]
        for tag in tag_groups:
            key = (
                max(slices.floor(e.time), start) if slices else start,
                d["key_id"] if GroupBy.KEY in query.group_by else None,
                d["identity"] if GroupBy.IDENTITY in query.group_by else None,
                tag,
            )
            groups[key][d["outcome"]] += 1
    return sorted(
        (
            int(key[0].timestamp() * 1000),
            key[1],
            key[2],
            key[3] if not isinstance(key[3], tuple) else list(key[3]),
            {OUTCOME_FIELDS[Code(code)]: n for code, n in counts.items()},
            sum(counts.values()),
        )
        for key, counts in groups.items()
    )


def observed(points: list[Datapoint], group_by: tuple[GroupBy, ...]) -> list[tuple]:
    """Datapoints in brute_force's form."""
    result = []
    for p in points:
        data = p.model_dump()
        counts = {name: data[name] for name in OUTCOME_FIELDS.values() if data[name]}
        identity = data.get("identity")
        result.append(
            (
                data["time"],
                data.get("keyId") or ("" if GroupBy.KEY in group_by else None),
                identity["externalId"] if identity else ("" if GroupBy.IDENTITY in group_by else None),
                data.get("tag") if "tag" in data else data.get("tags"),
                counts,
                data["total"],
            )
        )
    return sorted(result)
