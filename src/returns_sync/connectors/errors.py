"""Every failure the connectors raise, classified once by what the caller should do about it.

The tree, grouped by what to do::

    SyncError
    ├── ConfigurationError            fix the settings; retrying cannot help
    ├── ApiError                      an API answered (or failed to answer) a request
    │   ├── TransientApiError         retry with backoff: 5xx, timeouts, dropped connections
    │   │   └── RateLimitedError      retry after ``retry_after``: 429, THROTTLED, concurrency limit
    │   └── PermanentApiError         do not retry; quarantine the record: 4xx validation, 404
    │       └── AuthenticationError   credentials refused (401/403); the whole run stops (a NetSuite
    │                                 INVALID_LOGIN is first tried once more: overloaded accounts send it by mistake)
    └── RecordRejected                data quality: one record is skipped with a plain-language reason

``classify(response)`` and ``classify_exception(exc)`` are the only places that decide which branch
an HTTP outcome falls in, and ``request_never_sent(exc)`` the only place that decides whether a failed
request could have reached the server. The connectors' retry policy (``connectors.retry``), Prefect's
``retry_condition_fn`` and the quarantine all read ``ErrorKind`` and ``maybe_committed`` from here.
"""

from __future__ import annotations

import email.utils
import time
from enum import StrEnum
from typing import Any

import httpx

__all__ = [
    "ApiError",
    "AuthenticationError",
    "ConfigurationError",
    "ErrorKind",
    "PermanentApiError",
    "RateLimitedError",
    "RecordRejected",
    "SyncError",
    "TransientApiError",
    "classify",
    "classify_exception",
    "error_for_response",
    "error_for_transport",
    "is_maybe_spurious_auth",
    "is_retryable",
    "json_body",
    "parse_retry_after",
    "raise_for_response",
    "request_never_sent",
]


class ErrorKind(StrEnum):
    TRANSIENT = "transient"
    RATE_LIMITED = "rate_limited"
    PERMANENT = "permanent"
    AUTH = "auth"

    @property
    def retryable(self) -> bool:
        return self in (ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED)


class SyncError(Exception):
    """Base of everything the sync raises on purpose."""

    kind: ErrorKind = ErrorKind.PERMANENT


class ConfigurationError(SyncError):
    """Settings or credentials are missing or inconsistent."""


class ApiError(SyncError):
    """An API call failed. Keeps the vendor's code and the request/response for diagnosis.

    The message never contains headers, so credentials cannot leak through it.
    """

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        code: str | None = None,
        status_code: int | None = None,
        request: httpx.Request | None = None,
        response: httpx.Response | None = None,
        maybe_committed: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.vendor = vendor
        self.code = code
        self.status_code = status_code
        self.request = request
        self.response = response
        # True when a write may have been applied although no answer arrived (timeout after send):
        # the caller must look the record up before trying again.
        self.maybe_committed = maybe_committed

    def __str__(self) -> str:
        parts = [self.vendor]
        if self.status_code:
            parts.append(str(self.status_code))
        if self.code:
            parts.append(self.code)
        return f"{' '.join(parts)}: {self.message}"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:  # Prefect pickles exceptions into task-run states; keep them picklable.
        return (
            _rebuild_api_error,
            (
                type(self),
                self.message,
                self.vendor,
                self.code,
                self.status_code,
                self.maybe_committed,
                getattr(self, "retry_after", None),
            ),
        )


def _rebuild_api_error(
    cls: type[ApiError],
    message: str,
    vendor: str,
    code: str | None,
    status_code: int | None,
    maybe_committed: bool,
    retry_after: float | None,
) -> ApiError:
    if issubclass(cls, RateLimitedError):
        return cls(message, vendor=vendor, code=code, status_code=status_code, retry_after=retry_after)
    return cls(message, vendor=vendor, code=code, status_code=status_code, maybe_committed=maybe_committed)


class TransientApiError(ApiError):
    kind = ErrorKind.TRANSIENT


