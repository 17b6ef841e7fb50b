"""Fault injection for the sandbox apps: latency, random 429/503, lost responses, concurrency and rate limits.

One ASGI middleware wraps each vendor app. The vendor supplies its own error bodies
(``VendorErrors``) so an injected 429 looks exactly like that API's real one. Settings can be
changed while the server runs (``/_sandbox/faults``), and ``FaultStats`` lets tests see what happened.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol, runtime_checkable

__all__ = ["ErrorResponse", "FaultInjector", "FaultSettings", "FaultStats", "LoginRejections", "VendorErrors"]

# The ASGI types as Starlette spells them (its apps are what this middleware wraps).
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class FaultSettings:
    """Knobs for one API. Probabilities are per request, 0..1; ``None`` limits mean the vendor default."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    p_429: float = 0.0
    p_503: float = 0.0
    p_timeout_after_commit: float = 0.0
    # Of the requests refused for going over the concurrency limit, the share answered as a failed login
    # (401) instead of the vendor's concurrency error, as NetSuite has been seen to do (docs/netsuite.md).
    p_invalid_login_on_overflow: float = 0.0
    hang_seconds: float = 120.0
    concurrency_limit: int | None = None
    rate_limit_per_minute: int | None = None
    seed: int | None = None

    def update(self, **changes: Any) -> None:
        """Apply ``changes`` (from JSON or CLI), converting types; unknown names raise ``ValueError``."""
        known = {f.name: f for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown fault setting {name!r}; known: {', '.join(sorted(known))}")
            if value is None or value == "none":
                setattr(self, name, None)
                continue
            current = getattr(type(self)(), name)
            if name in ("concurrency_limit", "rate_limit_per_minute", "seed"):
                setattr(self, name, int(value))
            elif isinstance(current, float):
                setattr(self, name, float(value))
            else:
                setattr(self, name, value)
        for name in ("p_429", "p_503", "p_timeout_after_commit", "p_invalid_login_on_overflow"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FaultStats:
    """What the injector did, for tests and the bench: counts per fault and the peak of requests in flight."""

    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    injected: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "injected": dict(self.injected),
        }


@dataclass
class ErrorResponse:
    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]] = field(default_factory=lambda: [(b"content-type", b"application/json")])


class VendorErrors(Protocol):
    """Each vendor renders the injected failures as its real API would."""

    def rate_limited(self) -> ErrorResponse: ...

    def unavailable(self) -> ErrorResponse: ...

    def concurrency_exceeded(self) -> ErrorResponse: ...


@runtime_checkable
class LoginRejections(Protocol):
    """A vendor that may answer a concurrency overflow as a failed login (only NetSuite has been seen to)."""

    def invalid_login(self) -> ErrorResponse: ...


class FaultInjector:
    """ASGI middleware. ``key_func`` names the caller for per-key rate limits (API key, token)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: FaultSettings,
        errors: VendorErrors,
        key_func: Callable[[Scope], str] | None = None,
        default_concurrency_limit: int | None = None,
        default_rate_limit_per_minute: int | None = None,
        exempt_prefix: str = "/_sandbox",
        read_only_paths: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.settings = settings
        self.errors = errors
        self.key_func = key_func or (lambda scope: "anonymous")
        self.default_concurrency_limit = default_concurrency_limit
        self.default_rate_limit_per_minute = default_rate_limit_per_minute
        self.exempt_prefix = exempt_prefix
        # POSTs that only read (NetSuite's SuiteQL): a lost answer there commits nothing.
        self.read_only_paths = read_only_paths
        self.stats = FaultStats()
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = defaultdict(deque)
        self._rng = random.Random(settings.seed)
        self._seed_in_use = settings.seed

    @property
    def concurrency_limit(self) -> int | None:
        return self.settings.concurrency_limit if self.settings.concurrency_limit is not None else self.default_concurrency_limit

    @property
    def rate_limit_per_minute(self) -> int | None:
        if self.settings.rate_limit_per_minute is not None:
            return self.settings.rate_limit_per_minute
        return self.default_rate_limit_per_minute

    def reset_stats(self) -> None:
        with self._lock:
            self.stats = FaultStats()
            self._calls.clear()

    def _roll(self, probability: float) -> bool:
        if probability <= 0:
            return False
        if self.settings.seed != self._seed_in_use:
            self._rng = random.Random(self.settings.seed)
            self._seed_in_use = self.settings.seed
        return self._rng.random() < probability

    def _overflow_answer(self) -> ErrorResponse:
        """The concurrency error, or (``p_invalid_login_on_overflow`` of the time) the vendor's failed-login 401."""
        if isinstance(self.errors, LoginRejections) and self._roll(self.settings.p_invalid_login_on_overflow):
            self.stats.injected["invalid_login_on_overflow"] += 1
            return self.errors.invalid_login()
        self.stats.injected["concurrency_limit"] += 1
        return self.errors.concurrency_exceeded()

    def _over_rate_limit(self, key: str) -> bool:
        limit = self.rate_limit_per_minute
        if not limit:
            return False
        now = time.monotonic()
        calls = self._calls[key]
        while calls and now - calls[0] >= 60.0:
            calls.popleft()
        if len(calls) >= limit:
            return True
        calls.append(now)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefix):
            await self.app(scope, receive, send)
            return
        with self._lock:
            self.stats.requests += 1
            limit = self.concurrency_limit
            if limit is not None and self.stats.in_flight >= limit:
                rejected: ErrorResponse | None = self._overflow_answer()
            elif self._over_rate_limit(self.key_func(scope)):
                self.stats.injected["rate_limit"] += 1
                rejected = self.errors.rate_limited()
            else:
                rejected = None
                self.stats.in_flight += 1
                self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)
        if rejected is not None:
            await _send_error(send, rejected)
            return
        try:
            await self._handle(scope, receive, send)
        finally:
            with self._lock:
                self.stats.in_flight -= 1

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        s = self.settings
        delay = s.latency_ms + (self._rng.uniform(0, s.jitter_ms) if s.jitter_ms > 0 else 0.0)
        if delay > 0:
            await asyncio.sleep(delay / 1000.0)
        if self._roll(s.p_429):
            self._count("p_429")
            await _send_error(send, self.errors.rate_limited())
            return
        if self._roll(s.p_503):
            self._count("p_503")
            await _send_error(send, self.errors.unavailable())
            return
        is_write = scope["method"] in _WRITE_METHODS and not scope["path"].startswith(self.read_only_paths or ("\0",))
        if is_write and self._roll(s.p_timeout_after_commit):
            self._count("timeout_after_commit")
            await self._commit_then_hang(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _count(self, name: str) -> None:
        with self._lock:
            self.stats.injected[name] += 1

    async def _commit_then_hang(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Apply the write, throw the answer away, and keep the connection silent until the client gives up."""

        async def swallow(message: MutableMapping[str, Any]) -> None:
            return None

        body_messages: list[MutableMapping[str, Any]] = []
        while True:
            message = await receive()
            body_messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        replay = iter(body_messages)

        async def replay_receive() -> MutableMapping[str, Any]:
            try:
                return next(replay)
            except StopIteration:
                return await receive()

        await self.app(scope, replay_receive, swallow)
        try:
            await asyncio.wait_for(_wait_for_disconnect(receive), timeout=self.settings.hang_seconds)
        except TimeoutError:
            pass


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def _send_error(send: Send, error: ErrorResponse) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": error.headers + [(b"content-length", str(len(error.body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": error.body})
