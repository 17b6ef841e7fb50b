"""The append-only audit trail of what each sync did, and the webhook deliveries already accepted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CursorResult, delete, select

from returns_sync.ledger._sql import insert_ignore
from returns_sync.ledger.models import AuditLogRow, WebhookDeliveryRow
from returns_sync.ledger.records import AuditEntry, snapshot
from returns_sync.ledger.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["AuditMixin"]


class AuditMixin:
    """Repository methods for ``audit_log`` (insert and read only) and ``webhook_deliveries``."""

    session: Session

    def audit(
        self,
        *,
        store: str,
        action: str,
        sync: str | None = None,
        flow_run_id: str | None = None,
        loop_return_id: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        """Append one entry to the audit trail and return its id. ``detail`` must hold no secrets."""
        row = AuditLogRow(
            at=utcnow(),
            store=store,
            sync=sync,
            flow_run_id=None if flow_run_id is None else str(flow_run_id),
            loop_return_id=loop_return_id,
            action=action,
            detail=dict(detail or {}),
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def audit_entries(self, store: str, *, loop_return_id: str | None = None, limit: int | None = None) -> list[AuditEntry]:
        """Audit entries of a store (optionally one return), oldest first."""
        query = select(AuditLogRow).where(AuditLogRow.store == store)
        if loop_return_id is not None:
            query = query.where(AuditLogRow.loop_return_id == loop_return_id)
        query = query.order_by(AuditLogRow.id)
        if limit is not None:
            query = query.limit(limit)
        return [snapshot(AuditEntry, row) for row in self.session.scalars(query)]

    def record_delivery(self, source: str, delivery_id: str, *, received_at: datetime | None = None) -> bool:
        """Remember a webhook delivery; False if it was already seen (a redelivery to ignore).

        Example:
            >>> repo.record_delivery("loop", "evt_1")  # doctest: +SKIP
            True
        """
        return insert_ignore(
            self.session,
            WebhookDeliveryRow.__table__,
            {"source": source, "delivery_id": delivery_id, "received_at": received_at or utcnow()},
            conflict_columns=["source", "delivery_id"],
        )

    def prune_deliveries(self, older_than: datetime) -> int:
        """Forget deliveries received before ``older_than``; returns how many were removed."""
        result = self.session.execute(delete(WebhookDeliveryRow).where(WebhookDeliveryRow.received_at < older_than))
        assert isinstance(result, CursorResult)  # a DELETE's result; SQLAlchemy types execute() as Result
        return int(result.rowcount or 0)
