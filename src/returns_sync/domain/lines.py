"""Group Loop's one-line-per-unit return lines into RA lines matched to the original SO lines, and plan their receipts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.loop import LoopLineItem, LoopReturn
from returns_sync.domain.money import ZERO, minor_units, quantize
from returns_sync.domain.netsuite import RecordRole, RecordType, SalesOrderLine, SalesOrderSnapshot, item_match_problem
from returns_sync.domain.outcomes import UnitKind, unit_kind
from returns_sync.domain.plan import (
    PlannedLine,
    PlannedRecord,
    PlanningError,
    PostingSettings,
    return_memo,
)

__all__ = [
    "ReturnLineGroup",
    "group_return_lines",
    "line_amount",
    "plan_item_receipt",
    "plan_item_receipts",
    "received_in_loop",
    "unit_rate",
]

# A rate never needs more decimals than this beyond the currency's own to make rate x quantity exact.
_MAX_EXTRA_RATE_PLACES = 8


def line_amount(rate: Decimal, quantity: int, currency: str) -> Decimal:
    """A NetSuite line amount: ``rate x quantity`` rounded to the currency's minor unit."""
    return quantize(rate * quantity, currency)


def unit_rate(total: Decimal, quantity: int, currency: str) -> Decimal:
    """The shortest rate whose ``rate x quantity`` rounds back to exactly ``total``.

    Units of one SKU can carry different discounts (3 units sharing a 10.00 discount get 3.33,
    3.33 and 3.34), so the per-unit rate may need more decimals than the currency has: 80.00 over
    3 units is 26.667, and 26.667 x 3 = 80.001 -> 80.00. NetSuite keeps more decimals on rates
    than on amounts, so the line amount stays what the customer paid to the cent.

    Raises:
        ValueError: ``quantity`` is not positive.
    """
    if quantity <= 0:
        raise ValueError(f"quantity must be positive, not {quantity}")
    total = quantize(total, currency)
    places = minor_units(currency)
    for extra in range(_MAX_EXTRA_RATE_PLACES + 1):
        rate = (total / quantity).quantize(Decimal(1).scaleb(-(places + extra)), rounding=ROUND_HALF_UP)
        if line_amount(rate, quantity, currency) == total:
            return rate
    raise ValueError(f"no rate with at most {places + _MAX_EXTRA_RATE_PLACES} decimals gives {total} over {quantity} units")


class ReturnLineGroup(BaseModel):
    """The returned units of one SKU on one SO line (exchanged and money units kept apart).

    ``amount``/``tax`` are what the customer paid for these units (Loop's ``price - discount`` and
    ``tax`` summed per unit), whatever the outcome; the RA decides what to post (rate 0 for
    exchanges in ``zero_value`` mode). ``returnable`` is the SO line's quantity minus what other
    open or received RAs already hold; ``problems`` are quarantine reasons in words.
    """

    model_config = ConfigDict(frozen=True)

    sku: str | None
    title: str | None = None
    is_exchange: bool = False
    item_id: int | None
    item_ids: list[int] = Field(default_factory=list)
    order_line: int | None
    tax_code: str | None = None
    tax_rate: Decimal | None = None  # the SO line's tax code's rate: NetSuite computes the RA line's tax with it
    location_id: int | None = None
    quantity: int
    amount: Decimal
    tax: Decimal
    unit_rate: Decimal
    returnable: int
    loop_line_item_ids: list[str]
    exceeds_returnable: bool = False  # this return's units on the SO line exceed ``returnable``
    problems: list[str] = Field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.amount + self.tax

    @property
    def blocking(self) -> bool:
        """No RA line can be built: the SKU does not map to exactly one item."""
        return self.item_id is None


