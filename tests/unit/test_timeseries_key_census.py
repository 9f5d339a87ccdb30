"""Which census buckets hold the counts at a moment."""

from __future__ import annotations

from datetime import UTC, datetime

from keytally.timeseries.key_census import ranges_before


def test_a_moment_within_a_second_reads_buckets_up_to_its_end() -> None:
    moment = datetime(2026, 12, 6, 10, 35, 7, 500_000, tzinfo=UTC)
    assert [(r.level.value, r.first, r.last) for r in ranges_before(moment)] == [
        ("M", "M#", "M#2026-12"),
        ("D", "D#2026-12-01", "D#2026-12-06"),
        ("H", "H#2026-12-06T00", "H#2026-12-06T10"),
        ("N", "N#2026-12-06T10:00", "N#2026-12-06T10:35"),
        ("S", "S#2026-12-06T10:35:00", "S#2026-12-06T10:35:08"),
    ]
    assert [r.level.value for r in ranges_before(datetime(2026, 12, 6, 10, tzinfo=UTC))] == ["M", "D", "H"]
