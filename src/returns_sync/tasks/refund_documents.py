"""Refund sync's money documents: post one planned record of a return, and check new documents' totals.

The credit memo or cash refund is a transform of the RA; a customer refund pays out a credit memo; an upsell
collected outside Shopify is a customer deposit, applied to the exchange invoice in credit mode; a Stripe fee on
it is a journal entry (POSTING.md). Each goes through ``create_once``.
"""

from __future__ import annotations

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.netsuite import LineKind, RecordRole, RecordType
from returns_sync.domain.plan import PlannedRecord, PlanningError
from returns_sync.domain.syncs import SyncName
from returns_sync.tasks import netsuite_lookup as lookup
from returns_sync.tasks.idempotent import create_once
from returns_sync.tasks.loading import ReturnWork
from returns_sync.tasks.netsuite_bodies import (
    customer_refund_body,
    deposit_application_body,
    deposit_body,
    fee_journal_body,
    refund_body,
)
from returns_sync.tasks.netsuite_numbers import numbers_missing, remember_numbers
from returns_sync.tasks.results import BatchResult, PostedRecord
from returns_sync.tasks.runtime import SyncRuntime

__all__ = ["MONEY_ROLES", "has_credit_document", "post_money_record", "verify_document_totals"]

SYNC = SyncName.REFUND_SYNC
# What refund_sync posts from a plan, in plan order; the RA and its receipts come before.
MONEY_ROLES = (RecordRole.CM, RecordRole.CR, RecordRole.CREF, RecordRole.DEP, RecordRole.FEE, RecordRole.DEPAPP)


def has_credit_document(records: list[PlannedRecord]) -> bool:
    """A credit memo or cash refund among ``records``: the document that bills the RA's lines."""
    return any(r.role in (RecordRole.CM, RecordRole.CR) for r in records)


def post_money_record(
    runtime: SyncRuntime,
    w: ReturnWork,
    record: PlannedRecord,
    result: BatchResult,
    ra_lines: dict[int, int],
    posted: dict[RecordRole, str],
    exchange_invoice: int | None = None,
) -> None:
    assert w.plan is not None and w.ra is not None  # _settle posts only planned returns that have their RA
    role, rtype, ra_id = record.role, record.record_type, w.ra.id
    if any(line.kind is LineKind.ADJUSTMENT for line in record.lines):
        # The refund suite refuses these first; a difference no rule explains is never a line paid out in NetSuite.
        raise PlanningError(f"{record.external_id} would post a difference no posting rule explains")
    settings = runtime.settings
    if role in (RecordRole.CM, RecordRole.CR):
        # Money leaving goes out of the store's own account (e.g. Shopify Payments clearing) so refunds reconcile with payouts.
        body = refund_body(
            record,
            ra_lines,
            tax_engine=settings.netsuite_tax_engine,
            account_id=settings.cash_refund_account if role is RecordRole.CR else None,
            apply_to_invoice=exchange_invoice,
            applied=record.total - w.plan.total_of(RecordRole.CREF).amount,
        )
        create = lambda: runtime.netsuite.transform(RecordType.RETURN_AUTHORIZATION, ra_id, rtype, body, replace="item")  # noqa: E731
    elif role is RecordRole.CREF:
        customer_id = record.customer_id or (w.so.customer_id if w.so else None)
        body = customer_refund_body(
            record, credit_memo_id=posted[RecordRole.CM], customer_id=customer_id, account_id=settings.customer_refund_account
        )
        create = lambda: runtime.netsuite.create_record(RecordType.CUSTOMER_REFUND, body)  # noqa: E731
    elif role is RecordRole.DEP:
        body = deposit_body(record, account_id=runtime.settings.upsell_deposit_account)
        create = lambda: runtime.netsuite.create_record(RecordType.CUSTOMER_DEPOSIT, body)  # noqa: E731
    elif role is RecordRole.DEPAPP:
        # Oracle: a deposit application is created only by transforming the deposit, its apply sublist naming invoices.
        assert exchange_invoice is not None  # _settle found the invoice before posting a credit-mode money record
        deposit_id = posted[RecordRole.DEP]
        body = deposit_application_body(record, invoice_id=exchange_invoice)
        create = lambda: runtime.netsuite.transform(RecordType.CUSTOMER_DEPOSIT, deposit_id, rtype, body)  # noqa: E731
    elif role is RecordRole.FEE:
        # StoreSettings refuses a fee without both accounts, so a planned fee always has them.
        assert settings.merchant_fee_account is not None and settings.upsell_deposit_account is not None
        subsidiary = settings.subsidiary_id or (w.so.subsidiary_id if w.so else None)
        body = fee_journal_body(
            record,
            fee_account_id=settings.merchant_fee_account,
            clearing_account_id=settings.upsell_deposit_account,
            subsidiary_id=subsidiary,
        )
        create = lambda: runtime.netsuite.create_record(RecordType.JOURNAL_ENTRY, body)  # noqa: E731
    else:
        raise PlanningError(f"refund sync cannot post a {role} record")
    total = w.plan.money(record)
    created = create_once(
        runtime, sync=SYNC, record_type=rtype, external_id=record.external_id, body=body, create=create, total=total
    )
    posted[role] = created.ns_id
    note = {
        RecordRole.CM: f"from {w.ra.tranid}",
        RecordRole.CR: f"from {w.ra.tranid}",
        RecordRole.CREF: "pays out the credit memo",
        RecordRole.DEP: "upsell collected outside Shopify",
        RecordRole.FEE: "Stripe fee on the upsell",
        RecordRole.DEPAPP: "deposit applied to the exchange order's invoice",
    }[role]
    entry = PostedRecord(w.id, w.loop_return.order_name, rtype, created.ns_id, str(record.external_id), total, note)
    (result.created if created.created_now else result.linked).append(entry)


def verify_document_totals(runtime: SyncRuntime, result: BatchResult) -> None:
    """NetSuite computed each new refund document's tax itself: its total must be the plan's (Loop's payout) to the cent.

    One SuiteQL read for the whole batch (by externalId), not a GET per document: no per-record reads (issue 12).
    The same read takes the numbers the ledger lacks for those returns' other noted records (their receipts, a
    customer refund) and keeps them, so the Loop note that names the return's records needs no read of its own:
    in a webhook run that was one more NetSuite latency on the closed return's way, in a queue for the account's
    slots (issue 13).
    """
    documents = {RecordType.CREDIT_MEMO.value, RecordType.CASH_REFUND.value}
    new = {
        external_id: entry
        for entry in result.created
        if entry.record_type in documents
        and entry.total is not None
        and (external_id := ExternalId.parse_or_none(entry.external_id))
    }
    if not new:
        return
    missing = numbers_missing(runtime, (entry.loop_return_id for entry in new.values()))
    found = lookup.find_by_external_ids(runtime.netsuite, dict.fromkeys([*new, *missing]))
    remember_numbers(runtime, missing, found)
    for external_id, entry in new.items():
        assert entry.total is not None  # filtered above
        record = found.get(external_id)
        total = record.total if record is not None else None
        if total != entry.total.amount:
            result.errors.append(
                (
                    entry.loop_return_id,
                    f"{entry.record_type} {entry.ns_id} totals {total} in NetSuite, not the planned "
                    f"{entry.total.amount} {entry.total.currency}",
                )
            )
