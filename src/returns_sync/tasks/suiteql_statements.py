"""Every SuiteQL statement the syncs send, as named templates: the syncs fill in the rows they want, ``doctor`` none.

A statement is its fixed text plus one ``match`` condition the caller supplies (``t.id IN (...)``). The syncs
build their queries only through these templates (tests/tasks/test_suiteql_statements.py guards it), so
``returns-sync doctor`` can send exactly the same text with ``1 = 0`` as the match: NetSuite parses and
resolves every table and column, the store's custom fields included, and returns no rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NewType
from zoneinfo import ZoneInfo

from returns_sync.connectors.netsuite import suiteql_list
from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.netsuite import RecordRole, RecordType
from returns_sync.domain.tax import TaxEngine
from returns_sync.tasks.netsuite_dates import datetime_literal, read_datetime

__all__ = [
    "CHILDREN_OF_RETURN_AUTHORIZATIONS",
    "CONNECTOR_REFUNDS",
    "INVOICES_OF_SALES_ORDERS",
    "ITEMS_BY_SKU",
    "ITEM_UNIT_COSTS",
    "NO_ROWS",
    "RECORDS_BY_EXTERNAL_ID",
    "RETURN_AUTHORIZATIONS_BY_EXTERNAL_ID",
    "RETURN_AUTHORIZATIONS_CHANGED",
    "RETURN_AUTHORIZATION_LINES",
    "SALES_ORDER_BILLING",
    "SALES_ORDER_HEADERS",
    "SALES_ORDER_LINES",
    "SALES_ORDER_TAX_DETAILS",
    "STATEMENTS",
    "STORE_CREDIT_LIABILITY_POSTINGS",
    "StatementFields",
    "StatementText",
    "SuiteqlStatement",
    "field_id",
    "ras_by_external_id",
    "statements_for",
]

NO_ROWS = "1 = 0"
_FIELD = re.compile(r"^[a-z][a-z0-9_]*$")
# Header facts live on transactionline: the main line holds location and subsidiary, the item lines createdfrom.
_MAIN_LINE = "JOIN transactionline ml ON ml.transaction = t.id AND ml.mainline = 'T'"
# BUILTIN.DF(currency) is the currency's name ("US Dollar"); the ISO code Loop and Shopify use is its symbol.
_CURRENCY = "JOIN currency c ON c.id = t.currency"
_ITEM_LINES = "JOIN transactionline tl ON tl.transaction = t.id AND tl.mainline = 'F' AND tl.createdfrom IS NOT NULL"
_CHILD_TYPES = (RecordType.ITEM_RECEIPT, RecordType.CREDIT_MEMO, RecordType.CASH_REFUND)


def field_id(name: str | None) -> str:
    """A NetSuite field id fit to be inlined into SuiteQL (settings validate them; this refuses anything else)."""
    if not name or not _FIELD.match(name):
        raise ValueError(f"not a NetSuite field id: {name!r}")
    return name


@dataclass(frozen=True)
class StatementFields:
    """The store's field ids and subsidiary the statements name; a statement reads only the ones it needs."""

    order_id_field: str | None = None
    sku_field: str | None = None
    loop_id_field: str | None = None
    flag_field: str | None = None
    tracking_number_field: str | None = None
    expected_date_field: str | None = None
    refund_id_field: str | None = None
    subsidiary_id: int | None = None
    tax_engine: TaxEngine = TaxEngine.LEGACY


# SuiteQL text a registered statement made: what ``read_side_by_side`` takes, so mypy keeps ad-hoc text out of it.
StatementText = NewType("StatementText", str)


@dataclass(frozen=True)
class SuiteqlStatement:
    """One statement: ``statement(fields, match)`` is the SuiteQL text; ``probe(fields)`` the same text matching nothing.

    ``sample_match`` is a real condition of the statement's own shape (a LIKE, a date window) when the match
    itself is worth parsing; the probe ANDs it with ``1 = 0``.
    """

    name: str
    build: Callable[[StatementFields, str], str]
    sample_match: Callable[[StatementFields], str] | None = None

    def __call__(self, fields: StatementFields, match: str) -> StatementText:
        return StatementText(self.build(fields, match))

    def probe(self, fields: StatementFields) -> str:
        match = NO_ROWS if self.sample_match is None else f"{self.sample_match(fields)} AND {NO_ROWS}"
        return self.build(fields, match)


