"""A server-side log of every request an emulator answered: when it started and ended, what it asked, how it ended.

The freshness run derives its figures from this log rather than from the client, because the client may
live in another process (a deployment run) and because "the RA exists" means the create committed in
NetSuite, which only the server sees. Times are wall-clock (``time.time()``) so they compare with the Loop
emulator's delivery log.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["RecordedRequest", "RequestRecorder"]

# Enough of a body to find the ids it names (an RA create names its Loop return in custbody_loop_return_id).
_BODY_KEEP_BYTES = 16_384


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it, outside the fault injector: its duration includes the injected latency."""

    api: str
    method: str
    path: str
    query: str
    body: str
    status: int | None
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def text(self) -> str:
        """Everything that can name a record: path, query string and body."""
        return f"{self.path}?{self.query} {self.body}"

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class RequestRecorder:
    """ASGI middleware appending a ``RecordedRequest`` per HTTP request to ``requests``; other attributes pass through."""

    def __init__(self, app: Any, api: str) -> None:
        self.app = app
        self.api = api
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get("path", "").startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        status: list[int] = []

        async def teed_receive() -> Any:
            message = await receive()
            if message.get("type") == "http.request" and sum(map(len, chunks)) < _BODY_KEEP_BYTES:
                chunks.append(message.get("body", b""))
            return message

        async def noted_send(message: Any) -> None:
            if message.get("type") == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        start = time.time()
        try:
            await self.app(scope, teed_receive, noted_send)
        finally:
            entry = RecordedRequest(
                api=self.api,
                method=scope.get("method", ""),
                path=scope.get("path", ""),
                query=(scope.get("query_string") or b"").decode("latin-1"),
                body=b"".join(chunks)[:_BODY_KEEP_BYTES].decode("utf-8", errors="replace"),
                status=status[0] if status else None,
                start=start,
                end=time.time(),
            )
            with self._lock:
                self.requests.append(entry)

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self.requests)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)
