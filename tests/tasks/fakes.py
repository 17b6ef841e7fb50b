"""Fakes for the task tests: a NetSuite client holding transactions in memory, answering the SuiteQL the look-ups send,
and a Shopify client; plus builders of Loop returns. Nothing here shares code with the sandbox or the product's parsing."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from returns_sync.connectors.errors import PermanentApiError
from returns_sync.domain.listed_returns import ListedReturn
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.netsuite import SalesOrderSnapshot
from returns_sync.domain.tax import TaxEngine

# The internal id of the US Dollar in the fake account.
USD = "1"
TAX_8 = "11"  # the 8 % legacy tax code the fake sales orders use

# SuiteQL type codes of the REST record types the tasks create.
TYPE_CODES = {
    "returnAuthorization": "RtnAuth",
    "itemReceipt": "ItemRcpt",
    "creditMemo": "CustCred",
    "cashRefund": "CashRfnd",
    "customerRefund": "CustRfnd",
    "customerDeposit": "CustDep",
    "salesOrder": "SalesOrd",
}


@dataclass
class Create:
    """One create the fake received: what, from what, with which body."""

    record_type: str
    body: dict[str, Any]
    from_type: str | None = None
    from_id: str | None = None


class FakeNetSuite:
    """A NetSuite account in memory.

    ``transactions`` and ``lines`` are rows as SuiteQL returns them (strings); ``items`` are item rows.
    ``faults`` are consumed one per create: ``("before", exc)`` raises without creating, ``("after", exc)``
    creates and then raises (an answer lost after NetSuite committed).
    """

    def __init__(self) -> None:
        self.transactions: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []
        self.items: list[dict[str, Any]] = []
        # As in NetSuite, a transaction's currency is an id; its name is what BUILTIN.DF shows, its symbol the ISO code.
        self.currencies: list[dict[str, Any]] = [
            {"id": USD, "symbol": "USD", "name": "US Dollar"},
            {"id": "2", "symbol": "CAD", "name": "Canadian Dollar"},
        ]
        # Legacy tax codes, their rate as NetSuite shows it; SO lines name one in ``taxcode``.
        self.tax_codes: list[dict[str, Any]] = [{"id": TAX_8, "rate": "8.00%"}]
        # SuiteTax accounts only (``suitetax``): the engine's rows per line, ``taxrate`` a fraction ("0.08").
        self.suitetax = False
        self.tax_details: list[dict[str, Any]] = []
        self.creates: list[Create] = []
        self.lookups: list[tuple[str, str]] = []
        self.queries: list[str] = []
        self.faults: list[tuple[str, BaseException]] = []
        self.updates: list[tuple[str, str, dict[str, Any]]] = []
        # externalId -> the total NetSuite computes for the record created with it (its tax included), as SuiteQL
        # answers foreigntotal; records not named here have none.
        self.totals: dict[str, str] = {}
        # The account's "Default Return Authorization Status" is Pending Approval: new RAs are A unless the create
        # sends orderStatus B.
        self.ra_approval_required = False
        self._next_id = 9000

    # -- building the account ---------------------------------------------------------------------

    def add_transaction(self, type_code: str, **columns: Any) -> int:
        self._next_id += 1
        row = {"id": str(self._next_id), "type": type_code, "tranid": f"{type_code}{self._next_id}", **columns}
        self.transactions.append({key: None if value is None else str(value) for key, value in row.items()})
        return self._next_id

    def add_order_1001(self, so_id: int) -> None:
        """Shopify order #1001 (id 5550001) as the Shopify connector put it in NetSuite: sales order ``so_id``, USD."""
        self.transactions.append(
            {
                "id": str(so_id),
                "type": "SalesOrd",
                "tranid": "SO1001",
                "otherrefnum": "#1001",
                "custbody_shopify_order_id": "5550001",
                "currency": USD,
                "entity": "42",
            }
        )

    def add_line(self, transaction: int, line: int, **columns: Any) -> None:
        row = {"transaction": transaction, "id": line, "mainline": "F", "taxline": "F", **columns}
        self.lines.append({key: None if value is None else str(value) for key, value in row.items()})

    def replace_lines(self, transaction: int, *lines: dict[str, Any]) -> None:
        """The transaction's lines become ``lines`` (numbered from 1), as if someone edited it in NetSuite."""
        self.lines = [line for line in self.lines if line["transaction"] != str(transaction)]
        for number, line in enumerate(lines, start=1):
            self.add_line(transaction, number, **line)

    def with_external_id(self, external_id: str) -> list[dict[str, Any]]:
        return [t for t in self.transactions if t.get("externalid") == external_id]

    # -- the client's API -------------------------------------------------------------------------

    def _create(self, record_type: str, body: dict[str, Any], from_type: str | None = None, from_id: Any = None) -> str:
        self.creates.append(Create(record_type, body, from_type, None if from_id is None else str(from_id)))
        fault = self.faults.pop(0) if self.faults else None
        if fault and fault[0] == "before":
            raise fault[1]
        code, external_id = TYPE_CODES[str(record_type)], body.get("externalId")
        if external_id and any(t["type"] == code for t in self.with_external_id(external_id)):
            # NetSuite REST's answer to a taken externalId (DUP_RCRD is SOAP's).
            raise PermanentApiError(
                "Error while accessing a resource. This entity already exists.",
                vendor="netsuite",
                code="USER_ERROR",
                status_code=400,
            )
        status = None
        if code == "RtnAuth":
            status = "A" if self.ra_approval_required and body.get("orderStatus") != "B" else "B"
        computed = {"foreigntotal": self.totals[external_id]} if external_id in self.totals else {}
        new_id = self.add_transaction(code, externalid=external_id, createdfrom=from_id, status=status, **computed)
        if code == "RtnAuth":  # NetSuite gives the RA the lines it was sent, nothing received yet
            for number, line in enumerate((body.get("item") or {}).get("items") or [], start=1):
                item = (line.get("item") or {}).get("id")
                self.add_line(
                    new_id,
                    number,
                    item=item,
                    quantity=line.get("quantity"),
                    quantityshiprecv=0,
                    quantitybilled=0,
                    isclosed="F",
                    orderline=line.get("orderLine"),
                )
        if fault:
            raise fault[1]
        return str(new_id)

    def transform(self, from_type: str, from_id: Any, to_type: str, body: dict[str, Any] | None = None, **_: Any) -> str:
        return self._create(to_type, body or {}, str(from_type), from_id)

    def create_record(self, record_type: str, body: dict[str, Any]) -> str:
        return self._create(record_type, body)

    def update_record(self, record_type: str, record_id: str | int, body: dict[str, Any], **_: Any) -> None:
        """PATCH: only ``orderStatus`` changes anything here (approving a Pending Approval RA)."""
        self.updates.append((str(record_type), str(record_id), body))
        row = next(t for t in self.transactions if t["id"] == str(record_id))
        if "orderStatus" in body:
            row["status"] = str(body["orderStatus"])

    def get_record(self, record_type: str, record_id: str | int, **_: Any) -> dict[str, Any]:
        """A record's fields; ``total`` only when a test set what NetSuite computed (``totals``), else absent."""
        row = next((t for t in self.transactions if t["id"] == str(record_id)), {})
        return {"id": str(record_id), "total": row.get("foreigntotal")}

    def get_record_by_external_id(self, record_type: str, external_id: str, **_: Any) -> dict[str, Any] | None:
        self.lookups.append((str(record_type), external_id))
        code = TYPE_CODES[str(record_type)]
        found = [t for t in self.with_external_id(external_id) if t["type"] == code]
        return {"id": found[0]["id"], "externalId": external_id} if found else None

    def suiteql(self, query: str, **_: Any) -> list[dict[str, Any]]:
        self.queries.append(query)
        tables = {
            "transaction": self.transactions,
            "transactionline": self.lines,
            "item": self.items,
            "currency": self.currencies,
            "salestaxitem": self.tax_codes,
        }
        if self.suitetax:  # a legacy-tax account has no such table: a query naming it fails
            tables["transactiontaxdetail"] = self.tax_details
        return _run_suiteql(query, tables)

    def close(self) -> None:
        pass


