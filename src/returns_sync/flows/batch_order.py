"""A sync's ended batches, merged in batch order without keeping every batch until the sync ends."""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["InBatchOrder"]

T = TypeVar("T")


class InBatchOrder(Generic[T]):
    """What ended batches gave, let out in batch order: each as soon as every earlier batch is out, so only the batches
    that ended before an earlier one are held (at most the batches in flight less one).

    Example:
        >>> order = InBatchOrder[str]()
        >>> order.add(2, "b"), order.held, order.add(1, "a"), order.held
        ([], 1, [(1, 'a'), (2, 'b')], 0)
    """

    def __init__(self) -> None:
        self._next = 1
        self._early: dict[int, T] = {}

    @property
    def held(self) -> int:
        return len(self._early)

    def add(self, number: int, value: T) -> list[tuple[int, T]]:
        """Batch ``number`` ended with ``value``: what can go out now, in order (none while an earlier one runs)."""
        self._early[number] = value
        out = []
        while self._next in self._early:
            out.append((self._next, self._early.pop(self._next)))
            self._next += 1
        return out

    def rest(self) -> list[tuple[int, T]]:
        """Everything still held, in order: batches that never ran (refused credentials) leave gaps."""
        out = sorted(self._early.items())
        self._early.clear()
        return out
