"""How the NetSuite client talks HTTP: a concurrency cap, NetSuite's error bodies, and the shared retry policy."""

from __future__ import annotations

import json as json_module
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from decimal import Decimal
from typing import Any

import httpx

from returns_sync.connectors import errors
from returns_sync.connectors.retry import RetryPolicy

__all__ = ["WRITE_METHODS", "AccountSlot", "NetSuiteSender", "parse_error_body"]

# Enters while one request is in flight and holds a slot of the account's limit shared with other
# processes (a Prefect global concurrency limit, built by the blocks layer); the connector stays Prefect-free.
AccountSlot = Callable[[], AbstractContextManager[object]]

VENDOR = "netsuite"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def parse_error_body(response: httpx.Response) -> tuple[str | None, str | None]:
    """NetSuite's RFC 7807 body -> ``(o:errorCode, detail)`` of the first error detail; ``(None, None)`` if absent.

    Falls back to the problem ``title`` when there is no detail, and tolerates non-JSON bodies (proxies, HTML).
    """
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    details = body.get("o:errorDetails")
    first: dict[str, Any] = details[0] if isinstance(details, list) and details and isinstance(details[0], dict) else {}
    code = first.get("o:errorCode")
    detail = first.get("detail") or body.get("detail") or body.get("title")
    return (str(code) if code else None), (str(detail) if detail else None)


def error_for_response(response: httpx.Response, *, idempotent: bool) -> errors.ApiError | None:
    """The ``ApiError`` a failed NetSuite response maps to (built, not raised); ``None`` if it is no failure."""
    code, detail = parse_error_body(response)
    return errors.error_for_response(response, vendor=VENDOR, code=code, message=detail, idempotent=idempotent)


def _json_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        # A JSON number, never a string: exact whenever the float's shortest repr is the same decimal
        # (always true for money amounts), otherwise the exact text is kept.
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_json(body: Any) -> bytes:
    """Request body bytes; ``Decimal`` money goes out as JSON numbers."""
    return json_module.dumps(body, default=_json_number, separators=(",", ":")).encode("utf-8")


class NetSuiteSender:
    """Sends requests through one ``httpx.Client`` with at most ``max_concurrency`` in flight, retrying safely.

    Reads (GET, and SuiteQL's read-only POST) retry rate limits, 5xx and transport failures. Writes retry
    only what proves the request was not executed: 429 / ``CONCURRENCY_LIMIT_EXCEEDED`` and requests that
    never left (``errors.request_never_sent``). A write that got no answer, or a 5xx, raises with
    ``maybe_committed=True`` so the caller looks the record up by external id before writing again.
    A slot is held only while a request is in flight, never while waiting to retry. With ``account_slot`` a
    request first takes a slot of this process (``slots``), then one of the account's shared limit.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        max_concurrency: int,
        retry: RetryPolicy,
        slots: AbstractContextManager[object] | None = None,
        account_slot: AccountSlot | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.http = http
        self.max_concurrency = max_concurrency
        self.retry = retry
        self._slots = slots if slots is not None else threading.BoundedSemaphore(max_concurrency)
        # Without a shared limit the process's semaphore is the whole cost: no call out per request.
        self._account_slot: AccountSlot = account_slot if account_slot is not None else nullcontext

    def send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        read_only: bool | None = None,
    ) -> httpx.Response:
        """Send with retries and return the successful response; raise an ``errors.ApiError`` otherwise.

        Args:
            method: HTTP method.
            path: path under the client's base URL, e.g. ``/services/rest/record/v1/customer``.
            params: query parameters (signed by the auth).
            json: JSON body.
            headers: extra headers.
            read_only: override the method's default (True for SuiteQL's POST).
        """
        method = method.upper()
        idempotent = (method not in WRITE_METHODS) if read_only is None else read_only
        content = encode_json(json) if json is not None else None
        send_headers = dict(headers or {})
        if content is not None:
            send_headers.setdefault("Content-Type", "application/json")
        what = f"{method} {path}"

        def attempt() -> httpx.Response:
            try:
                with self._slots, self._account_slot():
                    response = self.http.request(method, path, params=params, content=content, headers=send_headers)
            except httpx.TransportError as exc:
                raise errors.error_for_transport(exc, vendor=VENDOR, what=what, idempotent=idempotent) from exc
            error = None if response.is_success else error_for_response(response, idempotent=idempotent)
            if error is not None:
                raise error
            return response

        return self.retry.call(attempt, vendor=VENDOR, what=what)