def _candidate_lines(sku: str | None, item_ids: list[int], so: SalesOrderSnapshot) -> list[SalesOrderLine]:
    if len(item_ids) == 1:
        by_item = [line for line in so.lines if line.item_id == item_ids[0]]
        if by_item:
            return sorted(by_item, key=lambda line: line.line)
    by_sku = [line for line in so.lines if sku is not None and line.sku == sku]
    if not by_sku and item_ids:
        by_sku = [line for line in so.lines if line.item_id in item_ids]
    return sorted(by_sku, key=lambda line: line.line)


def _allocate(
    units: list[LoopLineItem], candidates: list[SalesOrderLine], capacity: dict[int, int]
) -> list[tuple[LoopLineItem, int | None]]:
    """Assign each unit an SO line: the Shopify line id when it matches, else lines with room first."""
    if not candidates:
        return [(unit, None) for unit in units]
    by_shopify_id = {line.shopify_line_id: line.line for line in candidates if line.shopify_line_id}
    assigned: list[tuple[LoopLineItem, int | None]] = []
    rest: list[LoopLineItem] = []
    for unit in units:
        line_no = by_shopify_id.get(unit.provider_line_item_id or "")
        if line_no is None:
            rest.append(unit)
            continue
        capacity[line_no] -= 1
        assigned.append((unit, line_no))
    for unit in rest:
        line_no = next((line.line for line in candidates if capacity[line.line] > 0), candidates[-1].line)
        capacity[line_no] -= 1
        assigned.append((unit, line_no))
    return assigned


def group_return_lines(
    loop_return: LoopReturn,
    so: SalesOrderSnapshot,
    item_matches: Mapping[str, list[int]],
    returned_so_far: Mapping[int, int],
) -> list[ReturnLineGroup]:
    """Group Loop's per-unit lines into one group per SKU and SO line, matched to NetSuite items.

    Units of a SKU go to the SO line whose Shopify line id equals their ``provider_line_item_id``
    when the SO carries it; otherwise to the SO lines holding the matched item, in line order,
    filling the line with remaining returnable quantity first. Units that fit nowhere stay on the
    last such line and the group records the excess as a problem. Exchanged units and refunded or
    credited units of one SO line form separate groups (different rates on the RA).

    Args:
        loop_return: the Loop return.
        so: the original sales order.
        item_matches: SKU -> active NetSuite item ids whose SKU field equals it.
        returned_so_far: SO line number -> quantity already on other open or received RAs.

    Returns:
        The groups ordered by SO line, SKU, money before exchange.
    """
    currency = so.currency
    so_qty = {line.line: line.quantity for line in so.lines}
    returnable = {line.line: max(so_qty[line.line] - returned_so_far.get(line.line, 0), 0) for line in so.lines}
    capacity = dict(returnable)

    by_sku: dict[str | None, list[LoopLineItem]] = defaultdict(list)
    for unit in loop_return.line_items:
        by_sku[unit.sku].append(unit)

    buckets: dict[tuple[str | None, int | None, bool], list[LoopLineItem]] = defaultdict(list)
    matched: dict[str | None, list[int]] = {}
    for sku, units in by_sku.items():
        ids = sorted(set(item_matches.get(sku, []))) if sku is not None else []
        matched[sku] = ids
        for unit, line_no in _allocate(units, _candidate_lines(sku, ids, so), capacity):
            is_exchange = unit_kind(unit, loop_return) is UnitKind.EXCHANGE
            buckets[(sku, line_no, is_exchange)].append(unit)

    on_line: dict[int, int] = defaultdict(int)
    for (_, line_no, _), units in buckets.items():
        if line_no is not None:
            on_line[line_no] += len(units)

    groups = [
        _make_group(sku, line_no, is_exchange, units, matched[sku], so, returnable, returned_so_far, on_line, currency)
        for (sku, line_no, is_exchange), units in buckets.items()
    ]
    return sorted(groups, key=lambda g: (g.order_line is None, g.order_line or 0, g.sku or "", g.is_exchange))


