"""The runtime's process-wide caches: store settings (in memory or from blocks, with a TTL) and ledgers per URL."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from returns_sync.tasks.runtime import LEDGERS, StoreSettingsCache, ledger_for


class BlockReader:
    """Stands in for ``StoreSettings.load_for_store``: a fresh object per read, counted."""

    def __init__(self) -> None:
        self.reads: list[str] = []

    def __call__(self, store: str) -> SimpleNamespace:
        self.reads.append(store)
        return SimpleNamespace(store=store, read=len(self.reads))


class TestStoreSettingsCache:
    def test_a_block_is_read_once_while_fresh(self) -> None:
        reader = BlockReader()
        cache = StoreSettingsCache(ttl=60.0, load_block=reader)
        assert cache.load("acme") is cache.load("acme")
        assert reader.reads == ["acme"]

    def test_a_stale_block_is_read_again(self) -> None:
        reader = BlockReader()
        cache = StoreSettingsCache(ttl=0.0, load_block=reader)
        cache.load("acme")
        cache.load("acme")
        assert reader.reads == ["acme", "acme"]

    def test_settings_in_memory_win_until_forgotten(self) -> None:
        reader = BlockReader()
        cache = StoreSettingsCache(load_block=reader)
        mine = SimpleNamespace(store="acme")
        cache.use(mine)  # type: ignore[arg-type]
        assert cache.load("acme") is mine and reader.reads == []
        cache.stop_using("acme")
        assert cache.load("acme") is not mine and reader.reads == ["acme"]

    def test_reset_forgets_loaded_and_registered_settings(self) -> None:
        reader = BlockReader()
        cache = StoreSettingsCache(load_block=reader)
        cache.load("acme")
        cache.use(SimpleNamespace(store="beta"))  # type: ignore[arg-type]
        cache.reset()
        cache.load("acme")
        cache.load("beta")
        assert reader.reads == ["acme", "acme", "beta"]


def test_one_migrated_ledger_per_url_until_reset(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    first = ledger_for(url)
    try:
        assert ledger_for(url) is first
        assert first.current_revision() is not None  # migrated on first use
        LEDGERS.reset()
        assert ledger_for(url) is not first
    finally:
        LEDGERS.reset()
