"""Read what NetSuite already holds for a batch of returns, in a handful of SuiteQL queries per batch.

Sales orders (by the Shopify order id the Shopify connector stored, else by order name), their
lines and billing, items by the store's SKU field, our RAs and what was created from them, and
refunds the Shopify connector posted on its own. Values are escaped with ``suiteql_literal``;
field names come from validated settings only.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from returns_sync.connectors.netsuite import NetSuiteClient, suiteql_list
from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.netsuite import Billing, RaStatus, RecordRole, RecordType, SalesOrderLine, SalesOrderSnapshot
from returns_sync.domain.tax import TaxRateError, parse_tax_rate
from returns_sync.tasks.netsuite_dates import datetime_literal, parse_datetime, read_datetime

__all__ = [
    "ChildRecord",
    "RaLine",
    "RaState",
    "changed_return_authorizations",
    "find_by_external_ids",
    "find_children",
    "find_connector_refunds",
    "find_return_authorizations",
    "find_sales_orders",
    "match_items",
    "tax_rates",
    "unit_costs",
]

_CHUNK = 200
log = logging.getLogger(__name__)
_FIELD = re.compile(r"^[a-z][a-z0-9_]*$")
_Value = TypeVar("_Value", bound=Hashable)
# Header facts live on transactionline: the main line holds location and subsidiary, the item lines createdfrom.
_MAIN_LINE = "JOIN transactionline ml ON ml.transaction = t.id AND ml.mainline = 'T'"
# BUILTIN.DF(currency) is the currency's name ("US Dollar"); the ISO code Loop and Shopify use is its symbol.
_CURRENCY = "JOIN currency c ON c.id = t.currency"
_ITEM_LINES = "JOIN transactionline tl ON tl.transaction = t.id AND tl.mainline = 'F' AND tl.createdfrom IS NOT NULL"


def _field(name: str) -> str:
    if not _FIELD.match(name):
        raise ValueError(f"not a NetSuite field id: {name!r}")
    return name


def _chunks(values: Iterable[_Value | None]) -> Iterator[list[_Value]]:
    unique = list(dict.fromkeys(v for v in values if v not in (None, "")))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


def _dec(value: str | None) -> Decimal:
    return Decimal(value) if value not in (None, "") else Decimal("0")


def _int(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def find_sales_orders(
    ns: NetSuiteClient,
    *,
    shopify_order_ids: Iterable[str],
    order_names: Iterable[str],
    order_id_field: str,
    subsidiary_id: int | None,
) -> tuple[dict[str, list[SalesOrderSnapshot]], dict[str, list[SalesOrderSnapshot]]]:
    """Sales orders by Shopify order id and by order name (``otherrefnum``), with lines and billing."""
    order_field = _field(order_id_field)
    subsidiary = f" AND ml.subsidiary = {int(subsidiary_id)}" if subsidiary_id else ""
    # Location and subsidiary are main-line facts: SuiteQL refuses transaction.location (REMOVED) and
    # transaction.subsidiary (NOT_EXPOSED); see packages/returns-sandbox/docs/FIDELITY.md.
    select = (
        f"SELECT t.id, t.tranid, t.otherrefnum, t.{order_field} AS shopify_order_id, c.symbol AS currency, "
        f"t.entity, ml.subsidiary, ml.location FROM transaction t {_MAIN_LINE} {_CURRENCY} WHERE t.type = 'SalesOrd'{subsidiary} AND "
    )
    headers: dict[int, dict[str, str]] = {}
    for column, values in ((f"t.{order_field}", [str(i) for i in shopify_order_ids]), ("t.otherrefnum", list(order_names))):
        for chunk in _chunks(values):
            headers.update(
                {int(row["id"]): row for row in ns.suiteql(f"{select}{column} IN {suiteql_list(chunk)} ORDER BY t.id")}
            )
    lines: dict[int, list[SalesOrderLine]] = defaultdict(list)
    billing: dict[int, Billing] = {}
    for ids in _chunks(headers):
        rows = list(
            ns.suiteql(
                "SELECT tl.transaction, tl.id, tl.item, tl.quantity, tl.rate, tl.location, tl.taxcode FROM transactionline tl "
                f"WHERE tl.transaction IN {suiteql_list(ids)} AND tl.mainline = 'F' AND tl.taxline = 'F' "
                "AND tl.item IS NOT NULL ORDER BY tl.transaction, tl.id"
            )
        )
        rates = tax_rates(ns, {int(row["taxcode"]) for row in rows if row.get("taxcode")})
        for row in rows:
            code = _int(row.get("taxcode"))
            lines[int(row["transaction"])].append(
                SalesOrderLine(
                    line=int(row["id"]),
                    item_id=int(row["item"]),
                    # Sales-side lines carry negative quantities in SuiteQL.
                    quantity=abs(int(_dec(row.get("quantity")))),
                    rate=_dec(row.get("rate")),
                    tax_code=str(code) if code is not None else None,
                    tax_rate=rates.get(code) if code is not None else None,
                    location_id=_int(row.get("location")),
                )
            )
        for row in ns.suiteql(
            f"SELECT DISTINCT tl.createdfrom, t.type FROM transaction t {_ITEM_LINES} WHERE tl.createdfrom IN {suiteql_list(ids)} "
            "AND t.type IN ('CashSale', 'CustInvc') ORDER BY tl.createdfrom, t.type"
        ):
            billing[int(row["createdfrom"])] = "cash_sale" if row["type"] == "CashSale" else "invoice"
    by_order_id: dict[str, list[SalesOrderSnapshot]] = defaultdict(list)
    by_name: dict[str, list[SalesOrderSnapshot]] = defaultdict(list)
    for so_id, row in headers.items():
        snapshot = SalesOrderSnapshot(
            id=so_id,
            tranid=row.get("tranid") or str(so_id),
            currency=row.get("currency") or "",
            customer_id=int(row["entity"]),
            subsidiary_id=_int(row.get("subsidiary")),
            location_id=_int(row.get("location")),
            billing=billing.get(so_id, "invoice"),
            lines=lines.get(so_id, []),
        )
        if row.get("shopify_order_id"):
            by_order_id[row["shopify_order_id"]].append(snapshot)
        if row.get("otherrefnum"):
            by_name[row["otherrefnum"]].append(snapshot)
    return dict(by_order_id), dict(by_name)


def tax_rates(ns: NetSuiteClient, codes: Iterable[int]) -> dict[int, Decimal]:
    """The rate of each legacy tax code (``salestaxitem``) as a fraction; a code missing or unreadable is left out.

    NetSuite computes a line's tax from its code's rate; the sync predicts that figure before posting. A line
    whose code has no rate here cannot be predicted, and its return is quarantined saying so (lines.py).
    """
    found: dict[int, Decimal] = {}
    for chunk in _chunks(codes):
        for row in ns.suiteql(f"SELECT id, rate FROM salestaxitem WHERE id IN {suiteql_list(chunk)} ORDER BY id"):
            try:
                found[int(row["id"])] = parse_tax_rate(row.get("rate") or "")
            except TaxRateError as exc:
                log.warning("tax code %s: %s", row["id"], exc)
    return found


def match_items(ns: NetSuiteClient, skus: Iterable[str], *, sku_field: str) -> dict[str, list[int]]:
    """Active NetSuite items per SKU (every SKU asked for is a key, with [] when nothing matches)."""
    column = _field(sku_field)
    wanted = list(dict.fromkeys(s for s in skus if s))
    matches: dict[str, list[int]] = {sku: [] for sku in wanted}
    for chunk in _chunks(wanted):
        query = f"SELECT i.id, i.{column} AS sku FROM item i WHERE i.isinactive = 'F' AND i.{column} IN {suiteql_list(chunk)} ORDER BY i.id"
        for row in ns.suiteql(query):
            matches.setdefault(row["sku"], []).append(int(row["id"]))
    return matches


def unit_costs(ns: NetSuiteClient, item_ids: Iterable[int]) -> dict[int, Decimal]:
    costs: dict[int, Decimal] = {}
    for chunk in _chunks(item_ids):
        for row in ns.suiteql(f"SELECT i.id, i.averagecost FROM item i WHERE i.id IN {suiteql_list(chunk)}"):
            if row.get("averagecost"):
                costs[int(row["id"])] = Decimal(row["averagecost"])
    return costs


@dataclass(frozen=True)
class RaLine:
    line: int
    item_id: int | None
    quantity: int
    received: int
    billed: int
    closed: bool
    order_line: int | None


@dataclass(frozen=True)
class RaState:
    id: int
    tranid: str
    status: RaStatus
    external_id: str | None  # as NetSuite holds it; ``ours`` reads it
    loop_return_id: str | None
    flag: str | None
    last_modified: datetime | None
    lines: tuple[RaLine, ...] = ()

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


def _ra_query(where: str, *, loop_id_field: str, flag_field: str | None) -> str:
    flag = f", t.{_field(flag_field)} AS flag" if flag_field else ""
    return (
        f"SELECT t.id, t.tranid, t.status, t.externalid, {read_datetime('t.lastmodifieddate')}, "
        f"t.{_field(loop_id_field)} AS loop_return_id{flag} "
        f"FROM transaction t WHERE t.type = 'RtnAuth' AND {where} ORDER BY t.lastmodifieddate, t.id"
    )


def _with_lines(ns: NetSuiteClient, headers: list[dict[str, str]], zone: ZoneInfo) -> list[RaState]:
    lines: dict[int, list[RaLine]] = defaultdict(list)
    for ids in _chunks(int(h["id"]) for h in headers):
        for row in ns.suiteql(
            "SELECT tl.transaction, tl.id, tl.item, tl.quantity, tl.quantityshiprecv, tl.quantitybilled, tl.isclosed, tl.orderline "
            f"FROM transactionline tl WHERE tl.transaction IN {suiteql_list(ids)} AND tl.mainline = 'F' AND tl.taxline = 'F' "
            "ORDER BY tl.transaction, tl.id"
        ):
            lines[int(row["transaction"])].append(
                RaLine(
                    line=int(row["id"]),
                    item_id=_int(row.get("item")),
                    quantity=abs(int(_dec(row.get("quantity")))),
                    received=abs(int(_dec(row.get("quantityshiprecv")))),
                    billed=abs(int(_dec(row.get("quantitybilled")))),
                    closed=row.get("isclosed") == "T",
                    order_line=_int(row.get("orderline")),
                )
            )
    return [
        RaState(
            id=int(h["id"]),
            tranid=h.get("tranid") or h["id"],
            status=RaStatus.parse(h["status"]),
            external_id=h.get("externalid"),
            loop_return_id=h.get("loop_return_id"),
            flag=h.get("flag"),
            last_modified=parse_datetime(h.get("lastmodifieddate"), zone),
            lines=tuple(lines.get(int(h["id"]), [])),
        )
        for h in headers
    ]


def find_return_authorizations(
    ns: NetSuiteClient, external_ids: Iterable[ExternalId], *, loop_id_field: str, flag_field: str | None, time_zone: str
) -> dict[ExternalId, RaState]:
    """Our RAs by externalId, with their lines; ``time_zone`` is the NetSuite user's (dates are read in it)."""
    headers: list[dict[str, str]] = []
    for chunk in _chunks(str(external_id) for external_id in external_ids):
        headers += ns.suiteql(
            _ra_query(f"t.externalid IN {suiteql_list(chunk)}", loop_id_field=loop_id_field, flag_field=flag_field)
        )
    return {ours: ra for ra in _with_lines(ns, headers, ZoneInfo(time_zone)) if (ours := ra.ours) is not None}


