"""Loop refunded fewer units than the RA holds: credit exactly the units Loop paid for, received units first.

POSTING.md, "Partial receipt, then Loop refunds anyway": the money document credits what Loop refunded, to the
cent; received lines first at the paid rate, units never received only as far as Loop's amount requires, and the
RA's remaining lines are closed. A merchant who refunds only what arrived (or part of what arrived) leaves Loop's
refund short of the RA's value by whole units: those units come off the document, the unreceived ones first, and
are reported, instead of an unexplained difference that would quarantine the return.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from returns_sync.domain.lines import ReturnLineGroup, line_amount
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.money import ZERO, quantize
from returns_sync.domain.netsuite import LineKind
from returns_sync.domain.plan import PlannedLine, PlannedRecord, PostingSettings, UnreceivedUnits
from returns_sync.domain.tax import netsuite_line_tax
from returns_sync.domain.unreceived import with_tax_rounding

__all__ = ["credit_what_loop_refunded"]


def _unit_values(line: PlannedLine, loop_return: LoopReturn) -> list[Decimal]:
    """Loop's paid price plus tax of each unit on ``line``, in Loop's line order."""
    units = {unit.line_item_id: unit for unit in loop_return.line_items}
    return [units[i].paid_unit_price + units[i].tax for i in line.loop_line_item_ids if i in units]


def _paid_price_kept(line: PlannedLine, loop_return: LoopReturn, off: Sequence[Decimal]) -> Decimal:
    """What the customer paid, before tax, for the units of ``line`` left after taking off the units ``off``."""
    units = {unit.line_item_id: unit for unit in loop_return.line_items}
    left = [units[i] for i in line.loop_line_item_ids if i in units]
    for value in off:
        left.remove(next(unit for unit in left if unit.paid_unit_price + unit.tax == value))
    return sum((unit.paid_unit_price for unit in left), ZERO)


def _units_to_drop(
    lines: Sequence[PlannedLine], loop_return: LoopReturn, received: Mapping[int, int] | None, shortfall: Decimal
) -> dict[int, list[Decimal]] | None:
    """Position in ``lines`` -> values of the units to take off, summing to ``shortfall`` exactly; None if none do.

    Units never received go first, then received ones, each from the last line backwards; a unit is taken only
    while the total stays within the shortfall, so the result is what Loop's amount leaves out, to the cent.
    """
    never: list[tuple[int, Decimal]] = []
    got: list[tuple[int, Decimal]] = []
    for position in reversed(range(len(lines))):
        line = lines[position]
        values = _unit_values(line, loop_return)
        if line.kind is not LineKind.ITEM or line.ra_index is None or len(values) != line.quantity:
            continue
        arrived = line.quantity if received is None else min(received.get(line.ra_index, 0), line.quantity)
        # The last units of a line are the ones never received (NetSuite receives a line's units in order).
        never += [(position, value) for value in reversed(values[arrived:])]
        got += [(position, value) for value in reversed(values[:arrived])]
    dropped: dict[int, list[Decimal]] = {}
    left = shortfall
    for position, value in never + got:
        if left <= ZERO:
            break
        if value <= left:
            dropped.setdefault(position, []).append(value)
            left -= value
    return dropped if dropped and left == ZERO else None


def credit_what_loop_refunded(
    document: PlannedRecord,
    loop_return: LoopReturn,
    groups: Sequence[ReturnLineGroup],
    received: Mapping[int, int] | None,
    settings: PostingSettings,
    currency: str,
) -> tuple[PlannedRecord, list[UnreceivedUnits]]:
    """``document`` with the units Loop did not refund taken off, when that explains its difference to Loop exactly.

    Args:
        document: the planned credit memo / cash refund; its difference to Loop's payout, if any, is its
            ``adjustment`` line (negative when Loop paid less than the returned items are worth).
        groups: the return's line groups, in RA line order (each line's tax rate).
        received: RA plan index -> units NetSuite received; None when unknown (every unit counts as received).

    Returns:
        The document without the adjustment (same total, tax rounding re-balanced) and the units taken off;
        the document unchanged and no units when whole units do not explain the difference.

    Raises:
        MissingSettingError: the cut changes NetSuite's per-line tax rounding and no tax-rounding item is set.
    """
    adjustments = [line for line in document.lines if line.kind is LineKind.ADJUSTMENT]
    shortfall = -sum((line.amount for line in adjustments), ZERO)
    if len(adjustments) != 1 or shortfall <= ZERO:
        return document, []
    dropped = _units_to_drop(document.lines, loop_return, received, shortfall)
    if dropped is None:
        return document, []
    lines: list[PlannedLine] = []
    taken: list[UnreceivedUnits] = []
    for position, line in enumerate(document.lines):
        if line.kind is LineKind.ADJUSTMENT:
            continue
        off = dropped.get(position)
        if not off:
            lines.append(line)
            continue
        keep = line.quantity - len(off)
        loop_tax = line.tax_amount + line.tax_difference
        off_tax = sum((value - line.rate for value in off), ZERO)  # each unit's Loop value less its paid rate
        taken.append(UnreceivedUnits(sku=line.sku, quantity=len(off), amount=line_amount(line.rate, len(off), currency)))
        if keep == 0:
            continue
        assert line.ra_index is not None  # only RA item lines are cut
        amount = line_amount(line.rate, keep, currency)
        if amount != _paid_price_kept(line, loop_return, off):
            # Units of one line priced differently (a discount spread unevenly) keep the line's average rate, so
            # the cut would not credit what the kept units cost: leave the difference to the checks, never post it.
            return document, []
        netsuite_tax = netsuite_line_tax(amount, groups[line.ra_index].tax_rate, currency)
        lines.append(
            line.model_copy(
                update={
                    "quantity": keep,
                    "amount": amount,
                    "tax_amount": netsuite_tax,
                    "tax_difference": quantize(loop_tax - off_tax, currency) - netsuite_tax,
                }
            )
        )
    lines = with_tax_rounding(lines, settings, currency)
    total = quantize(sum((line.total for line in lines), ZERO), currency)
    return document.model_copy(update={"lines": lines, "total": total}), taken
