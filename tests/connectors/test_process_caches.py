"""The connectors' process-wide caches: built once per key, shared by threads, emptied by ``reset()``."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from returns_sync.connectors.process_cache import ProcessCache
from returns_sync.connectors.ratelimit import (
    NETSUITE_ACCOUNT_SLOTS,
    REQUEST_BUDGETS,
    AccountSlots,
    account_slots,
    shared_limiter,
)
from returns_sync.connectors.tls import SSL_CONTEXT_CACHE, shared_ssl_context


class TestProcessCache:
    def test_builds_once_per_key_even_under_threads(self) -> None:
        built: list[int] = []
        cache = ProcessCache[str, object]("things")
        barrier = threading.Barrier(8)

        def get() -> object:
            barrier.wait()
            return cache.get_or_create("k", lambda: built.append(1) or object())

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda _: get(), range(8)))
        assert len(built) == 1 and all(result is results[0] for result in results)

    def test_reset_closes_and_forgets_every_object(self) -> None:
        closed: list[str] = []
        cache = ProcessCache[str, str]("names", close=closed.append)
        cache.get_or_create("a", lambda: "A")
        cache.get_or_create("b", lambda: "B")
        cache.reset()
        assert sorted(closed) == ["A", "B"] and len(cache) == 0
        assert cache.get_or_create("a", lambda: "A2") == "A2"
        assert "names" in repr(cache)


class TestSharedConnectorObjects:
    def test_one_tls_context_until_reset(self) -> None:
        first = shared_ssl_context()
        assert shared_ssl_context() is first
        SSL_CONTEXT_CACHE.reset()
        assert shared_ssl_context() is not first

    def test_one_request_budget_per_key_and_limit(self) -> None:
        REQUEST_BUDGETS.reset()
        budget = shared_limiter("key-1", 280)
        assert shared_limiter("key-1", 280) is budget
        assert shared_limiter("key-2", 280) is not budget and shared_limiter("key-1", 100) is not budget
        REQUEST_BUDGETS.reset()
        assert shared_limiter("key-1", 280) is not budget

    def test_one_set_of_slots_per_netsuite_account(self) -> None:
        NETSUITE_ACCOUNT_SLOTS.reset()
        slots = account_slots("1234567_sb1", 4)
        assert account_slots("1234567_SB1", 4) is slots  # the realm's case does not split the account
        NETSUITE_ACCOUNT_SLOTS.reset()
        assert account_slots("1234567_SB1", 4) is not slots

    def test_stores_of_one_account_with_different_settings_share_the_strictest(self) -> None:
        """Two stores of one account in one worker: one count of requests in flight, at the lower setting."""
        NETSUITE_ACCOUNT_SLOTS.reset()
        north, south = account_slots("1234567_SB1", 5), account_slots("1234567_SB1", 2)
        assert north is south and north.limit == 2
        holding, peak, lock = 0, 0, threading.Lock()

        def request(slots: AccountSlots) -> None:
            nonlocal holding, peak
            with slots:
                with lock:
                    holding += 1
                    peak = max(peak, holding)
                time.sleep(0.02)
                with lock:
                    holding -= 1

        threads = [threading.Thread(target=request, args=(north if i % 2 else south,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert peak == 2
        NETSUITE_ACCOUNT_SLOTS.reset()