def _sales_order_headers(fields: StatementFields, match: str) -> str:
    subsidiary = f" AND ml.subsidiary = {int(fields.subsidiary_id)}" if fields.subsidiary_id else ""
    # Location and subsidiary are main-line facts: SuiteQL refuses transaction.location (REMOVED) and
    # transaction.subsidiary (NOT_EXPOSED); see docs/sandbox/FIDELITY.md.
    return (
        f"SELECT t.id, t.tranid, t.otherrefnum, t.{field_id(fields.order_id_field)} AS shopify_order_id, c.symbol AS currency, "
        f"t.entity, ml.subsidiary, ml.location FROM transaction t {_MAIN_LINE} {_CURRENCY} "
        f"WHERE t.type = 'SalesOrd'{subsidiary} AND {match} ORDER BY t.id"
    )


# Lines, billing and SuiteTax rows match their sales orders by the headers' own condition on ``t`` (Shopify order id
# or name), so all are read at once instead of after the headers (SuiteQL joins: Oracle's "SuiteQL Join Types",
# https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_160045092035.html).
_SALES_ORDERS = "transaction t"
_SALES_ORDER = "t.type = 'SalesOrd'"


def _sales_order_lines(fields: StatementFields, match: str) -> str:
    # Legacy tax: each line's code and that code's rate (salestaxitem), left-joined: a line without a code stays.
    # Under SuiteTax a line has no tax code of its own (SALES_ORDER_TAX_DETAILS reads the engine's): not asked for.
    legacy = fields.tax_engine is TaxEngine.LEGACY
    tax = ", tl.taxcode, s.rate AS taxrate" if legacy else ""
    rates = " LEFT JOIN salestaxitem s ON s.id = tl.taxcode" if legacy else ""
    return (
        f"SELECT tl.transaction, tl.id, tl.item, tl.quantity, tl.rate, tl.location{tax} FROM {_SALES_ORDERS} "
        f"JOIN transactionline tl ON tl.transaction = t.id{rates} WHERE {_SALES_ORDER} AND {match} "
        "AND tl.mainline = 'F' AND tl.taxline = 'F' AND tl.item IS NOT NULL ORDER BY tl.transaction, tl.id"
    )


def _sales_order_billing(_fields: StatementFields, match: str) -> str:
    # b: the cash sales and invoices whose item lines were created from the sales order t.
    return (
        f"SELECT DISTINCT t.id AS createdfrom, b.type FROM {_SALES_ORDERS} "
        "JOIN transactionline tl ON tl.createdfrom = t.id AND tl.mainline = 'F' JOIN transaction b ON b.id = tl.transaction "
        f"WHERE {_SALES_ORDER} AND {match} AND b.type IN ('CashSale', 'CustInvc') ORDER BY t.id, b.type"
    )


def _invoices_of_sales_orders(_fields: StatementFields, match: str) -> str:
    # foreignamountunpaid: what is still due, in the invoice's currency (NetSuite's Records Catalog for transaction).
    return (
        f"SELECT DISTINCT t.id, t.tranid, t.entity, t.foreignamountunpaid AS unpaid, tl.createdfrom FROM transaction t "
        f"{_ITEM_LINES} WHERE {match} AND t.type = 'CustInvc' ORDER BY tl.createdfrom, t.id"
    )


def _items_by_sku(fields: StatementFields, match: str) -> str:
    column = field_id(fields.sku_field)
    return f"SELECT i.id, i.{column} AS sku FROM item i WHERE i.isinactive = 'F' AND {match} ORDER BY i.id"


def _item_unit_costs(_fields: StatementFields, match: str) -> str:
    return f"SELECT i.id, i.averagecost FROM item i WHERE {match} ORDER BY i.id"


def _sales_order_tax_details(_fields: StatementFields, match: str) -> str:
    # SuiteTax: lines carry no code; the engine's rows say each line's code and rate (a fraction). td.line is the
    # transactionline id. Sources: docs/sandbox/FIDELITY.md ("SuiteTax").
    return (
        f"SELECT td.transaction, td.line, td.taxcode, td.taxrate FROM {_SALES_ORDERS} "
        f"JOIN transactiontaxdetail td ON td.transaction = t.id WHERE {_SALES_ORDER} AND {match} "
        "ORDER BY td.transaction, td.line, td.taxcode"
    )


