"""How run_all runs a cycle's syncs, each with the cycle's shared reads: ``ra_sync`` first, then two lanes side by side.

* **Posting from Loop** (in a thread of run_all's flow run): ``item_receipt_to_netsuite``, then ``refund_sync``.
  They mostly wait on NetSuite.
* **The rest, in lifecycle order**: ``item_receipt_to_loop``, ``return_cancellation``, ``ra_cancellation``. They
  mostly wait on Loop (a write per return processed or cancelled, under Loop's 300 requests a minute per key).

One after another, NetSuite sat idle while a big store's returns were processed in Loop (issue 12: 40 to 65 s of a
pass). Side by side they take nothing from each other: the posting lane works from the cycle's Loop listing, which
processing only moves forward, and the cancellations touch returns no posting sync lists (cancelled in Loop, or
whose RA NetSuite closed). A return processed meanwhile is closed in Loop too late for that listing, so when
``item_receipt_to_loop`` changed Loop, the posting lane runs ``refund_sync`` once more on a fresh listing as soon
as both have ended (the cancellations may still go on), and the refund lands in this cycle as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypedDict, TypeGuard

from prefect import Flow
from prefect.states import State

from returns_sync.domain.syncs import SyncName
from returns_sync.flows.common import FlowOutcome
from returns_sync.flows.netsuite_numbers import WriteBackLane
from returns_sync.tasks.failures import CREDENTIALS_REFUSED
from returns_sync.tasks.reporting import RunSummary, merge_run_summaries
from returns_sync.tasks.shared_loop_listing import SharedLoopListing, sharing_listing
from returns_sync.tasks.shared_loop_reads import SharedLoopReads, sharing_reads
from returns_sync.tasks.shared_netsuite_reads import SharedNetSuiteReads, sharing_netsuite_reads

__all__ = ["POSTING_FROM_LOOP", "FailedSync", "LoopView", "SyncCycle"]

# The lane that posts from Loop: beside item_receipt_to_loop and the cancellations when the cycle has it.
POSTING_FROM_LOOP = frozenset({SyncName.ITEM_RECEIPT_TO_NETSUITE, SyncName.REFUND_SYNC})

# The syncs that process, flag or cancel returns in Loop (``act_on_loop``). The others' Loop actions are notes
# naming NetSuite records, which change nothing a sync reads, so the cycle's listing and reads stay good.
_ACTS_ON_LOOP_RETURNS = frozenset({SyncName.ITEM_RECEIPT_TO_LOOP, SyncName.RA_CANCELLATION})


class FailedSync(TypedDict):
    """How a sync that could not finish appears among run_all's summaries."""

    state: str
    message: str | None


@dataclass
class LoopView:
    """What the cycle's syncs take instead of asking Loop: a scheduled cycle's listing, a webhook burst's reads."""

    store: str
    return_ids: list[str] | None
    listing: SharedLoopListing | None
    reads: SharedLoopReads | None = field(default=None)

    def afresh(self) -> None:
        """Loop may have changed under what was read: the later syncs list and read for themselves."""
        self.listing = None
        self.reads = SharedLoopReads(self.store, self.return_ids) if self.return_ids else None


