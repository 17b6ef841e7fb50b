"""A Loop return kept small while it waits for its batch: what a sync sorts, batches and skips by, and the record packed.

A parsed ``LoopReturn`` of a realistic return holds about 15 KB (pydantic models, ``Decimal`` amounts, dates),
seven times its JSON. A cycle lists its whole backlog before its first batch starts, so 20,000 returns held about
300 MB parsed (issue 12's memory run). Kept as Loop's JSON, compressed (about 600 bytes), with the few fields a
sync sorts and batches by (about 0.9 KB in all), the same backlog holds about 18 MB, and a batch's 100 returns
are parsed for as long as the batch runs. Packed onto a listing's shelf (``PackedShelf``, a temporary file), the
JSON leaves memory too: a listed return then holds about 300 bytes.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from returns_sync.domain.loop import LoopReturn, ReturnState
from returns_sync.domain.loop_records import read_return
from returns_sync.domain.packed_shelf import PackedShelf

__all__ = ["BatchOfReturns", "ListedReturn", "read_returns"]

# Fast compression: the record is packed once per listing and unpacked once per sync that handles it.
_PACK_LEVEL = 1


@dataclass(frozen=True, slots=True, eq=False)
class ListedReturn:
    """A readable Loop return: its id, state and times, its order, and the return itself (``read``)."""

    id: str
    state: ReturnState
    created_at: datetime | None
    updated_at: datetime | None
    order_name_key: str | None
    # Loop's JSON of the return, compressed: in memory (bytes), or where it lies on ``_shelf`` (its offset); None
    # when ``_held`` keeps the return parsed.
    _packed: bytes | int | None
    _packed_size: int
    _shelf: PackedShelf | None
    _held: LoopReturn | None

    @classmethod
    def packed(cls, item: dict[str, Any], parsed: LoopReturn, *, shelf: PackedShelf | None = None) -> ListedReturn:
        """``parsed`` (read from ``item``, Loop's JSON object) kept as ``item``, compressed; on ``shelf`` when given."""
        text = json.dumps(item, separators=(",", ":"), ensure_ascii=False)
        data = zlib.compress(text.encode(), _PACK_LEVEL)
        packed = data if shelf is None else shelf.put(data)
        return cls._of(parsed, packed, len(data), shelf, None)

    @classmethod
    def holding(cls, parsed: LoopReturn) -> ListedReturn:
        """``parsed`` kept as it is: for the few returns read one by one (a webhook burst, a revisit)."""
        return cls._of(parsed, None, 0, None, parsed)

    @classmethod
    def _of(
        cls, parsed: LoopReturn, packed: bytes | int | None, size: int, shelf: PackedShelf | None, held: LoopReturn | None
    ) -> ListedReturn:
        created, updated, order = parsed.created_at, parsed.updated_at, parsed.order_name_key
        return cls(parsed.id, parsed.state, created, updated, order, packed, size, shelf, held)

    def _unpacked(self) -> bytes:
        if isinstance(self._packed, bytes):
            return self._packed
        assert self._shelf is not None and self._packed is not None
        return self._shelf.get(self._packed, self._packed_size)

    def read(self) -> LoopReturn:
        """The return, parsed as it was when listed (the JSON it was read from is read again the same way)."""
        if self._held is not None:
            return self._held
        parsed = read_return(json.loads(zlib.decompress(self._unpacked())))
        if not isinstance(parsed, LoopReturn):  # it was read once from the very same JSON
            raise ValueError(f"Loop return {self.id} no longer reads from its own JSON: {parsed.message}")
        return parsed


# What a Loop-driven batch task takes: the flow hands it listed returns, tests and callers may hand parsed ones.
BatchOfReturns = Sequence[LoopReturn | ListedReturn]


def read_returns(returns: BatchOfReturns) -> list[LoopReturn]:
    """A batch's returns parsed, inside its task run: the task run's parameters stay small listed returns.

    Prefect keeps a task run's parameters and result for as long as its state events wait to be sent (the events
    worker keeps a copy of the emitting context, ``EventsWorker._prepare_item`` in prefect/events/worker.py, 3.8.8).
    A batch of 100 parsed returns is about 400 KB; listed, about 30 KB.
    """
    return [r.read() if isinstance(r, ListedReturn) else r for r in returns]
