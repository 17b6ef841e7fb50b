"""Gather what a batch of Loop returns needs from NetSuite, Shopify and the ledger, plan each, and build the checks.

One call per batch: a few SuiteQL queries, one ledger session, one plan per return, one row per
returned SKU for the Great Expectations suite. Returns of one order are planned oldest first, so
a second return on an order sees the units the first one takes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from returns_sync.domain.lines import ReturnLineGroup, group_return_lines
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.money import ZERO, quantize
from returns_sync.domain.netsuite import SalesOrderSnapshot
from returns_sync.domain.outcomes import UnitKind, is_gift_card_gateway, unit_kind
from returns_sync.domain.plan import PostingPlan
from returns_sync.domain.posting import plan_posting
from returns_sync.quality import RefundCheck, ReturnLineCheck
from returns_sync.tasks import netsuite_lookup as lookup
from returns_sync.tasks.netsuite_lookup import ChildRecord, RaState
from returns_sync.tasks.runtime import SyncRuntime

__all__ = ["ReturnWork", "load_work", "plan_work", "line_checks", "refund_checks", "ra_external_id"]


def ra_external_id(store: str, loop_return_id: str) -> str:
    return f"loop-{store}-{loop_return_id}-ra"


@dataclass
class ReturnWork:
    """One return and everything known about it for this run."""

    loop_return: LoopReturn
    so_matches: list[SalesOrderSnapshot] = field(default_factory=list)
    item_matches: dict[str, list[int]] = field(default_factory=dict)
    returned_so_far: dict[int, int] = field(default_factory=dict)
    ra: RaState | None = None
    children: list[ChildRecord] = field(default_factory=list)
    extra_records: dict[str, ChildRecord] = field(default_factory=dict)  # -cref / -dep by externalId suffix
    exchange_so_id: int | None = None
    upsell_paid_in_shopify: bool = True
    plan: PostingPlan | None = None
    groups: list[ReturnLineGroup] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.loop_return.id

    @property
    def so(self) -> SalesOrderSnapshot | None:
        return self.so_matches[0] if len(self.so_matches) == 1 else None

    def children_of(self, type_code: str) -> list[ChildRecord]:
        return [c for c in self.children if c.type == type_code]


def _sales_orders_for(r: LoopReturn, by_id: dict, by_name: dict) -> list[SalesOrderSnapshot]:
    if r.provider_order_id and by_id.get(r.provider_order_id):
        return by_id[r.provider_order_id]
    return by_name.get(r.order_name_key or "", [])


def load_work(runtime: SyncRuntime, returns: list[LoopReturn], *, with_exchanges: bool = False) -> list[ReturnWork]:
    """Everything the syncs need about ``returns``, oldest first (created_at, id)."""
    s, ns = runtime.settings, runtime.netsuite
    ordered = sorted(returns, key=lambda r: (r.created_at.isoformat() if r.created_at else "", int(r.id) if r.id.isdigit() else 0, r.id))
    by_id, by_name = lookup.find_sales_orders(
        ns,
        shopify_order_ids=[r.provider_order_id for r in ordered if r.provider_order_id],
        order_names=[r.order_name_key for r in ordered if r.order_name_key],
        order_id_field=s.so_shopify_order_id_field,
        subsidiary_id=s.subsidiary_id,
    )
    matches = lookup.match_items(ns, {li.sku for r in ordered for li in r.line_items if li.sku}, sku_field=s.sku_field)
    ras = lookup.find_return_authorizations(
        ns, [ra_external_id(runtime.store, r.id) for r in ordered], loop_id_field=s.ra_loop_id_field, flag_field=s.ra_flag_field
    )
    children = lookup.find_children(ns, [ra.id for ra in ras.values()])
    extra_ids = [f"loop-{runtime.store}-{r.id}-{suffix}" for r in ordered for suffix in ("cref", "dep")]
    extras = lookup.find_by_external_ids(ns, extra_ids)
    work = []
    for r in ordered:
        w = ReturnWork(loop_return=r, so_matches=_sales_orders_for(r, by_id, by_name))
        w.item_matches = {li.sku: matches.get(li.sku, []) for li in r.line_items if li.sku}
        w.ra = ras.get(ra_external_id(runtime.store, r.id))
        w.children = children.get(w.ra.id, []) if w.ra else []
        for suffix in ("cref", "dep"):
            record = extras.get(f"loop-{runtime.store}-{r.id}-{suffix}")
            if record:
                w.extra_records[suffix] = record
        work.append(w)
    with runtime.ledger.session() as repo:
        for w in work:
            if w.so is not None:
                w.returned_so_far = repo.returned_quantity_by_so_line(runtime.store, w.so.id, excluding_return=w.id)
    if with_exchanges:
        _load_exchanges(runtime, work)
    return work


def _load_exchanges(runtime: SyncRuntime, work: list[ReturnWork]) -> None:
    """The exchange order's sales order, and whether its upsell was paid in Shopify."""
    wanted = {ex.exchange_order_id for w in work for ex in w.loop_return.exchanges if ex.exchange_order_id}
    if not wanted:
        return
    by_id, _ = lookup.find_sales_orders(
        runtime.netsuite, shopify_order_ids=wanted, order_names=[], order_id_field=runtime.settings.so_shopify_order_id_field,
        subsidiary_id=runtime.settings.subsidiary_id,
    )
    for w in work:
        orders = [ex.exchange_order_id for ex in w.loop_return.exchanges if ex.exchange_order_id]
        if not orders:
            continue
        sos = by_id.get(orders[0], [])
        w.exchange_so_id = sos[0].id if len(sos) == 1 else None
        if w.loop_return.upsell > ZERO:
            order = runtime.shopify.get_order(orders[0])
            paid = sum(
                (t.amount for t in (order.transactions if order else []) if t.kind in ("SALE", "CAPTURE") and t.status == "SUCCESS"
                 and not is_gift_card_gateway(t.gateway)),
                ZERO,
            )
            w.upsell_paid_in_shopify = paid >= w.loop_return.upsell


