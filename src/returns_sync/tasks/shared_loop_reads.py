"""One read of a webhook burst's Loop returns, shared by the Loop-driven syncs run_all runs for it.

A webhook run names its returns (``return_ids``), and each Loop-driven sync reads them from Loop by id,
one request per return. Within one run_all the answers cannot differ unless a sync changed the returns
in Loop (run_all then starts a fresh read: ``loop_actions``), so the first sync reads them and the later
ones take that read (``SharedLoopReads``). A sync run on its own reads Loop itself, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from returns_sync.domain.listed_returns import ListedReturn
from returns_sync.domain.loop_records import MalformedReturn
from returns_sync.tasks.run_scoped import RunScoped

__all__ = ["LoopReads", "SharedLoopReads", "current_reads", "sharing_reads"]


@dataclass(frozen=True)
class LoopReads:
    """What Loop answered for some ids: the returns, the records it shaped unexpectedly, the ids never sent (not Loop's)."""

    returns: tuple[ListedReturn, ...]
    malformed: tuple[MalformedReturn, ...]
    refused_ids: tuple[str, ...]


class SharedLoopReads:
    """The burst's returns of ``store`` as read by the first sync of a run_all that asked for exactly ``return_ids``."""

    def __init__(self, store: str, return_ids: Sequence[str]) -> None:
        self.store = store
        self.return_ids = tuple(return_ids)
        self._reads: LoopReads | None = None

    def taken(self, store: str, return_ids: Sequence[str]) -> LoopReads | None:
        """The earlier read of these very ids, or None (not read yet, or another store or set of ids)."""
        if store != self.store or tuple(return_ids) != self.return_ids:
            return None
        return self._reads

    def keep(self, store: str, return_ids: Sequence[str], reads: LoopReads) -> None:
        """Remember ``reads`` for the later syncs, when they answer for this burst."""
        if store == self.store and tuple(return_ids) == self.return_ids:
            self._reads = reads


_CURRENT: RunScoped[SharedLoopReads] = RunScoped("returns_sync_shared_loop_reads")


def current_reads() -> SharedLoopReads | None:
    """The burst's shared reads run_all holds for this run, if any."""
    return _CURRENT.current()


def sharing_reads(reads: SharedLoopReads | None) -> AbstractContextManager[None]:
    """Let the syncs run inside this block read the burst's returns once between them."""
    return _CURRENT.given(reads)
