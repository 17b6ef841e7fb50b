"""Sales orders as the syncs need them: by Shopify order id (else by order name), with lines, tax and billing.

One round of SuiteQL queries per batch, side by side: headers, lines (a legacy line with its tax code's rate),
billing and, under SuiteTax, the tax detail rows, each matching the sales orders by the same condition. Before,
lines and billing waited for the headers and the rates for the lines: three NetSuite latencies in a row on every
return's way to its RA, now one. Values are escaped with ``suiteql_literal``; field names come from validated
settings only.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from returns_sync.connectors.netsuite import NetSuiteClient, suiteql_list
from returns_sync.domain.netsuite import Billing, SalesOrderLine, SalesOrderSnapshot
from returns_sync.domain.tax import TaxEngine, TaxRateError, parse_tax_detail_rate, parse_tax_rate
from returns_sync.tasks import suiteql_statements as sql
from returns_sync.tasks.netsuite_lookup import chunks, decimal_or_zero, int_or_none
from returns_sync.tasks.suiteql_rounds import read_side_by_side
from returns_sync.tasks.suiteql_statements import StatementFields, field_id

__all__ = ["find_sales_orders"]

log = logging.getLogger(__name__)
# A line's tax code and rate; the rate is None when NetSuite has none readable (lines.py quarantines the return).
LineTax = tuple[int, Decimal | None]


@dataclass
class _SalesOrderRows:
    """What one round of queries found: headers by sales order id, their lines, billing and line taxes."""

    headers: dict[int, dict[str, str]] = field(default_factory=dict)
    lines: dict[int, list[SalesOrderLine]] = field(default_factory=lambda: defaultdict(list))
    billing: dict[int, Billing] = field(default_factory=dict)


def find_sales_orders(
    ns: NetSuiteClient,
    *,
    shopify_order_ids: Iterable[str],
    order_names: Iterable[str],
    order_id_field: str,
    subsidiary_id: int | None,
    tax_engine: TaxEngine = TaxEngine.LEGACY,
    names_if_missing: Mapping[str, str] | None = None,
) -> tuple[dict[str, list[SalesOrderSnapshot]], dict[str, list[SalesOrderSnapshot]]]:
    """Sales orders by Shopify order id and by order name (``otherrefnum``), with lines and billing.

    ``names_if_missing`` maps a Shopify order id to its order name, looked up by name only when no sales order
    carries the id (a connector that did not store it): the common batch, every id found, costs no name query.
    Each line's tax code and rate come from where ``tax_engine`` keeps them: the line's legacy code, or the
    SuiteTax engine's detail rows for the line. Billing is read beside the lines: both need only the headers.
    """
    fields = StatementFields(order_id_field=field_id(order_id_field), subsidiary_id=subsidiary_id, tax_engine=tax_engine)
    found = _read_sales_orders(ns, fields, f"t.{order_id_field}", [str(i) for i in shopify_order_ids])
    carried = {row.get("shopify_order_id") for row in found.headers.values()}
    names = [*order_names, *(name for oid, name in (names_if_missing or {}).items() if oid not in carried)]
    by_name_rows = _read_sales_orders(ns, fields, "t.otherrefnum", names)
    found.headers.update(by_name_rows.headers)
    found.lines.update(by_name_rows.lines)
    found.billing.update(by_name_rows.billing)
    by_order_id: dict[str, list[SalesOrderSnapshot]] = defaultdict(list)
    by_name: dict[str, list[SalesOrderSnapshot]] = defaultdict(list)
    for so_id, row in found.headers.items():
        snapshot = SalesOrderSnapshot(
            id=so_id,
            tranid=row.get("tranid") or str(so_id),
            currency=row.get("currency") or "",
            customer_id=int(row["entity"]),
            subsidiary_id=int_or_none(row.get("subsidiary")),
            location_id=int_or_none(row.get("location")),
            billing=found.billing.get(so_id, "invoice"),
            lines=found.lines.get(so_id, []),
        )
        if row.get("shopify_order_id"):
            by_order_id[row["shopify_order_id"]].append(snapshot)
        if row.get("otherrefnum"):
            by_name[row["otherrefnum"]].append(snapshot)
    return dict(by_order_id), dict(by_name)


def _read_sales_orders(ns: NetSuiteClient, fields: StatementFields, column: str, values: list[str]) -> _SalesOrderRows:
    """The sales orders whose ``column`` is one of ``values``."""
    found = _SalesOrderRows()
    for chunk in chunks(values):
        _read_chunk(ns, fields, f"{column} IN {suiteql_list(chunk)}", found)
    return found


def _read_chunk(ns: NetSuiteClient, fields: StatementFields, match: str, found: _SalesOrderRows) -> None:
    """One chunk's queries, side by side."""
    queries = [
        sql.SALES_ORDER_HEADERS(fields, match),
        sql.SALES_ORDER_LINES(fields, match),
        sql.SALES_ORDER_BILLING(fields, match),
    ]
    if fields.tax_engine is TaxEngine.SUITETAX:
        queries.append(sql.SALES_ORDER_TAX_DETAILS(fields, match))
    headers, lines, billing, *details = read_side_by_side(ns, queries)
    found.headers.update({int(row["id"]): row for row in headers})
    line_taxes = _line_tax_details(details[0]) if details else _legacy_line_taxes(lines)
    for so_id, line in _sales_order_lines(lines, line_taxes):
        if so_id in found.headers:  # an order the headers left out (another subsidiary's) keeps none
            found.lines[so_id].append(line)
    for row in billing:
        found.billing[int(row["createdfrom"])] = "cash_sale" if row["type"] == "CashSale" else "invoice"


