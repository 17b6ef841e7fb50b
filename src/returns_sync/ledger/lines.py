"""What each return holds on each original Sales Order line, and what is therefore still returnable."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from sqlalchemy import case, func, select

from returns_sync.ledger.errors import LedgerIntegrityError
from returns_sync.ledger.models import ReturnedLineRow
from returns_sync.ledger.records import LineStatus, ReturnedLine, snapshot

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from returns_sync.ledger.models import ReturnLinkRow

__all__ = ["ReturnedLinesMixin"]


class ReturnedLinesMixin:
    """Repository methods for ``returned_lines``."""

    session: Session

    if TYPE_CHECKING:

        def _ensure_link(self, store: str, loop_return_id: str) -> ReturnLinkRow: ...  # from LinksMixin

    # -- returned lines -----------------------------------------------------------------------

    def set_returned_lines(
        self, store: str, loop_return_id: str, ns_sales_order_id: str | int, lines: Iterable[ReturnedLine]
    ) -> list[ReturnedLine]:
        """Record what a return holds on each line of its Sales Order (upsert by SO line).

        Quantity, SKU, item and Loop line ids follow ``lines``; received quantities and status are
        kept for lines that already exist. Lines no longer listed are removed if nothing of them
        was received. Creates the return's link row if missing.

        Raises:
            LedgerIntegrityError: A listed line repeats an SO line, or a dropped line had units received.
        """
        so_id = str(ns_sales_order_id)
        wanted: dict[int, ReturnedLine] = {}
        for line in lines:
            if line.so_line in wanted:
                raise LedgerIntegrityError(
                    f"return {loop_return_id}: SO line {line.so_line} is listed twice; group its units into one line"
                )
            wanted[line.so_line] = line
        self._ensure_link(store, loop_return_id)
        existing = {row.so_line: row for row in self._line_rows(store, loop_return_id, so_id)}
        for so_line, dropped in existing.items():
            if so_line not in wanted:
                if dropped.received_quantity:
                    raise LedgerIntegrityError(
                        f"return {loop_return_id}: SO line {so_line} has {dropped.received_quantity} unit(s) received; "
                        "it cannot be dropped"
                    )
                self.session.delete(dropped)
        for so_line, line in wanted.items():
            row = existing.get(so_line)
            if row is None:
                row = ReturnedLineRow(
                    store=store,
                    loop_return_id=loop_return_id,
                    ns_sales_order_id=so_id,
                    so_line=so_line,
                    received_quantity=line.received_quantity,
                    status=LineStatus(line.status).value,
                )
                self.session.add(row)
            row.sku, row.ns_item_id, row.quantity = (
                line.sku,
                None if line.ns_item_id is None else str(line.ns_item_id),
                line.quantity,
            )
            row.loop_line_item_ids = [str(i) for i in line.loop_line_item_ids]
            if row.received_quantity > row.quantity:
                raise LedgerIntegrityError(
                    f"return {loop_return_id}: SO line {so_line} quantity {row.quantity} is below the "
                    f"{row.received_quantity} unit(s) already received"
                )
        self.session.flush()
        return self.returned_lines(store, loop_return_id)

    def returned_lines(self, store: str, loop_return_id: str) -> list[ReturnedLine]:
        """The lines of one return, by Sales Order and line."""
        return [snapshot(ReturnedLine, row) for row in self._line_rows(store, loop_return_id)]

    def mark_lines_received(self, store: str, loop_return_id: str, received: Mapping[int, int]) -> list[ReturnedLine]:
        """Set the total units received per SO line (cumulative over all receipts, so repeating is harmless).

        A line with units received becomes ``received``; lines not in ``received`` are unchanged.

        Raises:
            LedgerIntegrityError: An SO line the return does not hold, or more units than it holds.
        """
        rows = {row.so_line: row for row in self._line_rows(store, loop_return_id)}
        for so_line, quantity in received.items():
            row = rows.get(so_line)
            if row is None:
                raise LedgerIntegrityError(f"return {loop_return_id} holds no units on SO line {so_line}")
            if not 0 <= quantity <= row.quantity:
                raise LedgerIntegrityError(
                    f"return {loop_return_id}: {quantity} unit(s) received on SO line {so_line}, which holds {row.quantity}"
                )
            row.received_quantity = quantity
            if quantity and row.status == LineStatus.OPEN:
                row.status = LineStatus.RECEIVED.value
        self.session.flush()
        return self.returned_lines(store, loop_return_id)

    def set_lines_status(
        self, store: str, loop_return_id: str, status: LineStatus | str, *, so_lines: Iterable[int] | None = None
    ) -> list[ReturnedLine]:
        """Move a return's lines (all, or ``so_lines``) to ``status``, e.g. ``closed`` when its RA is closed."""
        status = LineStatus(status)
        only = set(so_lines) if so_lines is not None else None
        for row in self._line_rows(store, loop_return_id):
            if only is None or row.so_line in only:
                row.status = status.value
        self.session.flush()
        return self.returned_lines(store, loop_return_id)

    def returned_quantity_by_so_line(
        self, store: str, ns_sales_order_id: str | int, *, excluding_return: str | None = None
    ) -> dict[int, int]:
        """Units of each SO line already held by returns, to compute what is still returnable.

        Open and received lines hold their full quantity (their RA may still receive the rest);
        closed and cancelled lines hold only what was actually received, because closing the RA
        released the remainder.

        Args:
            store: Store key.
            ns_sales_order_id: The original Sales Order.
            excluding_return: A Loop return id left out (the one being validated).

        Returns:
            ``{so_line: units}`` for lines with at least one unit held.
        """
        held = case(
            (ReturnedLineRow.status.in_([LineStatus.OPEN.value, LineStatus.RECEIVED.value]), ReturnedLineRow.quantity),
            else_=ReturnedLineRow.received_quantity,
        )
        query = (
            select(ReturnedLineRow.so_line, func.sum(held))
            .where(ReturnedLineRow.store == store, ReturnedLineRow.ns_sales_order_id == str(ns_sales_order_id))
            .group_by(ReturnedLineRow.so_line)
        )
        if excluding_return is not None:
            query = query.where(ReturnedLineRow.loop_return_id != excluding_return)
        return {int(so_line): int(units) for so_line, units in self.session.execute(query) if units}

    def _line_rows(self, store: str, loop_return_id: str, ns_sales_order_id: str | None = None) -> list[ReturnedLineRow]:
        query = select(ReturnedLineRow).where(ReturnedLineRow.store == store, ReturnedLineRow.loop_return_id == loop_return_id)
        if ns_sales_order_id is not None:
            query = query.where(ReturnedLineRow.ns_sales_order_id == ns_sales_order_id)
        return list(self.session.scalars(query.order_by(ReturnedLineRow.ns_sales_order_id, ReturnedLineRow.so_line)))
