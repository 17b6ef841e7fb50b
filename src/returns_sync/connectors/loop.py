"""Loop Returns API client: paged returns, return details, return actions, notes and webhook subscriptions.

Retries follow the shared ``connectors.retry`` policy: reads retry transient failures and 429s; writes
(POST/DELETE) retry only what was certainly not executed (429, a request that never left). A write whose
answer was lost, or that got a 5xx, raises ``TransientApiError(maybe_committed=True)``: look the return
up before retrying. Loop answers wrong-state actions with HTTP 200 and an error body; those raise
``LoopActionError``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx

from returns_sync.connectors.auth import LoopApiKeyAuth
from returns_sync.connectors.errors import (
    AuthenticationError,
    PermanentApiError,
    RecordRejected,
    error_for_response,
    error_for_transport,
    json_body,
)
from returns_sync.connectors.loop_listing import (
    MAX_PAGE_SIZE,
    MAX_WINDOW,
    as_parsed,
    iter_changed_return_pages,
)
from returns_sync.connectors.loop_webhooks import verify_loop_signature
from returns_sync.connectors.ratelimit import RequestBudget, shared_limiter
from returns_sync.connectors.retry import DEFAULT_RETRY_POLICY, RetryPolicy
from returns_sync.connectors.tls import shared_ssl_context
from returns_sync.domain.listed_returns import ListedReturn
from returns_sync.domain.loop import LoopReturn, ReturnState
from returns_sync.domain.loop_records import MALFORMED_RULE, MalformedReturn, is_loop_return_id, read_return
from returns_sync.domain.packed_shelf import PackedShelf

__all__ = [
    "ALL_STATES",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "MAX_WINDOW",
    "LoopActionError",
    "LoopClient",
    "verify_loop_signature",
]

VENDOR = "loop"
ALL_STATES: tuple[str, ...] = tuple(state.value for state in ReturnState)
# Returns per list page; a third of Loop's maximum keeps a page's answer quick.
DEFAULT_PAGE_SIZE = 250
_RETURN_PATH = "/api/v1/warehouse/return"
_WEBHOOKS_PATH = "/api/v1/webhooks"
# Loop allows 300 requests a minute per API key; keep a margin for other tools sharing the key.
REQUESTS_PER_MINUTE = 280
_STATE_IN_MESSAGE = re.compile(r"Return is (\w+)")
# The state an action leads to; a refusal naming that state means the work is already done.
_TARGET_STATES = {
    "process": {"closed"},
    "remove": {"closed"},
    "close": {"closed"},
    "cancel": {"cancelled"},
    "flag": {"review", "flagged"},
}


class LoopActionError(PermanentApiError):
    """Loop refused a return action (wrong state, invalid input, unknown return).

    ``code`` is Loop's (``UNPROCESSABLE_RETURN``, ``UNPROCESSABLE_FLAGGED_RETURN``, ``NOT_FOUND``) when it sent one;
    ``state`` is the state Loop named in its message (``closed``, ``flagged`` ...). ``already_done`` tells
    "the return is already where this action would put it" (e.g. processing a closed return) from a refusal.
    """

    def __init__(
        self,
        message: str,
        *,
        vendor: str = VENDOR,
        action: str | None = None,
        return_id: str | None = None,
        state: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, vendor=vendor, **kwargs)
        self.action = action
        self.return_id = return_id
        self.state = state

    @property
    def already_done(self) -> bool:
        return self.state is not None and self.state in _TARGET_STATES.get(self.action or "", set())

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:  # keep action/state through Prefect's pickling
        return (_rebuild_action_error, (self.message, self.code, self.status_code, self.action, self.return_id, self.state))


def _rebuild_action_error(
    message: str, code: str | None, status_code: int | None, action: str | None, return_id: str | None, state: str | None
) -> LoopActionError:
    return LoopActionError(message, code=code, status_code=status_code, action=action, return_id=return_id, state=state)


def _error_details(body: Any) -> tuple[str | None, str | None]:
    """``(code, message)`` from any of Loop's error bodies (their shapes differ per endpoint)."""
    if body is False:
        return None, "false"
    if not isinstance(body, dict):
        return None, None
    errors, single = body.get("errors"), body.get("error")
    if isinstance(errors, dict):
        message = errors.get("message") if isinstance(errors.get("message"), str) else body.get("message")
        return errors.get("code") if isinstance(errors.get("code"), str) else None, message
    if isinstance(single, dict):  # the 401 body: "code":"401","http_code":"GEN-UNAUTHORIZED" (swapped in Loop's spec)
        return single.get("http_code") or single.get("code"), single.get("message")
    return None, body.get("message") or body.get("content")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _check_page_size(page_size: int) -> None:
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware (UTC)")
    return value.astimezone(UTC)