def _sales_order_lines(
    rows: list[dict[str, Any]], line_taxes: Mapping[tuple[int, int], LineTax]
) -> Iterator[tuple[int, SalesOrderLine]]:
    """(sales order id, line) for each line row, with its tax code and rate."""
    for row in rows:
        code, tax_rate = line_taxes.get((int(row["transaction"]), int(row["id"])), (None, None))
        yield (
            int(row["transaction"]),
            SalesOrderLine(
                line=int(row["id"]),
                item_id=int(row["item"]),
                # Sales-side lines carry negative quantities in SuiteQL.
                quantity=abs(int(decimal_or_zero(row.get("quantity")))),
                rate=decimal_or_zero(row.get("rate")),
                tax_code=str(code) if code is not None else None,
                tax_rate=tax_rate,
                location_id=int_or_none(row.get("location")),
            ),
        )


def _legacy_line_taxes(rows: list[dict[str, Any]]) -> dict[tuple[int, int], LineTax]:
    """Legacy tax: each coded line's code and its rate (``salestaxitem.rate``, joined to the line).

    NetSuite computes a line's tax from its code's rate; the sync predicts that figure before posting. A code
    without a readable rate leaves the rate None, and the return is quarantined saying so (lines.py).
    """
    found: dict[tuple[int, int], LineTax] = {}
    for row in rows:
        code = int_or_none(row.get("taxcode"))
        if code is None:
            continue
        try:
            rate: Decimal | None = parse_tax_rate(row.get("taxrate") or "")
        except TaxRateError as exc:
            log.warning("tax code %s: %s", code, exc)
            rate = None
        found[(int(row["transaction"]), int(row["id"]))] = (code, rate)
    return found


def _line_tax_details(rows: list[dict[str, Any]]) -> dict[tuple[int, int], LineTax]:
    """SuiteTax: each taxed sales order line's code and rate from the engine's rows, keyed by (transaction, line id).

    A line taxed by several rows (tax types) has their rates summed under its first code; the engine rounds each
    row, so the prediction may then be a cent off and falls to the tolerance. A row whose rate cannot be read
    leaves the rate None, and the return is quarantined saying so (lines.py), as for a legacy code without a rate.
    """
    found: dict[tuple[int, int], LineTax] = {}
    for row in rows:
        key, code = (int(row["transaction"]), int(row["line"])), int_or_none(row.get("taxcode"))
        try:
            rate: Decimal | None = parse_tax_detail_rate(row.get("taxrate") or "")
        except TaxRateError as exc:
            log.warning("tax detail of transaction %s line %s: %s", key[0], key[1], exc)
            rate = None
        if code is None:
            continue
        if key in found:
            first_code, first_rate = found[key]
            found[key] = (first_code, None if first_rate is None or rate is None else first_rate + rate)
        else:
            found[key] = (code, rate)
    return found
