"""All six syncs for one store, in the order a return lives them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime

from prefect import Flow, flow, get_run_logger
from prefect.states import Failed, State

from returns_sync.domain.listed_returns import ListedReturn
from returns_sync.domain.loop import LoopReturn, ReturnState
from returns_sync.domain.syncs import SyncName
from returns_sync.flows.common import FlowOutcome
from returns_sync.flows.cycle import FailedSync, LoopView, SyncCycle
from returns_sync.flows.item_receipt_to_loop import item_receipt_to_loop
from returns_sync.flows.item_receipt_to_netsuite import LOOP_STATES as RECEIPT_STATES
from returns_sync.flows.item_receipt_to_netsuite import item_receipt_to_netsuite
from returns_sync.flows.netsuite_numbers import WriteBackLane
from returns_sync.flows.ra_cancellation import ra_cancellation
from returns_sync.flows.ra_sync import LOOP_STATES as RA_SYNC_STATES
from returns_sync.flows.ra_sync import ra_sync
from returns_sync.flows.refund_sync import LOOP_STATES as REFUND_STATES
from returns_sync.flows.refund_sync import refund_sync
from returns_sync.flows.return_cancellation import LOOP_STATES as CANCELLATION_STATES
from returns_sync.flows.return_cancellation import return_cancellation
from returns_sync.flows.subflow_settings import subflows_without_heartbeat
from returns_sync.tasks.failures import CREDENTIALS_REFUSED
from returns_sync.tasks.item_receipt_to_netsuite import received_in_loop_return
from returns_sync.tasks.refunds import refund_sync_posts_for
from returns_sync.tasks.reporting import RunSummary
from returns_sync.tasks.shared_loop_listing import SharedLoopListing, list_loop_returns_for_cycle
from returns_sync.tasks.shared_loop_reads import SharedLoopReads
from returns_sync.tasks.shared_netsuite_reads import SharedNetSuiteReads

__all__ = ["LIFECYCLE_ORDER", "FailedSync", "run_all"]

LIFECYCLE_ORDER: tuple[Flow[..., FlowOutcome], ...] = (
    ra_sync,
    item_receipt_to_loop,
    item_receipt_to_netsuite,
    refund_sync,
    return_cancellation,
    ra_cancellation,
)


# The Loop-driven syncs and the states each lists: run_all lists their union once per cycle.
_LOOP_DRIVEN: dict[SyncName, list[ReturnState]] = {
    SyncName.RA_SYNC: RA_SYNC_STATES,
    SyncName.ITEM_RECEIPT_TO_NETSUITE: RECEIPT_STATES,
    SyncName.REFUND_SYNC: REFUND_STATES,
    SyncName.RETURN_CANCELLATION: CANCELLATION_STATES,
}

# The later posting syncs, and which listed returns each will likely post for: a receipt for units Loop shows
# received, a refund (or an instant exchange's charge) for an outcome Loop has executed.
_POSTS_LATER: dict[SyncName, Callable[[LoopReturn], bool]] = {
    SyncName.ITEM_RECEIPT_TO_NETSUITE: received_in_loop_return,
    SyncName.REFUND_SYNC: refund_sync_posts_for,
}


def _list_loop_once(store: str, syncs: Sequence[SyncName]) -> SharedLoopListing | None:
    """The cycle's one Loop listing, or None when it could not be read (each sync then lists, and reports, itself)."""
    wanted = {sync: states for sync, states in _LOOP_DRIVEN.items() if sync in syncs}
    if not wanted:
        return None
    state = list_loop_returns_for_cycle(store, wanted, return_state=True)
    return state.result() if state.is_completed() else None


def _finish_write_back(lane: WriteBackLane, failed: list[tuple[SyncName, str | None]], *, catch_up: bool) -> str | None:
    """Wait for the cycle's write-back; a failure goes to ``failed``. Returns the refused credentials' message, if any."""
    outcome = lane.finish(catch_up=catch_up)
    if outcome is None:
        return None
    get_run_logger().info("NetSuite numbers written back for %s: %s", lane.store, dict(outcome.counts) or "nothing new")
    if outcome.credentials_refused:
        return outcome.credentials_refused
    if outcome.failed_steps or outcome.errors:
        failed.append((SyncName.RUN_ALL, "; ".join(f"{where}: {what}" for where, what in outcome.errors)))
    return None


