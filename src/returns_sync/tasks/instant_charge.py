"""Instant exchange, goods never sent back: Loop charged the held card, so NetSuite gets a Customer Payment.

The signal (packages/returns-sandbox/docs/loop.md, "Instant exchange"): the Loop return turns ``expired`` while
it is an instant exchange (its exchange order exists, no unit came back). Loop's help centre says the card is then
charged "the full cost" of the new items (https://help.loopreturns.com/article/163-instant-exchanges) through
Stripe, so no Shopify transaction (and no Shopify-connector payment) ever shows it; Loop documents no field for
the amount, so the charge is the exchange items' totals, checked against Loop's ``exchange_total``.

Posting (POSTING.md, "Instant exchange"): Customer Payment ``loop-<store>-<id>-pay`` Dr the Loop/Stripe clearing
account [upsell_deposit_account] / Cr A/R, applied to the exchange order's invoice while it has an open balance;
what is left stays unapplied on the customer and the run report says so. Then the RA's lines are closed: the
goods will never arrive.
"""

from __future__ import annotations

from decimal import Decimal

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.loop import LoopReturn, ReturnState
from returns_sync.domain.money import ZERO, Money, quantize
from returns_sync.domain.netsuite import RecordRole, RecordType
from returns_sync.domain.outcomes import is_instant_exchange
from returns_sync.domain.plan import return_memo
from returns_sync.domain.syncs import SyncName
from returns_sync.tasks import netsuite_lookup as lookup
from returns_sync.tasks import netsuite_sales_orders as so_lookup
from returns_sync.tasks.idempotent import NetSuiteRefused, create_once
from returns_sync.tasks.loading import ReturnWork, load_work
from returns_sync.tasks.netsuite_bodies import RequestBody, ref
from returns_sync.tasks.netsuite_lookup import InvoiceBalance
from returns_sync.tasks.ra_closing import close_open_ra_lines
from returns_sync.tasks.results import BatchResult, PostedRecord, one_record, quarantine_return, release_return
from returns_sync.tasks.runtime import SyncRuntime

__all__ = ["ChargeCheck", "charge_amount", "instant_charge_due", "payment_body", "post_instant_charges"]

SYNC = SyncName.REFUND_SYNC
RULE = "instant_charge_mismatch"


def instant_charge_due(r: LoopReturn) -> bool:
    """Loop expired an instant exchange whose goods never came back: it charged the held card."""
    return r.state is ReturnState.EXPIRED and is_instant_exchange(r)


class ChargeCheck:
    """The charge's amount (Σ the exchange items' totals) and why it may not be posted, in words."""

    def __init__(self, r: LoopReturn, *, currency: str | None, tolerance: Decimal) -> None:
        self.amount = charge_amount(r)
        self.problems: list[str] = []
        if self.amount <= ZERO:
            self.problems.append(f"the exchange items of Loop return {r.id} total {self.amount}: nothing to charge")
        reported = quantize(r.exchange_total, r.currency)
        # One cent of rounding per exchange line at most, as every other Loop total is checked.
        if abs(reported - self.amount) > tolerance * max(len(r.exchanges), 1):
            self.problems.append(f"the exchange items total {self.amount} {r.currency}, Loop's exchange_total is {reported}")
        if currency is not None and currency != r.currency:
            self.problems.append(f"the exchange order is in {currency} in NetSuite, Loop charged in {r.currency}")


def charge_amount(r: LoopReturn) -> Decimal:
    """What Loop charges: the full cost of the new items (price − discount + tax per exchange line)."""
    return quantize(sum((ex.total for ex in r.exchanges), ZERO), r.currency)


def payment_body(
    external_id: ExternalId,
    *,
    memo: str,
    customer_id: int,
    amount: Decimal,
    account_id: int | None,
    invoice: InvoiceBalance | None,
) -> tuple[RequestBody, Decimal]:
    """The customerPayment body and the part of ``amount`` applied to ``invoice`` (none when it owes nothing)."""
    applied = min(amount, invoice.unpaid) if invoice is not None and invoice.unpaid > ZERO else ZERO
    body: RequestBody = {"externalId": str(external_id), "memo": memo, "customer": ref(customer_id), "payment": str(amount)}
    if account_id:
        body["account"] = ref(account_id)
    if applied > ZERO and invoice is not None:
        body["apply"] = {"items": [{"doc": ref(invoice.id), "apply": True, "amount": str(applied)}]}
    return body, applied


