"""Loop webhook delivery: signed compact-JSON POSTs from a background worker, retried with backoff, with a log.

As loop_api.md §4.3-§4.4 describe: ``X-Loop-Signature`` = base64(HMAC-SHA256(shop secret, raw body));
the body is PHP-style compact JSON (slashes escaped); 6 attempts in all with exponential backoff and
jitter; a receiver's ``Retry-After`` is honoured up to 30 minutes, a larger one fails the delivery.
Which failures are retried is not documented: here network errors, 408, 425, 429 and 5xx are; any
other 4xx fails at once.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import heapq
import hmac
import itertools
import json
import random
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from returns_sandbox.loop.constants import WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_AFTER_CAP_SECONDS, WEBHOOK_TIMEOUT_SECONDS

__all__ = ["Delivery", "WebhookDispatcher", "encode_payload", "sign_payload"]

_RETRYABLE_STATUSES = {408, 425, 429}
_KEEP_FINISHED = 2000


def encode_payload(payload: dict[str, Any]) -> bytes:
    """Compact JSON with ``\\/`` for ``/`` and ``\\uXXXX`` for non-ASCII, as PHP's ``json_encode`` writes it."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode()


def sign_payload(body: bytes, secret: str) -> str:
    """The ``X-Loop-Signature`` value for ``body``."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


@dataclass
class Delivery:
    """One webhook event for one subscription, and every attempt made to deliver it."""

    id: int
    webhook_id: int
    shop_id: int
    url: str
    topic: str
    trigger: str
    return_id: str | None
    body: bytes
    signature: str
    status: str = "pending"  # pending -> delivered | failed
    attempts: list[dict[str, Any]] = field(default_factory=list)
    failure: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The log entry shown at ``/_sandbox/loop/deliveries`` (no signature: it is derived from the secret)."""
        return {
            "id": self.id,
            "webhook_id": self.webhook_id,
            "shop_id": self.shop_id,
            "url": self.url,
            "topic": self.topic,
            "trigger": self.trigger,
            "return_id": self.return_id,
            "status": self.status,
            "failure": self.failure,
            "attempts": list(self.attempts),
            "body": self.body.decode(),
        }


class WebhookDispatcher:
    """Queues deliveries and sends them from one daemon thread, started on first use; ``close()`` stops it."""

    def __init__(
        self,
        *,
        retry_base_seconds: float = 1.0,
        timeout_seconds: float = WEBHOOK_TIMEOUT_SECONDS,
        max_attempts: int = WEBHOOK_MAX_ATTEMPTS,
        retry_after_cap_seconds: float = WEBHOOK_RETRY_AFTER_CAP_SECONDS,
        transport: httpx.BaseTransport | None = None,
        seed: int | None = None,
    ) -> None:
        self.retry_base_seconds = retry_base_seconds
        self.timeout_seconds = timeout_seconds
        self.max_attempts = max_attempts
        self.retry_after_cap_seconds = retry_after_cap_seconds
        self._transport = transport
        self._rng = random.Random(seed)
        self._cond = threading.Condition()
        self._queue: list[tuple[float, int, int]] = []  # (due monotonic time, seq, delivery id)
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self._log: OrderedDict[int, Delivery] = OrderedDict()
        self._busy = 0
        self._stopped = False
        self._thread: threading.Thread | None = None
        # Copies of every event sent as separate deliveries. Loop retries a delivery whose 2xx it did not
        # get (https://docs.loopreturns.com/reference/setting-up-webhooks), so a receiver can see one event
        # more than once; chaos runs set 3 to make that certain rather than rare.
        self.copies_per_event = 1

    def enqueue(
        self,
        *,
        webhook_id: int,
        shop_id: int,
        url: str,
        topic: str,
        trigger: str,
        return_id: str | None,
        body: bytes,
        secret: str,
    ) -> int:
        """Queue ``body`` for ``url`` now (``copies_per_event`` times); returns the first delivery's id. Ignored after ``close()``."""
        with self._cond:
            if self._stopped:
                return 0
            ids = []
            for _ in range(max(1, self.copies_per_event)):
                delivery = Delivery(
                    id=next(self._ids),
                    webhook_id=webhook_id,
                    shop_id=shop_id,
                    url=url,
                    topic=topic,
                    trigger=trigger,
                    return_id=return_id,
                    body=body,
                    signature=sign_payload(body, secret),
                )
                self._log[delivery.id] = delivery
                heapq.heappush(self._queue, (time.monotonic(), next(self._seq), delivery.id))
                ids.append(delivery.id)
            self._trim_log()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="loop-webhooks", daemon=True)
                self._thread.start()
            self._cond.notify_all()
            return ids[0]

    def deliveries(self) -> list[dict[str, Any]]:
        """The delivery log, oldest first."""
        with self._cond:
            return [d.as_dict() for d in self._log.values()]

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is queued or in flight (retries included); ``False`` on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker; queued deliveries stay ``pending`` in the log."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _trim_log(self) -> None:
        if len(self._log) <= _KEEP_FINISHED:
            return
        for delivery_id in [i for i, d in self._log.items() if d.status != "pending"][: len(self._log) - _KEEP_FINISHED]:
            del self._log[delivery_id]

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout_seconds, transport=self._transport, follow_redirects=False) as client:
            while True:
                with self._cond:
                    while not self._stopped and (not self._queue or self._queue[0][0] > time.monotonic()):
                        wait = self._queue[0][0] - time.monotonic() if self._queue else None
                        self._cond.wait(wait)
                    if self._stopped:
                        return
                    _, _, delivery_id = heapq.heappop(self._queue)
                    delivery = self._log.get(delivery_id)
                    self._busy += 1
                try:
                    if delivery is not None:
                        self._attempt(client, delivery)
                finally:
                    with self._cond:
                        self._busy -= 1
                        self._cond.notify_all()

    def _attempt(self, client: httpx.Client, delivery: Delivery) -> None:
        headers = {
            "Content-Type": "application/json",
            "X-Loop-Signature": delivery.signature,
            "User-Agent": "Loop-Webhooks (returns-sync sandbox)",
        }
        status: int | None = None
        error: str | None = None
        retry_after: float | None = None
        try:
            response = client.post(delivery.url, content=delivery.body, headers=headers)
            status = response.status_code
            retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        attempt: dict[str, Any] = {"at": datetime.now(UTC).isoformat(), "status_code": status, "error": error}
        with self._cond:
            delivery.attempts.append(attempt)
            if status is not None and 200 <= status < 300:
                delivery.status = "delivered"
                return
            retryable = status is None or status in _RETRYABLE_STATUSES or status >= 500
            if not retryable:
                self._fail(delivery, f"receiver answered {status}")
                return
            if len(delivery.attempts) >= self.max_attempts:
                self._fail(delivery, f"gave up after {len(delivery.attempts)} attempts")
                return
            if retry_after is not None and retry_after > self.retry_after_cap_seconds:
                self._fail(delivery, f"Retry-After {retry_after:.0f}s is above the {self.retry_after_cap_seconds:.0f}s cap")
                return
            if retry_after is None:
                backoff = self.retry_base_seconds * 2 ** (len(delivery.attempts) - 1)
                retry_after = backoff * (1 + self._rng.random() / 2)
            attempt["next_retry_in"] = round(retry_after, 3)
            heapq.heappush(self._queue, (time.monotonic() + retry_after, next(self._seq), delivery.id))

    @staticmethod
    def _fail(delivery: Delivery, reason: str) -> None:
        delivery.status = "failed"
        delivery.failure = reason
