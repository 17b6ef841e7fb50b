"""Write down in the ledger what NetSuite already holds but an interrupted run never recorded.

A run that dies after NetSuite committed a create, but before the ledger noted it, leaves a pending
intent (and for an RA, a return without its link and units). The next run finds the record by
externalId and never creates it again, so nothing would settle that intent: this does, as the
interrupted run would have.
"""

from __future__ import annotations

from decimal import Decimal

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.netsuite import RecordRole, RecordType
from returns_sync.ledger import Repository, ReturnedLine
from returns_sync.tasks.loading import ReturnWork
from returns_sync.tasks.results import BatchResult
from returns_sync.tasks.runtime import SyncRuntime

__all__ = ["record_return_authorization", "settle_unrecorded"]


def record_return_authorization(repo: Repository, runtime: SyncRuntime, w: ReturnWork, ra_id: str) -> None:
    """Link the return to its RA ``ra_id`` and its sales order, and record the units the RA holds per SO line."""
    assert w.plan is not None and w.so is not None
    ra = w.plan.record(RecordRole.RA)
    assert ra is not None
    held: dict[int, ReturnedLine] = {}
    for line in ra.lines:
        if line.order_line is None:
            continue
        previous = held.get(line.order_line)
        held[line.order_line] = ReturnedLine(
            so_line=line.order_line,
            sku=line.sku or "",
            quantity=line.quantity + (previous.quantity if previous else 0),
            ns_item_id=str(line.item_id),
            loop_line_item_ids=(previous.loop_line_item_ids if previous else []) + list(line.loop_line_item_ids),
        )
    r, so = w.loop_return, w.so
    repo.upsert_link(
        runtime.store,
        w.id,
        shopify_order_id=r.provider_order_id,
        shopify_order_name=r.order_name,
        ns_customer_id=so.customer_id,
        ns_sales_order_id=so.id,
        ns_return_authorization_id=ra_id,
        loop_state_seen=r.state.value,
        outcome=w.plan.outcome.value,
        currency=w.plan.currency,
    )
    repo.set_returned_lines(runtime.store, w.id, so.id, list(held.values()))


def _found_in_netsuite(work: list[ReturnWork]) -> dict[ExternalId, tuple[ReturnWork, int, Decimal | None]]:
    """Our records the batch's NetSuite look-ups found: externalId -> (return, NetSuite id, total)."""
    found: dict[ExternalId, tuple[ReturnWork, int, Decimal | None]] = {}
    for w in work:
        if w.ra is not None and (ours := w.ra.ours) is not None:
            found[ours] = (w, w.ra.id, None)
        for record in (*w.children, *w.extra_records.values()):
            if (ours := record.ours) is not None:
                found[ours] = (w, record.id, record.total)
    return found


def settle_unrecorded(runtime: SyncRuntime, work: list[ReturnWork], result: BatchResult) -> None:
    """Settle pending intents whose record NetSuite holds, link RAs the ledger does not know (not on dry runs).

    Call after ``plan_work``: an RA is recorded with the units its plan holds, as ``ensure_return_authorization``
    does, and a receipt with the units its RA shows received, as ``receive_in_netsuite`` does.
    """
    found = _found_in_netsuite(work)
    if result.dry_run or not found:
        return
    with runtime.ledger.session() as repo:
        receipts: dict[str, ReturnWork] = {}
        for intent in repo.pending_intents(runtime.store):
            external_id = ExternalId.parse_or_none(intent.idempotency_key)
            if external_id is None or external_id not in found:
                continue
            w, ns_id, total = found[external_id]
            repo.mark_posted(intent.idempotency_key, ns_id=ns_id)
            repo.record_netsuite_record(
                store=runtime.store,
                loop_return_id=w.id,
                role=external_id.role,
                record_type=intent.record_type,
                ns_id=ns_id,
                external_id=intent.idempotency_key,
                total=total,
                currency=w.plan.currency if w.plan else w.loop_return.currency,
            )
            if external_id.role is RecordRole.IR:
                receipts[w.id] = w
            result.count("found in NetSuite after an interrupted run")
        for w in work:
            if w.ra is None or w.so is None or w.plan is None or w.plan.record(RecordRole.RA) is None:
                continue
            link = repo.get_link(runtime.store, w.id)
            if link is None or link.ns_return_authorization_id != str(w.ra.id):
                record_return_authorization(repo, runtime, w, str(w.ra.id))
                repo.record_netsuite_record(
                    store=runtime.store,
                    loop_return_id=w.id,
                    role=RecordRole.RA,
                    record_type=RecordType.RETURN_AUTHORIZATION,
                    ns_id=w.ra.id,
                    external_id=w.ra.external_id,
                    currency=w.plan.currency,
                )
                result.count("RA found in NetSuite after an interrupted run, linked")
        for w in receipts.values():
            _record_received(repo, runtime, w)


def _record_received(repo: Repository, runtime: SyncRuntime, w: ReturnWork) -> None:
    """The units the return's RA shows received, per SO line the ledger holds for it."""
    if w.ra is None:
        return
    held = {line.so_line: line.quantity for line in repo.returned_lines(runtime.store, w.id)}
    received: dict[int, int] = {}
    for line in w.ra.lines:
        if line.order_line in held:
            received[line.order_line] = min(received.get(line.order_line, 0) + line.received, held[line.order_line])
    if received:
        repo.mark_lines_received(runtime.store, w.id, received)
