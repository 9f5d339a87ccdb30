"""Time buckets of the rollups: five minutes, hour, day and month, in UTC, and how a time range splits into them."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # nothing is older: a read from the beginning starts here


class Granularity(str, enum.Enum):
    FIVE_MINUTES = "five_minutes"
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"

    def floor(self, moment: datetime) -> datetime:
        moment = moment.astimezone(UTC).replace(second=0, microsecond=0)
        if self is Granularity.FIVE_MINUTES:
            return moment.replace(minute=moment.minute - moment.minute % 5)
        moment = moment.replace(minute=0)
        if self is Granularity.HOUR:
            return moment
        moment = moment.replace(hour=0)
        return moment if self is Granularity.DAY else moment.replace(day=1)

    def ceil(self, moment: datetime) -> datetime:
        """The start of the first bucket that begins at or after `moment`."""
        floor = self.floor(moment)
        return floor if floor == moment else self.next(floor)

    def next(self, start: datetime) -> datetime:
        """The start of the bucket after the one starting at `start`."""
        if self in _FIXED:
            return start + _FIXED[self]
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)

    def runs(self, starts: Iterable[datetime]) -> list[tuple[datetime, datetime]]:
        """(first, last) of each run of consecutive buckets among `starts`."""
        runs: list[tuple[datetime, datetime]] = []
        for start in sorted(set(starts)):
            if runs and self.next(runs[-1][1]) == start:
                runs[-1] = (runs[-1][0], start)
            else:
                runs.append((start, start))
        return runs

    def bucket_count(self, start: datetime, end: datetime) -> int:
        """How many buckets begin in [start, end), `start` being a bucket start: arithmetic, whatever the span."""
        if end <= start:
            return 0
        if self is Granularity.MONTH:
            last = Granularity.MONTH.floor(end - timedelta(microseconds=1))
            return (last.year - start.year) * 12 + last.month - start.month + 1
        return -(-(end - start) // _FIXED[self])

    def starts(self, start: datetime, end: datetime) -> list[datetime]:
        """Starts of the buckets that begin in [start, end), `start` being a bucket start."""
        starts = []
        while start < end:
            starts.append(start)
            start = self.next(start)
        return starts


_FIXED = {
    Granularity.FIVE_MINUTES: timedelta(minutes=5),
    Granularity.HOUR: timedelta(hours=1),
    Granularity.DAY: timedelta(days=1),
}
COARSEST_FIRST = (Granularity.MONTH, Granularity.DAY, Granularity.HOUR, Granularity.FIVE_MINUTES)


def cover(
    start: datetime, end: datetime, coarsest: Granularity = Granularity.MONTH
) -> list[tuple[Granularity, datetime]]:
    """The fewest whole buckets, none coarser than `coarsest`, that exactly tile the five-minute-aligned
    [start, end)."""
    allowed = COARSEST_FIRST[COARSEST_FIRST.index(coarsest) :]
    tiles: list[tuple[Granularity, datetime]] = []
    cursor = start
    while cursor < end:
        for granularity in allowed:
            if granularity.floor(cursor) == cursor and granularity.next(cursor) <= end:
                tiles.append((granularity, cursor))
                cursor = granularity.next(cursor)
                break
    return tiles
