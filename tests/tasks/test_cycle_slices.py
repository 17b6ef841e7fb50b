"""Where a backlog's slice is cut (``tasks.cycle_slices.narrower_end``): after the start, before the end, narrower each
time, with at least the aimed-at returns seen before the cut; a span of one second is never cut again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from returns_sync.tasks.cycle_slices import TIMESTAMP_STEP, narrower_end, sliceable

T0 = datetime(2026, 12, 1, 8, 30, 15, 250000, tzinfo=UTC)

spans = st.integers(min_value=2, max_value=40 * 86400).map(lambda s: timedelta(seconds=s))
offsets = st.lists(st.integers(min_value=0, max_value=40 * 86400), max_size=300)


@given(span=spans, seconds=offsets, aim=st.integers(min_value=1, max_value=200))
def test_the_cut_narrows_and_moves_forward(span: timedelta, seconds: list[int], aim: int) -> None:
    end = T0 + span
    seen = [T0.replace(microsecond=0) + timedelta(seconds=s) for s in seconds]
    cut = narrower_end(seen, T0, end, aim=aim)
    assert T0 < cut < end
    inside = sorted(t for t in seen if T0 <= t <= end)
    if len(inside) >= aim and sliceable(T0 + TIMESTAMP_STEP, end):
        # Not emptier than aimed at: the aim-th earliest return seen is at or before the cut (unless the cut had to
        # come forward to the end's last second).
        assert inside[aim - 1] <= cut or cut == end - TIMESTAMP_STEP


def test_repeated_cuts_end_in_a_span_that_is_not_cut_again() -> None:
    """All returns in one second: the cuts close in on it and stop (a second is taken whole)."""
    dense = [T0 + timedelta(hours=3)] * 5000
    end, cuts = T0 + timedelta(days=30), 0
    while sliceable(T0, end):
        end, cuts = narrower_end(dense, T0, end, aim=500), cuts + 1
        assert cuts < 100
    assert end - T0 <= TIMESTAMP_STEP


def test_the_cut_falls_where_half_a_slice_was_seen() -> None:
    seen = [T0.replace(microsecond=0) + timedelta(minutes=m) for m in range(2000)]
    cut = narrower_end(seen, T0, T0 + timedelta(days=3), aim=500)
    assert cut == T0.replace(microsecond=0) + timedelta(minutes=500)  # minute 0 is before the start's quarter second


def test_a_sample_of_unreadable_times_halves_the_span() -> None:
    end = T0 + timedelta(hours=10)
    assert narrower_end([None, None], T0, end, aim=1) == (T0 + timedelta(hours=5)).replace(microsecond=0)
