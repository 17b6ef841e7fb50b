"""Sync 4 (Loop → NetSuite): the money side of a processed return, per POSTING.md, linked to the original order.

Cash refund, or credit memo + customer refund; store credit as a credit memo carrying the
gift-card liability; advanced-exchange differences; a customer deposit for an upsell collected
outside Shopify; closing the RA of an exchange once nothing is left to refund; and the customer payment of an
instant exchange Loop charged because the goods never came back (tasks/instant_charge.py). A refund the
Shopify connector already posted is linked, never posted twice.
"""

from __future__ import annotations

from prefect import task

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.listed_returns import BatchOfReturns, read_returns
from returns_sync.domain.loop import LoopReturn, ReturnState
from returns_sync.domain.money import Money
from returns_sync.domain.netsuite import RecordRole
from returns_sync.domain.plan import PlannedRecord, PlanningError
from returns_sync.domain.syncs import SyncName
from returns_sync.ledger import CreatedBy
from returns_sync.quality import validate_refunds
from returns_sync.tasks import netsuite_lookup as lookup
from returns_sync.tasks.approval import ensure_approved
from returns_sync.tasks.batching import for_each_grouped
from returns_sync.tasks.idempotent import NetSuiteRefused
from returns_sync.tasks.instant_charge import instant_charge_due, post_instant_charges
from returns_sync.tasks.item_receipt_to_netsuite import ra_line_map, receive_in_netsuite
from returns_sync.tasks.loading import ReturnWork, load_work
from returns_sync.tasks.netsuite_lookup import ChildRecord
from returns_sync.tasks.planning import plan_work, refund_checks
from returns_sync.tasks.ra_closing import close_open_ra_lines
from returns_sync.tasks.ra_matching import RA_DIVERGED, diverged_reason, match_ra_lines
from returns_sync.tasks.recovery import settle_unrecorded
from returns_sync.tasks.refund_documents import MONEY_ROLES, has_credit_document, post_money_record, verify_document_totals
from returns_sync.tasks.refund_gaps import (
    book_unbooked,
    close_not_refunded,
    close_unreceived,
    loop_refunded_the_rest,
    ra_holds_more_than_the_return,
    received_by_plan_line,
)
from returns_sync.tasks.results import BatchResult, PostedRecord, one_record, quarantine_return, release_return
from returns_sync.tasks.retry import RETRY_OPTIONS
from returns_sync.tasks.return_authorizations import ensure_return_authorization, validate_for_ra
from returns_sync.tasks.runtime import SyncRuntime, run_batch, utcnow

__all__ = ["money_outcome_processed", "post_refunds", "refund_sync_posts_for"]

SYNC = SyncName.REFUND_SYNC


def money_outcome_processed(r: LoopReturn) -> bool:
    """Loop has executed the return's outcome (refund, store credit or exchange)."""
    if r.state is not ReturnState.CLOSED:
        return False
    return r.was_processed or any(r.processed(key) for key in ("refund_processed", "gift_card_processed", "exchange_processed"))


def refund_sync_posts_for(r: LoopReturn) -> bool:
    """Whether refund_sync's batch has something to post for ``r``: an executed outcome, or an instant exchange's charge."""
    return money_outcome_processed(r) or instant_charge_due(r)