def _make_group(
    sku: str | None,
    line_no: int | None,
    is_exchange: bool,
    units: list[LoopLineItem],
    item_ids: list[int],
    so: SalesOrderSnapshot,
    returnable: Mapping[int, int],
    returned_so_far: Mapping[int, int],
    on_line: Mapping[int, int],
    currency: str,
) -> ReturnLineGroup:
    quantity = len(units)
    amount = quantize(sum((unit.paid_unit_price for unit in units), ZERO), currency)
    tax = quantize(sum((unit.tax for unit in units), ZERO), currency)
    item_id = item_ids[0] if len(item_ids) == 1 else None
    so_line = so.line(line_no) if line_no is not None else None
    problems: list[str] = []
    exceeds = False
    if (problem := item_match_problem(sku, item_ids)) is not None:
        problems.append(problem)
    if so_line is None:
        what = f"SKU {sku}" + (f" (item {item_id})" if item_id is not None else "")
        problems.append(f"{what} is not on sales order {so.tranid}")
    elif on_line[so_line.line] > returnable[so_line.line]:
        exceeds = True
        already = returned_so_far.get(so_line.line, 0)
        problems.append(
            f"SKU {sku}: {on_line[so_line.line]} units returned but only {returnable[so_line.line]} returnable "
            f"on sales order {so.tranid} line {so_line.line} ({so_line.quantity} ordered, {already} already on "
            f"other return authorizations)"
        )
    if amount < ZERO or tax < ZERO:
        problems.append(f"SKU {sku}: negative amount {amount} or tax {tax} from Loop")
    if so_line is not None and so_line.tax_code is not None and so_line.tax_rate is None:
        problems.append(
            f"SKU {sku}: tax code {so_line.tax_code} of sales order {so.tranid} line {so_line.line} has no rate "
            "NetSuite answered as a percentage, so its tax cannot be checked before posting"
        )
    return ReturnLineGroup(
        sku=sku,
        title=next((unit.title for unit in units if unit.title), None),
        is_exchange=is_exchange,
        item_id=item_id,
        item_ids=item_ids,
        order_line=line_no,
        tax_code=so_line.tax_code if so_line else None,
        tax_rate=so_line.tax_rate if so_line else None,
        location_id=so_line.location_id if so_line else None,
        quantity=quantity,
        amount=amount,
        tax=tax,
        unit_rate=unit_rate(amount, quantity, currency),
        returnable=returnable[line_no] if line_no is not None else 0,
        loop_line_item_ids=[unit.line_item_id for unit in units],
        exceeds_returnable=exceeds,
        problems=problems,
    )


def received_in_loop(loop_return: LoopReturn, ra_lines: list[PlannedLine]) -> dict[int | str, int]:
    """Units Loop marked received (``returned_at``), keyed by SO line (or SKU when a line has none)."""
    returned = {unit.line_item_id for unit in loop_return.line_items if unit.returned_at is not None}
    counts: dict[int | str, int] = {}
    for line in ra_lines:
        key: int | str | None = line.order_line if line.order_line is not None else line.sku
        count = sum(1 for unit_id in line.loop_line_item_ids if unit_id in returned)
        if key is not None and count:
            counts[key] = counts.get(key, 0) + count
    return counts


def _receipt_portions(
    loop_return: LoopReturn, line: PlannedLine, quantity: int, settings: PostingSettings
) -> list[tuple[int | None, list[str], int]]:
    """Split ``quantity`` received units of an RA line by receiving location: (location, unit ids, count)."""
    units = {unit.line_item_id: unit for unit in loop_return.line_items}
    # Units Loop saw arrive are the ones received first.
    ordered = sorted(line.loop_line_item_ids, key=lambda i: units[i].returned_at is None if i in units else True)
    chosen = ordered[:quantity]
    portions: dict[int | None, list[str]] = {}
    for unit_id in chosen:
        disposition = units[unit_id].disposition_outcome if unit_id in units else None
        location = settings.location_for(disposition) or line.location_id
        portions.setdefault(location, []).append(unit_id)
    counts = {location: len(ids) for location, ids in portions.items()}
    if quantity > len(chosen):
        location = settings.main_location_id or line.location_id
        portions.setdefault(location, [])
        counts[location] = counts.get(location, 0) + quantity - len(chosen)
    main = settings.main_location_id or line.location_id
    order = sorted(portions, key=lambda loc: (loc != main, loc is None, loc or 0))
    return [(location, portions[location], counts[location]) for location in order]


