"""How a scheduled cycle cuts a backlog into slices of its window, each listed and run before the next is listed.

A first run, or the run after an outage or a sale, finds thousands of returns in its window. Listed whole, the
cycle held every one of them (its listed form, its write-back, its cursor pair) until its last sync ended, so
memory grew with the backlog (issue 12). A slice is a span of the window holding at most ``SLICE_RETURNS``
returns; the cycle runs its syncs on it, the cursors move over it, and only then is the next slice listed.

Loop documents no order for the Detailed Returns List (packages/returns-sandbox/docs/loop.md, "Ordering"), so a
listing cannot simply stop after so many returns. It stops when it has seen more than a slice holds, and the
span is cut at a time that the returns it saw put about half a slice before (``narrower_end``): a time, not a
position in an order. Timestamps are whole seconds, so a second holding more than a slice is taken whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

__all__ = ["SLICE_RETURNS", "TIMESTAMP_STEP", "narrower_end", "sliceable"]

# Most returns (all listed states together) one slice holds; a cut aims at half, so a retry usually fits.
# The reference run's stores (a few hundred returns each) fit in one slice: they run as one cycle, as before.
SLICE_RETURNS = 1000
# Loop's timestamps are whole seconds: no cut can fall inside one.
TIMESTAMP_STEP = timedelta(seconds=1)


def sliceable(start: datetime, end: datetime) -> bool:
    """Whether ``[start, end]`` can still be cut (it spans more than one of Loop's seconds)."""
    return end - start > TIMESTAMP_STEP


def narrower_end(seen: Iterable[datetime | None], start: datetime, end: datetime, *, aim: int) -> datetime:
    """Where to end a slice from ``start`` when ``[start, end]`` listed too many: about ``aim`` of ``seen`` fall before it.

    ``seen`` are the update times of what the listing returned before it stopped (some states only, in Loop's
    order, whatever that is). At least ``aim`` of those fall at or before the cut, so a retry is not empty.
    The cut is always after ``start`` by a second or more and before ``end``, so the slices make progress and a
    retry is narrower; a span of one second is not cut again (``sliceable``).

    Example:
        >>> from datetime import UTC
        >>> t0 = datetime(2026, 12, 1, tzinfo=UTC)
        >>> times = [t0 + timedelta(minutes=m) for m in range(100)]
        >>> narrower_end(times, t0, t0 + timedelta(hours=5), aim=10) == t0 + timedelta(minutes=9)
        True
    """
    inside = sorted(t for t in seen if t is not None and start <= t <= end)
    if len(inside) >= aim > 0:
        cut = inside[aim - 1]
    else:
        cut = start + (end - start) / 2
    cut = cut.replace(microsecond=0)
    earliest, latest = start.replace(microsecond=0) + TIMESTAMP_STEP, end - TIMESTAMP_STEP
    if earliest > latest:  # under two seconds: the first second alone, which is not cut again
        return start + TIMESTAMP_STEP
    return max(earliest, min(cut, latest))
