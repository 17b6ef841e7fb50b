"""Cursor rules: half-open windows capped at the run's start, overlap, backfills."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from returns_sync.ledger import Cursor, Ledger, advance, handled_through, open_window

RUN = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
T1 = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
T2 = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)


def empty() -> Cursor:
    return Cursor("acme", "ra_sync")


class TestOpenWindow:
    def test_first_run_reads_the_initial_lookback_up_to_the_run_start(self) -> None:
        window = open_window(empty(), run_started_at=RUN, initial_lookback=timedelta(days=30))
        assert (window.start, window.end, window.backfill) == (RUN - timedelta(days=30), RUN, False)

    def test_later_runs_start_at_the_watermark_minus_the_overlap(self) -> None:
        cursor = Cursor("acme", "ra_sync", last_value=T2)
        window = open_window(cursor, run_started_at=RUN, overlap=timedelta(minutes=10))
        assert window.start == T2 - timedelta(minutes=10)
        assert window.end == RUN

    def test_window_is_half_open(self) -> None:
        window = open_window(Cursor("acme", "ra_sync", last_value=T1), run_started_at=RUN, overlap=timedelta(0))
        assert window.contains(T1)
        assert window.contains(RUN - timedelta(microseconds=1))
        assert not window.contains(RUN)
        assert not window.contains(T1 - timedelta(microseconds=1))

    def test_the_watermark_itself_is_read_again(self) -> None:
        """Inclusive start: an item at the watermark is handled again (idempotently), never skipped."""
        window = open_window(Cursor("acme", "ra_sync", last_value=T2), run_started_at=RUN, overlap=timedelta(0))
        assert window.start == T2 and window.contains(T2)

    def test_backfill_uses_the_explicit_window_and_ignores_the_watermark(self) -> None:
        cursor = Cursor("acme", "ra_sync", last_value=T2)
        since = datetime(2025, 1, 1, tzinfo=UTC)
        window = open_window(cursor, run_started_at=RUN, since=since, until=datetime(2025, 2, 1, tzinfo=UTC))
        assert (window.start, window.end, window.backfill) == (since, datetime(2025, 2, 1, tzinfo=UTC), True)

    def test_backfill_end_is_capped_at_the_run_start(self) -> None:
        window = open_window(empty(), run_started_at=RUN, since=T1, until=RUN + timedelta(days=1))
        assert window.end == RUN

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"since": RUN}, "empty backfill window"),
            ({"until": T1}, "until= only bounds a backfill"),
            ({"overlap": timedelta(minutes=-1)}, "must not be negative"),
            ({"since": datetime(2025, 1, 1)}, "since must be timezone-aware"),
        ],
    )
    def test_invalid_windows_are_refused(self, kwargs, message) -> None:
        with pytest.raises(ValueError, match=message):
            open_window(empty(), run_started_at=RUN, **kwargs)

    def test_naive_run_start_is_refused(self) -> None:
        with pytest.raises(ValueError, match="run_started_at must be timezone-aware"):
            open_window(empty(), run_started_at=datetime(2025, 6, 2, 12, 0))


class TestAdvance:
    def test_moves_to_the_highest_value(self) -> None:
        moved = advance(empty(), [("r1", T1), ("r2", T2), ("r3", T2)], run_started_at=RUN)
        assert (moved.last_value, moved.run_started_at) == (T2, RUN)

    def test_is_capped_at_the_run_start(self) -> None:
        later = RUN + timedelta(minutes=5)  # changed while the run was going: must be read again
        moved = advance(empty(), [("r1", T1), ("r9", later)], run_started_at=RUN)
        assert moved.last_value == RUN
        assert open_window(moved, run_started_at=later + timedelta(hours=1), overlap=timedelta(0)).contains(later)

    def test_never_moves_back_for_items_in_the_overlap(self) -> None:
        moved = advance(Cursor("acme", "ra_sync", last_value=T2), [("r0", T1)], run_started_at=RUN)
        assert moved.last_value == T2

    def test_nothing_seen_keeps_the_watermark(self) -> None:
        moved = advance(Cursor("acme", "ra_sync", last_value=T1), [], run_started_at=RUN)
        assert (moved.last_value, moved.run_started_at) == (T1, RUN)

    def test_naive_item_time_is_refused(self) -> None:
        with pytest.raises(ValueError, match="updated_at of r1 must be timezone-aware"):
            advance(empty(), [("r1", datetime(2025, 6, 2, 9, 0))], run_started_at=RUN)


class TestLedgerCursor:
    def test_missing_cursor_is_empty(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            assert repo.get_cursor("acme", "ra_sync") == Cursor("acme", "ra_sync")

    def test_advance_persists_and_the_next_window_starts_at_the_watermark(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            window = repo.open_window("acme", "ra_sync", run_started_at=RUN, overlap=timedelta(0))
            repo.advance_cursor(window, [("r1", T1), ("r2", T2)])
        with ledger.session() as repo:
            saved = repo.get_cursor("acme", "ra_sync")
            following = repo.open_window("acme", "ra_sync", run_started_at=RUN + timedelta(hours=1), overlap=timedelta(0))
        assert saved == Cursor("acme", "ra_sync", T2, RUN)
        assert following.start == T2 and following.contains(T2)

    def test_advance_is_capped_at_the_run_start(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            window = repo.open_window("acme", "ra_sync", run_started_at=RUN)
            repo.advance_cursor(window, [("r1", RUN + timedelta(hours=3))])
        with ledger.session() as repo:
            assert repo.get_cursor("acme", "ra_sync").last_value == RUN

    def test_backfill_never_writes_the_cursor(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            repo.advance_cursor(repo.open_window("acme", "ra_sync", run_started_at=RUN), [("r1", T1)])
        with ledger.session() as repo:
            backfill = repo.open_window(
                "acme", "ra_sync", run_started_at=RUN + timedelta(days=1), since=datetime(2025, 1, 1, tzinfo=UTC)
            )
            returned = repo.advance_cursor(backfill, [("r7", RUN + timedelta(hours=1))])
        with ledger.session() as repo:
            assert repo.get_cursor("acme", "ra_sync") == Cursor("acme", "ra_sync", T1, RUN) == returned

    def test_backfill_on_a_fresh_store_leaves_no_cursor_row(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            window = repo.open_window("acme", "ra_sync", run_started_at=RUN, since=T1)
            repo.advance_cursor(window, [("r1", T2)])
        with ledger.session() as repo:
            assert repo.get_cursor("acme", "ra_sync") == Cursor("acme", "ra_sync")

    def test_cursor_moves_only_with_the_batch_it_covers(self, ledger: Ledger) -> None:
        """A batch that fails after advancing leaves neither its postings nor the cursor behind."""
        with ledger.session() as repo:
            repo.begin_intent(
                idempotency_key="loop-acme-r1-ra",
                store="acme",
                loop_return_id="r1",
                sync="ra_sync",
                record_type="returnAuthorization",
                request_body={"item": 1},
            )
        window_run = RUN
        with pytest.raises(RuntimeError, match="crash after posting"), ledger.session() as repo:
            window = repo.open_window("acme", "ra_sync", run_started_at=window_run)
            repo.mark_posted("loop-acme-r1-ra", ns_id="812")
            repo.advance_cursor(window, [("r1", T2)])
            raise RuntimeError("crash after posting")
        with ledger.session() as repo:
            assert repo.get_intent("loop-acme-r1-ra").status == "pending"
            assert repo.get_cursor("acme", "ra_sync").last_value is None

    def test_stale_window_cannot_move_the_saved_cursor_back(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            stale = repo.open_window("acme", "ra_sync", run_started_at=RUN)
            repo.advance_cursor(repo.open_window("acme", "ra_sync", run_started_at=RUN), [("r2", T2)])
        with ledger.session() as repo:
            assert repo.advance_cursor(stale, [("r1", T1)]).last_value == T2
            assert repo.get_cursor("acme", "ra_sync").last_value == T2

    def test_cursors_are_per_store_and_sync(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            repo.advance_cursor(repo.open_window("acme", "ra_sync", run_started_at=RUN), [("r1", T1)])
        with ledger.session() as repo:
            assert repo.get_cursor("acme", "refund_sync").last_value is None
            assert repo.get_cursor("other", "ra_sync").last_value is None
            assert repo.get_cursor("acme", "ra_sync").last_value == T1


class TestHandledThrough:
    """A watermark read after its second ended plus the overlap is final: re-read items there changed nothing."""

    def test_a_run_past_the_overlap_settles_the_watermark(self) -> None:
        cursor = Cursor("acme", "ra_sync", last_value=T2, run_started_at=T2 + timedelta(minutes=10, seconds=1))
        assert handled_through(cursor, timedelta(minutes=10)) == T2
        window = open_window(cursor, run_started_at=RUN, overlap=timedelta(minutes=10))
        assert window.handled_through == T2
        assert window.start == T2 - timedelta(minutes=10)  # the window itself is unchanged

    def test_a_run_within_the_overlap_or_the_watermarks_second_settles_nothing(self) -> None:
        within = Cursor("acme", "ra_sync", last_value=T2, run_started_at=T2 + timedelta(minutes=10))
        assert handled_through(within, timedelta(minutes=10)) is None
        same_second = Cursor("acme", "ra_sync", last_value=T2, run_started_at=T2 + timedelta(milliseconds=900))
        assert handled_through(same_second, timedelta(0)) is None
        assert handled_through(Cursor("acme", "ra_sync", last_value=T2), timedelta(0)) is None
        assert handled_through(empty(), timedelta(0)) is None

    def test_a_backfill_window_never_skips(self) -> None:
        cursor = Cursor("acme", "ra_sync", last_value=T1, run_started_at=T2)
        window = open_window(cursor, run_started_at=RUN, since=T1 - timedelta(hours=1))
        assert window.backfill and window.handled_through is None
