"""Posting intents: a NetSuite create is written down, keyed by its externalId, before it is sent."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from returns_sync.ledger._sql import insert_ignore
from returns_sync.ledger.errors import IntentConflictError, LedgerIntegrityError
from returns_sync.ledger.models import PostingIntentRow
from returns_sync.ledger.records import IntentStatus, PostingIntent, snapshot
from returns_sync.ledger.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["IntentsMixin", "digest_request", "scrub_error"]

_MAX_ERROR = 2000

# Defence in depth: errors are built without headers, but a vendor body or a repr may still echo one.
_SECRET_PATTERNS = [
    # Header values only: "Authorization: OAuth ..." is a credential, "return authorization: You can not ..." is a message.
    re.compile(r"(?i)(\bauthorization)(\"?\s*[:=]\s*)(\"?)(?=(?:oauth|bearer|basic|token|digest)\b)[^\"\n,}]+"),
    re.compile(r"(?i)(x-authorization|x-shopify-access-token|cookie)(\"?\s*[:=]\s*)(\"?)[^\"\n,}]+"),
    re.compile(r"(?i)(oauth_(?:signature|token|consumer_key|nonce))(=\"?)()[^\"&,\s]+"),
    re.compile(
        r"(?i)(\b(?:api[_-]?key|access[_-]?token|token[_-]?secret|consumer[_-]?secret|password|secret)\b)(\"?\s*[:=]\s*)(\"?)[^\"\s,&}]+"
    ),
    re.compile(r"()()()\bshp(?:at|ca|ss|pa)_[A-Za-z0-9]+"),
]


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        # 48.6 and 48.60 are the same amount, so they must hash the same.
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, float):
        raise TypeError("request bodies carry money as Decimal, never float")
    return value


def digest_request(body: Mapping[str, Any] | list[Any]) -> str:
    """SHA-256 of the canonical JSON of a request body (sorted keys, no whitespace, exact decimals).

    Example:
        >>> digest_request({"b": 1, "a": "x"}) == digest_request({"a": "x", "b": 1})
        True
    """
    text = json.dumps(_canonical(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scrub_error(error: BaseException | str) -> str:
    """Plain text of an error for the ledger: credentials-looking values masked, length bounded."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}***", text)
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 1] + "…"


