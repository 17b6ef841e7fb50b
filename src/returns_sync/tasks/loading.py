"""Load what a batch of Loop returns needs from NetSuite, Shopify and the ledger, in a few calls per batch.

One call per batch: a few SuiteQL queries, one ledger session, and a Shopify read per upsell.
Returns come back oldest first, the order ``planning.plan_work`` must plan them in.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, field

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.lines import ReturnLineGroup
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.money import ZERO
from returns_sync.domain.netsuite import RecordRole, RecordType, SalesOrderSnapshot
from returns_sync.domain.outcomes import is_gift_card_gateway
from returns_sync.domain.plan import PostingPlan
from returns_sync.tasks import netsuite_lookup as lookup
from returns_sync.tasks import netsuite_sales_orders as so_lookup
from returns_sync.tasks.item_match_memory import current_item_memory, item_scope
from returns_sync.tasks.netsuite_lookup import ChildRecord, RaState
from returns_sync.tasks.runtime import SyncRuntime
from returns_sync.tasks.shared_netsuite_reads import current_netsuite_reads

__all__ = ["ReturnWork", "load_work"]

# Our records that are not created from the RA, so ``find_children`` does not see them.
_NOT_FROM_RA = (RecordRole.CREF, RecordRole.DEP, RecordRole.PAY, RecordRole.FEE, RecordRole.DEPAPP)


@dataclass
class ReturnWork:
    """One return and everything known about it for this run."""

    loop_return: LoopReturn
    so_matches: list[SalesOrderSnapshot] = field(default_factory=list)
    item_matches: dict[str, list[int]] = field(default_factory=dict)
    returned_so_far: dict[int, int] = field(default_factory=dict)
    ra: RaState | None = None
    children: list[ChildRecord] = field(default_factory=list)
    extra_records: dict[RecordRole, ChildRecord] = field(default_factory=dict)  # -cref / -dep / -fee
    # Refunds NetSuite holds that carry one of this return's Shopify refund ids (ours or the Shopify connector's).
    refunds_by_shopify_id: dict[str, ChildRecord] = field(default_factory=dict)
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

    def children_of(self, record_type: RecordType) -> list[ChildRecord]:
        return [c for c in self.children if c.record_type is record_type]


SalesOrdersByKey = dict[str, list[SalesOrderSnapshot]]


def _sales_orders_for(r: LoopReturn, by_id: SalesOrdersByKey, by_name: SalesOrdersByKey) -> list[SalesOrderSnapshot]:
    if r.provider_order_id and by_id.get(r.provider_order_id):
        return by_id[r.provider_order_id]
    return by_name.get(r.order_name_key or "", [])


def load_work(
    runtime: SyncRuntime,
    returns: list[LoopReturn],
    *,
    with_exchanges: bool = False,
    with_refund_records: bool = False,
    expect_ras: bool = True,
) -> list[ReturnWork]:
    """Everything the syncs need about ``returns``, oldest first (created_at, id).

    The look-ups (sales orders, items, RAs and their children, and with ``with_refund_records`` our records not
    created from the RA: customer refunds, deposits, fee and charge postings, and the refunds NetSuite holds by
    the returns' Shopify refund ids, the Shopify connector's among them) do not depend on each other, so
    they run side by side: a batch waits for the longest chain of SuiteQL queries, not for their sum. The
    NetSuite client's account-wide semaphore still bounds the requests in flight; a sync that posts none of
    the refund records leaves that query out, so its first round (the sales order's three queries, items and
    RAs) fits the five requests a base-tier account allows at once. ``expect_ras=False`` (ra_sync: its returns
    mostly have no RA yet) reads an RA's lines and children only once its header is found.
    """
    s, ns = runtime.settings, runtime.netsuite
    ordered = sorted(
        returns, key=lambda r: (r.created_at.isoformat() if r.created_at else "", int(r.id) if r.id.isdigit() else 0, r.id)
    )

    shared = current_netsuite_reads()
    remembered = current_item_memory()  # the warm webhook worker's, across its runs

    def sales_orders() -> tuple[SalesOrdersByKey, SalesOrdersByKey]:
        order_ids = [r.provider_order_id for r in ordered if r.provider_order_id]
        known = shared.orders(runtime.store, order_ids) if shared else {}
        unread = [r for r in ordered if r.provider_order_id not in known]
        if not unread:
            return known, {}
        asked = [r.provider_order_id for r in unread if r.provider_order_id]
        by_id, by_name = so_lookup.find_sales_orders(
            ns,
            shopify_order_ids=asked,
            order_names=[r.order_name_key for r in unread if r.order_name_key and not r.provider_order_id],
            names_if_missing={r.provider_order_id: r.order_name_key for r in unread if r.provider_order_id and r.order_name_key},
            order_id_field=s.so_shopify_order_id_field,
            subsidiary_id=s.subsidiary_id,
            tax_engine=s.netsuite_tax_engine,
        )
        if shared:
            # Only what was asked for by id: an order found by name may carry an id another sales order also carries.
            shared.keep_orders(runtime.store, {oid: by_id[oid] for oid in asked if oid in by_id})
        return by_id | known, by_name

    def items() -> dict[str, list[int]]:
        skus = {li.sku for r in ordered for li in r.line_items if li.sku}
        known = shared.items(runtime.store, skus) if shared else {}
        scope = item_scope(runtime.store, s.sku_field)
        if remembered:
            known = remembered.known(scope, skus - known.keys()) | known
        unread = skus - known.keys()
        found = lookup.match_items(ns, unread, sku_field=s.sku_field) if unread else {}
        if shared:
            shared.keep_items(runtime.store, unread, found)
        if remembered:
            remembered.keep(scope, found)
        return found | known

    def ras_and_children() -> tuple[dict[ExternalId, RaState], dict[int, list[ChildRecord]]]:
        return lookup.find_return_authorizations_and_children(
            ns,
            [ExternalId(runtime.store, r.id, RecordRole.RA) for r in ordered],
            loop_id_field=s.ra_loop_id_field,
            flag_field=s.ra_flag_field,
            time_zone=s.netsuite_time_zone,
            tracking_number_field=s.ra_tracking_number_field,
            expected_date_field=s.ra_expected_date_field,
            expected=expect_ras,
        )

    with ThreadPoolExecutor(max_workers=5, thread_name_prefix=f"load-{runtime.store}") as pool:
        # copy_context: each look-up sees the task's context (its run logger), as it would run inline.
        so_future = pool.submit(copy_context().run, sales_orders)
        items_future = pool.submit(copy_context().run, items)
        ra_future = pool.submit(copy_context().run, ras_and_children)
        extras: dict[ExternalId, ChildRecord] = {}
        refunds: dict[str, ChildRecord] = {}
        if with_refund_records:
            extras_future = pool.submit(
                copy_context().run,
                lookup.find_by_external_ids,
                ns,
                [ExternalId(runtime.store, r.id, role) for r in ordered for role in _NOT_FROM_RA],
            )
            refunds_future = pool.submit(
                copy_context().run,
                lookup.find_connector_refunds,
                ns,
                sorted({p.provider_refund_id for r in ordered for p in r.refunds if p.provider_refund_id}),
                refund_id_field=s.shopify_refund_id_field,
            )
            extras, refunds = extras_future.result(), refunds_future.result()
        by_id, by_name = so_future.result()
        matches = items_future.result()
        ras, children = ra_future.result()
    work = []
    for r in ordered:
        w = ReturnWork(loop_return=r, so_matches=_sales_orders_for(r, by_id, by_name))
        w.item_matches = {li.sku: matches.get(li.sku, []) for li in r.line_items if li.sku}
        w.ra = ras.get(ExternalId(runtime.store, r.id, RecordRole.RA))
        w.children = children.get(w.ra.id, []) if w.ra else []
        for role in _NOT_FROM_RA:
            record = extras.get(ExternalId(runtime.store, r.id, role))
            if record:
                w.extra_records[role] = record
        w.refunds_by_shopify_id = {
            p.provider_refund_id: refunds[p.provider_refund_id] for p in r.refunds if p.provider_refund_id in refunds
        }
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
    by_id, _ = so_lookup.find_sales_orders(
        runtime.netsuite,
        shopify_order_ids=wanted,
        order_names=[],
        order_id_field=runtime.settings.so_shopify_order_id_field,
        subsidiary_id=runtime.settings.subsidiary_id,
        tax_engine=runtime.settings.netsuite_tax_engine,
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
                (
                    t.amount
                    for t in (order.transactions if order else [])
                    if t.kind in ("SALE", "CAPTURE") and t.status == "SUCCESS" and not is_gift_card_gateway(t.gateway)
                ),
                ZERO,
            )
            w.upsell_paid_in_shopify = paid >= w.loop_return.upsell
