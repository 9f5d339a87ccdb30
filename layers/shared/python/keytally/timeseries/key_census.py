"""An organization's keys by state at any moment, kept as changes instead of counted key by key.

A key's life — created, enabled or not, expiring, revoked — makes its state a step function of time (revoked
outranks expired, expired outranks disabled; a change at instant x holds for every moment after x). Each change of
a key, and each expiry to come, is a delta of the counts per state, filed under the second it falls in and summed
into the buckets holding that second at five granularities (month, day, hour, minute, second). The counts at a
moment t are then the sums of whole buckets before it: the months before t's month, that month's days before t's
day, and so on down to t's minute's seconds before t — at most a few dozen buckets besides the months, however many
keys. Invariant: for a moment on a whole second the sums equal, state by state, the organization's keys in that
state then, history included (a key disabled today counts as active yesterday); a moment within a second counts
that second's changes whole (an expiry at most a second early)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import NamedTuple

STATES = ("active", "disabled", "expired", "revoked")
CREATED = "created"  # keys created: the total (a key is never deleted, only revoked)


class KeyLife(NamedTuple):
    created: datetime
    enabled: bool
    expires_at: datetime | None
    revoked_at: datetime | None

    def state_after(self, moment: datetime) -> str:
        """The state at every moment just after `moment` (revoked and expired from the instant they fall on)."""
        if self.revoked_at is not None and self.revoked_at <= moment:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= moment:
            return "expired"
        return "active" if self.enabled else "disabled"

    def deltas_from(self, moment: datetime) -> dict[datetime, Counter[str]]:
        """This life's counts from `moment` on: its state then, and each change it makes later."""
        deltas = {moment: Counter({self.state_after(moment): 1})}
        later = sorted({change for change in (self.expires_at, self.revoked_at) if change and change > moment})
        for before, change in zip([moment, *later], later, strict=False):
            step = Counter({self.state_after(change): 1})
            step.subtract({self.state_after(before): 1})
            deltas[change] = step
        return deltas


def created(life: KeyLife) -> dict[datetime, Counter[str]]:
    """A new key's deltas: counted as created and in its states from its creation on."""
    deltas = life.deltas_from(life.created)
    deltas[life.created][CREATED] += 1
    return deltas


def changed(before: KeyLife, after: KeyLife, at: datetime) -> dict[datetime, Counter[str]]:
    """The deltas that turn the counts of `before`'s life into `after`'s from `at` on (nothing earlier changes)."""
    deltas: dict[datetime, Counter[str]] = {}
    for moment, step in after.deltas_from(at).items():
        deltas.setdefault(moment, Counter()).update(step)
    for moment, step in before.deltas_from(at).items():
        deltas.setdefault(moment, Counter()).subtract(step)
    nonzero = {moment: Counter({name: n for name, n in step.items() if n}) for moment, step in deltas.items()}
    return {moment: step for moment, step in nonzero.items() if step}


class Level(Enum):
    MONTH = "M"
    DAY = "D"
    HOUR = "H"
    MINUTE = "N"
    SECOND = "S"

    def floor(self, moment: datetime) -> datetime:
        moment = moment.astimezone(UTC).replace(microsecond=0)
        match self:
            case Level.MONTH:
                return moment.replace(day=1, hour=0, minute=0, second=0)
            case Level.DAY:
                return moment.replace(hour=0, minute=0, second=0)
            case Level.HOUR:
                return moment.replace(minute=0, second=0)
            case Level.MINUTE:
                return moment.replace(second=0)
        return moment

    def label(self, start: datetime) -> str:
        """The bucket's sort key: fixed width, so text order is time order within a level."""
        width = {"M": 7, "D": 10, "H": 13, "N": 16, "S": 19}[self.value]
        return f"{self.value}#{start.astimezone(UTC).replace(tzinfo=None).isoformat()[:width]}"


LEVELS = tuple(Level)


def bucket_labels(moment: datetime) -> list[str]:
    """The buckets a change at `moment` is summed into, one per level."""
    return [level.label(level.floor(moment)) for level in LEVELS]


class BucketRange(NamedTuple):
    """Buckets of one level whose starts fall in [first, last): read as the labels from `first` up to `last`'s,
    `last`'s itself left out."""

    level: Level
    first: str
    last: str


def ranges_before(moment: datetime) -> list[BucketRange]:
    """The buckets whose sums are the counts at `moment`: every change filed under a second that starts before it."""
    end = Level.SECOND.floor(moment) + (timedelta(seconds=1) if Level.SECOND.floor(moment) < moment else timedelta())
    ranges = []
    for coarser, level in zip((None, *LEVELS), LEVELS, strict=False):
        start = coarser.floor(end) if coarser else None
        stop = level.floor(end)
        if start is None or start < stop:
            first = f"{level.value}#" if start is None else level.label(start)
            ranges.append(BucketRange(level, first, level.label(stop)))
    return ranges


def total(buckets: Iterable[Counter[str]]) -> Counter[str]:
    summed: Counter[str] = Counter()
    for counts in buckets:
        summed.update(counts)
    return summed
