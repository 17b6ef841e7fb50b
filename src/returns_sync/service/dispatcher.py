"""Bursts of webhook deliveries per store: collapse them over a short window, run each burst once, lose none.

A burst asks only for the syncs its Loop events can need (``syncs_for_event``). With ``lanes`` the bursts
of one store that need different syncs run side by side: new returns get their RAs while the closed ones
of the previous burst are being refunded. Two bursts of a store never run at once when they share a sync
(each sync holds its (store, sync) ledger lock and would skip the later run), and a return's later work
waits for its earlier work: a closed return whose RA is still being made waits for that run to end.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from returns_sync.domain.syncs import SyncName

__all__ = ["NETSUITE_RA_CHANGED", "Dispatcher", "Trigger", "syncs_for_event", "syncs_for_events"]

logger = logging.getLogger("returns_sync.webhooks")

# Loop's triggers (https://docs.loopreturns.com/reference/setting-up-webhooks): "return.created", a return was
# submitted in the portal (open or review: it needs its RA); "return.closed", its state became closed (processed:
# the goods are received and the refund is due; its RA came from the created event's run). Every other trigger,
# or a return whose events are unknown, runs all six syncs. A closed return whose created delivery never came has
# no RA yet: its receipt and refund wait (noted in the ledger) for the scheduled sweep, as any lost delivery does.
# NETSUITE_RA_CHANGED is ours, not Loop's: the NetSuite poll (netsuite_poll.py) saw goods received on an RA, the RA
# ended or its flag change; the NetSuite-driven syncs take it to Loop.
NETSUITE_RA_CHANGED = "netsuite.return_authorization.changed"
_SYNCS_FOR_EVENT: dict[str, tuple[SyncName, ...]] = {
    "return.created": (SyncName.RA_SYNC,),
    "return.closed": (SyncName.ITEM_RECEIPT_TO_NETSUITE, SyncName.REFUND_SYNC),
    NETSUITE_RA_CHANGED: (SyncName.ITEM_RECEIPT_TO_LOOP, SyncName.RA_CANCELLATION),
}

# trigger(store, return_ids, syncs): start a run of ``syncs`` (lifecycle order) for the returns.
Trigger = Callable[[str, list[str], tuple[SyncName, ...]], None]

_ONE_LANE: tuple[SyncName, ...] = ()  # the lane key of every burst without lanes: one burst per store at a time


def syncs_for_event(event: str | None) -> tuple[SyncName, ...]:
    """The syncs one Loop event can need, in lifecycle order; an unknown event (None) needs all six."""
    return _SYNCS_FOR_EVENT.get(event or "", SyncName.syncs())


def syncs_for_events(events: Iterable[str | None]) -> tuple[SyncName, ...]:
    """The syncs a burst of Loop events can need, in lifecycle order.

    Example:
        >>> [str(s) for s in syncs_for_events(["return.created", "return.closed"])]
        ['ra_sync', 'item_receipt_to_netsuite', 'refund_sync']
    """
    needed = {sync for event in events for sync in syncs_for_event(event)}
    return tuple(sync for sync in SyncName.syncs() if sync in needed)


@dataclass
class _Burst:
    """The ids of one store and lane collected so far, and the events that brought them."""

    ids: list[str] = field(default_factory=list)
    events: set[str | None] = field(default_factory=set)

    @property
    def syncs(self) -> tuple[SyncName, ...]:
        return syncs_for_events(self.events)


def _comes_first(other: _Burst, burst: _Burst) -> bool:
    """Whether ``other`` holds some of ``burst``'s returns for earlier work (their receipt and refund wait for their RA)."""
    order = SyncName.syncs()
    return bool(set(burst.ids) & set(other.ids)) and order.index(other.syncs[0]) < order.index(burst.syncs[0])


def _must_wait(burst: _Burst, *, running: list[_Burst], pending: list[_Burst]) -> bool:
    """Whether ``burst`` must wait: a running burst of its store shares a sync with it (the later run would find the
    sync's lock taken and skip), or a running or pending one comes first for some of its returns. The order is
    strict (earlier first sync), so two bursts never wait for each other."""
    if any(set(burst.syncs) & set(other.syncs) for other in running):
        return True
    return any(_comes_first(other, burst) for other in [*running, *pending])


