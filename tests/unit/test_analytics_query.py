"""A window's pieces: one read of a view serves adjacent windows, each row landing in the piece it belongs to."""

from datetime import UTC, datetime, timedelta

from keytally.analytics.query import Window
from keytally.timeseries.buckets import Granularity, cover

START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 11, 25, 5, tzinfo=UTC)
CUTS = (datetime(2026, 10, 26, 5, tzinfo=UTC), datetime(2026, 11, 24, 5, tzinfo=UTC))


def test_a_cut_window_slices_at_its_start_and_each_cut():
    window = Window(START, END, None, CUTS)
    assert window.slice_of(START) == START
    assert window.slice_of(CUTS[0] - timedelta(microseconds=1)) == START
    assert window.slice_of(CUTS[0]) == CUTS[0]
    assert window.slice_of(END - timedelta(hours=1)) == CUTS[1]
    assert Window(START, END, Granularity.DAY, CUTS).slice_of(CUTS[0]) == datetime(2026, 10, 26, tzinfo=UTC)


def test_pieces_split_at_the_cuts_inside_and_their_tiles_never_cross_a_cut():
    window = Window(START, END, None, CUTS)
    assert window.pieces(START, END) == [(START, CUTS[0]), (CUTS[0], CUTS[1]), (CUTS[1], END)]
    assert window.pieces(CUTS[0], CUTS[1]) == [(CUTS[0], CUTS[1])]
    later = CUTS[1] + timedelta(hours=2)
    assert window.pieces(later, END) == [(later, END)]
    for start, end in window.pieces(START, END):
        tiles = cover(start, end)
        assert all(window.slice_of(tile) == start for _, tile in tiles)
        assert tiles[-1][0].next(tiles[-1][1]) == end
