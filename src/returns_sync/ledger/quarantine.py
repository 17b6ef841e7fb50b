"""Quarantine: returns a sync refused to post, kept with a plain-language reason until their data is fixed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from returns_sync.ledger._sql import insert_ignore
from returns_sync.ledger.intents import scrub_error
from returns_sync.ledger.models import QuarantineRow
from returns_sync.ledger.records import QuarantineEntry, snapshot
from returns_sync.ledger.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["QuarantineMixin"]

_OPEN = QuarantineRow.released_at.is_(None)


class QuarantineMixin:
    """Repository methods for the ``quarantine`` table (one open entry per store, sync and return)."""

    session: Session

    def quarantine(
        self,
        *,
        store: str,
        sync: str,
        loop_return_id: str,
        rule: str,
        reason: str,
        details: Mapping[str, Any] | None = None,
    ) -> QuarantineEntry:
        """Quarantine a return, or bump its open entry: attempts + 1, ``last_seen`` now, newest rule and reason.

        ``first_seen`` keeps the time the return was first refused.

        Args:
            store: Store key.
            sync: Sync that refused the return.
            loop_return_id: Loop return id.
            rule: Short rule id, e.g. ``sku_unknown``.
            reason: What is wrong, in words a merchant understands.
            details: JSON-able facts behind the reason (no secrets).
        """
        now, reason = utcnow(), scrub_error(reason)
        values = {
            "store": store,
            "sync": sync,
            "loop_return_id": loop_return_id,
            "rule": rule,
            "reason": reason,
            "details": dict(details or {}),
            "first_seen": now,
            "last_seen": now,
            "attempts": 1,
        }
        inserted = insert_ignore(
            self.session,
            QuarantineRow.__table__,
            values,
            conflict_columns=["store", "sync", "loop_return_id"],
            conflict_where=_OPEN,
        )
        row = self._open_row(store, sync, loop_return_id, lock=not inserted)
        assert row is not None  # inserted or already open, inside this transaction
        if not inserted:
            row.attempts += 1
            row.last_seen, row.rule, row.reason, row.details = now, rule, reason, dict(details or {})
            self.session.flush()
        return snapshot(QuarantineEntry, row)

    def release(self, *, store: str, sync: str, loop_return_id: str) -> QuarantineEntry | None:
        """Close the return's open entry because its data now passes; returns it, or None if none was open.

        The entry stays in the table, with ``released_at`` set, as history.
        """
        row = self._open_row(store, sync, loop_return_id, lock=True)
        if row is None:
            return None
        row.released_at = utcnow()
        self.session.flush()
        return snapshot(QuarantineEntry, row)

    def open_quarantine(self, store: str, sync: str | None = None) -> list[QuarantineEntry]:
        """Open entries of a store (optionally one sync), oldest first."""
        query = select(QuarantineRow).where(QuarantineRow.store == store, _OPEN)
        if sync is not None:
            query = query.where(QuarantineRow.sync == sync)
        rows = self.session.scalars(query.order_by(QuarantineRow.first_seen, QuarantineRow.id))
        return [snapshot(QuarantineEntry, row) for row in rows]

    def _open_row(self, store: str, sync: str, loop_return_id: str, *, lock: bool) -> QuarantineRow | None:
        query = select(QuarantineRow).where(
            QuarantineRow.store == store, QuarantineRow.sync == sync, QuarantineRow.loop_return_id == loop_return_id, _OPEN
        )
        if lock:
            query = query.with_for_update()
        return self.session.scalars(query.execution_options(populate_existing=True)).one_or_none()
