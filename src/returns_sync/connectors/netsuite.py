"""NetSuite SuiteTalk REST client: records, transforms and SuiteQL over OAuth 1.0a TBA, safe to share between threads."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Self

import httpx

from returns_sync.connectors import errors
from returns_sync.connectors.auth import NetSuiteTBAAuth
from returns_sync.connectors.netsuite_http import AccountSlot, NetSuiteSender, parse_error_body
from returns_sync.connectors.netsuite_models import id_from_location, suiteql_list, suiteql_literal
from returns_sync.connectors.pagination import OffsetPaginator, PaginationError
from returns_sync.connectors.ratelimit import account_slots
from returns_sync.connectors.retry import DEFAULT_RETRY_POLICY, RetryPolicy
from returns_sync.connectors.tls import shared_ssl_context

__all__ = [
    "MAX_PAGE_SIZE",
    "MAX_SUITEQL_ROWS",
    "NetSuiteClient",
    "NetSuiteRowLimitError",
    "NetSuiteTooManyRowsError",
    "PaginationError",
    "account_host",
    "parse_error_body",
    "suiteql_list",
    "suiteql_literal",
]

RECORD_PATH = "/services/rest/record/v1"
SUITEQL_PATH = "/services/rest/query/v1/suiteql"
MAX_PAGE_SIZE = 1000
MAX_SUITEQL_ROWS = 100_000
_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9]+(?:_[A-Za-z0-9]+)?$")
# Path segments the client builds itself; ``:`` keeps ``eid:<externalId>`` readable.
_SEGMENT_SAFE = "-_.~:"


class NetSuiteRowLimitError(errors.PermanentApiError):
    """A SuiteQL query matched more rows than REST paging can reach (100,000): narrow the query."""


class NetSuiteTooManyRowsError(errors.SyncError):
    """``suiteql_one`` found more than one row where at most one was expected."""


def account_host(account_id: str) -> str:
    """The account-specific REST host: ``1234567_SB1`` -> ``1234567-sb1.suitetalk.api.netsuite.com``.

    Args:
        account_id: production (``1234567``), sandbox (``1234567_SB1``) or release preview (``1234567_RP``).

    Raises:
        errors.ConfigurationError: the id is not of that shape.
    """
    if not _ACCOUNT_ID.match(account_id or ""):
        raise errors.ConfigurationError("NetSuite account id must look like 1234567 or 1234567_SB1")
    return f"{account_id.lower().replace('_', '-')}.suitetalk.api.netsuite.com"


def _segment(value: str | int) -> str:
    text = str(value)
    if not text or any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
        raise ValueError(f"invalid NetSuite path segment {text!r}")
    return urllib.parse.quote(text, safe=_SEGMENT_SAFE)


class NetSuiteClient:
    """Plain httpx client for NetSuite's record and query services.

    Thread-safe: the account's slots (``ratelimit.account_slots``) keep at most ``max_concurrency`` requests in
    flight (stay below the account's concurrency limit), and retries follow ``netsuite_http.NetSuiteSender``.
    The client closes its ``httpx.Client`` on ``close()`` / leaving the ``with`` block.

    Args:
        http: an ``httpx.Client`` whose base URL is the account host and whose auth signs requests.
        max_concurrency: requests in flight at once, across all threads using this client.
        retry: the retry policy (tests pass one whose ``sleep`` does not wait).
        slots: the count of requests in flight to share with other clients of the account (``ratelimit.account_slots``).
        account_slot: enters around each request to hold a slot of the account's limit shared with other
            processes and machines; ``None`` keeps the limit per process.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        max_concurrency: int = 4,
        retry: RetryPolicy = DEFAULT_RETRY_POLICY,
        slots: AbstractContextManager[object] | None = None,
        account_slot: AccountSlot | None = None,
    ) -> None:
        self._sender = NetSuiteSender(http, max_concurrency=max_concurrency, retry=retry, slots=slots, account_slot=account_slot)
        self._http = http

    @classmethod
    def from_credentials(
        cls,
        *,
        base_url: str | None,
        account_id: str,
        consumer_key: str,
        consumer_secret: str,
        token_id: str,
        token_secret: str,
        timeout: float = 60.0,
        max_concurrency: int = 4,
        retry: RetryPolicy = DEFAULT_RETRY_POLICY,
        account_slot: AccountSlot | None = None,
    ) -> NetSuiteClient:
        """Build a client signing with TBA.

        Args:
            base_url: ``https://<account-host>`` or the sandbox's ``http://127.0.0.1:<port>``; ``None`` derives
                it from ``account_id``.
            account_id: the account id, also the OAuth realm (keep ``_SB1`` uppercase).
            consumer_key: integration consumer key.
            consumer_secret: integration consumer secret.
            token_id: access token id.
            token_secret: access token secret.
            timeout: read/write/pool timeout in seconds (connect is capped at 10 s).
            max_concurrency: requests in flight at once, shared by every client of this account in the process.
            retry: the retry policy.
            account_slot: holds a slot of the account's limit across processes around each request (see ``__init__``).

        Example:
            >>> client = NetSuiteClient.from_credentials(base_url=None, account_id="1234567_SB1", consumer_key="ck",
            ...     consumer_secret="cs", token_id="t", token_secret="ts")
            >>> str(client.base_url)
            'https://1234567-sb1.suitetalk.api.netsuite.com'
        """
        url = (base_url or f"https://{account_host(account_id)}").rstrip("/")
        auth = NetSuiteTBAAuth(
            account_id=account_id,
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            token_id=token_id,
            token_secret=token_secret,
        )
        http = httpx.Client(
            verify=shared_ssl_context(),
            base_url=url,
            auth=auth,
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            limits=httpx.Limits(max_connections=max_concurrency, max_keepalive_connections=max_concurrency),
            headers={"Accept": "application/json", "User-Agent": "returns-sync"},
        )
        return cls(
            http,
            max_concurrency=max_concurrency,
            retry=retry,
            slots=account_slots(account_id, max_concurrency),
            account_slot=account_slot,
        )

    @property
    def base_url(self) -> httpx.URL:
        return self._http.base_url

    @property
    def max_concurrency(self) -> int:
        return self._sender.max_concurrency

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"NetSuiteClient(base_url={str(self._http.base_url)!r}, max_concurrency={self.max_concurrency})"

    # Records -------------------------------------------------------------------------------------

    def get_record(
        self, record_type: str, record_id: str | int, *, expand_sub_resources: bool = True, fields: list[str] | None = None
    ) -> dict[str, Any]:
        """``GET /record/v1/{type}/{id}``; ``record_id`` may be ``eid:<externalId>``.

        Args:
            record_type: camelCase record type, e.g. ``returnAuthorization``.
            record_id: internal id or ``eid:<externalId>``.
            expand_sub_resources: inline sublists and subrecords (``expandSubResources=true``).
            fields: body fields to return (``fields=a,b``); all when ``None``.
        """
        params: dict[str, str] = {}
        if expand_sub_resources:
            params["expandSubResources"] = "true"
        if fields:
            params["fields"] = ",".join(fields)
        path = self._record_path(record_type, record_id)
        response = self._sender.send("GET", path, params=params or None)
        record: dict[str, Any] = errors.json_body(response, vendor="netsuite", what=f"GET {path}")
        return record

    def get_record_by_external_id(self, record_type: str, external_id: str, **kwargs: Any) -> dict[str, Any] | None:
        """The record with ``externalId`` = ``external_id``, or ``None`` when NetSuite answers 404."""
        try:
            return self.get_record(record_type, f"eid:{external_id}", **kwargs)
        except errors.PermanentApiError as exc:
            if exc.status_code == 404:
                return None
            raise

    def list_records(self, record_type: str, *, q: str | None = None, limit: int = MAX_PAGE_SIZE) -> Iterator[dict[str, Any]]:
        """Every item of ``GET /record/v1/{type}`` (``{"id", "links"}`` each), paging by ``offset`` until ``hasMore`` is false.

        Args:
            record_type: camelCase record type.
            q: N/query filter such as ``email START_WITH barbara``.
            limit: page size, 1..1000.
        """
        _check_page_size(limit)
        paginator = OffsetPaginator(limit)
        while not paginator.finished:
            params: dict[str, Any] = {"limit": limit, "offset": paginator.offset}
            if q:
                params["q"] = q
            path = f"{RECORD_PATH}/{_segment(record_type)}"
            page = errors.json_body(self._sender.send("GET", path, params=params), vendor="netsuite", what=f"GET {path}")
            yield from page.get("items", [])
            paginator.advance(page)

    def create_record(self, record_type: str, body: dict[str, Any]) -> str:
        """``POST /record/v1/{type}``; returns the new internal id from ``Location``."""
        response = self._sender.send("POST", f"{RECORD_PATH}/{_segment(record_type)}", json=body)
        return self._created_id(response)

    def transform(
        self,
        from_type: str,
        from_id: str | int,
        to_type: str,
        body: dict[str, Any] | None = None,
        *,
        replace: str | None = "item",
    ) -> str:
        """``POST /record/v1/{from}/{id}/!transform/{to}``; returns the new record's id from ``Location``.

        Args:
            from_type: source record type, e.g. ``salesOrder``.
            from_id: source internal id.
            to_type: target record type, e.g. ``returnAuthorization``.
            body: fields and lines of the new record; ``None`` sends ``{}`` (copy everything open).
            replace: comma-separated sublists the body replaces instead of merging into (``?replace=item``).
                Only sublists the body actually carries are sent: replacing one the body omits would drop
                every line copied from the source.
        """
        carried = [name.strip() for name in (replace or "").split(",") if body is not None and name.strip() in body]
        params = {"replace": ",".join(carried)} if carried else None
        path = f"{self._record_path(from_type, from_id)}/!transform/{_segment(to_type)}"
        response = self._sender.send("POST", path, params=params, json=body if body is not None else {})
        return self._created_id(response)

    def update_record(self, record_type: str, record_id: str | int, body: dict[str, Any], *, replace: str | None = None) -> None:
        """``PATCH /record/v1/{type}/{id}`` (204); ``replace`` names sublists to replace rather than merge."""
        params = {"replace": replace} if replace else None
        self._sender.send("PATCH", self._record_path(record_type, record_id), params=params, json=body)

    def upsert_by_external_id(self, record_type: str, external_id: str, body: dict[str, Any]) -> str | None:
        """``PUT /record/v1/{type}/eid:{externalId}``: create or update; the id from ``Location`` when sent."""
        response = self._sender.send("PUT", self._record_path(record_type, f"eid:{external_id}"), json=body)
        return id_from_location(response.headers.get("Location"))

    def delete_record(self, record_type: str, record_id: str | int) -> None:
        """``DELETE /record/v1/{type}/{id}`` (204)."""
        self._sender.send("DELETE", self._record_path(record_type, record_id))

    # SuiteQL -------------------------------------------------------------------------------------

    def suiteql(self, query: str, *, page_size: int = MAX_PAGE_SIZE) -> Iterator[dict[str, str]]:
        """Rows of a SuiteQL query, page by page (``limit``/``offset`` in the query string, ``Prefer: transient``).

        Rows are dicts of lowercase column name -> string; NULL columns are absent. Give the query a
        deterministic ``ORDER BY`` or paging can skip or repeat rows. Inline values with ``suiteql_literal``.

        Raises:
            NetSuiteRowLimitError: the result goes past the 100,000 rows REST can page through.
            PaginationError: the server repeated an offset.
        """
        _check_page_size(page_size)
        paginator = OffsetPaginator(page_size)
        while not paginator.finished:
            params = {"limit": page_size, "offset": paginator.offset}
            response = self._sender.send(
                "POST", SUITEQL_PATH, params=params, json={"q": query}, headers={"Prefer": "transient"}, read_only=True
            )
            page = errors.json_body(response, vendor="netsuite", what="SuiteQL query")
            for item in page.get("items", []):
                yield {key: value for key, value in item.items() if key != "links"}
            paginator.advance(page)
            if not paginator.finished and paginator.offset >= MAX_SUITEQL_ROWS:
                raise NetSuiteRowLimitError(
                    f"SuiteQL result has more than {MAX_SUITEQL_ROWS} rows; narrow the query", vendor="netsuite", code="ROW_LIMIT"
                )

    def suiteql_one(self, query: str) -> dict[str, str] | None:
        """The single row of ``query``, or ``None`` when it has none.

        Raises:
            NetSuiteTooManyRowsError: more than one row matched.
        """
        rows = []
        for row in self.suiteql(query, page_size=2):
            rows.append(row)
            if len(rows) > 1:
                raise NetSuiteTooManyRowsError("SuiteQL query expected to match at most one row matched several")
        return rows[0] if rows else None

    # Helpers -------------------------------------------------------------------------------------

    @staticmethod
    def _record_path(record_type: str, record_id: str | int) -> str:
        return f"{RECORD_PATH}/{_segment(record_type)}/{_segment(record_id)}"

    @staticmethod
    def _created_id(response: httpx.Response) -> str:
        record_id = id_from_location(response.headers.get("Location"))
        if record_id is None:
            raise errors.PermanentApiError(
                "NetSuite reported success but sent no Location header",
                vendor="netsuite",
                status_code=response.status_code,
                request=response.request,
                response=response,
                maybe_committed=True,
            )
        return record_id


def _check_page_size(size: int) -> None:
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValueError(f"page size must be between 1 and {MAX_PAGE_SIZE}")
