"""Sync 3 (Loop → NetSuite): Item Receipts for units the warehouse received in Loop, at the disposition's location."""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from prefect import task

from returns_sync.domain.lines import plan_item_receipts, received_in_loop
from returns_sync.domain.listed_returns import BatchOfReturns, read_returns
from returns_sync.domain.loop import LoopReturn, ReturnState
from returns_sync.domain.netsuite import RecordRole, RecordType
from returns_sync.domain.plan import PlanningError
from returns_sync.domain.syncs import SyncName
from returns_sync.tasks.approval import ensure_approved
from returns_sync.tasks.batching import for_each_grouped
from returns_sync.tasks.idempotent import NetSuiteRefused, create_once
from returns_sync.tasks.loading import ReturnWork, load_work
from returns_sync.tasks.netsuite_bodies import receipt_body
from returns_sync.tasks.planning import plan_work
from returns_sync.tasks.ra_matching import RA_DIVERGED, diverged_reason, match_ra_lines
from returns_sync.tasks.recovery import settle_unrecorded
from returns_sync.tasks.results import BatchResult, PostedRecord, one_record, quarantine_return
from returns_sync.tasks.retry import RETRY_OPTIONS
from returns_sync.tasks.runtime import SyncRuntime, run_batch

__all__ = ["post_item_receipts", "ra_line_map", "receive_in_netsuite", "received_in_loop_return"]

SYNC = SyncName.ITEM_RECEIPT_TO_NETSUITE


def ra_line_map(w: ReturnWork) -> dict[int, int] | None:
    """Plan line index -> the RA's line number, matched by SO line and item; None without an RA or when it diverged."""
    match = match_ra_lines(w)
    return None if match is None or match.diverged else match.lines


def receive_in_netsuite(
    runtime: SyncRuntime, w: ReturnWork, result: BatchResult, *, sync: SyncName, received: dict[int | str, int] | None
) -> int:
    """Create receipts so NetSuite holds ``received`` units per SO line (None = every unit); returns units received now.

    The RA's lines are matched to the plan by SO line and item (``ra_matching``); an RA that cannot carry the
    return as it stands now quarantines the return, with the lines that do not fit.
    """
    assert w.plan is not None and w.ra is not None
    ra_plan = w.plan.record(RecordRole.RA)
    match = match_ra_lines(w)
    assert ra_plan is not None and match is not None  # callers pass only returns with a planned RA and their RA
    if match.diverged:
        quarantine_return(
            runtime,
            result,
            sync=sync,
            loop_return_id=w.id,
            order_name=w.loop_return.order_name,
            rule=RA_DIVERGED,
            reason=diverged_reason(w, match),
        )
        return 0
    lines = match.lines
    wanted: dict[int | str | None, int] = defaultdict(int)
    have: dict[int | str | None, int] = defaultdict(int)
    for index, planned in enumerate(ra_plan.lines):
        key = planned.order_line if planned.order_line is not None else planned.sku
        wanted[key] += planned.quantity if received is None else 0
        have[key] += match.received[lines[index]]
    for key, count in (received or {}).items():
        wanted[key] = count
    missing = {key: wanted[key] - have[key] for key in wanted if wanted[key] > have[key]}
    if None in missing:  # RA lines with neither an SO line nor a SKU: no receipt line can take these units
        raise PlanningError(f"{missing[None]} unit(s) on RA lines with neither an SO line nor a SKU; receive them by hand")
    to_receive = {key: count for key, count in missing.items() if key is not None}
    if not to_receive:
        return 0
    first, ra_id = len(w.children_of(RecordType.ITEM_RECEIPT)) + 1, w.ra.id
    records = plan_item_receipts(w.loop_return, ra_plan.lines, to_receive, runtime.posting, first)
    units = 0
    for record in records:
        body = receipt_body(record, lines)
        created = create_once(
            runtime,
            sync=sync,
            record_type=RecordType.ITEM_RECEIPT,
            external_id=record.external_id,
            body=body,
            create=partial(
                runtime.netsuite.transform, RecordType.RETURN_AUTHORIZATION, ra_id, RecordType.ITEM_RECEIPT, body, replace="item"
            ),
        )
        count = sum(line.quantity for line in record.lines)
        units += count
        posted = PostedRecord(
            w.id,
            w.loop_return.order_name,
            RecordType.ITEM_RECEIPT,
            created.ns_id,
            str(record.external_id),
            note=f"{count} unit(s) into {w.ra.tranid}",
        )
        (result.created if created.created_now else result.linked).append(posted)
    totals: dict[int, int] = defaultdict(int)
    for index, planned in enumerate(ra_plan.lines):
        if planned.order_line is not None:
            totals[planned.order_line] += match.received[lines[index]]
    for key, count in to_receive.items():
        if isinstance(key, int):
            totals[key] += count
    with runtime.ledger.session() as repo:
        repo.mark_lines_received(runtime.store, w.id, dict(totals))
        repo.upsert_link(runtime.store, w.id, loop_state_seen=w.loop_return.state.value)
    return units


