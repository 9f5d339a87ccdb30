"""The windows request analytics and organization metrics read: the previous window and the 30-day history beside
the asked one, one read cut at every bound, and ChainPatrol's dates resolved to whole hours."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from keytally.analytics.organization import metrics_window
from keytally.analytics.organization_models import OrganizationMetricsRequest
from keytally.analytics.query import LATEST, Window
from keytally.analytics.requests import Spans, _window_around
from keytally.errors import Unprocessable
from keytally.timeseries.buckets import EARLIEST

START = datetime(2026, 11, 20, 5, tzinfo=UTC)
END = datetime(2026, 11, 22, 5, tzinfo=UTC)
CREATED = datetime(2026, 3, 4, 15, 20, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 17, 40, tzinfo=UTC)


def test_the_previous_window_has_the_same_length_and_the_history_is_the_30_days_to_the_end():
    spans = Spans.of(Window(START, END, None))
    assert spans.current == (START, END)
    assert spans.previous == (START - (END - START), START)
    assert spans.history == (END - timedelta(days=30), END)


def test_nothing_is_read_before_1970():
    spans = Spans.of(Window(EARLIEST, EARLIEST + timedelta(days=2), None))
    assert spans.previous == (EARLIEST, EARLIEST) and spans.history == (EARLIEST, EARLIEST + timedelta(days=2))
    whole = Spans.of(Window(EARLIEST, LATEST, None))  # a span that long does not overflow
    assert whole.previous == (EARLIEST, EARLIEST)


def test_one_read_covers_every_span_of_a_view_cut_at_their_bounds():
    spans = Spans.of(Window(START, END, None))
    window = _window_around([spans.previous, spans.current, spans.history])
    assert (window.start, window.end) == (END - timedelta(days=30), END)
    assert window.cuts == (spans.previous[0], START)
    assert {window.slice_of(moment) for moment in (START, END - timedelta(hours=1))} == {START}


def resolved(start, end) -> tuple[datetime, datetime]:
    window = metrics_window(
        OrganizationMetricsRequest(organizationSlug="acme", startDate=start, endDate=end), CREATED, NOW
    )
    return window.start, window.end


def test_dates_are_whole_utc_days_and_instants_whole_hours():
    assert resolved(None, None) == (datetime(2026, 3, 4, 15, tzinfo=UTC), datetime(2026, 11, 23, 18, tzinfo=UTC))
    assert resolved(date(2026, 11, 1), date(2026, 11, 1)) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 2, tzinfo=UTC),
    )
    minus_five = timezone(timedelta(hours=-5))
    assert resolved(datetime(2026, 11, 1, 10, 30, tzinfo=minus_five), datetime(2026, 11, 2, 12, 0, 1, tzinfo=UTC)) == (
        datetime(2026, 11, 1, 15, tzinfo=UTC),
        datetime(2026, 11, 2, 13, tzinfo=UTC),
    )


def test_an_end_before_the_organization_starts_the_range_at_its_own_start_and_a_start_after_the_end_is_a_422():
    assert resolved(None, date(2026, 1, 1)) == (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC))
    with pytest.raises(Unprocessable, match="startDate"):
        resolved(date(2026, 11, 2), date(2026, 11, 1))


def test_the_calendar_ends_are_clamped_to_what_the_store_can_hold():
    plus_one = timezone(timedelta(hours=1))
    assert resolved(datetime(1, 1, 1, tzinfo=plus_one), date(9999, 12, 31)) == (EARLIEST, LATEST)