def changed_return_authorizations(
    ns: NetSuiteClient,
    *,
    store: str,
    since: datetime,
    until: datetime,
    loop_id_field: str,
    flag_field: str | None,
    time_zone: str,
) -> list[RaState]:
    """Our RAs of ``store`` modified in ``[since, until)`` (UTC); NetSuite reads the bounds in the user's ``time_zone``."""
    zone = ZoneInfo(time_zone)
    pattern = suiteql_list([ExternalId.like_pattern(store, RecordRole.RA)])[1:-1]
    where = (
        f"t.externalid LIKE {pattern} "
        f"AND t.lastmodifieddate >= {datetime_literal(since, zone)} "
        f"AND t.lastmodifieddate < {datetime_literal(until, zone, round_up=True)}"
    )
    query = _ra_query(where, loop_id_field=loop_id_field, flag_field=flag_field)
    changed = _with_lines(ns, list(ns.suiteql(query)), zone)
    # LIKE 'loop-north-%' also matches the RAs of a store keyed north-eu.
    return [ra for ra in changed if (ours := ra.ours) is not None and ours.store == store]


def _children_query(where: str, *, created_from_required: bool = True, extra: str = "") -> str:
    """Transactions with the record they were created from, read from their item lines (one row per transaction).

    Records that are not created from another (customer refunds, deposits) have no such line: ``LEFT JOIN`` keeps them.
    """
    join = _ITEM_LINES if created_from_required else f"LEFT {_ITEM_LINES}"
    return (
        f"SELECT DISTINCT t.id, t.type, t.tranid, t.externalid, tl.createdfrom, t.foreigntotal{extra} FROM transaction t {join} "
        f"WHERE {where} ORDER BY t.id"
    )


