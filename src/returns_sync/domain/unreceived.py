"""Loop refunded units NetSuite never received: split the money document's lines into what the RA can credit and the rest.

NetSuite credits an RA line only for units received and not yet credited (packages/returns-sandbox/docs/netsuite.md,
"RA → CM / CR"). When Loop refunds a return anyway after a partial receipt (POSTING.md, "Partial receipt, then Loop
refunds anyway"), the document still credits exactly what Loop refunded: the received units on the RA line at the
paid rate, the missing units on a line of the same item that references no RA line (so no receipt is implied), taxed
with the same code. The RA's remaining lines are then closed by the sync, and the units are reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from returns_sync.domain.lines import ReturnLineGroup, line_amount
from returns_sync.domain.money import ZERO, quantize
from returns_sync.domain.netsuite import LineKind
from returns_sync.domain.plan import PlannedLine, PlannedRecord, PlanningError, PostingSettings, UnreceivedUnits
from returns_sync.domain.tax import netsuite_line_tax

__all__ = ["split_unreceived", "with_tax_rounding"]


def _part(line: PlannedLine, quantity: int, loop_tax: Decimal, rate: Decimal | None, currency: str) -> PlannedLine:
    amount = line_amount(line.rate, quantity, currency)
    netsuite_tax = netsuite_line_tax(amount, rate, currency)
    return line.model_copy(
        update={"quantity": quantity, "amount": amount, "tax_amount": netsuite_tax, "tax_difference": loop_tax - netsuite_tax}
    )


def split_unreceived(
    document: PlannedRecord,
    groups: Sequence[ReturnLineGroup],
    received: Mapping[int, int],
    settings: PostingSettings,
    currency: str,
) -> tuple[PlannedRecord, list[UnreceivedUnits]]:
    """``document`` with each credited RA line cut to its received units plus an RA-less line for the rest.

    Args:
        document: the planned credit memo / cash refund (its item lines carry ``ra_index``).
        groups: the return's line groups, in RA line order (for each line's tax rate and Loop tax).
        received: RA plan index -> units NetSuite received.

    Returns:
        The document (same total, tax rounding re-balanced) and the units refunded but never received.

    Raises:
        MissingSettingError: the split changes NetSuite's per-line tax rounding and no tax-rounding item is set.
    """
    lines: list[PlannedLine] = []
    unreceived: list[UnreceivedUnits] = []
    for line in document.lines:
        index = line.ra_index
        got = received.get(index, line.quantity) if index is not None else line.quantity
        if line.kind is not LineKind.ITEM or index is None or got >= line.quantity:
            lines.append(line)
            continue
        if index >= len(groups):
            raise PlanningError(f"RA line {index} of the plan has no returned line group")
        group = groups[index]
        missing = line.quantity - got
        loop_tax = line.tax_amount + line.tax_difference
        received_tax = quantize(loop_tax * got / line.quantity, currency)
        if got:
            lines.append(_part(line, got, received_tax, group.tax_rate, currency))
        rest = _part(line, missing, loop_tax - received_tax, group.tax_rate, currency)
        # Not an RA line: NetSuite credits it without a receipt; description says why for the accountant.
        lines.append(
            rest.model_copy(
                update={"ra_index": None, "order_line": None, "description": f"{line.description} (refunded, never received)"}
            )
        )
        unreceived.append(UnreceivedUnits(sku=line.sku, quantity=missing, amount=rest.amount))
    if not unreceived:
        return document, []
    others = with_tax_rounding(lines, settings, currency)
    total = quantize(sum((line.total for line in others), ZERO), currency)
    return document.model_copy(update={"lines": others, "total": total}), unreceived


def with_tax_rounding(lines: Sequence[PlannedLine], settings: PostingSettings, currency: str) -> list[PlannedLine]:
    """``lines`` with their tax-rounding line re-balanced after item lines changed (after the last item line, or none).

    Raises:
        MissingSettingError: a rounding difference remains and no tax-rounding item is set.
    """
    rounding = sum((line.tax_difference for line in lines if line.kind is not LineKind.TAX_ROUNDING), ZERO)
    old = next((line for line in lines if line.kind is LineKind.TAX_ROUNDING), None)
    others = [line for line in lines if line.kind is not LineKind.TAX_ROUNDING]
    if rounding:
        fixed = PlannedLine(
            kind=LineKind.TAX_ROUNDING,
            item_id=settings.item_for(LineKind.TAX_ROUNDING, f"a tax rounding difference of {rounding}"),
            quantity=1,
            rate=rounding,
            amount=rounding,
            tax_amount=quantize(ZERO, currency),
            description=old.description if old else "Tax rounding (Loop vs NetSuite)",
        )
        # After the item lines it balances, where the plan puts it.
        items = [i for i, line in enumerate(others) if line.kind is LineKind.ITEM]
        others.insert(items[-1] + 1 if items else len(others), fixed)
    return others
