"""run_all's cycle (``flows.cycle.SyncCycle``) with stand-in syncs: item_receipt_to_loop and the cancellations side by
side with the two syncs that post from Loop, refund_sync again on a fresh listing when Loop was changed, and the stops
run_all had before.

The stand-ins meet at a barrier: run one after another, the first would wait for the second until the barrier's
timeout and the test fails. (On a Prefect server whose database is SQLite, real subflows in two threads take turns
at the server; the lifecycle test checks the order of the real runs.)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from prefect.states import Completed, Failed, State

from returns_sync.domain.syncs import SyncName
from returns_sync.flows.cycle import LoopView, SyncCycle
from returns_sync.flows.netsuite_numbers import WriteBackLane
from returns_sync.tasks.failures import CREDENTIALS_REFUSED
from returns_sync.tasks.shared_loop_listing import current_listing
from returns_sync.tasks.shared_netsuite_reads import SharedNetSuiteReads

STORE = "north"
LISTING: Any = object()  # the cycle's one Loop listing, as the syncs see it (``current_listing``)


def _summary(sync: SyncName, **values: Any) -> dict[str, Any]:
    summary = dict(
        sync=sync,
        store=STORE,
        dry_run=False,
        counts={},
        outcomes={},
        created=0,
        linked=0,
        quarantined={},
        loop_actions=0,
        waiting=0,
        errors=0,
        skipped=None,
    )
    return summary | values


class StandIn:
    """A sync as the cycle calls it: records when it ran and which listing it saw, then ends as ``ending`` says."""

    def __init__(
        self,
        sync: SyncName,
        log: list[tuple[str, str, Any]],
        ending: Callable[[], State] | None = None,
        during: Callable[[], None] | None = None,
    ) -> None:
        self.name = sync.value
        self.sync, self.log, self.ending, self.during = sync, log, ending, during

    def __call__(self, **_: Any) -> State:
        self.log.append(("start", self.name, current_listing()))
        if self.during is not None:
            self.during()
        self.log.append(("end", self.name, None))
        if self.ending is not None:
            return self.ending()
        return Completed(data=_summary(self.sync, counts={f"{self.name} ran": 1}))


def _cycle(*, dry_run: bool = False) -> SyncCycle:
    return SyncCycle(
        store=STORE,
        return_ids=None,
        since=None,
        dry_run=dry_run,
        view=LoopView(STORE, None, LISTING),
        write_backs=WriteBackLane(STORE),
        netsuite_reads=SharedNetSuiteReads(STORE),
        logger=logging.getLogger("test"),
    )


def _lifecycle(log: list[tuple[str, str, Any]], *, processed: int, refunds: Callable[[], State] | None = None) -> list[StandIn]:
    meet = threading.Barrier(2, timeout=10)
    return [
        StandIn(SyncName.RA_SYNC, log),
        StandIn(
            SyncName.ITEM_RECEIPT_TO_LOOP,
            log,
            during=meet.wait,
            ending=lambda: Completed(data=_summary(SyncName.ITEM_RECEIPT_TO_LOOP, loop_actions=processed)),
        ),
        StandIn(SyncName.ITEM_RECEIPT_TO_NETSUITE, log, during=meet.wait),
        StandIn(SyncName.REFUND_SYNC, log, ending=refunds),
        StandIn(SyncName.RETURN_CANCELLATION, log),
        StandIn(SyncName.RA_CANCELLATION, log),
    ]


def _starts(log: list[tuple[str, str, Any]]) -> list[tuple[str, Any]]:
    return [(name, listing) for what, name, listing in log if what == "start"]


def test_receipts_to_loop_runs_beside_the_posting_syncs_and_refund_sync_runs_again_on_a_fresh_listing() -> None:
    log: list[tuple[str, str, Any]] = []
    cycle = _cycle()
    assert cycle.run(_lifecycle(log, processed=2)) is None  # the barrier held: the two ran at once
    starts = _starts(log)
    assert starts[0] == ("ra_sync", LISTING)
    assert {starts[1], starts[2]} == {("item_receipt_to_loop", LISTING), ("item_receipt_to_netsuite", LISTING)}
    assert ("refund_sync", LISTING) in starts  # the posting lane's refund_sync: the cycle's listing
    # item_receipt_to_loop changed Loop: the cancellations after it list afresh, and so does refund_sync, once more,
    # when both it and the first refund_sync have ended.
    assert ("return_cancellation", None) in starts and ("ra_cancellation", None) in starts
    assert [listing for name, listing in starts if name == "refund_sync"] == [LISTING, None]
    events = [(what, name) for what, name, _ in log]
    again = len(events) - 1 - events[::-1].index(("start", "refund_sync"))
    assert ("end", "item_receipt_to_loop") in events[:again]
    assert events.index(("end", "refund_sync")) < again
    assert events.count(("end", "refund_sync")) == 2
    assert cycle.summaries[SyncName.REFUND_SYNC]["counts"] == {"refund_sync ran": 2}  # both runs, in one summary
    assert not cycle.failed


def test_when_loop_was_not_changed_refund_sync_runs_once() -> None:
    log: list[tuple[str, str, Any]] = []
    assert _cycle().run(_lifecycle(log, processed=0)) is None
    names = [name for name, _ in _starts(log)]
    assert names.count("refund_sync") == 1
    assert ("ra_cancellation", LISTING) in _starts(log)  # nothing changed Loop: the listing still serves


def test_a_dry_run_runs_refund_sync_once() -> None:
    log: list[tuple[str, str, Any]] = []
    assert _cycle(dry_run=True).run(_lifecycle(log, processed=3)) is None
    assert [name for name, _ in _starts(log)].count("refund_sync") == 1


def test_refused_credentials_beside_stop_the_cycle_after_both_end() -> None:
    log: list[tuple[str, str, Any]] = []
    refused = lambda: Failed(name=CREDENTIALS_REFUSED, message="NetSuite refused the token")  # noqa: E731
    cycle = _cycle()
    stopped = cycle.run(_lifecycle(log, processed=2, refunds=refused))
    assert stopped == (SyncName.REFUND_SYNC, "NetSuite refused the token")
    names = [name for name, _ in _starts(log)]
    assert names.count("refund_sync") == 1  # not again: the cycle stops once both lanes ended
    assert cycle.summaries[SyncName.ITEM_RECEIPT_TO_LOOP]["loop_actions"] == 2  # its own run still counts


def test_a_failed_sync_beside_sends_the_rest_of_the_cycle_to_list_afresh() -> None:
    log: list[tuple[str, str, Any]] = []
    cycle = _cycle()
    syncs = _lifecycle(log, processed=0)
    syncs[2].ending = lambda: Failed(message="a batch failed")
    assert cycle.run(syncs) is None
    assert ("refund_sync", None) in _starts(log)  # in its lane, after the failure, as one after another
    assert cycle.failed == [(SyncName.ITEM_RECEIPT_TO_NETSUITE, "a batch failed")]