class Dispatcher:
    """Collapses return ids per store (and lane) over a short window, then calls ``trigger`` on a worker thread.

    The window is fixed from the first pending id, so a steady stream of deliveries delays a run by
    at most ``debounce_seconds``. Without ``lanes``, one call per store at a time, for the syncs all its
    pending events need. With ``lanes``, the events that need different syncs collect in separate bursts,
    and a store's bursts run side by side unless one must wait for another (``_must_wait``). Either way,
    ids that arrive while their burst's trigger is still running wait, and the call's end starts one more
    with all of them, so a burst during a run is never lost and never runs beside it (a trigger that runs
    the work itself, like ``warm_run_trigger``, would otherwise race its own store). A trigger that raises
    is logged and dropped: the scheduled sweep picks the return up later.
    """

    def __init__(self, trigger: Trigger, *, debounce_seconds: float = 2.0, max_workers: int = 4, lanes: bool = False) -> None:
        self._trigger = trigger
        self._debounce = max(0.0, debounce_seconds)
        self._lanes = lanes
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="loop-webhook-trigger")
        # Re-entrant: a future that is already done runs its callback (``_forget``) under our lock.
        self._lock = threading.RLock()
        Key = tuple[str, tuple[SyncName, ...]]  # (store, lane)
        self._pending: dict[Key, _Burst] = {}
        self._timers: dict[Key, threading.Timer] = {}
        self._running: dict[Key, _Burst] = {}  # bursts whose trigger is being called now
        self._futures: set[Future[None]] = set()
        self._closed = False

    def submit(self, store: str, return_id: str, event: str | None = None) -> None:
        """Queue ``return_id`` for ``store`` after Loop's ``event`` (None: unknown, every sync runs); it runs when its window closes."""
        with self._lock:
            if self._closed:
                return
            key = (store, syncs_for_event(event) if self._lanes else _ONE_LANE)
            burst = self._pending.setdefault(key, _Burst())
            burst.events.add(event)
            if return_id not in burst.ids:
                burst.ids.append(return_id)
            if key in self._timers or key in self._running:
                return  # started when the window closes, or when the burst now running ends
            if self._debounce == 0:
                self._start_due_locked(store)
                return
            timer = threading.Timer(self._debounce, self._window_closed, args=(key,))
            timer.daemon = True
            self._timers[key] = timer
            timer.start()

    def _window_closed(self, key: tuple[str, tuple[SyncName, ...]]) -> None:
        with self._lock:
            self._timers.pop(key, None)
            if not self._closed:
                self._start_due_locked(key[0])

    def _start_due_locked(self, store: str) -> None:
        """Start every burst of ``store`` whose window has closed and that need not wait for another."""
        order = SyncName.syncs()
        due = sorted(
            (key for key in self._pending if key[0] == store and key not in self._timers),
            key=lambda k: order.index(self._pending[k].syncs[0]),
        )
        for key in due:
            burst = self._pending[key]
            if key in self._running:
                continue  # its call's end starts it
            running = [b for k, b in self._running.items() if k[0] == store]
            pending = [b for k, b in self._pending.items() if k[0] == store and k != key]
            if _must_wait(burst, running=running, pending=pending):
                continue
            del self._pending[key]
            self._running[key] = burst
            future = self._pool.submit(self._call, key, burst)
            self._futures.add(future)
            future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def _call(self, key: tuple[str, tuple[SyncName, ...]], burst: _Burst) -> None:
        store, syncs = key[0], burst.syncs
        try:
            self._trigger(store, list(burst.ids), syncs)
            logger.info("started a run of %s for store %s, returns %s", ", ".join(syncs), store, ", ".join(burst.ids))
        except Exception as exc:  # the sweep covers it; one failure must not stop the receiver
            logger.error("could not start a run for store %s, returns %s: %s", store, ", ".join(burst.ids), type(exc).__name__)
        finally:
            with self._lock:
                self._running.pop(key, None)
                if not self._closed:
                    self._start_due_locked(store)  # what arrived during this call, and what waited for it

    def flush(self, timeout: float = 10.0) -> None:
        """Close every pending window now and wait for the triggers to return, follow-up calls included (tests, shutdown)."""
        with self._lock:
            for timer in self._timers.values():
                timer.cancel()
            stores = {store for store, _ in self._timers}
            self._timers.clear()
            for store in stores:
                self._start_due_locked(store)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                futures = list(self._futures)
            if not futures:
                return
            for future in futures:
                future.result(timeout=max(0.0, deadline - time.monotonic()))

    def close(self, *, flush: bool = True, timeout: float = 10.0) -> None:
        """Stop accepting ids; with ``flush`` start the pending runs first."""
        if flush:
            self.flush(timeout)
        with self._lock:
            self._closed = True
            for timer in self._timers.values():
                timer.cancel()
            self._timers.clear()
            self._pending.clear()
        self._pool.shutdown(wait=flush)
