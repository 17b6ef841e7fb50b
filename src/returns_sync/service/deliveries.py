"""The receiver's memory of accepted Loop deliveries: a key per delivery, and forgetting them after 30 days.

Loop sends no delivery id and may deliver an event more than once, so the key is a digest of
everything that identifies one event for one store. Loop retries a failed delivery five times with
exponential backoff and honours ``Retry-After`` only up to 30 minutes
(https://docs.loopreturns.com/reference/setting-up-webhooks, "Webhook errors and retries"): a retry
arrives within hours, so a key older than ``DELIVERY_RETENTION`` can no longer stop a redelivery and
is pruned. The receiver prunes, at most once per ``PRUNE_INTERVAL``, right after it records a
delivery: it is the table's only writer, it runs in both setups (``serve --webhooks`` and
``serve-webhooks`` beside a work pool), and the table grows only while deliveries arrive.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from returns_sync.ledger.types import utcnow

if TYPE_CHECKING:
    from returns_sync.ledger import Ledger

__all__ = ["DELIVERY_RETENTION", "DELIVERY_SOURCE", "PRUNE_INTERVAL", "DeliveryLog", "delivery_key"]

logger = logging.getLogger("returns_sync.webhooks")

DELIVERY_SOURCE = "loop"
DELIVERY_RETENTION = timedelta(days=30)
PRUNE_INTERVAL = 3600.0  # seconds between two prunes by one receiver
_KEY_SCHEME = "sha256"


def delivery_key(store: str, return_id: str, trigger: str, raw_body: bytes) -> str:
    """The ledger id of one delivery: a SHA-256 over store, return, trigger and the exact body.

    Fixed length whatever the inputs (the column holds 255 characters), and unambiguous: the parts
    are JSON-encoded, so no choice of separators in one part can make two identities look alike. A
    retry of the same event (same bytes) maps to the same key; a new event about the same return
    (another body) does not.

    Example:
        >>> key = delivery_key("north", "42", "return.updated", b"{}")
        >>> key.startswith("sha256:"), len(key)
        (True, 71)
    """
    identity = json.dumps([store, return_id, trigger, hashlib.sha256(raw_body).hexdigest()], ensure_ascii=True)
    return f"{_KEY_SCHEME}:{hashlib.sha256(identity.encode()).hexdigest()}"


class DeliveryLog:
    """Records accepted deliveries in the ledger and prunes the expired ones now and then.

    Args:
        ledger: Where deliveries are kept (``webhook_deliveries``).
        retention: How long a delivery is remembered.
        prune_interval: Seconds between two prunes by this receiver (the first record prunes at once).
        clock: The current UTC time (tests move it).
    """

    def __init__(
        self,
        ledger: Ledger,
        *,
        retention: timedelta = DELIVERY_RETENTION,
        prune_interval: float = PRUNE_INTERVAL,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._ledger = ledger
        self._retention = retention
        self._prune_interval = prune_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._last_prune: float | None = None

    def remember(self, key: str) -> bool:
        """Record ``key``; False when it was already there (a redelivery). Prunes when one is due."""
        with self._ledger.session() as repo:
            new = repo.record_delivery(DELIVERY_SOURCE, key, received_at=self._clock())
        self._prune_if_due()
        return new

    def _prune_if_due(self) -> None:
        with self._lock:
            now = time.monotonic()
            if self._last_prune is not None and now - self._last_prune < self._prune_interval:
                return
            self._last_prune = now
        try:
            with self._ledger.session() as repo:
                removed = repo.prune_deliveries(self._clock() - self._retention)
        except Exception as exc:  # pruning is housekeeping: the delivery itself is recorded; try again next interval
            logger.warning("could not prune old Loop deliveries: %s", type(exc).__name__)
            return
        if removed:
            logger.info("forgot %d Loop deliveries older than %d days", removed, self._retention.days)
