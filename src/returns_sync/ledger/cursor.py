"""Incremental cursors as typed state, and the pure arithmetic of the windows a run reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["Cursor", "Window", "advance", "handled_through", "open_window"]

DEFAULT_OVERLAP = timedelta(minutes=10)
DEFAULT_INITIAL_LOOKBACK = timedelta(days=30)


def _require_aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")
    return value


@dataclass(frozen=True)
class Cursor:
    """The saved position of one (store, sync).

    Attributes:
        store: Store key.
        sync: Sync name (``ra_sync``, ``refund_sync``, ...).
        last_value: Highest ``updated_at`` fully handled, or None before the first run.
        run_started_at: Start of the run that last advanced the cursor.

    There are no boundary ids to skip items seen at ``last_value``: each window starts ``overlap``
    before it and re-reads those items anyway, and the APIs' timestamps are whole seconds, so a
    record can change again within the watermark's second. Every step is idempotent, so re-reading
    is safe and skipping would not be.
    """

    store: str
    sync: str
    last_value: datetime | None = None
    run_started_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.last_value is not None:
            _require_aware(self.last_value, "Cursor.last_value")
        if self.run_started_at is not None:
            _require_aware(self.run_started_at, "Cursor.run_started_at")


@dataclass(frozen=True)
class Window:
    """The half-open span ``[start, end)`` a run reads, and the cursor it was opened from.

    Attributes:
        cursor: The cursor as it was when the window opened.
        start: Inclusive lower bound to send as ``updated_at >= start``.
        end: Exclusive upper bound; the run's start unless a backfill asked for less.
        run_started_at: When the run started; the watermark is capped here.
        backfill: True for an explicit ``since=`` window, which never writes the cursor.
        handled_through: Items updated at or before this were handled, in their last form, by the run
            that last advanced the cursor (see ``handled_through``); None when that is not certain.
    """

    cursor: Cursor
    start: datetime
    end: datetime
    run_started_at: datetime
    backfill: bool = False
    handled_through: datetime | None = None

    @property
    def store(self) -> str:
        """Store key of the cursor."""
        return self.cursor.store

    @property
    def sync(self) -> str:
        """Sync name of the cursor."""
        return self.cursor.sync

    def contains(self, value: datetime) -> bool:
        """True if ``value`` falls inside ``[start, end)``."""
        return self.start <= _require_aware(value, "value") < self.end


def open_window(
    cursor: Cursor,
    *,
    run_started_at: datetime,
    overlap: timedelta = DEFAULT_OVERLAP,
    initial_lookback: timedelta = DEFAULT_INITIAL_LOOKBACK,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Window:
    """Compute the window a run reads.

    A run reads ``[start, end)`` where ``end`` is the run's start, so nothing updated while the run
    is going counts as seen and the watermark never passes the run's start. ``start`` is the
    watermark minus ``overlap``, because list endpoints can surface a change a little after its
    ``updated_at``; what is read again there is handled again, idempotently. A backfill (``since=``)
    reads an explicit window and never moves the watermark.

    Args:
        cursor: The saved cursor (empty before the first run).
        run_started_at: When the run started (timezone-aware).
        overlap: How far before the watermark to start reading again.
        initial_lookback: How far back the first run reads when there is no watermark.
        since: Start of a backfill; makes the window a backfill that never writes the cursor.
        until: End of a backfill (defaults to the run's start). Only valid with ``since``.

    Returns:
        The window; ``end`` is never later than ``run_started_at``.

    Raises:
        ValueError: Naive datetimes, negative durations, ``until`` without ``since``, or an empty window.

    Example:
        >>> from datetime import UTC, datetime
        >>> run = datetime(2025, 1, 2, tzinfo=UTC)
        >>> cursor = Cursor("acme", "ra_sync", last_value=datetime(2025, 1, 1, 12, tzinfo=UTC))
        >>> window = open_window(cursor, run_started_at=run, overlap=timedelta(minutes=10))
        >>> window.start.isoformat(), window.contains(datetime(2025, 1, 1, 12, tzinfo=UTC))
        ('2025-01-01T11:50:00+00:00', True)
    """
    _require_aware(run_started_at, "run_started_at")
    if overlap < timedelta(0) or initial_lookback < timedelta(0):
        raise ValueError("overlap and initial_lookback must not be negative")
    if since is not None:
        start = _require_aware(since, "since")
        end = min(_require_aware(until, "until"), run_started_at) if until is not None else run_started_at
        if start >= end:
            raise ValueError(f"empty backfill window: since {start.isoformat()} is not before {end.isoformat()}")
        return Window(cursor=cursor, start=start, end=end, run_started_at=run_started_at, backfill=True)
    if until is not None:
        raise ValueError("until= only bounds a backfill; pass since= as well")
    if cursor.last_value is None:
        start = run_started_at - initial_lookback
    else:
        start = min(cursor.last_value - overlap, run_started_at)
    return Window(
        cursor=cursor,
        start=start,
        end=run_started_at,
        run_started_at=run_started_at,
        handled_through=handled_through(cursor, overlap),
    )


# The APIs' timestamps are whole seconds: a change within the watermark's second is certainly over one
# second after it.
_TIMESTAMP_RESOLUTION = timedelta(seconds=1)


def handled_through(cursor: Cursor, overlap: timedelta) -> datetime | None:
    """The watermark, when the run that last advanced the cursor read it after its second ended plus ``overlap``.

    That run then saw every change up to the watermark in its last form (a later change within the same
    second was impossible, and a late-listed one had ``overlap`` to show up), and handled it successfully,
    or the cursor would not have moved. So an item read again with ``updated_at`` at or before it has not
    changed since: handling it again would re-read other APIs for nothing. What still waits on something
    (quarantined, waiting for a refund or for Loop) comes back through the ledger's revisit list instead.

    Example:
        >>> from datetime import UTC, datetime
        >>> mark = datetime(2025, 1, 1, 12, tzinfo=UTC)
        >>> handled_through(Cursor("acme", "ra_sync", mark, mark + timedelta(minutes=11)), timedelta(minutes=10)) == mark
        True
        >>> handled_through(Cursor("acme", "ra_sync", mark, mark + timedelta(minutes=5)), timedelta(minutes=10)) is None
        True
    """
    if cursor.last_value is None or cursor.run_started_at is None:
        return None
    if cursor.run_started_at < cursor.last_value + _TIMESTAMP_RESOLUTION + overlap:
        return None
    return cursor.last_value


def advance(cursor: Cursor, seen: Iterable[tuple[str, datetime]], *, run_started_at: datetime) -> Cursor:
    """The cursor after a batch of items has been handled.

    The watermark only moves forward, never past ``run_started_at`` (an item changed during the run
    is read again by the next one); items in the overlap before the watermark change nothing.

    Args:
        cursor: The cursor before the batch.
        seen: ``(item_id, updated_at)`` of every item the batch handled (posted, skipped or quarantined).
        run_started_at: When the run started.

    Returns:
        A new cursor; unchanged apart from ``run_started_at`` when nothing newer was seen.
    """
    _require_aware(run_started_at, "run_started_at")
    last_value = cursor.last_value
    for item_id, value in seen:
        capped = min(_require_aware(value, f"updated_at of {item_id}"), run_started_at)
        if last_value is None or capped > last_value:
            last_value = capped
    return Cursor(store=cursor.store, sync=cursor.sync, last_value=last_value, run_started_at=run_started_at)
