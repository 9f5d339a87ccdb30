"""The key census against the keys' whole history: any sequence of creations, enabling and disabling, expiry set,
moved or cleared (into the past too), revocations, and writes made from a stale read (a lost race) — the census at
any moment equals, state by state, what each key's version in force then says. Also: organizations whose keys
predate the census are counted key by key until the rollup counts them in, once, beside writes."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keytally import admin
from keytally.api_keys.models import CreateApiKey
from keytally.models import KeyRecord
from keytally.settings import get_settings
from keytally.storage import api_keys, key_census
from keytally.storage.dynamodb import table
from keytally.timeseries.key_census import CREATED

START = datetime(2026, 11, 28, 23, 59, 58, 250_000, tzinfo=UTC)  # a month, a day and an hour about to turn
slugs = (f"census-{number}" for number in itertools.count())

offsets = st.one_of(st.none(), st.floats(-3 * 86_400, 3 * 86_400, allow_nan=False).map(lambda s: timedelta(seconds=s)))
operation = st.one_of(
    st.tuples(st.just("create"), st.booleans(), st.booleans(), offsets),  # product key?, enabled, expiry
    st.tuples(st.just("enable"), st.integers(0, 20), st.booleans(), st.booleans()),  # which, enabled, stale read?
    st.tuples(st.just("expire"), st.integers(0, 20), offsets, st.booleans()),  # which, expiry (None: clear), stale
    st.tuples(st.just("revoke"), st.integers(0, 20), st.booleans()),
)
steps = st.lists(st.tuples(operation, st.floats(0, 7_200, allow_nan=False)), min_size=1, max_size=14)


class History:
    """Each key's versions, with the instant each took effect (strictly after it)."""

    def __init__(self) -> None:
        self.versions: dict[str, list[tuple[datetime, KeyRecord]]] = {}

    def note(self, at: datetime, record: KeyRecord) -> None:
        self.versions.setdefault(record.api_key_id, []).append((at, record))

    def counts_at(self, moment: datetime) -> Counter[str]:
        counts: Counter[str] = Counter()
        for versions in self.versions.values():
            in_force = [record for at, record in versions if at < moment]
            if in_force:
                counts[in_force[-1].state_at(moment)] += 1
                counts[CREATED] += 1
        return counts


def whole_second_after(moment: datetime) -> datetime:
    """The census counts a moment within a second as the end of that second."""
    floor = moment.replace(microsecond=0)
    return floor if floor == moment else floor + timedelta(seconds=1)


def census_at(org_slug: str, moment: datetime) -> Counter[str]:
    assert key_census.is_complete(org_slug)
    return +key_census.counts_at(org_slug, moment)


@pytest.mark.usefixtures("tables")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_census_equals_every_keys_history_at_any_moment(steps) -> None:
    org_slug = next(slugs)
    admin.create_organization(org_slug, None, START - timedelta(days=1))
    api = admin.create_api(org_slug, "api", START - timedelta(days=1))
    history, now = History(), START
    latest: list[KeyRecord] = []
    first_read: list[KeyRecord] = []  # what a slow writer read when the key was made
    moments = {START}
    for (kind, *arguments), wait in steps:
        now += timedelta(seconds=wait)
        if kind == "create":
            product, enabled, expiry = arguments
            request = CreateApiKey(**({"api_id": api.api_id} if product else {}), is_enabled=enabled)
            record, _ = admin.create_key(request, now, org_slug=None if product else org_slug)
            if expiry is not None:
                record = api_keys.update_key(record, {"expires_at": now + expiry}, now) or record
            latest.append(record)
            first_read.append(record)
        elif latest:
            which = arguments[0] % len(latest)
            read = first_read[which] if arguments[-1] else latest[which]
            if kind == "enable":
                written = api_keys.update_key(read, {"is_enabled": arguments[1]}, now)
            elif kind == "expire":
                expiry = arguments[1]
                written = api_keys.update_key(read, {"expires_at": None if expiry is None else now + expiry}, now)
            else:
                written = api_keys.revoke_key(read, now)
            if written is None:  # revoked already: nothing changes
                continue
            latest[which] = written
        else:
            continue
        record = latest[-1] if kind == "create" else latest[which]
        history.note(now, record)
        moments |= {now, now + timedelta(microseconds=1)}
        moments |= {change for change in (record.expires_at, record.revoked_at) if change}
    for moment in sorted(moments | {now + timedelta(days=4)}):
        for probe in (moment - timedelta(seconds=0.5), moment, moment + timedelta(seconds=0.5)):
            assert census_at(org_slug, probe) == +history.counts_at(whole_second_after(probe)), probe