@dataclass
class FakeShopifyTransaction:
    kind: str
    status: str
    amount: Decimal
    gateway: str = "shopify_payments"


@dataclass
class FakeShopifyOrder:
    transactions: list[FakeShopifyTransaction] = field(default_factory=list)


class FakeShopify:
    def __init__(self, orders: dict[str, FakeShopifyOrder] | None = None) -> None:
        self.orders = orders or {}
        self.reads: list[str] = []

    def get_order(self, order_id: str) -> FakeShopifyOrder | None:
        self.reads.append(order_id)
        return self.orders.get(order_id)

    def close(self) -> None:
        pass


# -- SuiteQL on SQLite: the rows become tables shaped as NetSuite's, the query runs with light translation --------

# Columns SuiteQL refuses on ``transaction``: the fake keeps them on the rows (tests read them back) but serves them
# from transactionline, as NetSuite does: location and subsidiary on the main line, createdfrom on the item lines.
_LINE_FACTS = ("location", "subsidiary", "createdfrom")
_TRANSACTION_COLUMNS = (
    "id",
    "type",
    "tranid",
    "status",
    "externalid",
    "lastmodifieddate",
    "otherrefnum",
    "entity",
    "currency",
    "foreigntotal",
)
_LINE_COLUMNS = (
    "transaction",
    "id",
    "mainline",
    "taxline",
    "item",
    "quantity",
    "rate",
    "location",
    "subsidiary",
    "createdfrom",
    "quantityshiprecv",
    "quantitybilled",
    "isclosed",
    "orderline",
    "taxcode",
)
_RESERVED = re.compile(r'(?<![\w"])transaction(?![\w"])')  # a keyword in SQLite, a table and a column here