def _return_authorizations(fields: StatementFields, match: str) -> str:
    flag = f", t.{field_id(fields.flag_field)} AS flag" if fields.flag_field else ""
    tracking = f", t.{field_id(fields.tracking_number_field)} AS tracking_number" if fields.tracking_number_field else ""
    # A date field comes back in the user's date format unless asked for a fixed one.
    expected = (
        f", TO_CHAR(t.{field_id(fields.expected_date_field)}, 'YYYY-MM-DD') AS expected_date"
        if fields.expected_date_field
        else ""
    )
    return (
        f"SELECT t.id, t.tranid, t.status, t.externalid, {read_datetime('t.lastmodifieddate')}, "
        f"t.{field_id(fields.loop_id_field)} AS loop_return_id{flag}{tracking}{expected} "
        f"FROM transaction t WHERE t.type = 'RtnAuth' AND {match} ORDER BY t.lastmodifieddate, t.id"
    )


def _changed_window_sample(_fields: StatementFields) -> str:
    zone = ZoneInfo("UTC")
    since, until = datetime(2000, 1, 1, tzinfo=UTC), datetime(2000, 1, 2, tzinfo=UTC)
    return changed_window("doctor", since, until, zone)


def changed_window(
    store: str, since: datetime, until: datetime | None, zone: ZoneInfo, *, after: tuple[datetime, int] | None = None
) -> str:
    """The match of ``RETURN_AUTHORIZATIONS_CHANGED``: our RAs of ``store`` modified in ``[since, until)`` (no end: since).

    ``after`` (the last row read: its modification and id) keeps only the rows after it in the statement's order,
    for paging by key (``changed_ras.changed_ra_header_page``).
    """
    pattern = suiteql_list([ExternalId.like_pattern(store, RecordRole.RA)])[1:-1]
    match = f"t.externalid LIKE {pattern} AND t.lastmodifieddate >= {datetime_literal(since, zone)}"
    if until is not None:
        match = f"{match} AND t.lastmodifieddate < {datetime_literal(until, zone, round_up=True)}"
    if after is not None:
        modified, ra_id = after
        mark = datetime_literal(modified, zone)
        match = f"{match} AND (t.lastmodifieddate > {mark} OR (t.lastmodifieddate = {mark} AND t.id > {int(ra_id)}))"
    return match


# The RA a line or a child belongs to, as ``ra``: a match may name RAs by id or by their own columns (externalId), so
# the lines and children of a batch's RAs are read beside the RAs' headers instead of after them.
_RA_OF_LINE = "JOIN transaction ra ON ra.id = tl.transaction"
_RA_CREATED_FROM = "JOIN transaction ra ON ra.id = tl.createdfrom"


def ras_by_external_id(external_ids: list[str]) -> str:
    """A match of ``RETURN_AUTHORIZATION_LINES`` and ``CHILDREN_OF_RETURN_AUTHORIZATIONS``: the RAs with these externalIds."""
    return f"ra.type = 'RtnAuth' AND ra.externalid IN {suiteql_list(external_ids)}"


def _return_authorization_lines(_fields: StatementFields, match: str) -> str:
    return (
        "SELECT tl.transaction, tl.id, tl.item, tl.quantity, tl.quantityshiprecv, tl.quantitybilled, tl.isclosed, tl.orderline "
        f"FROM transactionline tl {_RA_OF_LINE} WHERE {match} AND tl.mainline = 'F' AND tl.taxline = 'F' "
        "ORDER BY tl.transaction, tl.id"
    )


def _children_query(match: str, *, created_from_required: bool = True, extra: str = "", join_source: bool = False) -> str:
    """Transactions with the record they were created from, read from their item lines (one row per transaction).

    Records that are not created from another (customer refunds, deposits) have no such line: ``LEFT JOIN`` keeps them.
    ``join_source`` joins the record they were created from as ``ra``.
    """
    join = _ITEM_LINES if created_from_required else f"LEFT {_ITEM_LINES}"
    if join_source:
        join = f"{join} {_RA_CREATED_FROM}"
    return (
        f"SELECT DISTINCT t.id, t.type, t.tranid, t.externalid, tl.createdfrom, t.foreigntotal{extra} FROM transaction t {join} "
        f"WHERE {match} ORDER BY t.id"
    )


def _children_of_return_authorizations(_fields: StatementFields, match: str) -> str:
    types = suiteql_list([t.suiteql_type for t in _CHILD_TYPES])
    return _children_query(f"{match} AND t.type IN {types}", join_source=True)


def _records_by_external_id(_fields: StatementFields, match: str) -> str:
    return _children_query(match, created_from_required=False)