@dataclass
class SyncCycle:
    """The syncs of one run_all, their summaries and failures; ``run`` stops at the first refused credentials."""

    store: str
    return_ids: list[str] | None
    since: datetime | None
    dry_run: bool
    view: LoopView
    write_backs: WriteBackLane
    netsuite_reads: SharedNetSuiteReads
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger]  # run_all's run logger
    summaries: dict[SyncName, RunSummary | FailedSync] = field(default_factory=dict)
    failed: list[tuple[SyncName, str | None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, syncs: Sequence[Flow[..., FlowOutcome]]) -> tuple[SyncName, str | None] | None:
        """Run ``syncs`` (in lifecycle order); the sync that met refused credentials and its message, if one did."""
        waiting = list(syncs)
        while waiting:
            sync = waiting.pop(0)
            posting = [s for s in waiting if SyncName(s.name) in POSTING_FROM_LOOP]
            if SyncName(sync.name) is SyncName.ITEM_RECEIPT_TO_LOOP and posting:
                rest = [sync, *(s for s in waiting if s not in posting)]
                return self._side_by_side(rest, posting)
            refused = self._in_order([sync], self.view)
            if refused is not None:
                return refused
        return None

    def _side_by_side(
        self, rest: list[Flow[..., FlowOutcome]], posting: list[Flow[..., FlowOutcome]]
    ) -> tuple[SyncName, str | None] | None:
        """``rest`` here and ``posting`` in a thread of this flow run, each in order; the posting lane then takes the
        refunds item_receipt_to_loop made due, while the cancellations go on."""
        their_view = replace(self.view)  # theirs: the listing as it was, whatever processing does to ours
        receipts_ended = threading.Event()
        context = copy_context()  # run_all's flow run: their subflows are its children, as in order
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"run_all-{self.store}") as pool:
            theirs = pool.submit(context.run, self._posting_lane, posting, their_view, receipts_ended)
            receipts_to_loop, *cancellations = rest
            try:
                refused = self._in_order([receipts_to_loop], self.view)
            finally:
                receipts_ended.set()
            if refused is None:
                refused = self._in_order(cancellations, self.view)
            return theirs.result() or refused

    def _posting_lane(
        self, posting: list[Flow[..., FlowOutcome]], view: LoopView, receipts_ended: threading.Event
    ) -> tuple[SyncName, str | None] | None:
        refused = self._in_order(posting, view)
        if refused is not None:
            return refused
        refunds = [sync for sync in posting if SyncName(sync.name) is SyncName.REFUND_SYNC]
        receipts_ended.wait()
        receipts = self.summaries.get(SyncName.ITEM_RECEIPT_TO_LOOP)
        if refunds and _is_summary(receipts) and receipts["loop_actions"] and not self.dry_run:
            self.logger.info("%s: refund_sync again, for the returns item_receipt_to_loop changed in Loop", self.store)
            view.afresh()
            return self._in_order(refunds, view)
        return None

    def _in_order(self, syncs: Sequence[Flow[..., FlowOutcome]], view: LoopView) -> tuple[SyncName, str | None] | None:
        for sync in syncs:
            name = SyncName(sync.name)
            with (
                sharing_listing(view.listing),
                sharing_reads(view.reads),
                sharing_netsuite_reads(self.netsuite_reads),
                self.write_backs.taking(),
            ):
                state = sync(
                    store=self.store, return_ids=self.return_ids, since=self.since, dry_run=self.dry_run, return_state=True
                )
            self.write_backs.ended(name)
            # Prefect's overloads pick "returns the flow's value" for a Flow[..., T]; with return_state=True it is a State.
            assert isinstance(state, State)
            if not self._record(name, state, view):
                return name, state.message
        return None

    def _record(self, name: SyncName, state: State, view: LoopView) -> bool:
        """Keep the sync's summary (merged with an earlier run's of it); False when credentials were refused."""
        with self._lock:
            if state.is_completed():
                summary: RunSummary = state.result()
                earlier = self.summaries.get(name)
                self.summaries[name] = merge_run_summaries(earlier, summary) if _is_summary(earlier) else summary
                if name in _ACTS_ON_LOOP_RETURNS and summary.get("loop_actions"):
                    view.afresh()  # Loop changed under the listing (a return processed, flagged)
                return True
            view.afresh()
            self.failed.append((name, state.message))
            self.summaries[name] = FailedSync(state=state.type.value, message=state.message)
            self.logger.error("%s failed for %s: %s", name, self.store, state.message)
            return state.name != CREDENTIALS_REFUSED


def _is_summary(value: RunSummary | FailedSync | None) -> TypeGuard[RunSummary]:
    return value is not None and "counts" in value
