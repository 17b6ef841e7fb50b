"""What every sync task works with: the store's settings, the ledger, and clients for the three APIs.

Tasks receive only the store key and load the rest here, so task inputs stay small and never carry
credentials. Settings come from the ``store-<key>`` StoreSettings block, unless a process has
registered them in memory (``use_store_settings``: the bench and tests do that). The ledger URL comes
from ``RETURNS_SYNC_LEDGER_URL``. Both are cached for the process in ``SETTINGS_CACHE`` and ``LEDGERS``;
``reset()`` on either starts afresh (after saving new blocks, between test sessions).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar, cast

from returns_sync.blocks.store import StoreSettings
from returns_sync.connectors.process_cache import ProcessCache
from returns_sync.domain.plan import PostingSettings
from returns_sync.domain.syncs import SyncName
from returns_sync.ledger import Ledger

if TYPE_CHECKING:
    from returns_sync.connectors.loop import LoopClient
    from returns_sync.connectors.netsuite import NetSuiteClient
    from returns_sync.connectors.shopify import ShopifyClient
    from returns_sync.domain.syncs import SyncName
    from returns_sync.tasks.results import BatchResult

_Built = TypeVar("_Built")
_Item = TypeVar("_Item")

__all__ = [
    "LEDGERS",
    "SETTINGS_CACHE",
    "StoreSettingsCache",
    "SyncRuntime",
    "ledger_for",
    "load_settings",
    "open_runtime",
    "posting_settings",
    "run_batch",
    "use_store_settings",
    "utcnow",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


class StoreSettingsCache:
    """Each store's settings for this process: registered in memory, else its block re-read at most every ``ttl`` s.

    Args:
        ttl: seconds a loaded block is served before it is read again (a rotated secret is picked up).
        load_block: reads a store's block; ``StoreSettings.load_for_store`` when None.
    """

    def __init__(self, *, ttl: float = 60.0, load_block: Callable[[str], StoreSettings] | None = None) -> None:
        self.ttl = ttl
        self._load_block = load_block
        self._registered: dict[str, StoreSettings] = {}
        self._loaded: dict[str, tuple[float, StoreSettings]] = {}
        self._lock = threading.Lock()

    def use(self, settings: StoreSettings) -> None:
        """Serve ``settings`` for its store from memory instead of its block (the demo, bench and tests)."""
        with self._lock:
            self._registered[settings.store] = settings

    def stop_using(self, store: str) -> None:
        """Forget what ``use`` registered for ``store``; its block is read again."""
        with self._lock:
            self._registered.pop(store, None)

    def load(self, store: str) -> StoreSettings:
        """The store's registered settings, else its block (from this cache while fresh)."""
        with self._lock:
            settings = self._registered.get(store)
            cached = self._loaded.get(store)
        if settings is not None:
            return settings
        if cached and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        settings = (self._load_block or StoreSettings.load_for_store)(store)
        with self._lock:
            self._loaded[store] = (time.monotonic(), settings)
        return settings

    def reset(self) -> None:
        """Forget every registered and loaded store settings (e.g. after saving new blocks in this process)."""
        with self._lock:
            self._registered.clear()
            self._loaded.clear()


SETTINGS_CACHE = StoreSettingsCache()
# One migrated Ledger per database URL (engines are pooled and thread-safe); reset() disposes their pools.
LEDGERS = ProcessCache[str, Ledger]("migrated ledgers per URL", close=Ledger.dispose)


def use_store_settings(settings: StoreSettings | None, *, store: str | None = None) -> None:
    """Serve ``settings`` for its store from memory in this process (None with ``store`` forgets it)."""
    if settings is None:
        SETTINGS_CACHE.stop_using(store or "")
    else:
        SETTINGS_CACHE.use(settings)


def load_settings(store: str) -> StoreSettings:
    """The store's settings: an in-process override, else its block (re-read at most once a minute per process)."""
    return SETTINGS_CACHE.load(store)


def ledger_for(url: str | None = None) -> Ledger:
    """The process's migrated ``Ledger`` for ``url`` (default ``RETURNS_SYNC_LEDGER_URL``)."""
    ledger = Ledger(url) if url else Ledger.from_env()
    key = str(ledger.engine.url)

    def migrated() -> Ledger:
        ledger.migrate()
        return ledger

    shared = LEDGERS.get_or_create(key, migrated)
    if shared is not ledger:
        ledger.dispose()
    return shared


def posting_settings(settings: StoreSettings) -> PostingSettings:
    """The domain's view of a store's posting options."""
    return PostingSettings(
        store=settings.store,
        refund_mode=settings.refund_mode,
        exchange_mode=settings.exchange_mode,
        handling_fee_item_id=settings.handling_fee_item,
        store_credit_item_id=settings.store_credit_item,
        bonus_item_id=settings.bonus_item,
        price_adjustment_item_id=settings.price_adjustment_item,
        gift_card_payment_item_id=settings.gift_card_payment_item,
        shipping_item_id=getattr(settings, "shipping_item", None),
        tax_rounding_item_id=settings.tax_rounding_item,
        main_location_id=settings.main_location_id,
        damaged_location_id=settings.damaged_location_id,
        disposition_locations=dict(settings.disposition_locations),
        ra_loop_id_field=settings.ra_loop_id_field,
        upsell_fee_rate=settings.upsell_fee_rate or 0,
        upsell_fee_fixed=settings.upsell_fee_fixed or 0,
        tolerance=settings.amount_tolerance,
    )


@dataclass
class SyncRuntime:
    """One task's handle on a store: settings, ledger, and lazily built API clients (closed on exit)."""

    store: str
    settings: StoreSettings
    ledger: Ledger
    _clients: dict[str, object] = field(default_factory=dict)

    _client_lock: threading.Lock = field(default_factory=threading.Lock)

    def _client(self, name: str, build: Callable[[], _Built]) -> _Built:
        # Batches post from a few threads at once: build each client exactly once.
        with self._client_lock:
            if name not in self._clients:
                self._clients[name] = build()
            return cast("_Built", self._clients[name])

    @property
    def posting(self) -> PostingSettings:
        return self._client("posting", lambda: posting_settings(self.settings))

    @property
    def loop(self) -> LoopClient:
        return self._client("loop", self.settings.get_loop_client)

    @property
    def netsuite(self) -> NetSuiteClient:
        return self._client("netsuite", self.settings.get_netsuite_client)

    @property
    def shopify(self) -> ShopifyClient:
        return self._client("shopify", self.settings.get_shopify_client)

    def close(self) -> None:
        for client in self._clients.values():
            close = getattr(client, "close", None)  # the posting settings have nothing to close
            if close is not None:
                close()
        self._clients.clear()


@contextmanager
def open_runtime(store: str) -> Iterator[SyncRuntime]:
    runtime = SyncRuntime(store=store, settings=load_settings(store), ledger=ledger_for())
    try:
        yield runtime
    finally:
        runtime.close()


def run_batch(
    sync: SyncName,
    store: str,
    dry_run: bool,
    post_batch: Callable[[SyncRuntime, list[_Item], BatchResult], None],
    items: list[_Item],
) -> BatchResult:
    """The body every batch task shares: open the store's runtime, post the batch, fail on transient leftovers."""
    from returns_sync.tasks.results import BatchResult

    result = BatchResult(sync=sync, store=store, dry_run=dry_run)
    with open_runtime(store) as runtime:
        post_batch(runtime, items, result)
    result.raise_if_transient()
    return result