def _connector_refunds(fields: StatementFields, match: str) -> str:
    column = field_id(fields.refund_id_field)
    return _children_query(
        f"t.type IN ('CashRfnd', 'CustCred') AND {match}", created_from_required=False, extra=f", t.{column} AS refund_id"
    )


def _store_credit_liability_postings(_fields: StatementFields, match: str) -> str:
    # Posted GL rows of one account (of one subsidiary: ml.subsidiary, the main line's), summed per day: transactionaccountingline holds each posting's debit and credit
    # (netsuitediagnostics.com/posts/transaction-accounting-line; sandbox docs/netsuite.md "GL"); a liability grows by its credits.
    return (
        "SELECT TO_CHAR(t.trandate, 'YYYY-MM-DD') AS trandate, SUM(tal.credit) AS credit, SUM(tal.debit) AS debit FROM transactionaccountingline tal "
        f"JOIN transaction t ON t.id = tal.transaction {_MAIN_LINE} "
        f"WHERE tal.posting = 'T' AND {match} GROUP BY t.trandate ORDER BY t.trandate"
    )


SALES_ORDER_HEADERS = SuiteqlStatement("sales orders by Shopify order id or name", _sales_order_headers)
SALES_ORDER_LINES = SuiteqlStatement("sales order lines", _sales_order_lines)
SALES_ORDER_BILLING = SuiteqlStatement("how sales orders were billed", _sales_order_billing)
INVOICES_OF_SALES_ORDERS = SuiteqlStatement("invoices of sales orders, with what is unpaid", _invoices_of_sales_orders)
ITEMS_BY_SKU = SuiteqlStatement("active items by SKU", _items_by_sku)
ITEM_UNIT_COSTS = SuiteqlStatement("item average costs", _item_unit_costs)
SALES_ORDER_TAX_DETAILS = SuiteqlStatement("sales order tax details (SuiteTax)", _sales_order_tax_details)
RETURN_AUTHORIZATIONS_BY_EXTERNAL_ID = SuiteqlStatement("our RAs by externalId", _return_authorizations)
RETURN_AUTHORIZATIONS_CHANGED = SuiteqlStatement(
    "our RAs changed in a window", _return_authorizations, sample_match=_changed_window_sample
)
RETURN_AUTHORIZATION_LINES = SuiteqlStatement("RA lines", _return_authorization_lines)
CHILDREN_OF_RETURN_AUTHORIZATIONS = SuiteqlStatement(
    "item receipts, credit memos and cash refunds of RAs", _children_of_return_authorizations
)
RECORDS_BY_EXTERNAL_ID = SuiteqlStatement("our refunds and deposits by externalId", _records_by_external_id)
CONNECTOR_REFUNDS = SuiteqlStatement("refunds the Shopify connector posted", _connector_refunds)
STORE_CREDIT_LIABILITY_POSTINGS = SuiteqlStatement(
    "store-credit liability postings by day", _store_credit_liability_postings, sample_match=lambda _f: "tal.account = 1"
)

STATEMENTS: tuple[SuiteqlStatement, ...] = (
    SALES_ORDER_HEADERS,
    SALES_ORDER_LINES,
    SALES_ORDER_BILLING,
    ITEMS_BY_SKU,
    ITEM_UNIT_COSTS,
    SALES_ORDER_TAX_DETAILS,
    RETURN_AUTHORIZATIONS_BY_EXTERNAL_ID,
    RETURN_AUTHORIZATIONS_CHANGED,
    RETURN_AUTHORIZATION_LINES,
    CHILDREN_OF_RETURN_AUTHORIZATIONS,
    RECORDS_BY_EXTERNAL_ID,
    CONNECTOR_REFUNDS,
    INVOICES_OF_SALES_ORDERS,
    STORE_CREDIT_LIABILITY_POSTINGS,
)

# Statements only one tax engine sends (a legacy account has no transactiontaxdetail table); a legacy line's rate
# comes with the line (SALES_ORDER_LINES joins salestaxitem only under legacy tax).
_ENGINE_ONLY = {TaxEngine.SUITETAX: SALES_ORDER_TAX_DETAILS}


def statements_for(engine: TaxEngine) -> tuple[SuiteqlStatement, ...]:
    """The statements a store whose account computes tax with ``engine`` sends (what ``doctor`` probes)."""
    others = {statement for key, statement in _ENGINE_ONLY.items() if key is not engine}
    return tuple(statement for statement in STATEMENTS if statement not in others)
