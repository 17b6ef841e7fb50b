"""Read what NetSuite already holds for a batch of returns, in a handful of SuiteQL queries per batch.

Items by the store's SKU field, our RAs and what was created from them, records by externalId,
invoices, and refunds the Shopify connector posted on its own (sales orders: ``netsuite_sales_orders``). Values are escaped with ``suiteql_literal``;
field names come from validated settings only.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from returns_sync.connectors.netsuite import NetSuiteClient, suiteql_list
from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.netsuite import RaStatus, RecordType
from returns_sync.tasks import suiteql_statements as sql
from returns_sync.tasks.netsuite_dates import parse_datetime
from returns_sync.tasks.suiteql_rounds import read_side_by_side
from returns_sync.tasks.suiteql_statements import StatementFields, field_id

__all__ = [
    "ChildRecord",
    "InvoiceBalance",
    "RaLine",
    "RaState",
    "chunks",
    "decimal_or_zero",
    "find_by_external_ids",
    "find_children",
    "find_connector_refunds",
    "find_invoices",
    "find_return_authorizations",
    "find_return_authorizations_and_children",
    "int_or_none",
    "match_items",
    "ra_state",
    "ra_states_with_lines",
    "return_authorization_states",
    "unit_costs",
]

_CHUNK = 200
log = logging.getLogger(__name__)
_Value = TypeVar("_Value", bound=Hashable)


def chunks(values: Iterable[_Value | None]) -> Iterator[list[_Value]]:
    unique = list(dict.fromkeys(v for v in values if v not in (None, "")))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


def decimal_or_zero(value: str | None) -> Decimal:
    return Decimal(value) if value not in (None, "") else Decimal("0")


def int_or_none(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def match_items(ns: NetSuiteClient, skus: Iterable[str], *, sku_field: str) -> dict[str, list[int]]:
    """Active NetSuite items per SKU (every SKU asked for is a key, with [] when nothing matches)."""
    fields = StatementFields(sku_field=field_id(sku_field))
    wanted = list(dict.fromkeys(s for s in skus if s))
    matches: dict[str, list[int]] = {sku: [] for sku in wanted}
    for chunk in chunks(wanted):
        for row in ns.suiteql(sql.ITEMS_BY_SKU(fields, f"i.{sku_field} IN {suiteql_list(chunk)}")):
            matches.setdefault(row["sku"], []).append(int(row["id"]))
    return matches


def unit_costs(ns: NetSuiteClient, item_ids: Iterable[int]) -> dict[int, Decimal]:
    costs: dict[int, Decimal] = {}
    for chunk in chunks(item_ids):
        for row in ns.suiteql(sql.ITEM_UNIT_COSTS(StatementFields(), f"i.id IN {suiteql_list(chunk)}")):
            if row.get("averagecost"):
                costs[int(row["id"])] = Decimal(row["averagecost"])
    return costs


@dataclass(frozen=True, slots=True)  # one per return of a backlog
class RaLine:
    line: int
    item_id: int | None
    quantity: int
    received: int
    billed: int
    closed: bool
    order_line: int | None


@dataclass(frozen=True, slots=True)  # one per return of a backlog
class RaState:
    id: int
    tranid: str
    status: RaStatus
    external_id: str | None  # as NetSuite holds it; ``ours`` reads it
    loop_return_id: str | None
    flag: str | None
    last_modified: datetime | None
    lines: tuple[RaLine, ...] = ()
    # Read only where the statement selected them (ra_sync's lookup); None otherwise.
    tracking_number: str | None = None
    expected_date: str | None = None

    @property
    def ours(self) -> ExternalId | None:
        return ExternalId.parse_or_none(self.external_id)

    @property
    def received_units(self) -> int:
        return sum(line.received for line in self.lines)

    @property
    def ordered_units(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass(frozen=True)
class ChildRecord:
    id: int
    record_type: RecordType  # from the SuiteQL type code: ItemRcpt, CustCred, CashRfnd, CustRfnd, CustDep
    tranid: str | None
    external_id: str | None  # as NetSuite holds it: ours, the Shopify connector's, or none
    created_from: int | None
    total: Decimal

    @property
    def ours(self) -> ExternalId | None:
        return ExternalId.parse_or_none(self.external_id)


def _lines_by_ra(rows: Iterable[dict[str, str]], lines: dict[int, list[RaLine]]) -> None:
    for row in rows:
        lines[int(row["transaction"])].append(
            RaLine(
                line=int(row["id"]),
                item_id=int_or_none(row.get("item")),
                quantity=abs(int(decimal_or_zero(row.get("quantity")))),
                received=abs(int(decimal_or_zero(row.get("quantityshiprecv")))),
                billed=abs(int(decimal_or_zero(row.get("quantitybilled")))),
                closed=row.get("isclosed") == "T",
                order_line=int_or_none(row.get("orderline")),
            )
        )


def _states(headers: list[dict[str, str]], lines: dict[int, list[RaLine]], zone: ZoneInfo) -> list[RaState]:
    return [ra_state(h, zone, tuple(lines.get(int(h["id"]), []))) for h in headers]


def ra_states_with_lines(ns: NetSuiteClient, headers: list[dict[str, str]], zone: ZoneInfo) -> list[RaState]:
    """RA header rows with their lines read, dates read in ``zone``."""
    lines: dict[int, list[RaLine]] = defaultdict(list)
    for ids in chunks(int(h["id"]) for h in headers):
        _lines_by_ra(
            ns.suiteql(sql.RETURN_AUTHORIZATION_LINES(StatementFields(), f"tl.transaction IN {suiteql_list(ids)}")), lines
        )
    return _states(headers, lines, zone)


def ra_state(h: dict[str, str], zone: ZoneInfo, lines: tuple[RaLine, ...]) -> RaState:
    """One RA from its header row (any ``RETURN_AUTHORIZATIONS_*`` statement) and its lines."""
    return RaState(
        id=int(h["id"]),
        tranid=h.get("tranid") or h["id"],
        status=RaStatus.parse(h["status"]),
        external_id=h.get("externalid"),
        loop_return_id=h.get("loop_return_id"),
        flag=h.get("flag"),
        last_modified=parse_datetime(h.get("lastmodifieddate"), zone),
        lines=lines,
        tracking_number=h.get("tracking_number"),
        expected_date=h.get("expected_date"),
    )


def return_authorization_states(ns: NetSuiteClient, headers: list[dict[str, str]], time_zone: str) -> list[RaState]:
    """RA header rows (any ``RETURN_AUTHORIZATIONS_*`` statement) with their lines, dates read in ``time_zone``."""
    return ra_states_with_lines(ns, headers, ZoneInfo(time_zone))


def _ra_fields(
    loop_id_field: str, flag_field: str | None, tracking_number_field: str | None, expected_date_field: str | None
) -> StatementFields:
    return StatementFields(
        loop_id_field=loop_id_field,
        flag_field=flag_field,
        tracking_number_field=tracking_number_field,
        expected_date_field=expected_date_field,
    )


def find_return_authorizations(
    ns: NetSuiteClient,
    external_ids: Iterable[ExternalId],
    *,
    loop_id_field: str,
    flag_field: str | None,
    time_zone: str,
    tracking_number_field: str | None = None,
    expected_date_field: str | None = None,
) -> dict[ExternalId, RaState]:
    """Our RAs by externalId, with their lines; ``time_zone`` is the NetSuite user's (dates are read in it).

    With the tracking field ids given, each RA also carries what those fields hold. Headers and lines are read
    side by side, both matching the RAs by externalId.
    """
    fields = _ra_fields(loop_id_field, flag_field, tracking_number_field, expected_date_field)
    ras, _ = _read_ras(ns, external_ids, fields, ZoneInfo(time_zone), with_children=False)
    return ras


def find_return_authorizations_and_children(
    ns: NetSuiteClient,
    external_ids: Iterable[ExternalId],
    *,
    loop_id_field: str,
    flag_field: str | None,
    time_zone: str,
    tracking_number_field: str | None = None,
    expected_date_field: str | None = None,
    expected: bool = True,
) -> tuple[dict[ExternalId, RaState], dict[int, list[ChildRecord]]]:
    """``find_return_authorizations`` and ``find_children`` of what it finds, in one round of three queries.

    Headers, lines and children all match the RAs by externalId and are sent side by side: reading the lines
    after the headers and the children after the lines took three NetSuite latencies in a row. Where most RAs
    do not exist yet (``expected=False``: ra_sync's new returns), the headers go alone and the lines and
    children follow only for the RAs found: two queries fewer, and one fewer in a round already full.
    """
    fields = _ra_fields(loop_id_field, flag_field, tracking_number_field, expected_date_field)
    zone = ZoneInfo(time_zone)
    if expected:
        return _read_ras(ns, external_ids, fields, zone, with_children=True)
    headers: list[dict[str, str]] = []
    for chunk in chunks(str(external_id) for external_id in external_ids):
        headers += ns.suiteql(sql.RETURN_AUTHORIZATIONS_BY_EXTERNAL_ID(fields, f"t.externalid IN {suiteql_list(chunk)}"))
    lines: dict[int, list[RaLine]] = defaultdict(list)
    children: dict[int, list[ChildRecord]] = defaultdict(list)
    for ids in chunks(int(h["id"]) for h in headers):
        _lines_and_children(ns, f"ra.id IN {suiteql_list(ids)}", lines, children)
    return _ours(headers, lines, zone), dict(children)


def _read_ras(
    ns: NetSuiteClient, external_ids: Iterable[ExternalId], fields: StatementFields, zone: ZoneInfo, *, with_children: bool
) -> tuple[dict[ExternalId, RaState], dict[int, list[ChildRecord]]]:
    headers: list[dict[str, str]] = []
    lines: dict[int, list[RaLine]] = defaultdict(list)
    children: dict[int, list[ChildRecord]] = defaultdict(list)
    for chunk in chunks(str(external_id) for external_id in external_ids):
        header = sql.RETURN_AUTHORIZATIONS_BY_EXTERNAL_ID(fields, f"t.externalid IN {suiteql_list(chunk)}")
        headers += _lines_and_children(
            ns, sql.ras_by_external_id(chunk), lines, children if with_children else None, header=header
        )
    return _ours(headers, lines, zone), dict(children)


def _lines_and_children(
    ns: NetSuiteClient,
    ras: str,
    lines: dict[int, list[RaLine]],
    children: dict[int, list[ChildRecord]] | None,
    *,
    header: sql.StatementText | None = None,
) -> list[dict[str, str]]:
    """The lines (and, given ``children``, the children) of the RAs ``ras`` matches, side by side, beside ``header``'s
    query if given; returns its rows."""
    queries = [*([header] if header else []), sql.RETURN_AUTHORIZATION_LINES(StatementFields(), ras)]
    if children is not None:
        queries.append(sql.CHILDREN_OF_RETURN_AUTHORIZATIONS(StatementFields(), ras))
    rows = read_side_by_side(ns, queries)
    header_rows = rows.pop(0) if header else []
    _lines_by_ra(rows.pop(0), lines)
    if children is not None:
        _children_by_ra(rows.pop(0), children)
    return header_rows


def _ours(headers: list[dict[str, str]], lines: dict[int, list[RaLine]], zone: ZoneInfo) -> dict[ExternalId, RaState]:
    return {ours: ra for ra in _states(headers, lines, zone) if (ours := ra.ours) is not None}


def _child(row: dict[str, str]) -> ChildRecord:
    return ChildRecord(
        id=int(row["id"]),
        record_type=RecordType.from_suiteql_type(row["type"]),
        tranid=row.get("tranid"),
        external_id=row.get("externalid"),
        created_from=int_or_none(row.get("createdfrom")),
        total=abs(decimal_or_zero(row.get("foreigntotal"))),
    )


def find_children(ns: NetSuiteClient, ra_ids: Iterable[int]) -> dict[int, list[ChildRecord]]:
    """Item receipts, credit memos and cash refunds created from each RA."""
    found: dict[int, list[ChildRecord]] = defaultdict(list)
    for chunk in chunks(ra_ids):
        _children_by_ra(
            ns.suiteql(sql.CHILDREN_OF_RETURN_AUTHORIZATIONS(StatementFields(), f"tl.createdfrom IN {suiteql_list(chunk)}")),
            found,
        )
    return dict(found)


def _children_by_ra(rows: Iterable[dict[str, str]], children: dict[int, list[ChildRecord]]) -> None:
    for row in rows:
        child = _child(row)
        children[child.created_from or 0].append(child)


def find_by_external_ids(ns: NetSuiteClient, external_ids: Iterable[ExternalId]) -> dict[ExternalId, ChildRecord]:
    """Our records that are not created from an RA (customer refunds, deposits), by externalId."""
    found: dict[ExternalId, ChildRecord] = {}
    for chunk in chunks(str(external_id) for external_id in external_ids):
        for row in ns.suiteql(sql.RECORDS_BY_EXTERNAL_ID(StatementFields(), f"t.externalid IN {suiteql_list(chunk)}")):
            child = _child(row)
            if child.ours is not None:
                found[child.ours] = child
    return found


def find_connector_refunds(
    ns: NetSuiteClient, shopify_refund_ids: Iterable[str], *, refund_id_field: str
) -> dict[str, ChildRecord]:
    """Cash refunds / credit memos the Shopify connector posted, by the Shopify refund id they carry."""
    fields = StatementFields(refund_id_field=field_id(refund_id_field))
    found: dict[str, ChildRecord] = {}
    for chunk in chunks(shopify_refund_ids):
        for row in ns.suiteql(sql.CONNECTOR_REFUNDS(fields, f"t.{refund_id_field} IN {suiteql_list(chunk)}")):
            found[row["refund_id"]] = _child(row)
    return found


@dataclass(frozen=True)
class InvoiceBalance:
    """An invoice billed from a sales order, and what the customer still owes on it (invoice currency)."""

    id: int
    tranid: str | None
    customer_id: int
    sales_order_id: int
    unpaid: Decimal


def find_invoices(ns: NetSuiteClient, sales_order_ids: Iterable[int]) -> dict[int, list[InvoiceBalance]]:
    """The invoices of each sales order (oldest first), with their unpaid amounts.

    A credit-mode exchange's credit memo is applied to its exchange order's invoice; an instant exchange's charge is
    a payment on it.
    """
    found: dict[int, list[InvoiceBalance]] = defaultdict(list)
    for chunk in chunks(sales_order_ids):
        for row in ns.suiteql(sql.INVOICES_OF_SALES_ORDERS(StatementFields(), f"tl.createdfrom IN {suiteql_list(chunk)}")):
            so_id = int(row["createdfrom"])
            found[so_id].append(
                InvoiceBalance(
                    id=int(row["id"]),
                    tranid=row.get("tranid"),
                    customer_id=int(row["entity"]),
                    sales_order_id=so_id,
                    unpaid=decimal_or_zero(row.get("unpaid")),
                )
            )
    return dict(found)
