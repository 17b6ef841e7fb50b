"""A Loop return kept small while it waits for its batch: what a sync sorts, batches and skips by, and the record packed.

A parsed ``LoopReturn`` of a realistic return holds about 15 KB (pydantic models, ``Decimal`` amounts, dates),
seven times its JSON. A cycle lists its whole backlog before its first batch starts, so 20,000 returns held about
300 MB parsed (issue 12's memory run). Kept as Loop's JSON, compressed (about 600 bytes), with the few fields a
sync sorts and batches by (about 0.9 KB in all), the same backlog holds about 18 MB, and a batch's 100 returns
are parsed for as long as the batch runs.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from returns_sync.domain.loop import LoopReturn, ReturnState
from returns_sync.domain.loop_records import read_return

__all__ = ["ListedReturn"]

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
    _packed: bytes | None  # Loop's JSON of the return, compressed; None when ``_held`` keeps it parsed
    _held: LoopReturn | None

    @classmethod
    def packed(cls, item: dict[str, Any], parsed: LoopReturn) -> ListedReturn:
        """``parsed`` (read from ``item``, Loop's JSON object) kept as ``item``, compressed."""
        text = json.dumps(item, separators=(",", ":"), ensure_ascii=False)
        return cls._of(parsed, zlib.compress(text.encode(), _PACK_LEVEL), None)

    @classmethod
    def holding(cls, parsed: LoopReturn) -> ListedReturn:
        """``parsed`` kept as it is: for the few returns read one by one (a webhook burst, a revisit)."""
        return cls._of(parsed, None, parsed)

    @classmethod
    def _of(cls, parsed: LoopReturn, packed: bytes | None, held: LoopReturn | None) -> ListedReturn:
        return cls(parsed.id, parsed.state, parsed.created_at, parsed.updated_at, parsed.order_name_key, packed, held)

    def read(self) -> LoopReturn:
        """The return, parsed as it was when listed (the JSON it was read from is read again the same way)."""
        if self._held is not None:
            return self._held
        assert self._packed is not None
        parsed = read_return(json.loads(zlib.decompress(self._packed)))
        if not isinstance(parsed, LoopReturn):  # it was read once from the very same JSON
            raise ValueError(f"Loop return {self.id} no longer reads from its own JSON: {parsed.message}")
        return parsed
