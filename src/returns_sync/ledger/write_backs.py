"""Write-backs: each NetSuite number written to a Loop note or a Shopify order, begun before it is sent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from returns_sync.ledger._sql import insert_ignore
from returns_sync.ledger.errors import LedgerIntegrityError
from returns_sync.ledger.intents import scrub_error
from returns_sync.ledger.models import NetSuiteRecordRow, WriteBackRow
from returns_sync.ledger.records import WriteBack, WriteBackStatus, WriteBackTarget, snapshot
from returns_sync.ledger.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["WriteBacksMixin"]


class WriteBacksMixin:
    """Repository methods for ``write_backs``."""

    session: Session

    def begin_write_back(
        self, *, store: str, target: WriteBackTarget, record_key: str, loop_return_id: str, content: str
    ) -> WriteBack:
        """Write down a write-back before sending it; idempotent (a second call returns the stored one unchanged).

        A ``pending`` one with ``attempts > 0`` may have arrived although its answer was lost: look for it first.
        """
        now = utcnow()
        insert_ignore(
            self.session,
            WriteBackRow.__table__,
            {
                "store": store,
                "target": target.value,
                "record_key": record_key,
                "loop_return_id": loop_return_id,
                "status": WriteBackStatus.PENDING.value,
                "content": content,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            },
            conflict_columns=["store", "target", "record_key"],
        )
        return snapshot(WriteBack, self._write_back_row(store, target, record_key))

    def get_write_back(self, store: str, target: WriteBackTarget, record_key: str) -> WriteBack | None:
        """The write-back stored under (store, target, record_key), if any."""
        row = self.session.get(WriteBackRow, (store, target.value, record_key))
        return snapshot(WriteBack, row) if row else None

    def mark_attempted(
        self, store: str, target: WriteBackTarget, record_key: str, error: BaseException | str | None = None
    ) -> WriteBack:
        """Count a send whose outcome is unknown (sent, or failed after it may have arrived); it stays ``pending``."""
        row = self._write_back_row(store, target, record_key)
        row.attempts += 1
        row.last_error = scrub_error(error) if error is not None else None
        row.updated_at = utcnow()
        self.session.flush()
        return snapshot(WriteBack, row)

    def claim_write_back(self, store: str, target: WriteBackTarget, record_key: str, *, seen_attempts: int) -> bool:
        """Count a send about to leave, unless another run counted one since ``seen_attempts`` was read (then False).

        Two runs that read the same pending write-back may both try it; only the one whose compare-and-set
        wins sends, so the other never writes a second note.
        """
        claimed = self.session.execute(
            update(WriteBackRow)
            .where(
                WriteBackRow.store == store,
                WriteBackRow.target == target.value,
                WriteBackRow.record_key == record_key,
                WriteBackRow.status == WriteBackStatus.PENDING.value,
                WriteBackRow.attempts == seen_attempts,
            )
            .values(attempts=seen_attempts + 1, last_error=None, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(claimed, "rowcount", 0))

    def renew_claims(self, store: str, target: WriteBackTarget, record_keys: list[str]) -> None:
        """Keep the claims on these pending write-backs alive (their send is still going on)."""
        self.session.execute(
            update(WriteBackRow)
            .where(
                WriteBackRow.store == store,
                WriteBackRow.target == target.value,
                WriteBackRow.record_key.in_(record_keys),
                WriteBackRow.status == WriteBackStatus.PENDING.value,
                WriteBackRow.last_error.is_(None),
            )
            .values(updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    def release_claim(self, store: str, target: WriteBackTarget, record_key: str, error: BaseException | str) -> None:
        """The send ended without a confirmation: no run holds it now, and the next looks for it before sending."""
        row = self._write_back_row(store, target, record_key)
        if row.status == WriteBackStatus.PENDING.value:
            row.last_error, row.updated_at = scrub_error(error), utcnow()
            self.session.flush()

    def mark_written(self, store: str, target: WriteBackTarget, record_key: str) -> WriteBack:
        """Record that the write-back is in place (sent and confirmed, or found after a lost answer)."""
        row = self._write_back_row(store, target, record_key)
        row.status, row.last_error, row.updated_at = WriteBackStatus.WRITTEN.value, None, utcnow()
        self.session.flush()
        return snapshot(WriteBack, row)

    def pending_write_backs(self, store: str, target: WriteBackTarget) -> list[WriteBack]:
        """Write-backs of ``store`` to ``target`` begun but not confirmed, oldest first."""
        rows = self.session.scalars(
            select(WriteBackRow)
            .where(
                WriteBackRow.store == store,
                WriteBackRow.target == target.value,
                WriteBackRow.status == WriteBackStatus.PENDING.value,
            )
            .order_by(WriteBackRow.created_at, WriteBackRow.record_key)
        )
        return [snapshot(WriteBack, row) for row in rows]

    def returns_without_write_backs(
        self, store: str, target: WriteBackTarget, *, roles: Iterable[str], since: datetime
    ) -> list[str]:
        """Returns with a record in ``roles`` recorded since ``since`` that has no write-back to ``target`` begun.

        A run that posted and died before its write-back began (killed, or its write-back task failed) leaves
        such records; no later run posts for them again, so the ledger is where they are found.
        """
        begun = (
            select(WriteBackRow.record_key)
            .where(
                WriteBackRow.store == store,
                WriteBackRow.target == target.value,
                WriteBackRow.record_key == NetSuiteRecordRow.record_type + ":" + NetSuiteRecordRow.ns_id,
            )
            .exists()
        )
        rows = self.session.scalars(
            select(NetSuiteRecordRow.loop_return_id)
            .where(
                NetSuiteRecordRow.store == store,
                NetSuiteRecordRow.role.in_(list(roles)),
                NetSuiteRecordRow.created_at >= since,
                ~begun,
            )
            .order_by(NetSuiteRecordRow.id)
        )
        return list(dict.fromkeys(rows))

    def _write_back_row(self, store: str, target: WriteBackTarget, record_key: str) -> WriteBackRow:
        row = self.session.get(WriteBackRow, (store, target.value, record_key), populate_existing=True)
        if row is None:
            raise LedgerIntegrityError(f"no write-back {target.value} {record_key!r} for store {store!r}")
        return row