def _link_connector_refunds(runtime: SyncRuntime, work: list[ReturnWork], result: BatchResult) -> set[str]:
    """Refunds the Shopify connector already posted (found by Shopify refund id when the work was loaded): link them;
    returns those return ids."""
    linked: set[str] = set()
    found = [(w, refund_id, record) for w in work for refund_id, record in w.refunds_by_shopify_id.items()]
    for w, refund_id, record in found:
        if record.ours is not None:
            continue  # ours, not the connector's
        linked.add(w.id)
        if not result.dry_run:
            with runtime.ledger.session() as repo:
                repo.record_netsuite_record(
                    store=runtime.store,
                    loop_return_id=w.id,
                    role=RecordRole.CONNECTOR_REFUND,
                    record_type=record.record_type,
                    ns_id=record.id,
                    tranid=record.tranid,
                    total=record.total,
                    currency=w.loop_return.currency,
                    created_by=CreatedBy.SHOPIFY_CONNECTOR,
                )
                for role in (RecordRole.CR, RecordRole.CM):
                    key = str(ExternalId(runtime.store, w.id, role))
                    if repo.get_intent(key) is None:
                        repo.begin_intent(
                            idempotency_key=key,
                            store=runtime.store,
                            loop_return_id=w.id,
                            sync=SYNC,
                            record_type=record.record_type,
                            request_body={"skipped": refund_id},
                        )
                        repo.mark_skipped(
                            key, f"already posted by the Shopify connector as {record.tranid} (Shopify refund {refund_id})"
                        )
        result.linked.append(
            PostedRecord(
                w.id,
                w.loop_return.order_name,
                record.record_type,
                str(record.id),
                record.external_id or "",
                Money(record.total, w.loop_return.currency),
                note=f"already posted by the Shopify connector (Shopify refund {refund_id})",
            )
        )
        result.count("already posted by the Shopify connector")
    return linked


def _exchange_invoice(runtime: SyncRuntime, w: ReturnWork, credit_memo: PlannedRecord, result: BatchResult) -> int | None:
    """The invoice of the exchange order a credit-mode credit memo pays; None (the return waits) until it exists."""
    so_id = credit_memo.apply_to_sales_order_id
    if so_id is None:
        result.waiting.append((w.id, "the exchange order's sales order in NetSuite (credit-mode exchange)"))
        return None
    invoices = sorted(lookup.find_invoices(runtime.netsuite, [so_id]).get(so_id, []), key=lambda invoice: invoice.id)
    if not invoices:
        result.waiting.append((w.id, f"an invoice for the exchange order's sales order {so_id} (credit-mode exchange)"))
        result.count("waiting for the exchange invoice")
        return None
    return invoices[0].id


def _refresh(runtime: SyncRuntime, w: ReturnWork) -> None:
    """Re-read the return's RA and what was created from it (after creating some of them)."""
    s = runtime.settings
    external_id = ExternalId(runtime.store, w.id, RecordRole.RA)
    ras, children = lookup.find_return_authorizations_and_children(
        runtime.netsuite,
        [external_id],
        loop_id_field=s.ra_loop_id_field,
        flag_field=s.ra_flag_field,
        time_zone=s.netsuite_time_zone,
    )
    w.ra = ras.get(external_id)
    w.children = children.get(w.ra.id, []) if w.ra else []


