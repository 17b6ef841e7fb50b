"""Plan each return of a batch, and build the rows the quality suites check the plans against.

One plan per return, one row per returned SKU for the Great Expectations suite. Returns of one
order are planned oldest first, so a second return on an order sees the units the first one takes.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from functools import partial

from returns_sync.domain.lines import group_return_lines
from returns_sync.domain.loop import LoopLineItem, LoopReturn
from returns_sync.domain.money import ZERO, quantize
from returns_sync.domain.netsuite import LineKind, RecordRole
from returns_sync.domain.outcomes import UnitKind, is_gift_card_gateway, unit_kind
from returns_sync.domain.posting import plan_posting
from returns_sync.quality import RefundCheck, ReturnLineCheck
from returns_sync.tasks.loading import ReturnWork
from returns_sync.tasks.runtime import SyncRuntime

__all__ = ["line_checks", "plan_work", "refund_checks"]


def plan_work(
    runtime: SyncRuntime,
    work: list[ReturnWork],
    *,
    received: dict[str, dict[int | str, int]] | None = None,
    received_in_netsuite: dict[str, dict[int, int]] | None = None,
) -> None:
    """Plan every return with exactly one sales order; units planned for earlier returns in the batch count as taken.

    ``work`` must be oldest first (as ``load_work`` returns it): an earlier return on an order takes its units first.
    A return that already has its RA in NetSuite takes nothing more here: the ledger counts its units already.
    """
    taken: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for w in work:
        so = w.so
        if so is None:
            continue
        so_far = dict(w.returned_so_far)
        for so_line, units in taken[so.id].items():
            so_far[so_line] = so_far.get(so_line, 0) + units
        w.returned_so_far = so_far
        w.groups = group_return_lines(w.loop_return, so, w.item_matches, so_far)
        w.plan = plan_posting(
            w.loop_return,
            so,
            w.item_matches,
            so_far,
            runtime.posting,
            upsell_paid_in_shopify=w.upsell_paid_in_shopify,
            exchange_so_id=w.exchange_so_id,
            received=(received or {}).get(w.id),
            received_in_netsuite=(received_in_netsuite or {}).get(w.id),
        )
        ra = w.plan.record(RecordRole.RA)
        if w.ra is None and ra is not None:
            for line in ra.lines:
                if line.order_line is not None:
                    taken[so.id][line.order_line] += line.quantity


def _valued(loop_return: LoopReturn, zero_value: bool) -> tuple[Decimal, Decimal]:
    """Loop's own figures for what the RA should add up to: return total and tax, less zero-valued exchange units."""
    total, tax = loop_return.return_total, loop_return.return_tax_total
    if zero_value:
        for unit in loop_return.line_items:
            if unit_kind(unit, loop_return) is UnitKind.EXCHANGE:
                total -= unit.price - unit.discount + unit.tax
                tax -= unit.tax
    return total, tax


def line_checks(runtime: SyncRuntime, work: list[ReturnWork]) -> list[ReturnLineCheck]:
    """One row per (return, SKU) for the return-lines suite."""
    rows: list[ReturnLineCheck] = []
    zero_value = runtime.posting.exchange_mode == "zero_value"
    for w in work:
        r, so = w.loop_return, w.so
        currency = r.currency
        expected_total, expected_tax = _valued(r, zero_value)
        ra = w.plan.record(RecordRole.RA) if w.plan else None
        plan_total = ra.total if ra else expected_total
        plan_tax = sum((line.tax_amount for line in ra.lines), ZERO) if ra else expected_tax
        row = partial(
            ReturnLineCheck,
            loop_return_id=r.id,
            store=runtime.store,
            sku_field=runtime.settings.sku_field,
            order_name=r.order_name_key,
            sales_order_ids=tuple(s.id for s in w.so_matches),
            sales_order_tranids=tuple(s.tranid for s in w.so_matches),
            loop_currency=currency,
            so_currency=so.currency if so else None,
            plan_total=quantize(plan_total, currency),
            expected_total=quantize(expected_total, currency),
            plan_tax=quantize(plan_tax, currency),
            expected_tax=quantize(expected_tax, currency),
            tolerance_per_line=runtime.posting.tolerance,
        )
        if so is not None and w.groups:
            for g in w.groups:
                so_line = so.line(g.order_line) if g.order_line is not None else None
                ordered = so_line.quantity if so_line else None
                rows.append(
                    row(
                        line_count=len(w.groups),
                        sku=g.sku or "(no SKU)",
                        quantity=g.quantity,
                        item_ids=tuple(g.item_ids),
                        ordered_quantity=ordered if ordered is not None else (0 if g.item_id is not None else None),
                        already_returned=w.returned_so_far.get(g.order_line, 0) if g.order_line is not None else 0,
                        unit_amount=quantize(g.amount / g.quantity, currency),
                        tax_amount=g.tax,
                    )
                )
            continue
        units: dict[str, list[LoopLineItem]] = defaultdict(list)
        for unit in r.line_items:
            units[unit.sku or "(no SKU)"].append(unit)
        for sku, group in units.items():
            rows.append(
                row(
                    line_count=len(units),
                    sku=sku,
                    quantity=len(group),
                    item_ids=tuple(w.item_matches.get(sku, [])),
                    ordered_quantity=None,
                    already_returned=None,
                    unit_amount=quantize(group[0].paid_unit_price, currency),
                    tax_amount=quantize(sum((u.tax for u in group), ZERO), currency),
                )
            )
    return rows


