"""The one retry policy of the Loop, NetSuite and Shopify clients: what is sent again, and how long to wait first.

What counts as transient, rate-limited or "maybe applied" is decided once, in ``connectors.errors``; this
policy only reads it. A client wraps one attempt (send, then raise the classified error) in
``RetryPolicy.call``; tenacity runs the attempts.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import tenacity

from returns_sync.connectors.errors import RateLimitedError, is_retryable

__all__ = ["DEFAULT_RETRY_POLICY", "RetryPolicy"]

T = TypeVar("T")

# A server-requested wait gets up to this fraction on top, never less: clients told the same Retry-After
# (threads of one account, several workers) then do not all come back in the same instant.
SERVER_WAIT_JITTER = 0.1


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter; a server-requested wait (``Retry-After``, Shopify's bucket) wins.

    A request is sent again when its error is transient or rate-limited (``errors.is_retryable``) and it
    was not ``maybe_committed`` (a write that may have been applied is looked up by the caller, never
    blindly resent). A server-requested wait longer than ``max_wait`` is not waited out: the error is
    raised at once with its ``retry_after``, so the caller (a Prefect task retry) comes back later instead
    of holding a worker thread.

    Attributes:
        max_attempts: tries per request, the first included.
        backoff_base: ceiling of the first backoff in seconds; the ceiling doubles per attempt.
        max_backoff: highest backoff ceiling.
        max_wait: longest server-requested wait honoured.
        sleep: how to wait; tests pass a recorder or ``lambda _: None``.

    Example:
        >>> waits = []
        >>> policy = RetryPolicy(max_attempts=3, sleep=waits.append)
        >>> answers = iter([RateLimitedError("busy", vendor="loop", retry_after=2.0), "ok"])
        >>> def attempt():
        ...     answer = next(answers)
        ...     if isinstance(answer, Exception):
        ...         raise answer
        ...     return answer
        >>> policy.call(attempt, vendor="loop", what="GET /api/v1/webhooks")
        'ok'
        >>> 2.0 <= waits[0] <= 2.2
        True
    """

    max_attempts: int = 5
    backoff_base: float = 0.5
    max_backoff: float = 30.0
    max_wait: float = 60.0
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.backoff_base, self.max_backoff, self.max_wait) < 0:
            raise ValueError("backoff_base, max_backoff and max_wait must not be negative")

    def replace(self, **changes: Any) -> RetryPolicy:
        """A copy with some fields changed, e.g. ``policy.replace(sleep=lambda _: None)``."""
        return dataclasses.replace(self, **changes)

    def should_retry(self, exc: BaseException) -> bool:
        """True when sending the request again is safe and worth it."""
        if not is_retryable(exc) or getattr(exc, "maybe_committed", False):
            return False
        asked = _server_wait(exc)
        return asked is None or asked <= self.max_wait

    def call(self, attempt: Callable[[], T], *, vendor: str, what: str) -> T:
        """Run ``attempt`` until it returns, fails for good, or ``max_attempts`` are spent; re-raise the last error.

        Args:
            attempt: sends the request once; raises a classified ``errors`` exception on failure.
            vendor: names the logger (``returns_sync.connectors.<vendor>``).
            what: the request in words for the retry log, e.g. ``GET /record/v1/customer/1`` (no secrets).
        """
        logger = logging.getLogger(f"returns_sync.connectors.{vendor}")

        def log_retry(state: tenacity.RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            logger.warning(
                "%s: %s; retry %d/%d in %.2f s", what, error, state.attempt_number, self.max_attempts - 1, state.upcoming_sleep
            )

        # A fresh controller per call: tenacity keeps per-run state on it, and a client is shared by threads.
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            retry=tenacity.retry_if_exception(self.should_retry),
            wait=self._wait,
            sleep=lambda seconds: self.sleep(float(seconds)),
            before_sleep=log_retry,
            reraise=True,
        )
        return retrying(attempt)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        asked = _server_wait(state.outcome.exception()) if state.outcome else None
        if asked is not None:
            return asked * (1 + random.uniform(0, SERVER_WAIT_JITTER))
        # Full jitter: uniform in [0, min(max_backoff, backoff_base * 2 ** (attempt - 1))].
        return tenacity.wait_random_exponential(multiplier=self.backoff_base, max=self.max_backoff)(state)


def _server_wait(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (``Retry-After``, Shopify's bucket refill), if it did."""
    if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
        return exc.retry_after
    return None


# The clients' default: five tries within about 8 s of backoff, and up to a minute when a server asks
# (Loop's budget is per minute; NetSuite and Shopify ask for seconds).
DEFAULT_RETRY_POLICY = RetryPolicy()