def plan_work(runtime: SyncRuntime, work: list[ReturnWork], *, received: dict[str, dict[int | str, int]] | None = None) -> None:
    """Plan every return with exactly one sales order; units planned for earlier returns in the batch count as taken."""
    taken: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for w in work:
        so = w.so
        if so is None:
            continue
        so_far = dict(w.returned_so_far)
        for line, units in taken[so.id].items():
            so_far[line] = so_far.get(line, 0) + units
        w.returned_so_far = so_far
        w.groups = group_return_lines(w.loop_return, so, w.item_matches, so_far)
        w.plan = plan_posting(
            w.loop_return, so, w.item_matches, so_far, runtime.posting,
            upsell_paid_in_shopify=w.upsell_paid_in_shopify, exchange_so_id=w.exchange_so_id,
            received=(received or {}).get(w.id),
        )
        if w.ra is None and w.plan.record("ra") is not None:
            for line in w.plan.record("ra").lines:
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
        ra = w.plan.record("ra") if w.plan else None
        plan_total = ra.total if ra else expected_total
        plan_tax = sum((line.tax_amount for line in ra.lines), ZERO) if ra else expected_tax
        common = dict(
            loop_return_id=r.id, store=runtime.store, sku_field=runtime.settings.sku_field, order_name=r.order_name_key,
            sales_order_ids=tuple(s.id for s in w.so_matches), sales_order_tranids=tuple(s.tranid for s in w.so_matches),
            loop_currency=currency, so_currency=so.currency if so else None,
            plan_total=quantize(plan_total, currency), expected_total=quantize(expected_total, currency),
            plan_tax=quantize(plan_tax, currency), expected_tax=quantize(expected_tax, currency),
            tolerance_per_line=runtime.posting.tolerance,
        )
        if so is not None and w.groups:
            common["line_count"] = len(w.groups)
            for g in w.groups:
                ordered = so.line(g.order_line).quantity if g.order_line is not None and so.line(g.order_line) else None
                rows.append(ReturnLineCheck(
                    sku=g.sku or "(no SKU)", quantity=g.quantity, item_ids=tuple(g.item_ids),
                    ordered_quantity=ordered if ordered is not None else (0 if g.item_id is not None else None),
                    already_returned=w.returned_so_far.get(g.order_line, 0) if g.order_line is not None else 0,
                    unit_amount=quantize(g.amount / g.quantity, currency),
                    tax_amount=g.tax, **common,
                ))
            continue
        units: dict[str, list] = defaultdict(list)
        for unit in r.line_items:
            units[unit.sku or "(no SKU)"].append(unit)
        common["line_count"] = len(units)
        for sku, group in units.items():
            rows.append(ReturnLineCheck(
                sku=sku, quantity=len(group), item_ids=tuple(w.item_matches.get(sku, [])), ordered_quantity=None,
                already_returned=None, unit_amount=quantize(group[0].paid_unit_price, currency),
                tax_amount=quantize(sum((u.tax for u in group), ZERO), currency), **common,
            ))
    return rows


def refund_checks(runtime: SyncRuntime, work: list[ReturnWork]) -> list[RefundCheck]:
    """One row per return with a planned money document, deposit or store credit."""
    rows = []
    for w in work:
        plan, r = w.plan, w.loop_return
        if plan is None:
            continue
        doc = plan.record("cr") or plan.record("cm")
        liability_items = {runtime.posting.store_credit_item_id, runtime.posting.gift_card_payment_item_id} - {None}
        # Store credit and the part refunded to a gift card are liability lines, negative on the document.
        liability = sum((-line.total for line in (doc.lines if doc else []) if line.item_id in liability_items), ZERO)
        gift_card_refund = sum((p.amount for p in r.refunds if is_gift_card_gateway(p.gateway)), ZERO)
        expected_document = r.refund - gift_card_refund
        deposit = plan.total_of("dep")
        rows.append(RefundCheck(
            loop_return_id=r.id, store=runtime.store, loop_currency=r.currency, so_currency=w.so.currency if w.so else None,
            document_total=quantize(doc.total if doc else ZERO, r.currency),
            expected_document_total=quantize(expected_document, r.currency),
            store_credit_total=quantize(liability, r.currency),
            expected_store_credit=quantize(r.gift_card + gift_card_refund, r.currency),
            deposit_total=quantize(deposit, r.currency),
            expected_deposit=quantize(r.upsell if not w.upsell_paid_in_shopify else ZERO, r.currency),
            line_count=max(len(doc.lines) if doc else 1, 1),
            tolerance_per_line=runtime.posting.tolerance,
        ))
    return rows
