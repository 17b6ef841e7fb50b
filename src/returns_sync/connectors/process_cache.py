"""``ProcessCache``: a named, thread-safe map of objects one process shares, with ``reset()`` to start afresh."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["ProcessCache"]

K = TypeVar("K")
V = TypeVar("V")


class ProcessCache(Generic[K, V]):
    """Objects built once per key and shared by every thread of the process (TLS context, rate budgets, ledgers).

    Each cache is a module-level constant with a ``name`` saying what it holds; tests and re-configuration
    call ``reset()`` instead of reaching into module internals.

    Args:
        name: what the cache holds, in words (shown in ``repr``).
        close: called on every cached object by ``reset()`` (e.g. dispose a pooled engine).

    Example:
        >>> squares = ProcessCache[int, int]("squares")
        >>> squares.get_or_create(3, lambda: 9), len(squares)
        (9, 1)
        >>> squares.reset(); len(squares)
        0
    """

    def __init__(self, name: str, *, close: Callable[[V], object] | None = None) -> None:
        self.name = name
        self._close = close
        self._items: dict[K, V] = {}
        self._lock = threading.Lock()

    def get_or_create(self, key: K, create: Callable[[], V]) -> V:
        """The object cached under ``key``; ``create()`` builds it the first time (exactly once, under the lock)."""
        with self._lock:
            if key not in self._items:
                self._items[key] = create()
            return self._items[key]

    def reset(self) -> None:
        """Forget every cached object (closing each when the cache has ``close``); the next use builds afresh."""
        with self._lock:
            items, self._items = list(self._items.values()), {}
        if self._close is not None:
            for item in items:
                self._close(item)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"ProcessCache({self.name!r}, {len(self)} cached)"
