"""The ``Repository``: every ledger operation, bound to one session and so to one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from returns_sync.ledger._sql import insert_ignore
from returns_sync.ledger.audit import AuditMixin
from returns_sync.ledger.cursor import DEFAULT_INITIAL_LOOKBACK, DEFAULT_OVERLAP, Cursor, Window, advance, open_window
from returns_sync.ledger.intents import IntentsMixin
from returns_sync.ledger.lines import ReturnedLinesMixin
from returns_sync.ledger.links import LinksMixin
from returns_sync.ledger.models import CursorRow
from returns_sync.ledger.quarantine import QuarantineMixin
from returns_sync.ledger.types import utcnow
from returns_sync.ledger.write_backs import WriteBacksMixin

__all__ = ["Repository"]


class Repository(LinksMixin, ReturnedLinesMixin, IntentsMixin, QuarantineMixin, AuditMixin, WriteBacksMixin):
    """Ledger operations bound to one SQLAlchemy session (one transaction).

    Obtain one from ``Ledger.session()``; it commits when the ``with`` block ends and rolls back on
    an exception, so a batch's postings and the cursor that covers them commit together or not at
    all. Results are immutable snapshots that stay usable after the transaction.

    Example:
        >>> with ledger.session() as repo:  # doctest: +SKIP
        ...     repo.mark_posted("loop-acme-123-ra", ns_id="9001")
        ...     repo.advance_cursor(window, [("123", updated_at)])
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- cursors ------------------------------------------------------------------------------

    def get_cursor(self, store: str, sync: str) -> Cursor:
        """The saved cursor of (store, sync); an empty one before the first run."""
        row = self.session.get(CursorRow, (store, sync))
        if row is None:
            return Cursor(store=store, sync=sync)
        return Cursor(store, sync, row.last_value, row.run_started_at)

    def open_window(
        self,
        store: str,
        sync: str,
        *,
        run_started_at: datetime,
        overlap: timedelta = DEFAULT_OVERLAP,
        initial_lookback: timedelta = DEFAULT_INITIAL_LOOKBACK,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Window:
        """The window this run reads, from the saved cursor (see ``cursor.open_window``)."""
        return open_window(
            self.get_cursor(store, sync),
            run_started_at=run_started_at,
            overlap=overlap,
            initial_lookback=initial_lookback,
            since=since,
            until=until,
        )

    def advance_cursor(self, window: Window, seen: Iterable[tuple[str, datetime]]) -> Cursor:
        """Move the cursor over the items a batch handled, in the batch's own transaction.

        Call it in the same ``Ledger.session()`` as the batch's ``mark_posted``/``quarantine`` calls,
        batch by batch in ``updated_at`` order; after a batch fails, stop advancing for the rest of
        the run. A backfill window never writes: the saved cursor is returned unchanged.

        Args:
            window: The window the batch was read from.
            seen: ``(loop_return_id, updated_at)`` of every item the batch handled.

        Returns:
            The cursor as saved.
        """
        if window.backfill:
            return self.get_cursor(window.store, window.sync)
        insert_ignore(
            self.session,
            CursorRow.__table__,
            {"store": window.store, "sync": window.sync, "updated_at": utcnow()},
            conflict_columns=["store", "sync"],
        )
        # Lock the row (PostgreSQL) and advance from what is saved now, so the watermark never moves back.
        row = self.session.scalars(
            select(CursorRow)
            .where(CursorRow.store == window.store, CursorRow.sync == window.sync)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        current = Cursor(window.store, window.sync, row.last_value, row.run_started_at)
        moved = advance(current, seen, run_started_at=window.run_started_at)
        row.last_value, row.run_started_at = moved.last_value, moved.run_started_at
        row.updated_at = utcnow()
        self.session.flush()
        return moved