def _holds_for(returns: Mapping[str, ListedReturn], syncs: Sequence[SyncName]) -> dict[str, SyncName]:
    """For each return, the last sync of this cycle likely to post for it: its Loop note waits for that sync."""
    later = [sync for sync in syncs if sync in _POSTS_LATER]
    holds: dict[str, SyncName] = {}
    if not later:
        return holds
    for rid, listed in returns.items():
        loop_return = listed.read()  # one at a time: the listing stays small
        for sync in later:
            if _POSTS_LATER[sync](loop_return):
                holds[rid] = sync  # the posting syncs run in lifecycle order: the last match is the last to post
    return holds


class _HoldsOfABurst(Mapping[str, SyncName]):
    """A webhook burst's holds, known once its first sync has read the burst's returns from Loop (none before).

    A closed return's receipt and refund are posted by two syncs of one run: held, they share one note and one read
    of their numbers, as a scheduled cycle's do.
    """

    def __init__(self, reads: SharedLoopReads, syncs: Sequence[SyncName]) -> None:
        self._reads, self._syncs = reads, list(syncs)
        self._holds: dict[str, SyncName] | None = None

    def _known(self) -> dict[str, SyncName]:
        if self._holds is None:
            taken = self._reads.taken(self._reads.store, self._reads.return_ids)
            if taken is None:
                return {}
            self._holds = _holds_for({r.id: r for r in taken.returns}, self._syncs)
        return self._holds

    def __getitem__(self, rid: str) -> SyncName:
        return self._known()[rid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._known())

    def __len__(self) -> int:
        return len(self._known())


def _write_back_holds(
    listing: SharedLoopListing | None, reads: SharedLoopReads | None, syncs: Sequence[SyncName]
) -> Mapping[str, SyncName]:
    """The cycle's holds: from the listing of a scheduled run, from the burst's own read in a webhook run."""
    if listing is not None:
        return _holds_for(listing.newest(), syncs)
    if reads is not None:
        return _HoldsOfABurst(reads, syncs)
    return {}


@flow(
    name=SyncName.RUN_ALL.value,
    persist_result=True,  # a state read back from the API keeps its summary (run_all, the CLI): no MissingResult
    flow_run_name=f"{SyncName.RUN_ALL} · {{store}}",
    description="The six syncs for one store: ra_sync, then the two that post from Loop beside the three that wait on Loop.",
)
def run_all(
    store: str,
    return_ids: list[str] | None = None,
    since: datetime | None = None,
    dry_run: bool = False,
    syncs: list[SyncName] | None = None,
) -> dict[SyncName, RunSummary | FailedSync] | State:
    """Run every sync, or only ``syncs``: ``ra_sync``, then two lanes at once (``flows.cycle``); one failing sync does not
    stop the others (each reports its own state).

    Refused credentials do: every later sync would be refused alike, so run_all stops and names them.
    The webhook receiver passes ``syncs``: the ones the burst's Loop events can need (``syncs_for_events``).
    """
    chosen = [sync for sync in LIFECYCLE_ORDER if syncs is None or SyncName(sync.name) in syncs]
    chosen_names = [SyncName(sync.name) for sync in chosen]
    listing = _list_loop_once(store, chosen_names) if return_ids is None and since is None else None
    reads = SharedLoopReads(store, return_ids) if return_ids else None
    write_backs = WriteBackLane(store, holds=_write_back_holds(listing, reads, chosen_names))
    cycle = SyncCycle(
        store=store,
        return_ids=return_ids,
        since=since,
        dry_run=dry_run,
        view=LoopView(store, return_ids, listing, reads),
        write_backs=write_backs,
        netsuite_reads=SharedNetSuiteReads(store),  # sales orders and items: no sync changes them
        logger=get_run_logger(),
    )
    with subflows_without_heartbeat():
        refused_at = cycle.run(chosen)
    failed = cycle.failed
    if refused_at is not None:
        _, message = refused_at
        _finish_write_back(write_backs, failed, catch_up=False)
        return Failed(name=CREDENTIALS_REFUSED, message=f"{store}: {message}; the later syncs did not run")
    # A scheduled run (no return ids) takes up what earlier runs left; a webhook burst's run leaves it to that.
    refused = _finish_write_back(write_backs, failed, catch_up=return_ids is None and not dry_run)
    if refused:
        return Failed(name=CREDENTIALS_REFUSED, message=f"{store}: {refused}")
    if failed:
        first, message = failed[0]
        names = ", ".join(name for name, _ in failed)
        summary = f"{names} failed for {store}; {first}: {message}"
        get_run_logger().error("%s", summary)
        return Failed(message=summary)
    return cycle.summaries
