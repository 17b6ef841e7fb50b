"""An optional poll of NetSuite, once a minute: what Loop's webhooks are for Loop's changes, for NetSuite's.

Goods received on an RA, or an RA closed, in NetSuite reach Loop at the next scheduled sweep of the
NetSuite-driven syncs, up to 90 minutes later. The poll asks NetSuite each ``interval`` for our RAs of each
store modified since its mark, in one SuiteQL query (no rows when nothing changed), and hands the returns with
news (``tasks.netsuite_changes.wants_a_run``) to the receiver's dispatcher, which runs ``item_receipt_to_loop``
and ``ra_cancellation`` for just them, like a burst of webhook deliveries.

The mark moves with NetSuite's own ``lastmodifieddate`` values, never our clock, less an overlap: NetSuite
keeps whole seconds and a record saved in the second it was read would otherwise be missed. Rows already seen
as they are (modification time, status, flag) are not handed on twice; an RA modified again is looked at again. Nango's NetSuite syncs note
the same about a modified-after filter: "multiple records may share the same modification timestamp"
(NangoHQ/integration-templates, integrations/netsuite-tba/syncs/invoices.md). A failed poll is logged and tried
again at the next tick; the scheduled sweep stays the backstop for anything the poll misses.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from returns_sync.domain.netsuite import RaStatus
from returns_sync.tasks.netsuite_changes import RaChange, ra_changes_since

__all__ = ["NETSUITE_POLL_OVERLAP", "NetSuitePoll"]

logger = logging.getLogger("returns_sync.netsuite_poll")

# Seconds of modification times read again at each poll (see the module's docstring).
NETSUITE_POLL_OVERLAP = timedelta(minutes=2)

# submit(store, loop_return_id): hand one return to whatever starts its runs (Dispatcher.submit, bound to the event).
Submit = Callable[[str, str], None]
Changes = Callable[[str, datetime], list[RaChange]]


# What the poll saw of an RA: when it was last modified, its status and its flag. Status and flag are in it because
# NetSuite keeps whole seconds: an RA created and received within one second keeps its modification time.
_Seen = tuple[datetime, RaStatus, str | None]


def _seen(change: RaChange) -> _Seen | None:
    ra = change.ra
    return (ra.last_modified, ra.status, ra.flag) if ra.last_modified is not None else None


@dataclass
class _Mark:
    """Where one store's poll stands: read RAs modified at or after ``since``; ``seen`` holds what was already looked at."""

    since: datetime
    seen: dict[int, _Seen] = field(default_factory=dict)  # RA id -> what the poll last saw of it

    def fresh(self, changes: list[RaChange]) -> list[RaChange]:
        """The changes not seen before, remembered now; the mark moves to the newest modification less the overlap."""
        fresh = []
        for change in changes:
            seen = _seen(change)
            if seen is not None and self.seen.get(change.ra.id) != seen:
                self.seen[change.ra.id] = seen
                fresh.append(change)
        newest = max((c.ra.last_modified for c in changes if c.ra.last_modified is not None), default=None)
        if newest is not None:
            self.since = max(self.since, newest - NETSUITE_POLL_OVERLAP)
            self.seen = {ra_id: seen for ra_id, seen in self.seen.items() if seen[0] >= self.since}
        return fresh


class NetSuitePoll:
    """Polls NetSuite for each store every ``interval`` seconds in a daemon thread (``start``/``stop``), or once (``poll_once``).

    Args:
        stores: The served store keys.
        submit: Called once per return with news, ``(store, loop_return_id)``.
        interval: Seconds between polls (60: the issue's one-minute poll).
        changes: Reads a store's changed RAs since a moment (``ra_changes_since``; tests pass a fake).
        now: The clock the first mark is taken from (UTC).
    """

    def __init__(
        self,
        stores: Iterable[str],
        submit: Submit,
        *,
        interval: float = 60.0,
        changes: Changes = ra_changes_since,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if interval <= 0:
            raise ValueError(f"the NetSuite poll needs an interval above 0 seconds, not {interval}")
        self._interval = interval
        self._submit = submit
        self._changes = changes
        start = now() - NETSUITE_POLL_OVERLAP
        self._marks = {store: _Mark(since=start) for store in dict.fromkeys(stores)}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_once(self) -> dict[str, list[str]]:
        """Ask NetSuite once per store; returns, per store, the Loop return ids handed on. A store that fails is logged."""
        handed: dict[str, list[str]] = {}
        for store, mark in self._marks.items():
            try:
                changes = self._changes(store, mark.since)
            except Exception as exc:  # the next tick tries again; the sweep is the backstop
                logger.warning("the NetSuite poll for store %s failed (%s): %s", store, type(exc).__name__, exc)
                continue
            ids = [c.ra.loop_return_id for c in mark.fresh(changes) if c.wants_run and c.ra.loop_return_id]
            for rid in dict.fromkeys(ids):
                self._submit(store, rid)
            if ids:
                logger.info(
                    "RAs changed in NetSuite for store %s, returns %s: their NetSuite-driven syncs run", store, ", ".join(ids)
                )
            handed[store] = ids
        return handed

    def start(self) -> None:
        """Poll now and then every ``interval`` seconds, in a daemon thread, until ``stop``."""

        def loop() -> None:
            while True:
                try:
                    self.poll_once()
                except Exception:  # handing on failed (a dispatcher gone, say): the thread lives on, the sweep covers it
                    logger.exception("the NetSuite poll could not hand its changes on")
                if self._stop.wait(self._interval):
                    return

        self._thread = threading.Thread(target=loop, name="netsuite-poll", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """End the polling thread after the poll in progress, if any."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