def _table(conn: sqlite3.Connection, name: str, rows: list[dict[str, Any]], required: tuple[str, ...] = ()) -> None:
    columns = list(dict.fromkeys([*required, *(column for row in rows for column in row)]))
    # NUMERIC affinity: '5001' and 5001 compare equal, as NetSuite's typed columns do against either literal.
    conn.execute(f'CREATE TABLE "{name}" ({", ".join(f"{chr(34)}{c}{chr(34)} NUMERIC" for c in columns)})')
    for row in rows:
        names = [column for column in columns if column in row]
        marks = ", ".join("?" for _ in names)
        quoted = ", ".join(f'"{column}"' for column in names)
        conn.execute(f'INSERT INTO "{name}" ({quoted}) VALUES ({marks})', [row[column] for column in names])


def _line_rows(transactions: list[dict[str, Any]], lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {row["id"]: row for row in transactions}
    with_lines = {row["transaction"] for row in lines}
    rows = [{"transaction": t["id"], "id": "0", "mainline": "T", "taxline": "F", "location": t.get("location"),
             "subsidiary": t.get("subsidiary")} for t in transactions]  # fmt: skip
    for line in lines:
        rows.append({**line, "createdfrom": line.get("createdfrom") or by_id.get(line["transaction"], {}).get("createdfrom")})
    for t in transactions:
        # A record transformed from another carries lines that point back at it; the fake gives such a child one
        # (an RA's lines are what the tests add, so it gets none made up).
        if t.get("createdfrom") and t["id"] not in with_lines and t["type"] != "RtnAuth":
            rows.append({"transaction": t["id"], "id": "1", "mainline": "F", "taxline": "F", "createdfrom": t["createdfrom"]})
    return rows


def _run_suiteql(query: str, tables: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    transactions = [{k: v for k, v in row.items() if k not in _LINE_FACTS} for row in tables["transaction"]]
    conn = sqlite3.connect(":memory:")
    try:
        custom = tuple(dict.fromkeys(re.findall(r"\b(?:custbody|custitem)_\w+", query)))
        _table(conn, "transaction", transactions, (*_TRANSACTION_COLUMNS, *(c for c in custom if c.startswith("custbody_"))))
        _table(conn, "transactionline", _line_rows(tables["transaction"], tables["transactionline"]), _LINE_COLUMNS)
        _table(conn, "currency", tables["currency"], ("id", "symbol", "name"))
        _table(conn, "salestaxitem", tables["salestaxitem"], ("id", "rate"))
        if "transactiontaxdetail" in tables:
            _table(conn, "transactiontaxdetail", tables["transactiontaxdetail"], ("transaction", "line", "taxcode", "taxrate"))
        _table(
            conn,
            "item",
            tables["item"],
            ("id", "itemid", "isinactive", "averagecost", *(c for c in custom if c.startswith("custitem_"))),
        )
        sql = _RESERVED.sub('"transaction"', query)
        # BUILTIN.DF shows a reference's name: for a currency "US Dollar", not the ISO code.
        sql = re.sub(r"BUILTIN\.DF\(([\w.]*currency)\)", r"(SELECT name FROM currency WHERE id = \1)", sql)
        sql = re.sub(r"BUILTIN\.DF\(([\w.]+)\)", r"\1", sql)
        # The fake's dates are already the user's wall clock, in the one format the sync asks for.
        sql = re.sub(r"TO_DATE\(('[^']*'), '[^']*'\)", r"\1", sql)
        sql = re.sub(r"TO_CHAR\(([\w.]+), '[^']*'\)", r"\1", sql)
        cursor = conn.execute(sql)
        names = [column[0].lower() for column in cursor.description]
        # NetSuite answers every value as a string and leaves NULL columns out.
        return [
            {name: str(value) for name, value in zip(names, row, strict=True) if value is not None} for row in cursor.fetchall()
        ]
    finally:
        conn.close()


# -- Loop returns ------------------------------------------------------------------------------------------------


def loop_return(return_id: str, *skus: str, **fields: Any) -> LoopReturn:
    """A Loop return of one unit per SKU at 50.00 less 5.00 discount plus 3.60 tax (Loop's one line per unit), refunded in full."""
    return LoopReturn.model_validate(loop_return_json(return_id, *skus, **fields))


def listed_return(return_id: str, *skus: str, **fields: Any) -> ListedReturn:
    """``loop_return`` as a cycle's listing keeps it: packed from its JSON."""
    data = loop_return_json(return_id, *skus, **fields)
    return ListedReturn.packed(data, LoopReturn.model_validate(data))


def loop_return_json(
    return_id: str,
    *skus: str,
    order: str = "#1001",
    shopify_order_id: str | None = "5550001",
    created_at: str = "2025-03-01T10:00:00Z",
    state: str = "open",
    **fields: Any,
) -> dict[str, Any]:
    """Loop's JSON of ``loop_return``."""
    units = [
        {
            "line_item_id": f"{return_id}-L{n}",
            "sku": sku,
            "price": "50.00",
            "discount": "5.00",
            "tax": "3.60",
            "returned_at": "2025-03-02T10:00:00Z",
        }
        for n, sku in enumerate(skus or ("SHIRT",), start=1)
    ]
    data: dict[str, Any] = {
        "id": return_id,
        "state": state,
        "order_name": order,
        "provider_order_id": shopify_order_id,
        "currency": "USD",
        "created_at": created_at,
        "return_total": str(Decimal("48.60") * len(units)),
        "return_tax_total": str(Decimal("3.60") * len(units)),
        "refund": str(Decimal("48.60") * len(units)),
        "line_items": units,
    }
    data.update(fields)
    return data


def order_5550001(netsuite: FakeNetSuite, engine: TaxEngine = TaxEngine.LEGACY) -> SalesOrderSnapshot:
    """The one sales order ``find_sales_orders`` finds for Shopify order 5550001 (#1001) in ``netsuite``."""
    from returns_sync.tasks.netsuite_sales_orders import find_sales_orders

    by_id, _ = find_sales_orders(
        netsuite,
        shopify_order_ids=["5550001"],
        order_names=[],
        order_id_field="custbody_shopify_order_id",
        subsidiary_id=None,
        tax_engine=engine,
    )
    (so,) = by_id["5550001"]
    return so


# A read that waits longer than this for the others was sent after them, not beside them.
_SIDE_BY_SIDE = 5.0


class LazyNetSuite(FakeNetSuite):
    """Answers page by page like the real client (a generator), and holds each read at a barrier.

    The real ``NetSuiteClient.suiteql`` sends nothing until its rows are asked for, so a read handed to a thread
    pool without being consumed there is not concurrent at all; this fake makes that visible.
    """

    def __init__(self, parties: int) -> None:
        super().__init__()
        self.barrier = threading.Barrier(parties, timeout=_SIDE_BY_SIDE)

    def suiteql(self, query: str, **kwargs: Any) -> Iterator[dict[str, Any]]:  # type: ignore[override]
        self.barrier.wait()
        yield from super().suiteql(query, **kwargs)
