"""Detailed Returns List parameters: Laravel-style validation, the keyset cursor, and page URLs."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

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


@dataclass(frozen=True)
class Cursor:
    """A keyset position: the filter column's value and the id of the boundary item, and the direction.

    Encoded like Laravel's ``cursorPaginate``: unpadded URL-safe base64 of compact JSON such as
    ``{"updated_at":"2022-06-27 16:25:01.000","id":1673,"_pointsToNextItems":true}``.
    """

    column: str
    value: str
    id: int
    forward: bool

    def encode(self) -> str:
        raw = json.dumps({self.column: self.value, "id": self.id, "_pointsToNextItems": self.forward}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, column: str) -> Cursor:
        """Parse ``token`` for a list filtered on ``column``; a foreign or damaged cursor is a 422."""
        try:
            padded = token + "=" * (-len(token) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()))
            value = data[column]
            item_id = int(data["id"])
            forward = data["_pointsToNextItems"]
            if not isinstance(value, str) or not isinstance(forward, bool):
                raise ValueError("bad cursor field types")
        except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise ValidationFailed({"cursor": ["The cursor is invalid."]}) from None
        return cls(column=column, value=value, id=item_id, forward=forward)


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
    ``to`` -> the 24 hours before ``to``. More than 120 days between the bounds is a 422.

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
    wants_pages = False if _blank(paginate) else _as_bool(paginate)
    if wants_pages is None:
        errors["paginate"] = ["The paginate field must be true or false."]
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


def page_url(base_url: str, cursor: Cursor) -> str:
    """``base_url`` (the request's own URL) with its ``cursor`` replaced; other parameters are kept as sent."""
    parts = urlsplit(base_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "cursor"]
    query.append(("cursor", cursor.encode()))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, quote_via=quote), ""))
