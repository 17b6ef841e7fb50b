"""Sales orders as the syncs need them: by Shopify order id (else by order name), with lines, tax and billing.

A handful of SuiteQL queries per batch: headers, then lines and billing side by side, then the lines' tax rates
(legacy codes) or tax detail rows (SuiteTax). Values are escaped with ``suiteql_literal``; field names come from
validated settings only.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from decimal import Decimal

from returns_sync.connectors.netsuite import NetSuiteClient, suiteql_list
from returns_sync.domain.netsuite import Billing, SalesOrderLine, SalesOrderSnapshot
from returns_sync.domain.tax import TaxEngine, TaxRateError, parse_tax_detail_rate, parse_tax_rate
from returns_sync.tasks import suiteql_statements as sql
from returns_sync.tasks.netsuite_lookup import chunks, decimal_or_zero, int_or_none
from returns_sync.tasks.suiteql_statements import StatementFields, field_id

__all__ = ["find_sales_orders", "tax_details", "tax_rates"]

log = logging.getLogger(__name__)


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
    headers = _sales_order_headers(ns, fields, f"t.{order_id_field}", [str(i) for i in shopify_order_ids])
    carried = {row.get("shopify_order_id") for row in headers.values()}
    names = [*order_names, *(name for oid, name in (names_if_missing or {}).items() if oid not in carried)]
    headers.update(_sales_order_headers(ns, fields, "t.otherrefnum", names))
    lines: dict[int, list[SalesOrderLine]] = defaultdict(list)
    billing: dict[int, Billing] = {}
    for ids in chunks(headers):
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="so-billing") as pool:
            billing_rows = pool.submit(
                copy_context().run, ns.suiteql, sql.SALES_ORDER_BILLING(fields, f"tl.createdfrom IN {suiteql_list(ids)}")
            )
            for so_id, line in _sales_order_lines(ns, fields, ids, tax_engine):
                lines[so_id].append(line)
            for row in billing_rows.result():
                billing[int(row["createdfrom"])] = "cash_sale" if row["type"] == "CashSale" else "invoice"
    by_order_id: dict[str, list[SalesOrderSnapshot]] = defaultdict(list)
    by_name: dict[str, list[SalesOrderSnapshot]] = defaultdict(list)
    for so_id, row in headers.items():
        snapshot = SalesOrderSnapshot(
            id=so_id,
            tranid=row.get("tranid") or str(so_id),
            currency=row.get("currency") or "",
            customer_id=int(row["entity"]),
            subsidiary_id=int_or_none(row.get("subsidiary")),
            location_id=int_or_none(row.get("location")),
            billing=billing.get(so_id, "invoice"),
            lines=lines.get(so_id, []),
        )
        if row.get("shopify_order_id"):
            by_order_id[row["shopify_order_id"]].append(snapshot)
        if row.get("otherrefnum"):
            by_name[row["otherrefnum"]].append(snapshot)
    return dict(by_order_id), dict(by_name)


def _sales_order_headers(
    ns: NetSuiteClient, fields: StatementFields, column: str, values: list[str]
) -> dict[int, dict[str, str]]:
    headers: dict[int, dict[str, str]] = {}
    for chunk in chunks(values):
        headers.update(
            {int(row["id"]): row for row in ns.suiteql(sql.SALES_ORDER_HEADERS(fields, f"{column} IN {suiteql_list(chunk)}"))}
        )
    return headers


def _sales_order_lines(
    ns: NetSuiteClient, fields: StatementFields, ids: list[int], tax_engine: TaxEngine
) -> Iterator[tuple[int, SalesOrderLine]]:
    """(sales order id, line) for the orders ``ids``, each line with its tax code and rate."""
    rows = list(ns.suiteql(sql.SALES_ORDER_LINES(fields, f"tl.transaction IN {suiteql_list(ids)}")))
    if tax_engine is TaxEngine.SUITETAX:
        line_taxes = tax_details(ns, ids)
    else:
        rates = tax_rates(ns, {int(row["taxcode"]) for row in rows if row.get("taxcode")})
        line_taxes = {
            (int(row["transaction"]), int(row["id"])): (code, rates.get(code))
            for row in rows
            if (code := int_or_none(row.get("taxcode"))) is not None
        }
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


def tax_rates(ns: NetSuiteClient, codes: Iterable[int]) -> dict[int, Decimal]:
    """The rate of each legacy tax code (``salestaxitem``) as a fraction; a code missing or unreadable is left out.

    NetSuite computes a line's tax from its code's rate; the sync predicts that figure before posting. A line
    whose code has no rate here cannot be predicted, and its return is quarantined saying so (lines.py).
    """
    found: dict[int, Decimal] = {}
    for chunk in chunks(codes):
        for row in ns.suiteql(sql.TAX_CODE_RATES(StatementFields(), f"s.id IN {suiteql_list(chunk)}")):
            try:
                found[int(row["id"])] = parse_tax_rate(row.get("rate") or "")
            except TaxRateError as exc:
                log.warning("tax code %s: %s", row["id"], exc)
    return found


def tax_details(ns: NetSuiteClient, sales_order_ids: Iterable[int]) -> dict[tuple[int, int], tuple[int, Decimal | None]]:
    """SuiteTax: each taxed sales order line's code and rate, keyed by (transaction, line id).

    A line taxed by several rows (tax types) has their rates summed under its first code; the engine rounds each
    row, so the prediction may then be a cent off and falls to the tolerance. A row whose rate cannot be read
    leaves the rate None, and the return is quarantined saying so (lines.py), as for a legacy code without a rate.
    """
    found: dict[tuple[int, int], tuple[int, Decimal | None]] = {}
    for chunk in chunks(sales_order_ids):
        for row in ns.suiteql(sql.SALES_ORDER_TAX_DETAILS(StatementFields(), f"td.transaction IN {suiteql_list(chunk)}")):
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