def _child(row: dict[str, str]) -> ChildRecord:
    return ChildRecord(
        id=int(row["id"]),
        record_type=RecordType.from_suiteql_type(row["type"]),
        tranid=row.get("tranid"),
        external_id=row.get("externalid"),
        created_from=_int(row.get("createdfrom")),
        total=abs(_dec(row.get("foreigntotal"))),
    )


_CHILD_TYPES = (RecordType.ITEM_RECEIPT, RecordType.CREDIT_MEMO, RecordType.CASH_REFUND)


def find_children(ns: NetSuiteClient, ra_ids: Iterable[int]) -> dict[int, list[ChildRecord]]:
    """Item receipts, credit memos and cash refunds created from each RA."""
    found: dict[int, list[ChildRecord]] = defaultdict(list)
    types = suiteql_list([t.suiteql_type for t in _CHILD_TYPES])
    for chunk in _chunks(ra_ids):
        for row in ns.suiteql(_children_query(f"tl.createdfrom IN {suiteql_list(chunk)} AND t.type IN {types}")):
            child = _child(row)
            found[child.created_from or 0].append(child)
    return dict(found)


def find_by_external_ids(ns: NetSuiteClient, external_ids: Iterable[ExternalId]) -> dict[ExternalId, ChildRecord]:
    """Our records that are not created from an RA (customer refunds, deposits), by externalId."""
    found: dict[ExternalId, ChildRecord] = {}
    for chunk in _chunks(str(external_id) for external_id in external_ids):
        for row in ns.suiteql(_children_query(f"t.externalid IN {suiteql_list(chunk)}", created_from_required=False)):
            child = _child(row)
            if child.ours is not None:
                found[child.ours] = child
    return found


def find_connector_refunds(
    ns: NetSuiteClient, shopify_refund_ids: Iterable[str], *, refund_id_field: str
) -> dict[str, ChildRecord]:
    """Cash refunds / credit memos the Shopify connector posted, by the Shopify refund id they carry."""
    column = _field(refund_id_field)
    found: dict[str, ChildRecord] = {}
    for chunk in _chunks(shopify_refund_ids):
        query = _children_query(
            f"t.type IN ('CashRfnd', 'CustCred') AND t.{column} IN {suiteql_list(chunk)}",
            created_from_required=False,
            extra=f", t.{column} AS refund_id",
        )
        for row in ns.suiteql(query):
            found[row["refund_id"]] = _child(row)
    return found
