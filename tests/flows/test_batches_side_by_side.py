"""A sync's batches run several at once (issue 12: NetSuite's slots stay full while one batch reads or validates),
the returns of one order stay in one batch, and the run's report reads in batch order whatever finished first."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from prefect import flow, task

from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.syncs import SyncName
from returns_sync.flows.batch_order import InBatchOrder
from returns_sync.flows.common import BATCHES_IN_FLIGHT, _order_of, _run_batches, batched_together
from returns_sync.tasks.results import BatchResult

pytestmark = [pytest.mark.flow]


def _return(rid: int, order: str | None) -> LoopReturn:
    return LoopReturn.model_validate({"id": str(rid), "state": "open", "order_name": order})


class TestBatchedTogether:
    def test_returns_of_one_order_share_a_batch_in_their_order(self):
        returns = [_return(1, "#1001"), _return(2, "#1002"), _return(3, "#1001"), _return(4, "#1003"), _return(5, "#1002")]
        batches = batched_together(returns, 2, _order_of)
        assert [[r.id for r in b] for b in batches] == [["1", "3"], ["2", "5"], ["4"]]

    def test_a_batch_takes_whole_orders_up_to_the_size(self):
        returns = [_return(n, f"#{1000 + n}") for n in range(1, 6)] + [_return(6, "#1001")]
        batches = batched_together(returns, 3, _order_of)
        # #1001's second return joins its first; no order is split.
        assert [[r.id for r in b] for b in batches] == [["1", "6", "2"], ["3", "4", "5"]]
        assert sorted(r.id for b in batches for r in b) == sorted(r.id for r in returns)

    def test_an_order_larger_than_a_batch_stays_whole(self):
        returns = [_return(n, "#1001") for n in range(1, 5)] + [_return(5, "#1002")]
        assert [len(b) for b in batched_together(returns, 2, _order_of)] == [4, 1]

    def test_returns_without_an_order_name_are_each_their_own(self):
        returns = [_return(n, None) for n in range(1, 5)]
        assert [len(b) for b in batched_together(returns, 2, _order_of)] == [2, 2]


in_flight: list[int] = []
meeting = threading.Barrier(BATCHES_IN_FLIGHT, timeout=20)


@task
def meeting_batch(store: str, items: list[LoopReturn], *, batch: int, dry_run: bool) -> BatchResult:
    """Batches 1..BATCHES_IN_FLIGHT wait for each other: run one after another, the first would wait alone and fail."""
    if batch <= BATCHES_IN_FLIGHT:
        meeting.wait()
    # Later batches finish first, so merging in order of completion would scramble the report.
    time.sleep(0.05 * (BATCHES_IN_FLIGHT + 2 - batch))
    result = BatchResult(sync=SyncName.RA_SYNC, store=store)
    result.count("RA created", len(items))
    result.outcomes[f"batch {batch}"] += 1
    return result


def test_batches_run_side_by_side_and_report_in_batch_order(prefect_api: Any) -> None:
    returns = [_return(n, f"#{1000 + n}") for n in range(1, BATCHES_IN_FLIGHT + 3)]

    @flow(name="batches-side-by-side-probe")
    def probe() -> BatchResult:
        result = BatchResult(sync=SyncName.RA_SYNC, store="north")
        _run_batches(returns, meeting_batch, load=list, store="north", dry_run=False, batch_size=1, result=result, what="returns")
        return result

    result = probe()
    assert list(result.outcomes) == [f"batch {n}" for n in range(1, len(returns) + 1)]
    assert result.counts["RA created"] == len(returns)


class TestInBatchOrder:
    """Issue 12: every batch's result (a posted record per return) was kept until the sync ended, tens of MB at 20,000
    returns. Merged in order as soon as the batches before it are, a batch waits only for those still running."""

    def test_batches_go_out_in_order_as_soon_as_the_earlier_ones_have(self):
        order = InBatchOrder[str]()
        outs, held = [], []
        for number in (2, 3, 1, 5, 4, 6):  # as they might end, three in flight
            outs.append([n for n, _ in order.add(number, f"batch {number}")])
            held.append(order.held)
        assert outs == [[], [], [1, 2, 3], [], [4, 5], [6]]
        assert held == [1, 2, 0, 1, 0, 0]

    def test_a_long_run_holds_no_more_than_the_batches_in_flight(self):
        order = InBatchOrder[int]()
        ended = [n for k in range(1, 1001) for n in (2 * k, 2 * k - 1)]  # 2, 1, 4, 3, ...: each pair waits once
        let_out, most_held = [], 0
        for number in ended:
            let_out += [n for n, _ in order.add(number, number)]
            most_held = max(most_held, order.held)
        assert let_out == list(range(1, 2001)) and most_held == 1 and order.held == 0

    def test_what_never_ran_leaves_gaps_and_the_rest_goes_out_in_order(self):
        order = InBatchOrder[str]()
        assert order.add(3, "c") == [] and order.add(2, "b") == []  # batch 1 never ran: credentials were refused
        assert order.rest() == [(2, "b"), (3, "c")] and order.held == 0
