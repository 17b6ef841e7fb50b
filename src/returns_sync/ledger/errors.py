"""Errors the ledger raises on purpose: a request that contradicts what it already holds."""

from __future__ import annotations

__all__ = ["IntentConflictError", "LedgerError", "LedgerIntegrityError"]


class LedgerError(Exception):
    """Base of the ledger's own errors."""


class IntentConflictError(LedgerError):
    """A posting intent was begun again with the same idempotency key but a different request.

    The same externalId must always describe the same NetSuite record; a different body means the
    caller built a different record under an old key, and posting it could duplicate or corrupt data.
    """

    def __init__(self, idempotency_key: str, *, stored_digest: str, new_digest: str, status: str) -> None:
        super().__init__(
            f"posting intent {idempotency_key!r} is {status} with request digest {stored_digest[:12]}…, "
            f"refusing a different request (digest {new_digest[:12]}…)"
        )
        self.idempotency_key = idempotency_key
        self.stored_digest = stored_digest
        self.new_digest = new_digest
        self.status = status


class LedgerIntegrityError(LedgerError):
    """A write would contradict the ledger: a record linked twice, quantities out of range, a missing row."""
