"""Packed records of one listing kept on disk, memory holding only where each one is.

A backlog's listing is kept from its one Loop listing to the cycle's end, and even packed (Loop's JSON,
compressed) it cost about 600 bytes a return in memory: 12 MB at 20,000 returns, twice when the cycle lists
again (issue 12's memory run). On the shelf, a return costs its offset and length; a batch reads its returns
back as it starts. The file is anonymous (``tempfile.TemporaryFile``) and goes with the last record that
refers to it.
"""

from __future__ import annotations

import os
import tempfile
import threading
import weakref
from typing import Any

__all__ = ["PackedShelf"]


class PackedShelf:
    """An append-only store of byte strings in an anonymous temporary file; safe to share between threads."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="returns-sync-shelf-")  # noqa: SIM115  # lives as long as the shelf
        weakref.finalize(self, self._file.close)  # closed (and its disk space freed) with the shelf, without a warning
        self._end = 0
        self._lock = threading.Lock()

    def put(self, data: bytes) -> int:
        """Keep ``data``; the offset to read it back with (``get``)."""
        with self._lock:
            offset = self._end
            written = 0
            while written < len(data):
                written += os.pwrite(self._file.fileno(), data[written:], offset + written)
            self._end += len(data)
        return offset

    def get(self, offset: int, length: int) -> bytes:
        data = os.pread(self._file.fileno(), length, offset)
        if len(data) != length:
            raise OSError(f"the shelf holds {self._end} bytes; {length} at {offset} cannot be read back")
        return data

    def __getstate__(self) -> dict[str, Any]:
        # A pickled shelf (a task result written by Prefect, a process boundary) carries its bytes.
        return {"data": self.get(0, self._end) if self._end else b""}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]  # a fresh file for the unpickled copy
        if state["data"]:
            self.put(state["data"])