def _settle(
    runtime: SyncRuntime, w: ReturnWork, amount: Decimal, invoice: InvoiceBalance | None, customer_id: int, result: BatchResult
) -> None:
    r = w.loop_return
    external_id = ExternalId(runtime.store, w.id, RecordRole.PAY)
    memo = f"{return_memo(r, w.so, with_exchange=True)} · instant exchange charged by Loop"
    total = Money(amount, r.currency)
    if RecordRole.PAY not in w.extra_records:
        body, applied = payment_body(
            external_id,
            memo=memo,
            customer_id=customer_id,
            amount=amount,
            account_id=runtime.settings.upsell_deposit_account,
            invoice=invoice,
        )
        created = create_once(
            runtime,
            sync=SYNC,
            record_type=RecordType.CUSTOMER_PAYMENT,
            external_id=external_id,
            body=body,
            create=lambda: runtime.netsuite.create_record(RecordType.CUSTOMER_PAYMENT, body),
            total=total,
        )
        note = f"applied {applied} to invoice {invoice.tranid}" if invoice is not None and applied > ZERO else "unapplied"
        entry = PostedRecord(w.id, r.order_name, RecordType.CUSTOMER_PAYMENT, created.ns_id, str(external_id), total, note)
        (result.created if created.created_now else result.linked).append(entry)
        if created.created_now and amount > applied:
            result.reported.append(
                (
                    w.id,
                    f"instant exchange charged by Loop: {amount - applied} {r.currency} of customer payment {external_id} "
                    "is unapplied on the customer (the exchange order has no open invoice balance)",
                )
            )
            result.count("instant-exchange payments left unapplied")
    close_open_ra_lines(
        runtime,
        w,
        result,
        memo=memo,
        external_id=str(ExternalId(runtime.store, w.id, RecordRole.RA)),
        counter="instant-exchange RAs closed",
        note="instant exchange expired: the goods will not come back",
    )
    result.outcomes["instant_exchange_charged"] += 1
    result.count("settled")


def post_instant_charges(runtime: SyncRuntime, returns: list[LoopReturn], result: BatchResult) -> None:
    """Post the Customer Payment of each expired instant exchange and close its RA (idempotent, per return)."""
    work = load_work(runtime, returns, with_exchanges=True, with_refund_records=True)
    ex_ids = [w.exchange_so_id for w in work if w.exchange_so_id is not None]
    invoices = lookup.find_invoices(runtime.netsuite, ex_ids) if ex_ids else {}
    orders, _ = so_lookup.find_sales_orders(
        runtime.netsuite,
        shopify_order_ids={ex.exchange_order_id for w in work for ex in w.loop_return.exchanges if ex.exchange_order_id},
        order_names=[],
        order_id_field=runtime.settings.so_shopify_order_id_field,
        subsidiary_id=runtime.settings.subsidiary_id,
    )
    snapshots = {so.id: so for matches in orders.values() for so in matches}
    for w in work:
        r = w.loop_return
        exchange_so = snapshots.get(w.exchange_so_id) if w.exchange_so_id is not None else None
        if exchange_so is None:
            result.waiting.append((w.id, "the exchange order's sales order in NetSuite"))
            continue
        if RecordRole.PAY in w.extra_records and (w.ra is None or not w.ra.status.is_open()):
            result.count("already settled")
            continue
        check = ChargeCheck(r, currency=exchange_so.currency or None, tolerance=runtime.settings.amount_tolerance)
        if check.problems:
            quarantine_return(
                runtime,
                result,
                sync=SYNC,
                loop_return_id=w.id,
                order_name=r.order_name,
                rule=RULE,
                reason="; ".join(check.problems),
            )
            continue
        if result.dry_run:
            result.planned.append(
                {"loop_return_id": w.id, "record": str(RecordType.CUSTOMER_PAYMENT), "total": str(check.amount)}
            )
            result.count("would settle")
            continue
        if release_return(runtime, sync=SYNC, loop_return_id=w.id):
            result.count("released from quarantine")
        open_invoices = [i for i in invoices.get(exchange_so.id, []) if i.unpaid > ZERO]
        with one_record(result, w.id):
            try:
                _settle(runtime, w, check.amount, open_invoices[0] if open_invoices else None, exchange_so.customer_id, result)
            except NetSuiteRefused as exc:
                quarantine_return(
                    runtime,
                    result,
                    sync=SYNC,
                    loop_return_id=w.id,
                    order_name=r.order_name,
                    rule="netsuite_rejected",
                    reason=f"The instant-exchange charge could not be posted: {exc.error.message}",
                )
