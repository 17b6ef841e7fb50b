"""Loop's asynchronous processing: queue it (now or on a timer), run the sandbox hub's hook, store or report failure.

A mixin of ``LoopBackend`` (uses its lock, ``_load``/``_save``/``_emit`` and clock): processing is the one
operation that can finish after the response, so it lives apart from the request-driven operations.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from returns_sandbox.loop import rules
from returns_sandbox.loop.clock import to_api
from returns_sandbox.loop.errors import UnprocessableRequest

__all__ = ["AsyncProcessing"]

Transform = Callable[[dict[str, Any]], dict[str, Any]]


class AsyncProcessing:
    """Processing as Loop documents it: the API answers "queued"; ``return.processing.failed`` reports failures."""

    _lock: threading.RLock
    _timers: set[threading.Timer]
    process_delay_seconds: float
    on_processed: Callable[[int, dict[str, Any]], dict[str, Any] | None] | None
    _load: Callable[..., sqlite3.Row]
    _save: Callable[..., None]
    _emit: Callable[..., None]
    _now: Callable[[], Any]

    def _queue_processing(
        self, return_id: int, *, source: str, allowed: tuple[str, ...], set_returned_at: bool, transform: Transform | None = None
    ) -> bool:
        args = (return_id, source, allowed, set_returned_at, transform)
        if self.process_delay_seconds <= 0:
            return self._run_processing(*args)
        timer = threading.Timer(self.process_delay_seconds, self._timer_fired, args=args)
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()
        return True

    def _timer_fired(self, *args: Any) -> None:
        with self._lock:
            self._timers.discard(threading.current_thread())
        try:
            self._run_processing(*args)
        except sqlite3.ProgrammingError:  # the backend was closed while the timer waited
            pass

    def _run_processing(
        self, return_id: int, source: str, allowed: tuple[str, ...], set_returned_at: bool, transform: Transform | None
    ) -> bool:
        with self._lock:
            row = self._load(return_id)
            if row["state"] not in allowed:
                return self._processing_failed(row, source, "Return changed before it could be processed")
            try:
                body = json.loads(row["body"])
                body = transform(body) if transform else body
            except UnprocessableRequest:
                return self._processing_failed(row, source, "Return failed to process")
            candidate = rules.apply_processing(body, to_api(self._now()), set_returned_at=set_returned_at)
            shop_id = int(row["shop_id"])
        extra: dict[str, Any] | None = None
        if self.on_processed is not None:
            try:
                # Outside the lock: the hook may call other emulators, or this backend again.
                extra = self.on_processed(shop_id, json.loads(json.dumps(candidate)))
            except Exception:
                with self._lock:
                    return self._processing_failed(self._load(return_id), source, "Return failed to process")
        with self._lock:
            row = self._load(return_id)
            if row["state"] not in allowed:
                return self._processing_failed(row, source, "Return changed before it could be processed")
            candidate.update(extra or {})
            self._save(row, candidate, flagged=False, triggers=("return.updated", "return.closed"))
        return True

    def _processing_failed(self, row: sqlite3.Row, source: str, message: str) -> bool:
        payload = {
            "topic": "return.processing",
            "trigger": "return.processing.failed",
            "return_id": int(row["id"]),
            "return_state": row["state"],
            "message": message,
            "source": source,
        }
        self._emit(int(row["shop_id"]), "return.processing.failed", payload, raw=True)
        return False
