"""Small paginators for the three APIs' paging styles. Each refuses a repeated token (a server bug
that would otherwise loop forever) and stops at the end the API signals."""

from __future__ import annotations

from typing import Any

__all__ = ["CursorPaginator", "NextUrlPaginator", "OffsetPaginator", "PaginationError"]


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


class NextUrlPaginator(_TokenPaginator):
    """Loop's ``nextPageUrl``: follow the full URL until it is null or absent."""

    def __init__(self) -> None:
        super().__init__()
        self.next_url: str | None = None

    def advance(self, page: dict[str, Any]) -> None:
        self.next_url = page.get("nextPageUrl") or None
        self._advance(self.next_url)


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
