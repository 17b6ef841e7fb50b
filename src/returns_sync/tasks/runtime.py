"""What every sync task works with: the store's settings, the ledger, and clients for the three APIs.

Tasks receive only the store key and load the rest here, so task inputs stay small and never carry
credentials. Settings come from the ``store-<key>`` StoreSettings block, unless a process has
registered them in memory (``use_store_settings``: the demo and tests do that after saving the
same blocks). The ledger URL comes from ``RETURNS_SYNC_LEDGER_URL``.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator

from returns_sync.blocks.store import StoreSettings
from returns_sync.domain.plan import PostingSettings
from returns_sync.ledger import Ledger

__all__ = ["SyncRuntime", "open_runtime", "run_batch", "use_store_settings", "load_settings", "forget_loaded_settings", "ledger_for", "posting_settings", "utcnow"]

_lock = threading.Lock()
_settings_override: dict[str, StoreSettings] = {}
_ledgers: dict[str, Ledger] = {}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def use_store_settings(settings: StoreSettings | None, *, store: str | None = None) -> None:
    """Serve ``settings`` for its store from memory in this process (None with ``store`` forgets it)."""
    with _lock:
        if settings is None:
            _settings_override.pop(store or "", None)
        else:
            _settings_override[settings.store] = settings


_SETTINGS_TTL = 60.0
_loaded: dict[str, tuple[float, StoreSettings]] = {}


def load_settings(store: str) -> StoreSettings:
    """The store's settings: an in-process override, else its block (re-read at most once a minute per process)."""
    import time

    with _lock:
        settings = _settings_override.get(store)
        cached = _loaded.get(store)
    if settings is not None:
        return settings
    if cached and time.monotonic() - cached[0] < _SETTINGS_TTL:
        return cached[1]
    settings = StoreSettings.load_for_store(store)
    with _lock:
        _loaded[store] = (time.monotonic(), settings)
    return settings


def forget_loaded_settings() -> None:
    """Drop cached blocks (after saving new ones in this process)."""
    with _lock:
        _loaded.clear()


def ledger_for(url: str | None = None) -> Ledger:
    """One migrated ``Ledger`` per URL per process (engines are pooled and thread-safe)."""
    ledger = Ledger(url) if url else Ledger.from_env()
    key = str(ledger.engine.url)
    with _lock:
        if key in _ledgers:
            ledger.dispose()
            return _ledgers[key]
        ledger.migrate()
        _ledgers[key] = ledger
        return ledger


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
        main_location_id=settings.main_location_id,
        damaged_location_id=settings.damaged_location_id,
        disposition_locations=dict(settings.disposition_locations),
        ra_loop_id_field=settings.ra_loop_id_field,
        upsell_fee_rate=settings.upsell_fee_rate or 0,
        tolerance=settings.amount_tolerance,
    )


@dataclass
class SyncRuntime:
    """One task's handle on a store: settings, ledger, and lazily built API clients (closed on exit)."""

    store: str
    settings: StoreSettings
    ledger: Ledger
    _clients: dict[str, Any] = field(default_factory=dict)

    _client_lock: threading.Lock = field(default_factory=threading.Lock)

    def _client(self, name: str, build) -> Any:
        # Batches post from a few threads at once: build each client exactly once.
        with self._client_lock:
            if name not in self._clients:
                self._clients[name] = build()
            return self._clients[name]

    @property
    def posting(self) -> PostingSettings:
        return self._client("posting", lambda: posting_settings(self.settings))

    @property
    def loop(self):
        return self._client("loop", self.settings.get_loop_client)

    @property
    def netsuite(self):
        return self._client("netsuite", self.settings.get_netsuite_client)

    @property
    def shopify(self):
        return self._client("shopify", self.settings.get_shopify_client)

    def close(self) -> None:
        for name, client in self._clients.items():
            if name != "posting":
                client.close()
        self._clients.clear()


@contextmanager
def open_runtime(store: str) -> Iterator[SyncRuntime]:
    runtime = SyncRuntime(store=store, settings=load_settings(store), ledger=ledger_for())
    try:
        yield runtime
    finally:
        runtime.close()


def run_batch(sync: str, store: str, dry_run: bool, post_batch, items) -> "BatchResult":
    """The body every batch task shares: open the store's runtime, post the batch, fail on transient leftovers."""
    from returns_sync.tasks.results import BatchResult

    result = BatchResult(sync=sync, store=store, dry_run=dry_run)
    with open_runtime(store) as runtime:
        post_batch(runtime, items, result)
    result.raise_if_transient()
    return result
