"""Return links and the NetSuite records created or linked for each return."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select

from returns_sync.domain.loop import ReturnState
from returns_sync.domain.netsuite import RecordRole
from returns_sync.ledger._sql import insert_ignore
from returns_sync.ledger.errors import LedgerIntegrityError
from returns_sync.ledger.models import NetSuiteRecordRow, ReturnLinkRow
from returns_sync.ledger.records import CreatedBy, NetSuiteRecord, ReturnLink, snapshot
from returns_sync.ledger.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["LinksMixin"]

_LINK_FIELDS = frozenset(ReturnLinkRow.__table__.columns.keys()) - {"store", "loop_return_id", "created_at", "updated_at"}


def _id(value: str | int | None) -> str | None:
    # NetSuite ids arrive as ints from some payloads and strings from others; the ledger keeps text.
    return None if value is None else str(value)


class LinksMixin:
    """Repository methods for ``return_links`` and ``netsuite_records``."""

    session: Session

    # -- return links -------------------------------------------------------------------------

    def get_link(self, store: str, loop_return_id: str) -> ReturnLink | None:
        """The link row of a return, or None if the ledger has never seen it."""
        row = self.session.get(ReturnLinkRow, (store, loop_return_id))
        return snapshot(ReturnLink, row) if row else None

    def upsert_link(self, store: str, loop_return_id: str, **fields: Any) -> ReturnLink:
        """Create the return's link row if missing and set the given columns; other columns keep their value.

        Args:
            store: Store key.
            loop_return_id: Loop return id.
            **fields: Columns of ``return_links`` (e.g. ``ns_return_authorization_id="812"``,
                ``ra_flag_synced="T"``, ``loop_processed_by_us_at=now``). Passing None clears a column.

        Raises:
            TypeError: An unknown column name.
        """
        unknown = set(fields) - _LINK_FIELDS
        if unknown:
            raise TypeError(f"unknown return_links columns: {', '.join(sorted(unknown))}")
        row = self._ensure_link(store, loop_return_id)
        for name, value in fields.items():
            setattr(row, name, _id(value) if isinstance(value, int) and not isinstance(value, bool) else value)
        self.session.flush()
        return snapshot(ReturnLink, row)

    def links_with_ra(self, store: str) -> list[ReturnLink]:
        """Every return of ``store`` that has an RA, oldest first."""
        rows = self.session.scalars(
            select(ReturnLinkRow)
            .where(ReturnLinkRow.store == store, ReturnLinkRow.ns_return_authorization_id.is_not(None))
            .order_by(ReturnLinkRow.created_at, ReturnLinkRow.loop_return_id)
        )
        return [snapshot(ReturnLink, row) for row in rows]

    # The two lists below are the syncs' revisits, on every scheduled run: they ask the database for the few links that
    # wait rather than reading every link the store ever had (a merchant's years of returns, issue 12's memory run).

    def links_awaiting_loop_close(self, store: str) -> list[str]:
        """Returns with an RA that we asked Loop to process and that Loop has not yet reported closed, cancelled or
        expired, oldest first."""
        terminal = [state.value for state in ReturnState if state.is_terminal()]
        rows = self.session.scalars(
            select(ReturnLinkRow.loop_return_id)
            .where(
                ReturnLinkRow.store == store,
                ReturnLinkRow.ns_return_authorization_id.is_not(None),
                ReturnLinkRow.loop_processed_by_us_at.is_not(None),
                or_(ReturnLinkRow.loop_state_seen.is_(None), ReturnLinkRow.loop_state_seen.not_in(terminal)),
            )
            .order_by(ReturnLinkRow.created_at, ReturnLinkRow.loop_return_id)
        )
        return list(rows)

    def links_closed_without_refund(self, store: str, refund_roles: Iterable[RecordRole]) -> list[ReturnLink]:
        """Returns with an RA that Loop last showed closed, whose RA we did not close, and that no record of
        ``refund_roles`` settles yet, oldest first."""
        settled = (
            select(NetSuiteRecordRow.id)
            .where(
                NetSuiteRecordRow.store == ReturnLinkRow.store,
                NetSuiteRecordRow.loop_return_id == ReturnLinkRow.loop_return_id,
                NetSuiteRecordRow.role.in_([role.value for role in refund_roles]),
            )
            .exists()
        )
        rows = self.session.scalars(
            select(ReturnLinkRow)
            .where(
                ReturnLinkRow.store == store,
                ReturnLinkRow.ns_return_authorization_id.is_not(None),
                ReturnLinkRow.loop_state_seen == ReturnState.CLOSED.value,
                ReturnLinkRow.ra_closed_by_us_at.is_(None),
                ~settled,
            )
            .order_by(ReturnLinkRow.created_at, ReturnLinkRow.loop_return_id)
        )
        return [snapshot(ReturnLink, row) for row in rows]

    def note_refund_waiting(self, store: str, loop_return_ids: list[str]) -> None:
        """Record that refund_sync found these returns waiting just now (``refund_wait_checked_at``).

        The row's ``updated_at`` is set to the same instant, so a later change of the link by any sync
        (``updated_at`` past the check) tells refund_sync that something about the return moved.
        """
        now = utcnow()
        for loop_return_id in dict.fromkeys(loop_return_ids):
            row = self._ensure_link(store, loop_return_id)
            row.refund_wait_checked_at = now
            row.updated_at = now  # explicit: the column's onupdate would stamp a later instant
        self.session.flush()

    def _ensure_link(self, store: str, loop_return_id: str) -> ReturnLinkRow:
        insert_ignore(
            self.session,
            ReturnLinkRow.__table__,
            {"store": store, "loop_return_id": loop_return_id},
            conflict_columns=["store", "loop_return_id"],
        )
        row = self.session.get(ReturnLinkRow, (store, loop_return_id), populate_existing=True)
        assert row is not None  # inserted or already there, inside this transaction
        return row

    # -- NetSuite records ---------------------------------------------------------------------

    def record_netsuite_record(
        self,
        *,
        store: str,
        loop_return_id: str,
        role: RecordRole | str,
        record_type: str,
        ns_id: str | int,
        tranid: str | None = None,
        external_id: str | None = None,
        total: Decimal | None = None,
        currency: str | None = None,
        created_by: CreatedBy | str = CreatedBy.US,
    ) -> NetSuiteRecord:
        """Remember a NetSuite record created or linked for a return; idempotent.

        Recording the same record again fills in columns that were empty and changes nothing else.
        Creates the return's link row if it does not exist yet.

        Raises:
            ValueError: Unknown ``role`` or ``created_by``.
            LedgerIntegrityError: ``external_id`` already belongs to another NetSuite record.
        """
        role, created_by = RecordRole(role), CreatedBy(created_by)
        self._ensure_link(store, loop_return_id)
        if external_id is not None:
            holder = self.find_netsuite_record(record_type, external_id)
            if holder is not None and (holder.store, holder.loop_return_id, holder.ns_id) != (store, loop_return_id, str(ns_id)):
                raise LedgerIntegrityError(
                    f"externalId {external_id!r} ({record_type}) is already NetSuite record {holder.ns_id} "
                    f"of return {holder.loop_return_id}"
                )
        values = {
            "store": store,
            "loop_return_id": loop_return_id,
            "role": role.value,
            "record_type": record_type,
            "ns_id": str(ns_id),
            "tranid": tranid,
            "external_id": external_id,
            "total": total,
            "currency": currency,
            "created_by": created_by.value,
            "created_at": utcnow(),
        }
        insert_ignore(
            self.session,
            NetSuiteRecordRow.__table__,
            values,
            conflict_columns=["store", "loop_return_id", "record_type", "ns_id"],
        )
        row = self.session.scalars(
            select(NetSuiteRecordRow)
            .where(
                NetSuiteRecordRow.store == store,
                NetSuiteRecordRow.loop_return_id == loop_return_id,
                NetSuiteRecordRow.record_type == record_type,
                NetSuiteRecordRow.ns_id == str(ns_id),
            )
            .execution_options(populate_existing=True)
        ).one()
        # Recorded before with less detail (e.g. the tranid was learned later): complete it, never overwrite.
        for name in ("tranid", "external_id", "total", "currency"):
            if getattr(row, name) is None and values[name] is not None:
                setattr(row, name, values[name])
        self.session.flush()
        return snapshot(NetSuiteRecord, row)

    def netsuite_records(self, store: str, loop_return_id: str, *, role: RecordRole | str | None = None) -> list[NetSuiteRecord]:
        """The NetSuite records of one return, in the order they were recorded."""
        query = select(NetSuiteRecordRow).where(
            NetSuiteRecordRow.store == store, NetSuiteRecordRow.loop_return_id == loop_return_id
        )
        if role is not None:
            query = query.where(NetSuiteRecordRow.role == RecordRole(role).value)
        return [snapshot(NetSuiteRecord, row) for row in self.session.scalars(query.order_by(NetSuiteRecordRow.id))]

    def find_netsuite_record(self, record_type: str, external_id: str) -> NetSuiteRecord | None:
        """The record holding ``external_id`` for ``record_type``, if the ledger knows it."""
        row = self.session.scalars(
            select(NetSuiteRecordRow).where(
                NetSuiteRecordRow.record_type == record_type, NetSuiteRecordRow.external_id == external_id
            )
        ).first()
        return snapshot(NetSuiteRecord, row) if row else None