def refund_checks(runtime: SyncRuntime, work: list[ReturnWork]) -> list[RefundCheck]:
    """One row per return with a planned money document, deposit or store credit.

    The expected figures are read from the Loop return itself (``refund``, ``refunds[]`` per gateway,
    ``gift_card``, ``upsell``), not from the payout the plan was built on, so a planning slip cannot pass.
    """
    rows = []
    for w in work:
        plan, r = w.plan, w.loop_return
        if plan is None:
            continue
        doc = plan.record(RecordRole.CR) or plan.record(RecordRole.CM)
        doc_lines = doc.lines if doc else []
        liability_items = {runtime.posting.store_credit_item_id, runtime.posting.gift_card_payment_item_id} - {None}
        # Store credit and the part refunded to a gift card are liability lines, negative on the document.
        liability = sum((-line.total for line in doc_lines if line.item_id in liability_items), ZERO)
        gift_card_refund = sum((p.amount for p in r.refunds if is_gift_card_gateway(p.gateway)), ZERO)
        card_refund = sum((p.amount for p in r.refunds if not is_gift_card_gateway(p.gateway)), ZERO)
        # Shipping refunded by Loop but left off the document (no shipping item) is reported, not booked.
        expected_document = r.refund - gift_card_refund - plan.shipping_left_out
        if doc is not None and doc.credits_exchange:
            # Credit mode: the memo also carries the credit that pays the exchange order, Loop's exchange_credit_total.
            expected_document += r.exchange_credit_total
        deposit = plan.total_of(RecordRole.DEP).amount
        card_paid = plan.total_of(RecordRole.CR).amount + plan.total_of(RecordRole.CREF).amount
        planned_gift_card = sum((-line.total for line in doc_lines if line.kind is LineKind.GIFT_CARD_PAYMENT), ZERO)
        unexplained = sum((line.total for line in doc_lines if line.kind is LineKind.ADJUSTMENT), ZERO)
        cur = r.currency
        rows.append(
            RefundCheck(
                loop_return_id=r.id,
                store=runtime.store,
                loop_currency=cur,
                so_currency=w.so.currency if w.so else None,
                document_total=quantize(doc.total if doc else ZERO, cur),
                expected_document_total=quantize(expected_document, cur),
                store_credit_total=quantize(liability, cur),
                expected_store_credit=quantize(r.gift_card + gift_card_refund, cur),
                deposit_total=quantize(deposit, cur),
                expected_deposit=quantize(r.upsell if not w.upsell_paid_in_shopify else ZERO, cur),
                line_count=max(len(doc_lines) if doc else 1, 1),
                tolerance_per_line=runtime.posting.tolerance,
                has_parts=bool(r.refunds),
                card_total=quantize(card_paid, cur),
                expected_card=quantize(card_refund - plan.shipping_left_out, cur),
                gift_card_refund_total=quantize(planned_gift_card, cur),
                expected_gift_card_refund=quantize(gift_card_refund, cur),
                parts_total=quantize(card_refund + gift_card_refund, cur),
                # Some webhook shapes carry refunds[] with refund 0: the parts are then the refund (outcomes.payout).
                loop_refund=quantize(r.refund if r.refund else card_refund + gift_card_refund, cur),
                unexplained_total=quantize(unexplained, cur),
            )
        )
    return rows