def received_in_loop_return(r: LoopReturn) -> bool:
    """Loop shows units of this return received: this sync has receipts to post for it."""
    return r.state is not ReturnState.CANCELLED and any(line.returned_at for line in r.line_items)


def post_batch(runtime: SyncRuntime, returns: list[LoopReturn], result: BatchResult) -> None:
    work = load_work(runtime, [r for r in returns if received_in_loop_return(r)])
    plan_work(runtime, work)
    settle_unrecorded(runtime, work, result)
    todo = []
    for w in work:
        if w.ra is None:
            result.waiting.append((w.id, "its return authorization (ra_sync creates it)"))
        elif w.plan is not None and w.plan.record(RecordRole.RA) is not None:
            todo.append(w)

    def receive_one(w: ReturnWork, partial: BatchResult) -> None:
        ra_plan = w.plan.record(RecordRole.RA) if w.plan is not None else None
        assert w.plan is not None and ra_plan is not None  # todo holds only returns with a planned RA
        received = received_in_loop(w.loop_return, ra_plan.lines)
        if partial.dry_run:
            partial.planned.append({"loop_return_id": w.id, "record": RecordType.ITEM_RECEIPT.value, "units": received})
            partial.count("would receive")
            return
        with one_record(partial, w.id):
            if not ensure_approved(runtime, w, partial, sync=SYNC):
                return
            try:
                units = receive_in_netsuite(runtime, w, partial, sync=SYNC, received=received)
            except (NetSuiteRefused, PlanningError) as exc:
                quarantine_return(
                    runtime,
                    partial,
                    sync=SYNC,
                    loop_return_id=w.id,
                    order_name=w.loop_return.order_name,
                    rule="netsuite_rejected",
                    reason=f"The item receipt could not be posted: {exc}",
                )
                return
            partial.count("item receipts created" if units else "already received in NetSuite")
            if units:
                partial.outcomes[w.plan.outcome.value] += 1

    def ra_of(w: ReturnWork) -> int:
        assert w.ra is not None  # todo holds only returns whose RA exists
        return w.ra.id

    for_each_grouped(todo, group=ra_of, work=receive_one, result=result, max_workers=runtime.settings.max_netsuite_concurrency)


@task(name="post item receipts", task_run_name=f"{SYNC} · {{store}} · batch {{batch}}", **RETRY_OPTIONS)
def post_item_receipts(store: str, returns: BatchOfReturns, batch: int = 1, dry_run: bool = False) -> BatchResult:
    """Receive in NetSuite what Loop marked received, for a batch of returns.

    Example:
        >>> post_item_receipts.fn("north", returns, batch=1)  # doctest: +SKIP
    """
    return run_batch(SYNC, store, dry_run, post_batch, read_returns(returns))
