"""Small paginators for the three APIs' paging styles. Each refuses a repeated token (a server bug
that would otherwise loop forever) and stops at the end the API signals."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["CursorPaginator", "NextPageCursorPaginator", "OffsetPaginator", "PaginationError"]


class PaginationError(RuntimeError):
    """The API sent a page token it already sent: paging would never end."""


class _TokenPaginator:
    def __init__(self) -> None:
        self._seen: set[Any] = set()
        self.finished = False

    def _advance(self, token: Any) -> None:
        if token is None:
            self.finished = True
            return
        if token in self._seen:
            raise PaginationError(f"the API repeated page token {token!r}")
        self._seen.add(token)


class NextPageCursorPaginator(_TokenPaginator):
    """Loop's ``nextPageUrl``: take only its ``cursor``; the caller sends it with its own parameters.

    Loop's documented ``nextPageUrl`` keeps only ``to``, ``filter``, ``pageSize`` and ``cursor``
    (https://docs.loopreturns.com/api-reference/pagination): following it as it is falls back to Loop's
    defaults for ``from`` (the 24 hours before ``to``) and ``state`` (open, closed, expired). PostHog's Loop
    source also takes only the cursor (PostHog/posthog, products/warehouse_sources/backend/temporal/
    data_imports/sources/loop_returns/loop_returns.py, ``next_cursor``).
    """

    def __init__(self) -> None:
        super().__init__()
        self.cursor: str | None = None

    def advance(self, page: dict[str, Any]) -> None:
        next_url = page.get("nextPageUrl") or None
        if next_url is None:
            self.cursor = None
            self._advance(None)
            return
        cursor = parse_qs(urlsplit(str(next_url)).query).get("cursor", [""])[0]
        if not cursor:
            # Stopping here would drop the rest of the list without a word.
            raise PaginationError("nextPageUrl carries no cursor: cannot ask for the next page")
        self.cursor = cursor
        self._advance(cursor)


class OffsetPaginator(_TokenPaginator):
    """NetSuite's ``offset``/``hasMore`` collections and SuiteQL: step ``offset`` by the page size."""

    def __init__(self, limit: int, offset: int = 0) -> None:
        super().__init__()
        self.limit = limit
        self.offset = offset

    def advance(self, page: dict[str, Any]) -> None:
        if not page.get("hasMore"):
            self._advance(None)
            return
        self.offset = int(page.get("offset", self.offset)) + int(page.get("count") or len(page.get("items", [])) or self.limit)
        self._advance(self.offset)


class CursorPaginator(_TokenPaginator):
    """GraphQL connections: ``pageInfo { hasNextPage endCursor }``."""

    def __init__(self) -> None:
        super().__init__()
        self.cursor: str | None = None

    def advance(self, page_info: dict[str, Any]) -> None:
        self.cursor = page_info.get("endCursor") if page_info.get("hasNextPage") else None
        self._advance(self.cursor)