def _settle(runtime: SyncRuntime, w: ReturnWork, result: BatchResult) -> None:
    """Everything this return still needs: RA (+ receipt) if the store allows, then the money records."""
    plan = w.plan
    assert plan is not None  # post_batch settles only planned returns
    money = [r for r in plan.records if r.role in MONEY_ROLES]
    close = plan.record(RecordRole.CLOSE_RA)
    if w.ra is None:
        result.waiting.append((w.id, "its return authorization"))
        return
    # Nothing can be received or refunded against an RA still Pending Approval.
    if not ensure_approved(runtime, w, result, sync=SYNC):
        return
    match = match_ra_lines(w)
    assert match is not None and not match.diverged  # post_batch quarantined the returns whose RA diverged
    if match.received_units == 0:
        if not runtime.settings.create_ra_and_ir_on_refund and not book_unbooked(runtime, w, result):
            result.waiting.append((w.id, f"an item receipt on {w.ra.tranid} (receive the goods in NetSuite or Loop)"))
            result.count("waiting for receipt")
            return
        if receive_in_netsuite(runtime, w, result, sync=SYNC, received=None):
            _refresh(runtime, w)
            match = match_ra_lines(w)
            assert w.ra is not None and match is not None  # the RA was just read again
    credits = has_credit_document(money)
    # Only the units the return still has count: an RA line the customer took off the return in Loop is not awaited.
    partly = match.received_units < match.wanted_units
    lines = match.lines
    if partly and credits and loop_refunded_the_rest(w):
        # Loop refunded units that never came back: re-plan on what NetSuite received (unreceived.py).
        plan_work(runtime, [w], received_in_netsuite={w.id: received_by_plan_line(w)})
        plan = w.plan
        assert plan is not None
        money = [r for r in plan.records if r.role in MONEY_ROLES]
        remapped = ra_line_map(w)
        if remapped is None:
            result.errors.append((w.id, f"RA {w.ra.tranid} no longer matches the return's lines"))
            return
        lines = remapped
    elif partly and (close is not None or credits):
        result.waiting.append(
            (w.id, f"the rest of the units on {w.ra.tranid} ({match.received_units} of {match.wanted_units} received)")
        )
        result.count("waiting for receipt")
        return
    done = _ours(w)
    posted = {external_id.role: str(record.id) for external_id, record in done.items()}
    exchange_invoice = None
    # Credit mode: the credit memo and a Loop-collected upsell's deposit both pay the exchange order's invoice.
    payers = [
        record
        for record in (plan.record(RecordRole.CM), plan.record(RecordRole.DEPAPP))
        if record is not None and record.credits_exchange and record.external_id not in done
    ]
    if payers:
        exchange_invoice = _exchange_invoice(runtime, w, payers[0], result)
        if exchange_invoice is None:
            return
    for record in money:
        if record.external_id in done:
            continue
        post_money_record(runtime, w, record, result, lines, posted, exchange_invoice)
    if plan.refunded_not_received:
        _refresh(runtime, w)
        close_unreceived(runtime, w, plan, result)
    elif credits and (plan.not_refunded or ra_holds_more_than_the_return(w, match)):
        _refresh(runtime, w)
        close_not_refunded(runtime, w, plan, result)
    if plan.shipping_left_out:
        result.reported.append(
            (
                w.id,
                f"shipping refund of {plan.shipping_left_out} {plan.currency} left out of the refund document: "
                "StoreSettings.shipping_item is empty",
            )
        )
        result.count("shipping refunds left out (no shipping item)")
    if close is not None and w.ra.status.is_open():
        close_open_ra_lines(
            runtime,
            w,
            result,
            memo=close.memo,
            external_id=str(close.external_id),
            counter="exchange RAs closed",
            note="exchange: nothing left to refund",
        )
    elif close is not None:
        with runtime.ledger.session() as repo:
            repo.upsert_link(runtime.store, w.id, ra_closed_by_us_at=utcnow())
    result.outcomes[plan.outcome.value] += 1
    result.count("settled")


def post_batch(runtime: SyncRuntime, returns: list[LoopReturn], result: BatchResult) -> None:
    charged = [r for r in returns if instant_charge_due(r)]
    if charged:
        post_instant_charges(runtime, charged, result)
    work = load_work(runtime, [r for r in returns if money_outcome_processed(r)], with_exchanges=True, with_refund_records=True)
    plan_work(runtime, work)
    settle_unrecorded(runtime, work, result)
    if not result.dry_run:
        with runtime.ledger.session() as repo:
            for w in work:
                repo.upsert_link(runtime.store, w.id, loop_state_seen=w.loop_return.state.value)
    connector = _link_connector_refunds(runtime, work, result)
    todo = [w for w in work if w.id not in connector]
    if runtime.settings.create_ra_and_ir_on_refund:
        for w in validate_for_ra(runtime, [w for w in todo if w.ra is None], result, sync=SYNC):
            if not result.dry_run:
                try:
                    with one_record(result, w.id):
                        ensure_return_authorization(runtime, w, result, sync=SYNC)
                        _refresh(runtime, w)
                except NetSuiteRefused as exc:
                    quarantine_return(
                        runtime,
                        result,
                        sync=SYNC,
                        loop_return_id=w.id,
                        order_name=w.loop_return.order_name,
                        rule="netsuite_rejected",
                        reason=f"NetSuite refused the return authorization: {exc.error.message}",
                    )
    todo = [w for w in todo if w.plan is not None and w.plan.record(RecordRole.RA) is not None]
    settled = [w for w in todo if _settled(runtime, w)]
    if settled:
        result.count("already settled", len(settled))
    todo = [w for w in todo if w not in settled and not _ra_diverged(runtime, w, result)]
    report = validate_refunds(refund_checks(runtime, todo))
    passing = []
    for w in todo:
        assert w.plan is not None  # filtered above
        failures = report.failures.get(w.id)
        if failures:
            quarantine_return(
                runtime, result, sync=SYNC, loop_return_id=w.id, order_name=w.loop_return.order_name, failures=failures
            )
        elif result.dry_run:
            result.planned += [
                {"loop_return_id": w.id, "record": str(r.record_type), "external_id": str(r.external_id), "total": str(r.total)}
                for r in w.plan.records
                if r.role not in (RecordRole.RA, RecordRole.IR)
            ]
            result.count("would settle")
        else:
            if release_return(runtime, sync=SYNC, loop_return_id=w.id):
                result.count("released from quarantine")
            passing.append(w)

    def settle_one(w: ReturnWork, partial: BatchResult) -> None:
        with one_record(partial, w.id):
            try:
                _settle(runtime, w, partial)
            except (NetSuiteRefused, PlanningError) as exc:
                quarantine_return(
                    runtime,
                    partial,
                    sync=SYNC,
                    loop_return_id=w.id,
                    order_name=w.loop_return.order_name,
                    rule="netsuite_rejected",
                    reason=f"The refund could not be posted: {exc}",
                )

    for_each_grouped(
        passing,
        group=lambda w: w.so.id if w.so else w.id,
        work=settle_one,
        result=result,
        max_workers=runtime.settings.max_netsuite_concurrency,
    )
    verify_document_totals(runtime, result)


