"""Loop's read endpoints over the emulator's SQLite state: Detailed Returns List (whole-second keyset pages) and Get Return Details."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from returns_sandbox.loop.clock import to_index
from returns_sandbox.loop.constants import CURRENCY_TYPES
from returns_sandbox.loop.errors import NotFound, ValidationFailed
from returns_sandbox.loop.listing import Cursor, ListQuery, page_url, validate_list_params

__all__ = ["ReturnQueries", "order_key"]

# Index values are "YYYY-MM-DD HH:MM:SS.mmm"; their first 19 characters are the whole second.
_SECOND = 19
_DEFAULT_LIST_URL = "http://localhost/api/v1/warehouse/return/list"


def order_key(name: Any) -> str | None:
    """The indexed form of an order name: without its leading ``#`` (lookups accept both)."""
    return None if name in (None, "") else str(name).lstrip("#")


def _int_id(value: Any, field: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed({field: [f"The {field.replace('_', ' ')} field must be an integer."]}) from None


class ReturnQueries:
    """The read operations of ``LoopBackend`` (a mixin over its lock, database and clock)."""

    _lock: threading.RLock
    _db: sqlite3.Connection
    _now: Callable[[], datetime]

    def list_returns(
        self,
        shop_id: int,
        *,
        from_: str | datetime | None = None,
        to: str | datetime | None = None,
        filter: str | None = None,
        state: str | None = None,
        paginate: str | bool | None = None,
        page_size: str | int | None = None,
        cursor: str | None = None,
        base_url: str | None = None,
    ) -> list[dict[str, Any]] | dict[str, Any]:
        """Detailed Returns List: a bare array, or with ``paginate`` (or a ``cursor``) one keyset page and its page URLs.

        ``base_url`` is the request's own URL; page URLs keep its scheme, host and path (see ``page_url``).
        """
        query = validate_list_params(
            from_=from_, to=to, filter=filter, state=state, paginate=paginate, page_size=page_size, cursor=cursor, now=self._now()
        )
        if not query.paginate:
            rows = self._select(shop_id, query, None, None)
            return [json.loads(row["body"]) for row in rows]
        rows = self._select(shop_id, query, query.cursor, query.page_size + 1)
        backward = query.cursor is not None and not query.cursor.forward
        more = len(rows) > query.page_size
        rows = rows[: query.page_size]
        if backward:
            rows.reverse()
        col = query.column
        # A cursor is the boundary row's column value cut to whole seconds; the id is not in it.
        first = Cursor(col, rows[0][col][:_SECOND], False) if rows else None
        last = Cursor(col, rows[-1][col][:_SECOND], True) if rows else None
        next_cursor = last if (backward or more) else None
        prev_cursor = first if (more if backward else query.cursor is not None) else None
        url = base_url or _DEFAULT_LIST_URL
        return {
            "returns": [json.loads(row["body"]) for row in rows],
            "nextPageUrl": page_url(url, query, next_cursor) if next_cursor else None,
            "previousPageUrl": page_url(url, query, prev_cursor) if prev_cursor else None,
        }

    def _select(self, shop_id: int, query: ListQuery, cursor: Cursor | None, limit: int | None) -> list[sqlite3.Row]:
        col = query.column  # validated: created_at | updated_at
        states = ",".join("?" * len(query.states))
        sql = f"SELECT id, {col}, body FROM returns WHERE shop_id = ? AND state IN ({states}) AND {col} BETWEEN ? AND ?"
        args: list[Any] = [shop_id, *query.states, to_index(query.from_), to_index(query.to)]
        order = "ASC"
        if cursor is not None:
            # Strictly after (before) the cursor's second, with no id tie-break: Laravel's cursor on a
            # non-unique column. Rows of the boundary second that did not fit on the page are never served
            # by the next one - the client has to go back for them.
            op, order = (">", "ASC") if cursor.forward else ("<", "DESC")
            sql += f" AND substr({col}, 1, {_SECOND}) {op} ?"
            args.append(cursor.value)
        # The id only makes the order within a second deterministic; it is not part of the cursor.
        sql += f" ORDER BY {col} {order}, id {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def get_return_details(
        self,
        shop_id: int,
        *,
        return_id: str | int | None = None,
        order_id: str | int | None = None,
        order_name: str | None = None,
        currency_type: str | None = None,
    ) -> dict[str, Any]:
        """Get Return Details by ``return_id``, else the most recent return of ``order_id``/``order_name``."""
        blank = lambda v: v is None or str(v).strip() == ""  # noqa: E731
        if blank(return_id) and blank(order_id) and blank(order_name):
            raise ValidationFailed(
                {"return_id": ["The return id field is required when none of order id / order name are present."]}
            )
        if not blank(currency_type) and currency_type not in CURRENCY_TYPES:
            raise ValidationFailed({"currency_type": ["The selected currency type is invalid."]})
        arg: int | str | None
        if not blank(return_id):
            where, arg = "id = ?", _int_id(return_id, "return_id")
        elif not blank(order_id):
            where, arg = "provider_order_id = ?", str(_int_id(order_id, "order_id"))
        else:
            where, arg = "order_name = ?", order_key(order_name)
        with self._lock:
            row = self._db.execute(
                f"SELECT body FROM returns WHERE shop_id = ? AND {where} ORDER BY created_at DESC, id DESC LIMIT 1",
                (shop_id, arg),
            ).fetchone()
        if row is None:
            raise NotFound.return_()
        body = json.loads(row["body"])
        if currency_type == "presentment" and isinstance(body.get("presentment"), dict):
            body.update(body["presentment"])
        return body