class IntentsMixin:
    """Repository methods for ``posting_intents``."""

    session: Session

    def begin_intent(
        self,
        *,
        idempotency_key: str,
        store: str,
        loop_return_id: str,
        sync: str,
        record_type: str,
        request_body: Mapping[str, Any] | list[Any] | None = None,
        request_digest: str | None = None,
    ) -> PostingIntent:
        """Write down a NetSuite create before sending it; idempotent.

        The first call inserts a ``pending`` intent. Later calls with the same key and the same
        request return the stored intent unchanged: if it is ``posted``, do not post again; if it is
        ``pending``, an earlier attempt may have reached NetSuite, so look the externalId up first.
        A ``failed`` intent (NetSuite refused it, nothing was created) may be begun again with a
        corrected request: it returns to ``pending`` with the new digest.

        Args:
            idempotency_key: The record's NetSuite externalId, e.g. ``loop-acme-123-ra``.
            store: Store key.
            loop_return_id: Loop return id.
            sync: Sync name.
            record_type: NetSuite record type, e.g. ``returnAuthorization``.
            request_body: The body to be sent; its canonical digest identifies the request.
            request_digest: A digest computed elsewhere, instead of ``request_body``.

        Raises:
            IntentConflictError: The key exists (pending, posted or skipped) with a different digest.
            ValueError: Neither or both of ``request_body`` and ``request_digest``.
        """
        if request_body is not None and request_digest is None:
            digest = digest_request(request_body)
        elif request_digest is not None and request_body is None:
            digest = request_digest
        else:
            raise ValueError("pass exactly one of request_body and request_digest")
        now = utcnow()
        inserted = insert_ignore(
            self.session,
            PostingIntentRow.__table__,
            {
                "idempotency_key": idempotency_key,
                "store": store,
                "loop_return_id": loop_return_id,
                "sync": sync,
                "record_type": record_type,
                "status": IntentStatus.PENDING.value,
                "request_digest": digest,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            },
            conflict_columns=["idempotency_key"],
        )
        row = self._intent_row(idempotency_key, lock=not inserted)
        if not inserted and row.request_digest != digest:
            if row.status != IntentStatus.FAILED:
                raise IntentConflictError(idempotency_key, stored_digest=row.request_digest, new_digest=digest, status=row.status)
            row.request_digest, row.status, row.updated_at = digest, IntentStatus.PENDING.value, now
            self.session.flush()
        return snapshot(PostingIntent, row)

    def get_intent(self, idempotency_key: str) -> PostingIntent | None:
        """The intent stored under ``idempotency_key``, if any."""
        row = self.session.get(PostingIntentRow, idempotency_key)
        return snapshot(PostingIntent, row) if row else None

    def mark_posted(self, idempotency_key: str, *, ns_id: str | int) -> PostingIntent:
        """Record that NetSuite created the record (also after finding it by externalId following a timeout).

        Raises:
            LedgerIntegrityError: Unknown key, or already posted as a different NetSuite record.
        """
        row = self._intent_row(idempotency_key, lock=True)
        if row.status == IntentStatus.POSTED:
            if row.ns_id != str(ns_id):
                raise LedgerIntegrityError(
                    f"posting intent {idempotency_key!r} is already NetSuite record {row.ns_id}, not {ns_id}"
                )
            return snapshot(PostingIntent, row)
        row.status, row.ns_id, row.attempts = IntentStatus.POSTED.value, str(ns_id), row.attempts + 1
        row.last_error, row.updated_at = None, utcnow()
        self.session.flush()
        return snapshot(PostingIntent, row)

    def mark_failed(self, idempotency_key: str, error: BaseException | str, *, permanent: bool = True) -> PostingIntent:
        """Record a failed attempt. Permanent: NetSuite refused it (``failed``). Transient: it stays ``pending``.

        The error is stored as plain text with anything that looks like a credential masked.

        Raises:
            LedgerIntegrityError: Unknown key, or the intent is already posted.
        """
        row = self._intent_row(idempotency_key, lock=True)
        if row.status == IntentStatus.POSTED:
            raise LedgerIntegrityError(f"posting intent {idempotency_key!r} is already posted as {row.ns_id}")
        row.attempts += 1
        row.last_error, row.updated_at = scrub_error(error), utcnow()
        if permanent:
            row.status = IntentStatus.FAILED.value
        self.session.flush()
        return snapshot(PostingIntent, row)

    def mark_skipped(self, idempotency_key: str, reason: str) -> PostingIntent:
        """Record that the create was deliberately not made (e.g. the Shopify connector already posted it)."""
        row = self._intent_row(idempotency_key, lock=True)
        if row.status == IntentStatus.POSTED:
            raise LedgerIntegrityError(f"posting intent {idempotency_key!r} is already posted as {row.ns_id}")
        row.status, row.last_error, row.updated_at = IntentStatus.SKIPPED.value, scrub_error(reason), utcnow()
        self.session.flush()
        return snapshot(PostingIntent, row)

    def pending_intents(
        self, store: str, *, sync: str | None = None, untouched_since: datetime | None = None
    ) -> list[PostingIntent]:
        """Intents of ``store`` begun but not settled, oldest first: each needs an externalId lookup.

        Args:
            store: Store key.
            sync: Only the intents this sync began.
            untouched_since: Only intents last changed before this time.
        """
        query = select(PostingIntentRow).where(
            PostingIntentRow.store == store, PostingIntentRow.status == IntentStatus.PENDING.value
        )
        if sync is not None:
            query = query.where(PostingIntentRow.sync == sync)
        if untouched_since is not None:
            query = query.where(PostingIntentRow.updated_at < untouched_since)
        rows = self.session.scalars(query.order_by(PostingIntentRow.created_at, PostingIntentRow.idempotency_key))
        return [snapshot(PostingIntent, row) for row in rows]

    def _intent_row(self, idempotency_key: str, *, lock: bool) -> PostingIntentRow:
        query = select(PostingIntentRow).where(PostingIntentRow.idempotency_key == idempotency_key)
        if lock:
            query = query.with_for_update()
        row = self.session.scalars(query.execution_options(populate_existing=True)).one_or_none()
        if row is None:
            raise LedgerIntegrityError(f"no posting intent {idempotency_key!r}")
        return row