def _ra_diverged(runtime: SyncRuntime, w: ReturnWork, result: BatchResult) -> bool:
    """The return was changed in Loop so that its RA cannot carry it any more: quarantined with the lines that differ."""
    match = match_ra_lines(w)
    if match is None or not match.diverged:
        return False
    reason = diverged_reason(w, match)
    quarantine_return(
        runtime, result, sync=SYNC, loop_return_id=w.id, order_name=w.loop_return.order_name, rule=RA_DIVERGED, reason=reason
    )
    return True


def _ours(w: ReturnWork) -> dict[ExternalId, ChildRecord]:
    """Our records NetSuite already holds for the return, besides the RA (receipts, money documents, deposits)."""
    return {ours: record for record in (*w.children, *w.extra_records.values()) if (ours := record.ours) is not None}


def _settled(runtime: SyncRuntime, w: ReturnWork) -> bool:
    """Every money record of the plan exists, no RA line still awaits a credit, and an exchange RA is closed.

    The RA lines Loop did not refund are closed after the money document is posted; a run that died, or whose
    PATCH failed, in between left them open, so the return is not settled until they are closed.
    """
    if w.ra is None:
        return False
    assert w.plan is not None  # post_batch asks only about planned returns
    have = _ours(w)
    money = [r for r in w.plan.records if r.role in MONEY_ROLES]
    if any(r.external_id not in have for r in money):
        return False
    if has_credit_document(money) and any(not line.closed and line.billed < line.quantity for line in w.ra.lines):
        return False
    close = w.plan.record(RecordRole.CLOSE_RA)
    return close is None or not w.ra.status.is_open()


@task(name="post refunds", task_run_name=f"{SYNC} · {{store}} · batch {{batch}}", **RETRY_OPTIONS)
def post_refunds(store: str, returns: BatchOfReturns, batch: int = 1, dry_run: bool = False) -> BatchResult:
    """Post the money records of processed returns (validated by the refund suite first).

    Example:
        >>> post_refunds.fn("north", returns, batch=1)  # doctest: +SKIP
    """
    return run_batch(SYNC, store, dry_run, _post_and_note_waiting, read_returns(returns))


def _post_and_note_waiting(runtime: SyncRuntime, returns: list[LoopReturn], result: BatchResult) -> None:
    """``post_batch``, then note in the ledger which returns still wait, so later runs leave them be until something moves."""
    post_batch(runtime, returns, result)
    if result.waiting and not result.dry_run:
        with runtime.ledger.session() as repo:
            repo.note_refund_waiting(runtime.store, [return_id for return_id, _ in result.waiting])
