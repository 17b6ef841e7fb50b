"""Detailed Returns List parameters: Laravel-style validation, the whole-second keyset cursor, and page URLs."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from returns_sandbox.loop.clock import parse_loop_datetime
from returns_sandbox.loop.constants import (
    DEFAULT_LIST_STATES,
    DEFAULT_PAGE_SIZE,
    DEFAULT_WINDOW,
    FILTER_COLUMNS,
    MAX_PAGE_SIZE,
    MAX_RANGE,
    RETURN_STATES,
)
from returns_sandbox.loop.errors import ValidationFailed

__all__ = ["Cursor", "ListQuery", "page_url", "validate_list_params"]

_TRUE = {"true", "1", "on", "yes"}
_FALSE = {"false", "0", "off", "no"}


# The cursor holds the filter column at whole seconds, as Loop's documented example decodes to
# ``{"created_at":"2022-06-27 16:25:01","_pointsToNextItems":true}`` (docs.loopreturns.com/api-reference/pagination).
_CURSOR_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


@dataclass(frozen=True)
class Cursor:
    """A keyset position: the filter column's value at whole seconds, and the direction. There is no id.

    Encoded like Laravel's ``cursorPaginate`` (unpadded URL-safe base64 of compact JSON) with only the
    parameters of Loop's documented example: ``{"updated_at":"2022-06-27 16:25:01","_pointsToNextItems":true}``.
    Laravel puts the ``orderBy`` columns in the cursor and compares them strictly (``>`` ascending, ``<``
    descending: ``Illuminate/Database/Concerns/BuildsQueries::paginateUsingCursor``), so with the filter
    column as the only ordering, the rows sharing the boundary second beyond the page are skipped.
    """

    column: str
    value: str
    forward: bool

    def encode(self) -> str:
        raw = json.dumps({self.column: self.value, "_pointsToNextItems": self.forward}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, column: str) -> Cursor:
        """Parse ``token`` for a list filtered on ``column``; a foreign or damaged cursor is a 422.

        Other keys (an ``id`` from an older emulator's cursor) are ignored, as Laravel ignores parameters
        that are not ordering columns.
        """
        try:
            padded = token + "=" * (-len(token) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()))
            value = data[column]
            forward = data["_pointsToNextItems"]
            if not isinstance(value, str) or not _CURSOR_VALUE.match(value) or not isinstance(forward, bool):
                raise ValueError("bad cursor field types")
        except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise ValidationFailed({"cursor": ["The cursor is invalid."]}) from None
        return cls(column=column, value=value, forward=forward)


@dataclass(frozen=True)
class ListQuery:
    """A validated list request: closed window ``[from_, to]`` on ``column``, the states, and paging."""

    from_: datetime
    to: datetime
    column: str
    states: tuple[str, ...]
    paginate: bool
    page_size: int
    cursor: Cursor | None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate_list_params(
    *,
    from_: str | datetime | None,
    to: str | datetime | None,
    filter: str | None,
    state: str | None,
    paginate: str | bool | None,
    page_size: str | int | None,
    cursor: str | None,
    now: datetime,
) -> ListQuery:
    """Check the list parameters as Loop's Laravel validation would; every problem is reported at once.

    Windows: neither bound -> the last 24 hours before ``now``; only ``from`` -> up to ``now``; only
    ``to`` -> the 24 hours before ``to``. More than 120 days between the bounds is a 422. A ``cursor``
    asks for a page whatever ``paginate`` says.

    Raises:
        ValidationFailed: 422 with ``{"message": ..., "errors": {field: [...]}}``.
    """
    errors: dict[str, list[str]] = {}
    bounds: dict[str, datetime | None] = {}
    for name, raw in (("from", from_), ("to", to)):
        bounds[name] = None
        if _blank(raw):
            continue
        try:
            bounds[name] = parse_loop_datetime(raw)  # type: ignore[arg-type]
        except (ValueError, TypeError):
            errors[name] = [f"The {name} field must be a valid date."]
    column = "created_at" if _blank(filter) else str(filter)
    if column not in FILTER_COLUMNS:
        errors["filter"] = ["The selected filter is invalid."]
    states: tuple[str, ...] = DEFAULT_LIST_STATES
    if not _blank(state):
        if state not in RETURN_STATES:
            errors["state"] = ["The selected state is invalid."]
        else:
            states = (str(state),)
    # Loop's documented nextPageUrl carries no ``paginate`` yet is "the URL of the next page": a cursor pages.
    wants_pages = (not _blank(cursor)) if _blank(paginate) else _as_bool(paginate)
    if wants_pages is None:
        errors["paginate"] = ["The paginate field must be true or false."]
    elif not _blank(cursor):
        wants_pages = True
    size = DEFAULT_PAGE_SIZE
    if not _blank(page_size):
        try:
            size = int(str(page_size).strip())
        except ValueError:
            errors["pageSize"] = ["The page size field must be an integer."]
        else:
            if size < 1:
                errors["pageSize"] = ["The page size field must be at least 1."]
            elif size > MAX_PAGE_SIZE:
                errors["pageSize"] = [f"The page size field must not be greater than {MAX_PAGE_SIZE}."]
    start, end = bounds["from"], bounds["to"]
    if "from" not in errors and "to" not in errors:
        if start is None and end is None:
            start, end = now - DEFAULT_WINDOW, now
        elif end is None:
            end = now
        elif start is None:
            start = end - DEFAULT_WINDOW
        assert start is not None and end is not None
        if end < start:
            errors["to"] = ["The to field must be a date after or equal to from."]
        elif end - start > MAX_RANGE:
            errors["to"] = [f"The date range may not exceed {MAX_RANGE.days} days."]
    parsed_cursor = None
    if not _blank(cursor) and "filter" not in errors:
        try:
            parsed_cursor = Cursor.decode(str(cursor), column)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    assert start is not None and end is not None and wants_pages is not None
    return ListQuery(
        from_=start, to=end, column=column, states=states, paginate=wants_pages, page_size=size, cursor=parsed_cursor
    )


def page_url(request_url: str, query: ListQuery, cursor: Cursor) -> str:
    """Another page's URL as Loop writes it: only ``to``, ``filter``, ``pageSize`` and ``cursor``.

    That is all Loop's documented example carries
    (``...list?to=2022-07-28%2000%3A00%3A00&filter=created_at&pageSize=5&cursor=...``, for a request that
    also sent ``paginate``, ``from`` and ``state``): a client that follows the URL as it is gets the
    defaults for the rest - the 24 hours before ``to`` and the open/closed/expired states. ``to`` is the
    resolved end of the window at whole seconds, ``filter`` the resolved column (``created_at`` when none
    was sent, as in the example). Scheme, host and path are the request's own.
    """
    parts = urlsplit(request_url)
    params = [
        ("to", query.to.strftime("%Y-%m-%d %H:%M:%S")),
        ("filter", query.column),
        ("pageSize", str(query.page_size)),
        ("cursor", cursor.encode()),
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params, quote_via=quote), ""))