def plan_item_receipts(
    loop_return: LoopReturn,
    ra_lines: list[PlannedLine],
    received: Mapping[int | str, int] | None,
    settings: PostingSettings,
    n: int = 1,
) -> list[PlannedRecord]:
    """Item Receipts (``!transform`` of the RA) for ``received`` units, numbered ``-ir-<n>``, ``-ir-<n+1>`` ...

    Each unit is received at the location of its Loop disposition (``restock``/none -> main, others
    per the map, unlisted -> damaged). One receipt suffices unless units of one RA line go to two
    locations: a receipt holds each RA line once, so the second location gets the next receipt.

    Args:
        received: units received per SO line number (int) or SKU (str); None = every unit of the RA.
        n: number of the first receipt (1 + receipts already made for this RA).

    Raises:
        PlanningError: more units received than the RA holds for a key.
    """
    remaining = dict(received) if received is not None else None
    per_line: list[tuple[int, PlannedLine, list[tuple[int | None, list[str], int]]]] = []
    for index, line in enumerate(ra_lines):
        if remaining is None:
            quantity = line.quantity
        else:
            key = line.order_line if line.order_line in remaining else line.sku if line.sku in remaining else None
            quantity = min(remaining[key], line.quantity) if key is not None else 0
            if key is not None:
                remaining[key] -= quantity
        if quantity > 0:
            per_line.append((index, line, _receipt_portions(loop_return, line, quantity, settings)))
    leftover = {key: count for key, count in (remaining or {}).items() if count > 0}
    if leftover:
        listed = ", ".join(f"{count} of {key}" for key, count in leftover.items())
        raise PlanningError(f"Loop return {loop_return.id}: received more units than the RA holds ({listed})")

    zero = quantize(ZERO, loop_return.currency)
    records = []
    for k in range(max((len(portions) for _, _, portions in per_line), default=0)):
        lines = [
            PlannedLine(
                kind=line.kind,
                item_id=line.item_id,
                sku=line.sku,
                quantity=portions[k][2],
                rate=zero,
                amount=zero,
                tax_amount=zero,
                order_line=line.order_line,
                ra_index=index,
                description=line.description,
                loop_line_item_ids=portions[k][1],
                location_id=portions[k][0],
            )
            for index, line, portions in per_line
            if k < len(portions)
        ]
        records.append(
            PlannedRecord(
                role=RecordRole.IR,
                record_type=RecordType.ITEM_RECEIPT,
                external_id=ExternalId(settings.store, loop_return.id, RecordRole.IR, receipt=n + k),
                source=(RecordType.RETURN_AUTHORIZATION, None),
                memo=return_memo(loop_return),
                location_id=lines[0].location_id,
                lines=lines,
                total=zero,
            )
        )
    return records


def plan_item_receipt(
    loop_return: LoopReturn,
    ra_lines: list[PlannedLine],
    received: Mapping[int | str, int] | None,
    settings: PostingSettings,
    n: int = 1,
) -> PlannedRecord:
    """The single Item Receipt ``-ir-<n>`` for ``received`` units (see :func:`plan_item_receipts`).

    Raises:
        PlanningError: nothing received, or the units need receipts at several locations.
    """
    records = plan_item_receipts(loop_return, ra_lines, received, settings, n)
    if not records:
        raise PlanningError(f"Loop return {loop_return.id}: no units received")
    if len(records) > 1:
        raise PlanningError(f"Loop return {loop_return.id}: units of one RA line go to several locations; use plan_item_receipts")
    return records[0]
