"""How the NetSuite client talks HTTP: a concurrency cap, NetSuite's error bodies, and which failures are retried."""

from __future__ import annotations

import json as json_module
from decimal import Decimal

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from returns_sync.connectors import errors

__all__ = ["WRITE_METHODS", "NetSuiteSender", "RetryPolicy", "parse_error_body"]

logger = logging.getLogger("returns_sync.connectors.netsuite")

VENDOR = "netsuite"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The request never left this machine: safe to send again whatever the method.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter; ``Retry-After`` wins when the server sends one.

    A ``Retry-After`` longer than ``max_delay`` is not waited out here: the error is raised so the
    caller (a Prefect task retry) can come back later instead of holding a worker thread.
    """

    max_attempts: int = 5
    backoff_base: float = 0.5
    max_delay: float = 30.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` to give up."""
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_delay else None
        return self.rng.uniform(0.0, min(self.max_delay, self.backoff_base * 2 ** (attempt - 1)))


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


def error_for_response(response: httpx.Response) -> errors.ApiError:
    """The ``ApiError`` a failed NetSuite response maps to (built, not raised)."""
    code, detail = parse_error_body(response)
    try:
        errors.raise_for_response(response, vendor=VENDOR, code=code, message=detail)
    except errors.ApiError as exc:
        return exc
    raise AssertionError("error_for_response called with a successful response")  # pragma: no cover


def _json_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        # A JSON number, never a string: exact whenever the float's shortest repr is the same decimal
        # (always true for money amounts), otherwise the exact text is kept.
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_account_slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_account_slots_lock = threading.Lock()


def account_slots(account_id: str, max_concurrency: int) -> threading.BoundedSemaphore:
    """One semaphore per NetSuite account per process: NetSuite's concurrency limit is account-wide, so every
    client of the account (flows served side by side, tasks in threads) shares the same slots."""
    key = (account_id.upper(), max_concurrency)
    with _account_slots_lock:
        if key not in _account_slots:
            _account_slots[key] = threading.BoundedSemaphore(max_concurrency)
        return _account_slots[key]


def encode_json(body: Any) -> bytes:
    """Request body bytes; ``Decimal`` money goes out as JSON numbers."""
    return json_module.dumps(body, default=_json_number, separators=(",", ":")).encode("utf-8")


class NetSuiteSender:
    """Sends requests through one ``httpx.Client`` with at most ``max_concurrency`` in flight, retrying safely.

    Reads (GET, and SuiteQL's read-only POST) retry rate limits, 5xx and transport failures. Writes retry
    only what proves the request was not executed: 429 / ``CONCURRENCY_LIMIT_EXCEEDED`` and failures to
    connect. A write that got no answer, or a 5xx, raises with ``maybe_committed=True`` so the caller looks
    the record up by external id before writing again.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        max_concurrency: int,
        policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
        slots: threading.BoundedSemaphore | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if policy.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.http = http
        self.max_concurrency = max_concurrency
        self.policy = policy
        self._sleep = sleep
        self._slots = slots if slots is not None else threading.BoundedSemaphore(max_concurrency)

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
        is_write = (method in WRITE_METHODS) if read_only is None else not read_only
        content = encode_json(json) if json is not None else None
        send_headers = dict(headers or {})
        if content is not None:
            send_headers.setdefault("Content-Type", "application/json")
        attempt = 0
        while True:
            attempt += 1
            try:
                with self._slots:
                    response = self.http.request(method, path, params=params, content=content, headers=send_headers)
            except httpx.UnsupportedProtocol as exc:
                raise errors.ConfigurationError(f"NetSuite base URL is not http(s): {type(exc).__name__}") from exc
            except httpx.TransportError as exc:
                sent = not isinstance(exc, _NOT_SENT)
                maybe_committed = is_write and sent
                if maybe_committed:
                    message = f"no answer to {method} {path} ({type(exc).__name__}); the write may have been applied"
                else:
                    message = f"{method} {path} failed before an answer ({type(exc).__name__})"
                error: errors.ApiError = errors.TransientApiError(message, vendor=VENDOR, maybe_committed=maybe_committed)
                delay = None if maybe_committed else self.policy.delay(attempt)
                if delay is None:
                    raise error from exc
                cause: str = type(exc).__name__
            else:
                if response.is_success:
                    return response
                error = error_for_response(response)
                if isinstance(error, errors.RateLimitedError):
                    delay = self.policy.delay(attempt, error.retry_after)
                elif isinstance(error, errors.TransientApiError) and not is_write:
                    delay = self.policy.delay(attempt)
                else:
                    if is_write and isinstance(error, errors.TransientApiError):
                        # A 5xx on a write says nothing about whether it was applied.
                        error.maybe_committed = True
                    raise error
                if delay is None:
                    raise error
                cause = f"{response.status_code} {error.code or ''}".strip()
            logger.warning(
                "NetSuite %s %s: %s; retry %d/%d in %.2f s", method, path, cause, attempt, self.policy.max_attempts - 1, delay
            )
            self._sleep(delay)
