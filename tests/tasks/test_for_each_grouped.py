"""for_each_grouped: returns of one order in sequence, orders in parallel within the limit, one failing record never stops the rest."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest

from returns_sync.connectors.errors import TransientApiError
from returns_sync.domain.syncs import SyncName
from returns_sync.tasks.batching import for_each_grouped
from returns_sync.tasks.results import BatchResult, one_record


@dataclass(frozen=True)
class Item:
    order: str
    name: str


class Recorder:
    """Work that notes who ran when, how many ran at once, and fails where told to."""

    def __init__(
        self, *, pause: float = 0.0, fail: frozenset[str] = frozenset(), barrier: threading.Barrier | None = None
    ) -> None:
        self.pause, self.fail, self.barrier = pause, fail, barrier
        self.started: list[str] = []
        self.finished: list[str] = []
        self.running_per_order: dict[str, int] = {}
        self.overlaps_within_an_order = 0
        self.running = self.peak = 0
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, item: Item, partial: BatchResult) -> None:
        with self._lock:
            self.started.append(item.name)
            self.threads.add(threading.current_thread().name)
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.running_per_order[item.order] = self.running_per_order.get(item.order, 0) + 1
            if self.running_per_order[item.order] > 1:
                self.overlaps_within_an_order += 1
        try:
            if self.barrier is not None:
                self.barrier.wait(timeout=10)
            time.sleep(self.pause)
            with one_record(partial, item.name):
                if item.name in self.fail:
                    raise TransientApiError("503 Service Unavailable", vendor="netsuite", status_code=503)
                partial.count("posted")
        finally:
            with self._lock:
                self.running -= 1
                self.running_per_order[item.order] -= 1
                self.finished.append(item.name)


def _result(dry_run: bool = False) -> BatchResult:
    return BatchResult(sync=SyncName.RA_SYNC, store="north", dry_run=dry_run)


def _items(orders: int, per_order: int) -> list[Item]:
    return [Item(f"SO{o}", f"SO{o}-r{n}") for o in range(orders) for n in range(per_order)]


class TestOrdering:
    def test_returns_of_one_order_run_one_after_the_other_in_batch_order(self) -> None:
        items = _items(orders=3, per_order=3)
        work = Recorder(pause=0.01)
        for_each_grouped(items, group=lambda i: i.order, work=work, result=_result(), max_workers=3)
        assert work.overlaps_within_an_order == 0
        for order in ("SO0", "SO1", "SO2"):
            mine = [name for name in work.started if name.startswith(f"{order}-")]
            assert mine == [f"{order}-r0", f"{order}-r1", f"{order}-r2"]

    def test_one_worker_runs_everything_in_batch_order_on_the_callers_thread(self) -> None:
        items = _items(orders=3, per_order=2)
        work = Recorder()
        for_each_grouped(items, group=lambda i: i.order, work=work, result=_result(), max_workers=1)
        assert work.started == [i.name for i in items]
        assert (work.peak, work.threads) == (1, {threading.current_thread().name})


class TestParallelism:
    def test_different_orders_run_at_once_up_to_the_limit(self) -> None:
        # Three orders must be in flight together to pass the barrier; a fourth never joins them.
        work = Recorder(barrier=threading.Barrier(3), pause=0.02)
        for_each_grouped(_items(orders=3, per_order=1), group=lambda i: i.order, work=work, result=_result(), max_workers=3)
        assert work.peak == 3

    def test_never_more_than_the_limit(self) -> None:
        work = Recorder(pause=0.02)
        result = _result()
        for_each_grouped(_items(orders=8, per_order=2), group=lambda i: i.order, work=work, result=result, max_workers=2)
        assert work.peak == 2
        assert len(work.finished) == 16 and result.counts["posted"] == 16


class TestFailures:
    def test_a_failing_record_neither_stops_its_order_nor_the_others(self) -> None:
        items = _items(orders=3, per_order=3)
        work = Recorder(fail=frozenset({"SO1-r0"}))
        result = _result()
        for_each_grouped(items, group=lambda i: i.order, work=work, result=result, max_workers=2)
        assert sorted(work.finished) == sorted(i.name for i in items)
        assert result.counts["posted"] == 8
        assert [record for record, _ in result.transient] == ["SO1-r0"]

    def test_the_batch_is_then_retried_for_the_records_that_failed(self) -> None:
        result = _result()
        for_each_grouped(
            _items(orders=2, per_order=1),
            group=lambda i: i.order,
            work=Recorder(fail=frozenset({"SO0-r0"})),
            result=result,
            max_workers=2,
        )
        with pytest.raises(TransientApiError, match="1 record\\(s\\) hit transient errors \\(first: SO0-r0"):
            result.raise_if_transient()

    def test_a_bug_fails_the_batch_instead_of_being_swallowed(self) -> None:
        def broken(item: Item, partial: BatchResult) -> None:
            with one_record(partial, item.name):
                raise KeyError(item.name)

        with pytest.raises(KeyError):
            for_each_grouped(_items(orders=2, per_order=1), group=lambda i: i.order, work=broken, result=_result(), max_workers=2)


class TestPartialResults:
    def test_every_groups_result_is_merged_into_the_batch(self) -> None:
        result = _result(dry_run=True)
        seen_dry_run = []

        def plan(item: Item, partial: BatchResult) -> None:
            seen_dry_run.append((partial.sync, partial.store, partial.dry_run))
            partial.planned.append({"loop_return_id": item.name})
            partial.count("would post")

        items = _items(orders=4, per_order=2)
        for_each_grouped(items, group=lambda i: i.order, work=plan, result=result, max_workers=3)
        assert result.counts["would post"] == 8
        assert sorted(p["loop_return_id"] for p in result.planned) == sorted(i.name for i in items)
        assert set(seen_dry_run) == {(SyncName.RA_SYNC, "north", True)}

    def test_nothing_to_do(self) -> None:
        result = _result()
        for_each_grouped([], group=lambda i: i, work=Recorder(), result=result, max_workers=4)
        assert (dict(result.counts), result.transient) == ({}, [])