class LoopClient:
    """Client of one Loop shop's API. Build it with ``from_credentials`` or inject an ``httpx.Client``.

    Args:
        http: client with ``base_url`` (e.g. ``https://api.loopreturns.com``) and ``X-Authorization`` auth.
        retry: the retry policy (tests pass one whose ``sleep`` does not wait).
        limiter: the request budget to draw from before every attempt, or None for none.
        page_size: returns per list page when ``iter_return_pages`` is not given one (1..750).
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        retry: RetryPolicy = DEFAULT_RETRY_POLICY,
        limiter: RequestBudget | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        _check_page_size(page_size)
        self._http = http
        self._limiter = limiter
        self._retry = retry
        self.page_size = page_size

    @classmethod
    def from_credentials(
        cls,
        *,
        base_url: str,
        api_key: str,
        timeout: float = 30.0,
        requests_per_minute: int | None = REQUESTS_PER_MINUTE,
        retry: RetryPolicy = DEFAULT_RETRY_POLICY,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> LoopClient:
        """A client for ``base_url`` (the client appends ``/api/v1/...``) authenticating with ``api_key``.

        Every client of one key in this process shares a budget of ``requests_per_minute`` (a little
        under Loop's 300 per key), so bursts wait instead of drawing 429s; None turns it off. With
        ``RETURNS_SYNC_REQUEST_BUDGET_DIR`` set, every process of the machine shares it.

        Example:
            >>> with LoopClient.from_credentials(base_url="https://api.loopreturns.com", api_key="...") as loop:  # doctest: +SKIP
            ...     ret = loop.get_return("48213377")
        """
        http = httpx.Client(
            verify=shared_ssl_context(),
            base_url=base_url.rstrip("/"),
            auth=LoopApiKeyAuth(api_key),
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            headers={"Accept": "application/json", "User-Agent": "returns-sync"},
        )
        limiter = shared_limiter(api_key, requests_per_minute) if requests_per_minute else None
        return cls(http, retry=retry, limiter=limiter, page_size=page_size)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> LoopClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------------

    def _request(
        self, method: str, url: str, *, params: dict[str, Any] | None = None, json: Any = None, idempotent: bool
    ) -> httpx.Response:
        """Send with retries; returns any 2xx response (action bodies are checked by the caller).

        ``idempotent``: sending twice does what sending once does (reads, PUT); otherwise a request that
        may have reached Loop is never resent.
        """
        what = f"{method} {urlsplit(url).path}"  # a next-page URL's query stays out of the logs

        def attempt() -> httpx.Response:
            if self._limiter is not None:
                self._limiter.acquire()
            try:
                response = self._http.request(method, url, params=params, json=json)
            except httpx.TransportError as exc:
                raise error_for_transport(exc, vendor=VENDOR, what=what, idempotent=idempotent) from exc
            if response.is_success:
                return response
            code, message = _error_details(_json(response))
            error = error_for_response(response, vendor=VENDOR, code=code, message=message, idempotent=idempotent)
            if error is not None:
                raise error
            return response

        return self._retry.call(attempt, vendor=VENDOR, what=what)

    def _get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        # A 200 that is no JSON must fail, never read as an empty page (the cursor would skip real returns).
        return json_body(
            self._request("GET", url, params=params, idempotent=True), vendor=VENDOR, what=f"GET {urlsplit(url).path}"
        )

    # -- return data -----------------------------------------------------------------------------

    def iter_return_pages(
        self,
        *,
        updated_from: datetime,
        updated_to: datetime,
        states: Iterable[str] = ALL_STATES,
        page_size: int | None = None,
        on_malformed: Callable[[MalformedReturn], None] | None = None,
    ) -> Iterator[list[LoopReturn]]:
        """Every return updated in ``[updated_from, updated_to]``, a list per request that brought new ones.

        Queries each state separately (without ``state`` Loop hides cancelled and review returns), splits
        ranges over 120 days, sends its own parameters on every page with only the cursor taken from
        ``nextPageUrl``, and reads each page's boundary second again, since Loop's whole-second cursor
        skips the returns of that second that did not fit on the page (see ``connectors.loop_listing``).
        Both bounds are inclusive, as Loop's filter is; a return met twice is yielded once.

        Raises:
            PaginationError: Loop repeated a cursor, sent a ``nextPageUrl`` without one, or paged a second.
            RecordRejected: a return in the page does not fit ``LoopReturn`` (``rule="loop_return_shape"``) and
                no ``on_malformed`` was given; with one, such a return is handed to it and the page goes on.
        """
        start, end, size = self._list_bounds(updated_from, updated_to, page_size)
        return iter_changed_return_pages(
            self._get, as_parsed, start=start, end=end, states=states, page_size=size, on_malformed=on_malformed
        )

    def iter_listed_return_pages(
        self,
        *,
        updated_from: datetime,
        updated_to: datetime,
        states: Iterable[str] = ALL_STATES,
        page_size: int | None = None,
        on_malformed: Callable[[MalformedReturn], None] | None = None,
    ) -> Iterator[list[ListedReturn]]:
        """As ``iter_return_pages``, each return kept small (``ListedReturn``) until it is ``read()``: for backlogs.

        The returns' JSON goes onto one shelf (a temporary file) for the listing; memory keeps where each lies.
        """
        start, end, size = self._list_bounds(updated_from, updated_to, page_size)
        packed = partial(ListedReturn.packed, shelf=PackedShelf())
        return iter_changed_return_pages(
            self._get, packed, start=start, end=end, states=states, page_size=size, on_malformed=on_malformed
        )

    def _list_bounds(self, updated_from: datetime, updated_to: datetime, page_size: int | None) -> tuple[datetime, datetime, int]:
        start, end = _aware(updated_from, "updated_from"), _aware(updated_to, "updated_to")
        if end < start:
            raise ValueError("updated_to is before updated_from")
        size = self.page_size if page_size is None else page_size
        _check_page_size(size)
        return start, end, size

    def get_return(self, return_id: str | int) -> LoopReturn:
        """Get Return Details by Loop return id.

        Raises:
            PermanentApiError: code ``NOT_FOUND`` when Loop does not know the return.
            RecordRejected: ``return_id`` is no Loop id (nothing is sent: Loop would answer 422), or the
                return does not fit ``LoopReturn``; ``record`` is the ``MalformedReturn``.
        """
        return self._return_details(return_id)[1]

    def get_listed_return(self, return_id: str | int, *, shelf: PackedShelf | None = None) -> ListedReturn:
        """As ``get_return``, the return kept small (``ListedReturn``) until it is ``read()``: for the many a sync
        revisits by id (a big store's waiting returns can be thousands), on ``shelf`` when given."""
        return ListedReturn.packed(*self._return_details(return_id), shelf=shelf)

    def _return_details(self, return_id: str | int) -> tuple[dict[str, Any], LoopReturn]:
        if not is_loop_return_id(return_id):
            malformed = MalformedReturn(
                loop_return_id=None, field="id", reason=f"is {str(return_id)[:40]!r}, expected a Loop return id"
            )
            raise RecordRejected(malformed.message, rule=MALFORMED_RULE, record=malformed)
        item = self._get(f"{_RETURN_PATH}/details", {"return_id": str(return_id)})
        read = read_return(item)
        if isinstance(read, MalformedReturn):
            raise RecordRejected(read.message, rule=MALFORMED_RULE, record=read)
        return item, read

    def find_return_for_order(self, *, order_id: str | int | None = None, order_name: str | None = None) -> LoopReturn | None:
        """The most recent return of a Shopify order (by order id or name), or ``None``."""
        if order_id is None and not order_name:
            raise ValueError("give order_id or order_name")
        params = {"order_id": str(order_id)} if order_id is not None else {"order_name": str(order_name)}
        try:
            return LoopReturn.model_validate(self._get(f"{_RETURN_PATH}/details", params))
        except PermanentApiError as exc:
            if exc.status_code == 404:
                return None
            raise

    # -- return actions --------------------------------------------------------------------------

    def _action(self, action: str, return_id: str | int, *, params: dict[str, Any] | None = None, json: Any = None) -> None:
        rid = str(return_id)
        path = f"{_RETURN_PATH}/{rid}/{action}"
        try:
            response = self._request("POST", path, params=params, json=json, idempotent=False)
        except AuthenticationError:
            raise
        except PermanentApiError as exc:
            state = _STATE_IN_MESSAGE.search(exc.message or "")
            raise LoopActionError(
                exc.message,
                action=action,
                return_id=rid,
                state=state.group(1) if state else None,
                code=exc.code,
                status_code=exc.status_code,
                request=exc.request,
                response=exc.response,
            ) from exc
        body = _json(response)
        if body is True or body == "true":
            return
        code, message = _error_details(body)
        message = message or f"Loop did not confirm {action} (body {response.text[:200]!r})"
        state = _STATE_IN_MESSAGE.search(message)
        raise LoopActionError(
            message,
            action=action,
            return_id=rid,
            state=state.group(1) if state else None,
            code=code,
            status_code=response.status_code,
            request=response.request,
            response=response,
        )

    def process_return(self, return_id: str | int, details: dict[str, Any] | None = None) -> None:
        """Process Return (queued by Loop). ``details`` become "Additional Details" on the exchange order and a note."""
        self._action("process", return_id, json=details or None)

    def remove_line_items(self, return_id: str | int, line_item_ids: Iterable[str | int]) -> None:
        """Remove refund/store-credit lines, then Loop processes the return."""
        self._action("remove", return_id, params={"line_item_id": ",".join(str(i) for i in line_item_ids)})

    def cancel_return(self, return_id: str | int) -> None:
        self._action("cancel", return_id)

    def flag_return(self, return_id: str | int) -> None:
        """Put the return into manual review (no reason can be sent; add a note for that)."""
        self._action("flag", return_id)

    def close_return(self, return_id: str | int) -> None:
        """Close without executing outcomes (refund done elsewhere)."""
        self._action("close", return_id)

    def create_note(self, return_id: str | int, content: str) -> None:
        """Add a timeline note (Loop requires under 255 characters)."""
        self._action("note", return_id, json={"content": content})

    def list_notes(self, return_id: str | int) -> list[dict[str, Any]]:
        """The return's notes (``id``, ``content``, ``created_at``); Loop's 422 ``false`` for none becomes ``[]``."""
        try:
            body = self._get(f"{_RETURN_PATH}/{return_id}/notes")
        except PermanentApiError as exc:
            if exc.status_code == 422 and exc.response is not None and _json(exc.response) is False:
                return []
            raise
        return list(body.get("notes") or []) if isinstance(body, dict) else []

    # -- webhooks --------------------------------------------------------------------------------

    def list_webhooks(self) -> list[dict[str, Any]]:
        body = self._get(_WEBHOOKS_PATH)
        return list(body.get("webhooks") or []) if isinstance(body, dict) else []

    def create_webhook(self, *, topic: str, trigger: str, url: str, status: str = "active") -> dict[str, Any] | None:
        """Subscribe ``url``; sends ``status`` explicitly because Loop defaults new subscriptions to ``inactive``.

        Returns Loop's answer (the subscription), ``None`` when it answered without a JSON body.
        """
        body = {"topic": topic, "trigger": trigger, "url": url, "status": status}
        created: dict[str, Any] | None = _json(self._request("POST", _WEBHOOKS_PATH, json=body, idempotent=False))
        return created

    def update_webhook(self, webhook_id: int | str, *, topic: str, trigger: str, url: str, status: str | None = None) -> None:
        body = {"topic": topic, "trigger": trigger, "url": url} | ({"status": status} if status else {})
        self._request("PUT", f"{_WEBHOOKS_PATH}/{webhook_id}", json=body, idempotent=True)

    def delete_webhook(self, webhook_id: int | str) -> None:
        self._request("DELETE", f"{_WEBHOOKS_PATH}/{webhook_id}", idempotent=False)
