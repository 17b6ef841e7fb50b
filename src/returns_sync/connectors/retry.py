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

from returns_sync.connectors.errors import RateLimitedError, is_maybe_spurious_auth, is_retryable

__all__ = ["DEFAULT_RETRY_POLICY", "RetryPolicy"]

# Our own generator: retries run in many threads, and drawing from the global one changes its state under
# anything else seeded from it (Hypothesis warns when the global state moves while it generates data).
_JITTER = random.Random()

T = TypeVar("T")

# A server-requested wait gets up to this fraction on top, never less: clients told the same Retry-After
# (threads of one account, several workers) then do not all come back in the same instant.
SERVER_WAIT_JITTER = 0.1


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter; a server-requested wait (``Retry-After``, Shopify's bucket) wins.

    A request is sent again when its error is transient or rate-limited (``errors.is_retryable``) and it
    was not ``maybe_committed`` (a write that may have been applied is looked up by the caller, never
    blindly resent). A credentials refusal that servers under load send by mistake (NetSuite's INVALID_LOGIN,
    ``errors.is_maybe_spurious_auth``) is sent again ``auth_retries`` times after a backoff: it was refused, so
    even a create is safe to resend, and a revoked token still fails within one backoff.
    A server-requested wait longer than ``max_wait`` is not waited out: the error is
    raised at once with its ``retry_after``, so the caller (a Prefect task retry) comes back later instead
    of holding a worker thread.

    Attributes:
        max_attempts: tries per request, the first included.
        backoff_base: ceiling of the first backoff in seconds; the ceiling doubles per attempt.
        max_backoff: highest backoff ceiling.
        max_wait: longest server-requested wait honoured.
        auth_retries: extra tries of a request refused with a possibly spurious INVALID_LOGIN.
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
    auth_retries: int = 1
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.auth_retries < 0:
            raise ValueError("auth_retries must not be negative")
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

        auth_failures = 0  # per call: a client is shared by threads

        def retry(exc: BaseException) -> bool:
            nonlocal auth_failures
            if is_maybe_spurious_auth(exc):
                auth_failures += 1
                return auth_failures <= self.auth_retries
            return self.should_retry(exc)

        # A fresh controller per call: tenacity keeps per-run state on it, and a client is shared by threads.
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            retry=tenacity.retry_if_exception(retry),
            wait=self._wait,
            sleep=lambda seconds: self.sleep(float(seconds)),
            before_sleep=log_retry,
            reraise=True,
        )
        return retrying(attempt)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        asked = _server_wait(state.outcome.exception()) if state.outcome else None
        if asked is not None:
            return asked * (1 + _JITTER.uniform(0, SERVER_WAIT_JITTER))
        error = state.outcome.exception() if state.outcome else None
        if error is not None and is_maybe_spurious_auth(error):
            # Give the account's other requests time to finish: at least the base backoff, never ~0.
            return self.backoff_base * (1 + _JITTER.random())
        # Full jitter (tenacity's wait_random_exponential, drawn from our own generator).
        return _JITTER.uniform(0, min(self.max_backoff, self.backoff_base * 2 ** (state.attempt_number - 1)))


def _server_wait(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (``Retry-After``, Shopify's bucket refill), if it did."""
    if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
        return exc.retry_after
    return None


# The clients' default: five tries within about 8 s of backoff, and up to a minute when a server asks
# (Loop's budget is per minute; NetSuite and Shopify ask for seconds).
DEFAULT_RETRY_POLICY = RetryPolicy()
