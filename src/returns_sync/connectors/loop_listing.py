"""Reading Loop's Detailed Returns List without losing a return: windows, state passes, cursor pages, ties.

What Loop does that a naive client gets wrong (evidence in packages/returns-sandbox/docs/loop.md,
"Fidelity: sources"):

- ``nextPageUrl`` keeps only ``to``, ``filter``, ``pageSize`` and ``cursor``
  (https://docs.loopreturns.com/api-reference/pagination). Following it as it is brings back Loop's
  defaults for the rest: the 24 hours before ``to`` and only open/closed/expired returns. So every page
  here is our own query plus the ``cursor`` taken from ``nextPageUrl``.
- The cursor decodes to ``{"updated_at":"2022-06-27 16:25:01","_pointsToNextItems":true}``: the filter
  column at whole seconds and no id. That is Laravel's ``cursorPaginate`` over a non-unique column, which
  asks for rows strictly after the cursor (``BuildsQueries::paginateUsingCursor``); the rows sharing the
  last row's second that did not fit on the page are never served (laravel/framework#37216 requires a
  unique ordering; waterholeforum/core#108 is the same loss in another Laravel app). So after every page
  that has a next one, the boundary second is read again in one unpaginated request, and every return
  is de-duplicated by id. Should Loop ever compare with ``>=`` instead, the repeats are de-duplicated too.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from returns_sync.connectors.errors import RecordRejected
from returns_sync.connectors.pagination import NextPageCursorPaginator, PaginationError
from returns_sync.domain.listed_returns import ListedReturn
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.loop_records import MALFORMED_RULE, MalformedReturn, read_return

__all__ = [
    "LIST_PATH",
    "MAX_PAGE_SIZE",
    "MAX_WINDOW",
    "as_parsed",
    "iter_changed_return_pages",
    "split_windows",
]

LIST_PATH = "/api/v1/warehouse/return/list"
MAX_WINDOW = timedelta(days=120)
MAX_PAGE_SIZE = 750
# Windows are sent at whole seconds (from rounded down, to rounded up): keep a margin under 120 days.
_WINDOW_STEP = MAX_WINDOW - timedelta(minutes=1)
_FILTER = "updated_at"

Get = Callable[[str, dict[str, str]], Any]
OnMalformed = Callable[[MalformedReturn], None]
Kept = TypeVar("Kept", LoopReturn, ListedReturn)
# How a readable return is kept: parsed, or packed small (``ListedReturn``) from Loop's JSON and the parse.
Keep = Callable[[dict[str, Any], LoopReturn], Kept]


def as_parsed(item: dict[str, Any], parsed: LoopReturn) -> LoopReturn:
    """``keep`` for ``iter_changed_return_pages``: the return as parsed."""
    return parsed


def _floor_s(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _ceil_s(value: datetime) -> str:
    if value.microsecond:
        value = value.replace(microsecond=0) + timedelta(seconds=1)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def split_windows(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """``[start, end]`` cut into consecutive windows that Loop accepts (under 120 days each)."""
    while start < end:
        stop = min(end, start + _WINDOW_STEP)
        yield start, stop
        start = stop


def iter_changed_return_pages(
    get: Get,
    keep: Keep[Kept],
    *,
    start: datetime,
    end: datetime,
    states: Iterable[str],
    page_size: int,
    on_malformed: OnMalformed | None = None,
) -> Iterator[list[Kept]]:
    """Every return updated in ``[start, end]`` (aware UTC), one list per page read; each return once, as ``keep``
    makes it (``as_parsed``, or ``ListedReturn.packed`` to keep it small until it is read).

    ``get(path, params)`` sends one GET and answers the decoded JSON (with the client's retries).
    Each state gets its own pass, since without ``state`` Loop hides cancelled and review returns.
    Returns are read one at a time: one Loop shaped unexpectedly goes to ``on_malformed`` (once) and
    the page goes on; without ``on_malformed`` it raises ``RecordRejected``.
    """
    wanted = tuple(states)  # iterated once per window
    seen: set[str] = set()
    for window_start, window_end in split_windows(start, end):
        for state in wanted:
            params = {
                "from": _floor_s(window_start),
                "to": _ceil_s(window_end),
                "filter": _FILTER,
                "state": str(state),
                "paginate": "true",
                "pageSize": str(page_size),
            }
            yield from _state_pass(get, params, seen, on_malformed, keep)


def _state_pass(
    get: Get, params: dict[str, str], seen: set[str], on_malformed: OnMalformed | None, keep: Keep[Kept]
) -> Iterator[list[Kept]]:
    paginator = NextPageCursorPaginator()
    query = params
    while True:
        body = get(LIST_PATH, query)
        if isinstance(body, dict):
            page_info, items = body, list(body.get("returns") or [])
        else:  # a bare array: the server ignored paginate=true, so this is the only page
            page_info, items = {}, list(body) if isinstance(body, list) else []
        page = _new_returns(items, seen, on_malformed, keep)
        if page:
            yield page
        paginator.advance(page_info)
        if paginator.finished:
            return
        assert paginator.cursor is not None
        for second in _boundary_seconds(items, paginator.cursor):
            ties = _new_returns(_whole_second(get, params, second), seen, on_malformed, keep)
            if ties:
                yield ties
        query = {**params, "cursor": paginator.cursor}


def _whole_second(get: Get, params: dict[str, str], second: datetime) -> list[Any]:
    """Every return of the pass's state and filter whose ``updated_at`` falls in ``second``, unpaginated.

    Unpaginated because one second may hold more returns than a page: a paged read of it would lose the
    same ties again. The bounds carry milliseconds so that a Loop keeping sub-second times is covered too.
    """
    query = {
        "from": second.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "to": second.strftime("%Y-%m-%dT%H:%M:%S.999Z"),
        "filter": params["filter"],
        "state": params["state"],
    }
    body = get(LIST_PATH, query)
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and not body.get("nextPageUrl"):
        return list(body.get("returns") or [])
    raise PaginationError(f"Loop paged the unpaginated read of {query['from']}: the second's ties cannot be read whole")


def _boundary_seconds(items: list[Any], cursor: str) -> set[datetime]:
    """The second(s) a page ended in: its last return's ``updated_at`` and, when it decodes, the cursor's value.

    Both name the same second with Loop as documented; reading both keeps us safe if either changes.
    """
    seconds: set[datetime] = set()
    last = items[-1] if items and isinstance(items[-1], dict) else None
    stamp = _parse_second(last.get(_FILTER)) if last else None
    if stamp is not None:
        seconds.add(stamp)
    decoded = _cursor_second(cursor)
    if decoded is not None:
        seconds.add(decoded)
    if not seconds:
        raise PaginationError("cannot tell which second a Loop page ended in: the returns that share it could be lost")
    return seconds


def _cursor_second(cursor: str) -> datetime | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None  # an opaque cursor: the last return's time is enough
    return _parse_second(data.get(_FILTER)) if isinstance(data, dict) else None


def _parse_second(value: Any) -> datetime | None:
    """A Loop time (``2024-03-02T14:11:05.000Z`` or ``2024-03-02 14:11:05``) cut to its whole second, in UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text[-1] in "Zz":
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).replace(microsecond=0)


def _new_returns(items: list[Any], seen: set[str], on_malformed: OnMalformed | None, keep: Keep[Kept]) -> list[Kept]:
    """The returns not met before, parsed one by one; ``seen`` grows. A return Loop shaped unexpectedly is reported."""
    fresh: list[Kept] = []
    for item in items:
        return_id = str(item.get("id")) if isinstance(item, dict) else ""
        if return_id and return_id in seen:
            continue
        read = read_return(item)
        if return_id:
            seen.add(return_id)
        if isinstance(read, LoopReturn):
            fresh.append(keep(item, read))
        elif on_malformed is None:
            raise RecordRejected(read.message, rule=MALFORMED_RULE, record=item)
        else:
            on_malformed(read)
    return fresh