def forget_census(org_slug: str) -> None:
    """As before the census: no buckets, no mark, no key counted."""
    entities = table(get_settings().table_name)
    for item in entities.scan()["Items"]:
        if item["pk"] == key_census.partition(org_slug):
            entities.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
        elif item.get("in_census"):
            entities.update_item(Key={"pk": item["pk"], "sk": item["sk"]}, UpdateExpression="REMOVE in_census")
    key_census.forget_cached()


@pytest.mark.usefixtures("tables")
def test_keys_older_than_the_census_are_counted_once_beside_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    admin.create_organization("legacy-org", None, START)
    made = [admin.create_key(CreateApiKey(description=f"k{n}"), START, org_slug="legacy-org")[0] for n in range(5)]
    api_keys.update_key(made[0], {"is_enabled": False}, START)
    admin.revoke_key(made[1].api_key_id, START + timedelta(hours=1))
    forget_census("legacy-org")
    later = START + timedelta(hours=2)
    assert not key_census.is_complete("legacy-org")
    by_key = {"active": 3, "disabled": 1, "revoked": 1, CREATED: 5}
    assert [+counts for counts in api_keys.states_at("legacy-org", START, later)] == [{}, by_key]  # key by key

    monkeypatch.setattr(api_keys, "UNCOUNTED_PER_RUN", 2)
    assert not api_keys.count_uncounted_keys("legacy-org")  # two counted, three to go
    keys = api_keys.keys_of_organization("legacy-org")
    assert sum(key.in_census for key in keys) == 2
    uncounted = next(key for key in keys if not key.in_census and key.is_enabled and key.revoked_at is None)
    api_keys.update_key(uncounted, {"is_enabled": False}, later)  # an uncounted key changes: counted as it ends up
    assert not api_keys.count_uncounted_keys("legacy-org")
    assert api_keys.count_uncounted_keys("legacy-org")
    assert api_keys.count_uncounted_keys("legacy-org")  # complete: nothing more is written
    expected = {"active": 2, "disabled": 2, "revoked": 1, CREATED: 5}
    assert census_at("legacy-org", later) == expected == +api_keys.states_at("legacy-org", later)[0]
    counted = next(key for key in api_keys.keys_of_organization("legacy-org") if key.is_enabled)
    assert counted.in_census
    api_keys.revoke_key(counted, later)  # counted keys now change the census themselves
    assert census_at("legacy-org", later + timedelta(seconds=1)) == expected | {"active": 1, "revoked": 2}


@pytest.mark.usefixtures("tables")
def test_a_change_made_from_a_stale_read_that_looks_like_no_change_still_counts() -> None:
    """Read enabled, disabled meanwhile by another writer, then "enable" from the first read: the key ends enabled, and
    so does the census (the write must not take the stale read's word that nothing changes)."""
    admin.create_organization("stale-org", None, START)
    read, _ = admin.create_key(CreateApiKey(description="k"), START, org_slug="stale-org")
    later = START + timedelta(minutes=1)
    api_keys.update_key(read, {"is_enabled": False}, later)
    written = api_keys.update_key(read, {"is_enabled": True}, later + timedelta(minutes=1))
    assert written is not None and written.is_enabled
    assert census_at("stale-org", later + timedelta(minutes=2)) == {"active": 1, CREATED: 1}
    assert census_at("stale-org", later + timedelta(seconds=30)) == {"disabled": 1, CREATED: 1}
