"""A value that the code run inside a block can find: what run_all (or the warm worker) shares with its syncs' tasks.

A ``ContextVar`` set for the block: Prefect runs a sync flow in the caller's thread and copies the context into the
task runner's threads, so the syncs and their tasks see it; other runs, in other contexts, do not.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

__all__ = ["RunScoped"]

Value = TypeVar("Value")


class RunScoped(Generic[Value]):
    """``current()`` inside a ``given(value)`` block is ``value``; outside any, None."""

    def __init__(self, name: str) -> None:
        self._var: ContextVar[Value | None] = ContextVar(name, default=None)

    def current(self) -> Value | None:
        return self._var.get()

    @contextmanager
    def given(self, value: Value | None) -> Iterator[None]:
        token = self._var.set(value)
        try:
            yield
        finally:
            self._var.reset(token)
