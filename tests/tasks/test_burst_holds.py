"""A webhook burst's write-back holds (run_all): a closed return's receipt note waits for its refund, as in a scheduled
cycle, once the burst's first sync has read the returns from Loop; before that read nothing is held."""

from __future__ import annotations

from fakes import listed_return

from returns_sync.domain.syncs import SyncName
from returns_sync.flows.run_all import _write_back_holds
from returns_sync.tasks.shared_loop_reads import LoopReads, SharedLoopReads

CLOSED_BURST = [SyncName.ITEM_RECEIPT_TO_NETSUITE, SyncName.REFUND_SYNC]


def test_a_closed_returns_receipt_waits_for_its_refund_once_the_burst_is_read() -> None:
    reads = SharedLoopReads("north", ["7001", "7002"])
    holds = _write_back_holds(None, reads, CLOSED_BURST)
    assert dict(holds) == {}, "nothing read yet: nothing held"
    processed = listed_return("7001", state="closed", was_processed=True)
    still_open = listed_return("7002")  # units received, outcome not executed: its refund is not due
    reads.keep("north", ["7001", "7002"], LoopReads(returns=(processed, still_open), malformed=(), refused_ids=()))
    assert dict(holds) == {"7001": SyncName.REFUND_SYNC, "7002": SyncName.ITEM_RECEIPT_TO_NETSUITE}


def test_a_new_returns_burst_holds_nothing() -> None:
    reads = SharedLoopReads("north", ["7003"])
    reads.keep("north", ["7003"], LoopReads(returns=(listed_return("7003"),), malformed=(), refused_ids=()))
    assert dict(_write_back_holds(None, reads, [SyncName.RA_SYNC])) == {}
