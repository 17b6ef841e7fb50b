"""Sales orders and item matches read once per run_all, shared by its syncs' batches.

Within one run_all no sync changes what these reads return: a sales order's header, lines, tax codes and
billing (its invoices and cash sales, which none of the syncs create), and which items carry a SKU. The
syncs create RAs, receipts and refunds from the orders, and those are read afresh every time. So when
``item_receipt_to_netsuite`` and ``refund_sync`` of a webhook burst load the same returns, the second takes
the first's sales orders instead of asking NetSuite for them again, four SuiteQL queries one after another.
A sync run on its own reads NetSuite itself, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from returns_sync.domain.netsuite import SalesOrderSnapshot

__all__ = ["SharedNetSuiteReads", "current_netsuite_reads", "sharing_netsuite_reads"]


class SharedNetSuiteReads:
    """What one run_all of ``store`` has read: sales orders by Shopify order id, item ids by SKU (an empty list: none)."""

    def __init__(self, store: str) -> None:
        self.store = store
        self._orders: dict[str, list[SalesOrderSnapshot]] = {}
        self._items: dict[str, list[int]] = {}
        self._lock = threading.Lock()  # a sync's batches run side by side

    def orders(self, store: str, shopify_order_ids: Iterable[str]) -> dict[str, list[SalesOrderSnapshot]]:
        """The sales orders already read for those of ``shopify_order_ids`` that found one."""
        if store != self.store:
            return {}
        with self._lock:
            return {oid: self._orders[oid] for oid in shopify_order_ids if oid in self._orders}

    def keep_orders(self, store: str, by_order_id: dict[str, list[SalesOrderSnapshot]]) -> None:
        if store == self.store:
            with self._lock:
                self._orders.update(by_order_id)

    def items(self, store: str, skus: Iterable[str]) -> dict[str, list[int]]:
        """The matches already read for those of ``skus`` asked before (found or not)."""
        if store != self.store:
            return {}
        with self._lock:
            return {sku: self._items[sku] for sku in skus if sku in self._items}

    def keep_items(self, store: str, asked: Iterable[str], found: dict[str, list[int]]) -> None:
        if store == self.store:
            with self._lock:
                self._items.update({sku: found.get(sku, []) for sku in asked})


_CURRENT: ContextVar[SharedNetSuiteReads | None] = ContextVar("returns_sync_shared_netsuite_reads", default=None)


def current_netsuite_reads() -> SharedNetSuiteReads | None:
    """The reads run_all shares for this run, if any."""
    return _CURRENT.get()


@contextmanager
def sharing_netsuite_reads(reads: SharedNetSuiteReads | None) -> Iterator[None]:
    """Let the syncs run inside this block share their sales-order and item reads."""
    token = _CURRENT.set(reads)
    try:
        yield
    finally:
        _CURRENT.reset(token)