class RateLimitedError(TransientApiError):
    kind = ErrorKind.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class PermanentApiError(ApiError):
    kind = ErrorKind.PERMANENT


class AuthenticationError(PermanentApiError):
    kind = ErrorKind.AUTH


class RecordRejected(SyncError):
    """One record cannot be posted as it is; it is quarantined with ``reason`` and the batch goes on."""

    kind = ErrorKind.PERMANENT

    def __init__(self, reason: str, *, rule: str, record: Any = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.rule = rule
        self.record = record
        self.details = details or {}


_RATE_LIMIT_CODES = {"THROTTLED", "CONCURRENCY_LIMIT_EXCEEDED", "SSS_REQUEST_LIMIT_EXCEEDED", "WS_REQUEST_BLOCKED"}
_TRANSIENT_CODES = {"INTERNAL_SERVER_ERROR", "UNEXPECTED_ERROR"}


def classify(status_code: int, code: str | None = None) -> ErrorKind | None:
    """Kind of an HTTP outcome from its status and the vendor's error code; ``None`` means success."""
    if code in _RATE_LIMIT_CODES or status_code == 429:
        return ErrorKind.RATE_LIMITED
    if code in _TRANSIENT_CODES:
        return ErrorKind.TRANSIENT
    if status_code < 400:
        return None
    if status_code in (401, 403):
        return ErrorKind.AUTH
    if status_code in (408, 425) or status_code >= 500:
        return ErrorKind.TRANSIENT
    return ErrorKind.PERMANENT


def classify_exception(exc: BaseException) -> ErrorKind:
    """Kind of any exception a sync step can raise; unknown exceptions are permanent (never loop on a bug)."""
    if isinstance(exc, SyncError):
        return exc.kind
    if isinstance(exc, (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)):
        return ErrorKind.TRANSIENT
    return ErrorKind.PERMANENT


# NetSuite answers some requests over the account's concurrency limit with its uniform 401 INVALID_LOGIN instead
# of a 429 (github.com/julbrs/netsuite-api-client/issues/26): the same answer as a revoked token. Such a 401 is
# worth one more try; a second one in a row is a credentials failure.
_MAYBE_SPURIOUS_AUTH_CODES = {"INVALID_LOGIN"}


def is_maybe_spurious_auth(exc: BaseException) -> bool:
    """True for a credentials refusal that a server under load is known to send by mistake (try it once more)."""
    return isinstance(exc, AuthenticationError) and exc.code in _MAYBE_SPURIOUS_AUTH_CODES


def is_retryable(exc: BaseException) -> bool:
    """True when ``exc`` is transient or rate-limited: the connectors' retry policy and Prefect's task retries ask this."""
    return classify_exception(exc).retryable


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); ``None`` if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


# No byte of the request reached the server: it can be sent again whatever the method, even a create.
# Anything else (read/write timeouts, dropped connections) failed after sending and may have been executed.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)


def request_never_sent(exc: BaseException) -> bool:
    """True when ``exc`` proves the request never left this machine (no connection, no pool slot, proxy refused)."""
    return isinstance(exc, _NEVER_SENT)


def _request_of(exc: httpx.HTTPError) -> httpx.Request | None:
    try:
        return exc.request
    except RuntimeError:  # raised without a request (hand-built in a test)
        return None


def error_for_transport(exc: httpx.TransportError, *, vendor: str, what: str, idempotent: bool) -> SyncError:
    """The error a request that got no HTTP answer maps to (built, not raised).

    Args:
        exc: the httpx failure.
        vendor: ``loop``, ``netsuite`` or ``shopify``.
        what: the request in words for the message, e.g. ``POST /record/v1/creditMemo`` (no query, no secrets).
        idempotent: sending the request twice has the effect of sending it once (reads, SuiteQL, PUT of a
            whole value); when False and the request may have been sent, the error is ``maybe_committed``.
    """
    if isinstance(exc, httpx.UnsupportedProtocol):
        return ConfigurationError(f"{vendor} base URL is not http(s): {type(exc).__name__}")
    cause = type(exc).__name__
    if request_never_sent(exc):
        message, maybe_committed = f"{what} was not sent ({cause})", False
    elif idempotent:
        message, maybe_committed = f"no answer to {what} ({cause})", False
    else:
        message, maybe_committed = f"no answer to {what} ({cause}); the write may have been applied", True
    return TransientApiError(message, vendor=vendor, request=_request_of(exc), maybe_committed=maybe_committed)


