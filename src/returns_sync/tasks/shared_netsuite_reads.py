"""Sales orders and item matches read once per run_all, shared by its syncs' batches.

Within one run_all no sync changes what these reads return: a sales order's header, lines, tax codes and
billing (its invoices and cash sales, which none of the syncs create), and which items carry a SKU. The
syncs create RAs, receipts and refunds from the orders, and those are read afresh every time. So when
``item_receipt_to_netsuite`` and ``refund_sync`` of a webhook burst load the same returns, the second takes
the first's sales orders instead of asking NetSuite for them again, four SuiteQL queries one after another.
A sync run on its own reads NetSuite itself, as before.

Both are bounded, the least recently used dropped first: a cycle working through a backlog of 20,000 returns must
not keep every sales order it read (issue 12's memory run). The bounds hold a webhook burst, and a store's batches
in flight, many times over; an order dropped is read again, at most once per batch.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

from returns_sync.domain.netsuite import SalesOrderSnapshot
from returns_sync.tasks.run_scoped import RunScoped

__all__ = ["SharedNetSuiteReads", "current_netsuite_reads", "sharing_netsuite_reads"]

# Shopify orders' sales orders kept, a few KB each: a cycle's batches in flight (two lanes, three batches of 100) and a
# webhook burst fit; a backlog's older orders are dropped and read again by the rare later batch that needs them.
MAX_ORDERS = 600
MAX_SKUS = 10_000  # SKUs' item matches kept, a few dozen bytes each

Value = TypeVar("Value")


class SharedNetSuiteReads:
    """What one run_all of ``store`` has read: sales orders by Shopify order id, item ids by SKU (an empty list: none)."""

    def __init__(self, store: str, *, max_orders: int = MAX_ORDERS, max_skus: int = MAX_SKUS) -> None:
        self.store = store
        self._orders: _Recent[list[SalesOrderSnapshot]] = _Recent(max_orders)
        self._items: _Recent[list[int]] = _Recent(max_skus)
        self._lock = threading.Lock()  # a sync's batches run side by side

    def orders(self, store: str, shopify_order_ids: Iterable[str]) -> dict[str, list[SalesOrderSnapshot]]:
        """The sales orders already read for those of ``shopify_order_ids`` that found one."""
        if store != self.store:
            return {}
        with self._lock:
            return self._orders.known(shopify_order_ids)

    def keep_orders(self, store: str, by_order_id: dict[str, list[SalesOrderSnapshot]]) -> None:
        if store == self.store:
            with self._lock:
                self._orders.keep(by_order_id)

    def items(self, store: str, skus: Iterable[str]) -> dict[str, list[int]]:
        """The matches already read for those of ``skus`` asked before (found or not)."""
        if store != self.store:
            return {}
        with self._lock:
            return self._items.known(skus)

    def keep_items(self, store: str, asked: Iterable[str], found: dict[str, list[int]]) -> None:
        if store == self.store:
            with self._lock:
                self._items.keep({sku: found.get(sku, []) for sku in asked})


class _Recent(Generic[Value]):
    """At most ``limit`` entries by key, the least recently asked for or kept dropped first (callers hold the lock)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._entries: OrderedDict[str, Value] = OrderedDict()

    def known(self, keys: Iterable[str]) -> dict[str, Value]:
        found: dict[str, Value] = {}
        for key in keys:
            if key in self._entries:
                self._entries.move_to_end(key)
                found[key] = self._entries[key]
        return found

    def keep(self, entries: dict[str, Value]) -> None:
        for key, value in entries.items():
            self._entries[key] = value
            self._entries.move_to_end(key)
        while len(self._entries) > self._limit:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


_CURRENT: RunScoped[SharedNetSuiteReads] = RunScoped("returns_sync_shared_netsuite_reads")


def current_netsuite_reads() -> SharedNetSuiteReads | None:
    """The reads run_all shares for this run, if any."""
    return _CURRENT.current()


def sharing_netsuite_reads(reads: SharedNetSuiteReads | None) -> AbstractContextManager[None]:
    """Let the syncs run inside this block share their sales-order and item reads."""
    return _CURRENT.given(reads)
