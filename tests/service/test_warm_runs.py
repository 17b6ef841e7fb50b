"""The warm worker's trigger returns once a run's syncs have ended; the write-back and the run's end go on after it."""

from __future__ import annotations

import threading
import time

import pytest

from returns_sync.domain.syncs import SyncName
from returns_sync.flows.run_all import SYNCS_DONE
from returns_sync.service.dispatcher import Dispatcher
from returns_sync.service.warm_runs import WarmRuns

RA = (SyncName.RA_SYNC,)


class FakeRunAll:
    """Stands in for run_all: its syncs end (SYNCS_DONE), then its write-back waits for ``tail`` to be let go."""

    def __init__(self, *, fail_before_syncs_end: bool = False) -> None:
        self.tail = threading.Event()
        self.ended: list[list[str]] = []
        self.fail = fail_before_syncs_end

    def __call__(self, store: str, *, return_ids: list[str], syncs: list[SyncName], return_state: bool) -> None:
        if self.fail:
            raise RuntimeError("the run could not start")
        done = SYNCS_DONE.get()
        assert done is not None
        done()
        assert self.tail.wait(10)
        self.ended.append(return_ids)


def test_the_call_returns_when_the_syncs_end_and_drain_waits_for_the_rest() -> None:
    run_all = FakeRunAll()
    runs = WarmRuns(run_all)
    runs("north", ["1"], RA)  # returns although the write-back still waits
    assert run_all.ended == []
    threading.Timer(0.2, run_all.tail.set).start()
    runs.drain(timeout=10)
    assert run_all.ended == [["1"]]


def test_a_run_that_fails_before_its_syncs_end_raises_to_the_caller() -> None:
    runs = WarmRuns(FakeRunAll(fail_before_syncs_end=True))
    with pytest.raises(RuntimeError, match="could not start"):
        runs("north", ["1"], RA)


def _until_started(dispatcher: Dispatcher) -> None:
    """Wait until no burst is pending or held by its trigger's call."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with dispatcher._lock:
            if not dispatcher._running and not dispatcher._pending:
                return
        time.sleep(0.02)
    raise AssertionError("the burst's call did not return")


def test_the_lanes_next_burst_starts_while_the_previous_write_back_goes_on_and_flush_waits_for_both() -> None:
    run_all = FakeRunAll()
    dispatcher = Dispatcher(WarmRuns(run_all), debounce_seconds=0, lanes=True)
    dispatcher.submit("north", "1", "return.created")
    _until_started(dispatcher)
    dispatcher.submit("north", "2", "return.created")  # same lane: before, it waited for the first run's end
    _until_started(dispatcher)
    assert run_all.ended == []  # both write-backs still wait
    threading.Timer(0.2, run_all.tail.set).start()
    dispatcher.flush(timeout=10)
    assert sorted(run_all.ended) == [["1"], ["2"]]
    dispatcher.close()