_CLASS_FOR_KIND: dict[ErrorKind, type[ApiError]] = {
    ErrorKind.TRANSIENT: TransientApiError,
    ErrorKind.RATE_LIMITED: RateLimitedError,
    ErrorKind.PERMANENT: PermanentApiError,
    ErrorKind.AUTH: AuthenticationError,
}


def error_for_response(
    response: httpx.Response,
    *,
    vendor: str,
    code: str | None = None,
    message: str | None = None,
    retry_after: float | None = None,
    idempotent: bool = True,
) -> ApiError | None:
    """The ``ApiError`` subclass a failed ``response`` maps to (built, not raised); ``None`` when it is no failure.

    A transient failure (5xx) of a request that is not ``idempotent`` is ``maybe_committed``: the server
    got it, and a 5xx says nothing about whether it was applied. A rate limit never is: it was refused.
    """
    kind = classify(response.status_code, code)
    if kind is None:
        return None
    cls = _CLASS_FOR_KIND[kind]
    text = message or response.reason_phrase or "request failed"
    try:
        request: httpx.Request | None = response.request
    except RuntimeError:  # a Response built by hand in a test has no request
        request = None
    kwargs: dict[str, Any] = dict(vendor=vendor, code=code, status_code=response.status_code, request=request, response=response)
    if cls is RateLimitedError:
        if retry_after is None:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimitedError(text, retry_after=retry_after, **kwargs)
    return cls(text, maybe_committed=kind is ErrorKind.TRANSIENT and not idempotent, **kwargs)


def raise_for_response(
    response: httpx.Response,
    *,
    vendor: str,
    code: str | None = None,
    message: str | None = None,
    retry_after: float | None = None,
    idempotent: bool = True,
) -> None:
    """Raise ``error_for_response(...)``; return quietly on success.

    Connectors parse their vendor's error body into ``code``/``message`` and call this.
    """
    error = error_for_response(
        response, vendor=vendor, code=code, message=message, retry_after=retry_after, idempotent=idempotent
    )
    if error is not None:
        raise error


_SHOWN_BODY = 60  # characters of an unreadable body quoted in the message (bodies of 2xx answers carry no secrets)


def json_body(response: httpx.Response, *, vendor: str, what: str, idempotent: bool = True) -> Any:
    """The JSON of a successful ``response``, or a ``TransientApiError`` saying in words what came instead.

    An HTML page with status 200 (a proxy's or a maintenance page) or a body cut off mid-way (a dropped
    connection) is no answer at all: read as empty, it would look like "nothing changed" and move a cursor
    past real records. Both are transient: the same request usually succeeds later. A write that got
    such an answer reached the server, so unless it is ``idempotent`` it may have been applied.
    """
    try:
        return response.json()
    except ValueError as exc:
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip() or "no content type"
        text = response.text.strip()
        if not text:
            found = "an empty body"
        elif "html" in content_type or text[:1] == "<":
            found = f"an HTML page ({content_type}) starting {text[:_SHOWN_BODY]!r}"
        else:
            found = f"unreadable JSON ({type(exc).__name__}: {str(exc)[:_SHOWN_BODY]}; {len(text)} characters, cut off?)"
        raise TransientApiError(
            f"{what} answered {response.status_code} with {found} instead of JSON",
            vendor=vendor,
            status_code=response.status_code,
            request=_response_request(response),
            response=response,
            maybe_committed=not idempotent,
        ) from None


def _response_request(response: httpx.Response) -> httpx.Request | None:
    try:
        return response.request
    except RuntimeError:  # a Response built by hand in a test has no request
        return None
