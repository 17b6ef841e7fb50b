"""Items matched to a SKU, remembered for a few minutes across the webhook runs of one receiver process.

A webhook burst is usually one return, and each burst asked NetSuite which item carries each of its SKUs:
a SuiteQL query in ``ra_sync``'s first round and again in a closed return's run, about one NetSuite request in
ten of a freshness run (bench, 5 December 2026: 19.3 requests per return at half a return a second, the
account's five slots 79 % busy, so every request saved shortens the queue the next return waits in). Which item
carries a SKU changes rarely, and seldom within minutes.

Only a SKU that matched exactly one active item is remembered: a SKU with no item, or with several, is asked
again each time, so a newly created or corrected item is seen by the next run. A remembered match is used for
``REMEMBER_FOR`` at most; an item inactivated within that time is then still named, and the posting's own
checks against the sales order's lines (the RA is a transform of the order) still hold. Scheduled runs do not
use it: run_all shares its reads across its syncs (``shared_netsuite_reads``) and reads afresh next cycle.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager

from returns_sync.tasks.run_scoped import RunScoped

__all__ = ["REMEMBER_FOR", "ItemMatchMemory", "current_item_memory", "item_scope", "remembering_item_matches"]

REMEMBER_FOR = 300.0  # seconds
_MAX_SKUS = 10_000  # a few dozen bytes each


class ItemMatchMemory:
    """The one active item matched to each SKU, per ``scope``, for ``remember_for`` seconds (thread-safe).

    A scope is a store and the item field its SKUs are matched on (``item_scope``): a store whose settings change
    that field starts afresh.
    """

    def __init__(
        self, *, remember_for: float = REMEMBER_FOR, max_skus: int = _MAX_SKUS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._remember_for, self._max, self._clock = remember_for, max_skus, clock
        self._matches: OrderedDict[tuple[str, str], tuple[int, float]] = OrderedDict()  # (scope, sku) -> (item, when)
        self._lock = threading.Lock()

    def known(self, scope: str, skus: Iterable[str]) -> dict[str, list[int]]:
        """The remembered matches among ``skus`` that are still fresh."""
        oldest = self._clock() - self._remember_for
        found: dict[str, list[int]] = {}
        with self._lock:
            for sku in skus:
                kept = self._matches.get((scope, sku))
                if kept is None:
                    continue
                if kept[1] < oldest:
                    del self._matches[(scope, sku)]
                    continue
                found[sku] = [kept[0]]
        return found

    def keep(self, scope: str, found: dict[str, list[int]]) -> None:
        """Remember the SKUs of ``found`` that matched exactly one item."""
        now = self._clock()
        with self._lock:
            for sku, items in found.items():
                if len(items) == 1:
                    self._matches[(scope, sku)] = (items[0], now)
                    self._matches.move_to_end((scope, sku))
            while len(self._matches) > self._max:
                self._matches.popitem(last=False)


def item_scope(store: str, sku_field: str) -> str:
    """The memory's scope for a store whose SKUs are matched on ``sku_field``."""
    return f"{store}/{sku_field}"


_CURRENT: RunScoped[ItemMatchMemory] = RunScoped("returns_sync_item_match_memory")


def current_item_memory() -> ItemMatchMemory | None:
    """The memory the runs of this context share, if any (the warm webhook worker's)."""
    return _CURRENT.current()


def remembering_item_matches(memory: ItemMatchMemory | None) -> AbstractContextManager[None]:
    """Let the runs started inside this block take and keep item matches in ``memory``."""
    return _CURRENT.given(memory)
