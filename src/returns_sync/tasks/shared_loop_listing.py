"""One Loop listing per cycle for the Loop-driven syncs of a store that run_all runs one after another.

Each Loop-driven sync lists the returns of its states changed in its window. Run one after another
(run_all), their windows nearly coincide, and four syncs listing nine states cost nine list calls where
the five distinct states need five. run_all reads the five once (``list_loop_returns_for_cycle``) from the
earliest of the syncs' window starts up to one instant, and each sync then opens its window ending at that
instant and takes its states from the listing (``SharedLoopListing.take``). A sync run on its own (its own
deployment, a rerun) lists Loop itself, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime

from prefect import task

from returns_sync.domain.listed_returns import ListedReturn
from returns_sync.domain.loop import ReturnState
from returns_sync.domain.loop_records import MalformedReturn
from returns_sync.domain.syncs import SyncName
from returns_sync.tasks.retry import RETRY_OPTIONS
from returns_sync.tasks.run_scoped import RunScoped
from returns_sync.tasks.runtime import ledger_for, load_settings, open_runtime, utcnow

__all__ = ["SharedLoopListing", "current_listing", "list_loop_returns_for_cycle", "sharing_listing"]


@dataclass
class SharedLoopListing:
    """Loop's list answers for ``states``, every return updated in ``[start, end]`` (Loop's bounds are inclusive).

    The returns are kept small (``ListedReturn``): a backlog of thousands is listed before the first batch starts.
    """

    store: str
    start: datetime
    end: datetime
    returns: dict[ReturnState, list[ListedReturn]] = field(default_factory=dict)
    malformed: dict[ReturnState, list[MalformedReturn]] = field(default_factory=dict)

    def covers(self, store: str, states: Sequence[ReturnState], start: datetime) -> bool:
        """Whether this listing holds everything a window of ``store`` from ``start`` to ``end`` lists for ``states``."""
        return store == self.store and self.start <= start and all(state in self.returns for state in states)

    def take(self, states: Sequence[ReturnState], start: datetime) -> tuple[list[ListedReturn], list[MalformedReturn]]:
        """The returns of ``states`` updated in ``[start, end]``, and the records of those states Loop shaped unexpectedly."""
        found: dict[str, ListedReturn] = {}
        held: list[MalformedReturn] = []
        for state in states:
            for loop_return in self.returns[state]:
                if loop_return.updated_at is None or loop_return.updated_at >= start:
                    found[loop_return.id] = loop_return
            # A record whose time cannot be read is kept: the sync listing its state quarantines it, as a list call would.
            held += [m for m in self.malformed[state] if m.updated_at is None or m.updated_at >= start]
        return list(found.values()), held

    def latest_states(self) -> dict[str, ReturnState]:
        """The state each listed return was listed in; the newer one when it moved between two list calls.

        The Detailed Returns List answers every return with its ``state`` and ``updated_at``
        (https://docs.loopreturns.com/api-reference/latest/return-data/detailed-returns-list), so a return
        listed here needs no Get Return Details to know where it stands.
        """
        return {rid: loop_return.state for rid, loop_return in self.newest().items()}

    def newest(self) -> dict[str, ListedReturn]:
        """Each listed return as last listed: the newer record when it moved between two list calls."""
        newest: dict[str, ListedReturn] = {}
        for listed in self.returns.values():
            for loop_return in listed:
                known = newest.get(loop_return.id)
                if known is None or _later(loop_return, known):
                    newest[loop_return.id] = loop_return
        return newest


def _later(candidate: ListedReturn, known: ListedReturn) -> bool:
    if candidate.updated_at is None:
        return False
    return known.updated_at is None or candidate.updated_at > known.updated_at


_CURRENT: RunScoped[SharedLoopListing] = RunScoped("returns_sync_shared_loop_listing")


def current_listing() -> SharedLoopListing | None:
    """The listing run_all read for this cycle, if any."""
    return _CURRENT.current()


def sharing_listing(listing: SharedLoopListing | None) -> AbstractContextManager[None]:
    """Let the syncs run inside this block take their Loop returns from ``listing``."""
    return _CURRENT.given(listing)


@task(name="list Loop returns for the cycle", task_run_name="{store} · list Loop returns once", **RETRY_OPTIONS)
def list_loop_returns_for_cycle(store: str, syncs: dict[SyncName, list[ReturnState]]) -> SharedLoopListing:
    """One list call per distinct state and page, from the earliest window start of ``syncs`` to now."""
    settings = load_settings(store)
    end = utcnow()
    with ledger_for().session() as repo:
        starts = [
            repo.open_window(
                store, sync, run_started_at=end, overlap=settings.cursor_overlap, initial_lookback=settings.initial_lookback
            ).start
            for sync in syncs
        ]
    listing = SharedLoopListing(store=store, start=min(starts), end=end)
    states = list(dict.fromkeys(state for wanted in syncs.values() for state in wanted))
    with open_runtime(store) as runtime:
        for state in states:
            malformed: list[MalformedReturn] = []
            found: dict[str, ListedReturn] = {}
            pages = runtime.loop.iter_listed_return_pages(
                updated_from=listing.start, updated_to=end, states=[state], on_malformed=malformed.append
            )
            for page in pages:
                for loop_return in page:
                    found[loop_return.id] = loop_return
            listing.returns[state] = list(found.values())
            listing.malformed[state] = malformed
    return listing
