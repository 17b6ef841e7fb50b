"""Fakes for the task tests: a NetSuite client holding transactions in memory, answering the SuiteQL the look-ups send,
and a Shopify client; plus builders of Loop returns. Nothing here shares code with the sandbox or the product's parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from returns_sync.connectors.errors import PermanentApiError
from returns_sync.domain.loop import LoopReturn

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
        self.creates: list[Create] = []
        self.lookups: list[tuple[str, str]] = []
        self.queries: list[str] = []
        self.faults: list[tuple[str, BaseException]] = []
        self._next_id = 9000

    # -- building the account ---------------------------------------------------------------------

    def add_transaction(self, type_code: str, **columns: Any) -> int:
        self._next_id += 1
        row = {"id": str(self._next_id), "type": type_code, "tranid": f"{type_code}{self._next_id}", **columns}
        self.transactions.append({key: None if value is None else str(value) for key, value in row.items()})
        return self._next_id

    def add_line(self, transaction: int, line: int, **columns: Any) -> None:
        row = {"transaction": transaction, "id": line, "mainline": "F", "taxline": "F", **columns}
        self.lines.append({key: None if value is None else str(value) for key, value in row.items()})

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
            raise PermanentApiError(
                f"A record with external ID {external_id} already exists.", vendor="netsuite", code="DUP_RCRD", status_code=400
            )
        status = "B" if code == "RtnAuth" else None  # a new RA is Pending Receipt (no approval step here)
        new_id = self.add_transaction(code, externalid=external_id, createdfrom=from_id, status=status)
        if fault:
            raise fault[1]
        return str(new_id)

    def transform(self, from_type: str, from_id: Any, to_type: str, body: dict[str, Any] | None = None, **_: Any) -> str:
        return self._create(to_type, body or {}, str(from_type), from_id)

    def create_record(self, record_type: str, body: dict[str, Any]) -> str:
        return self._create(record_type, body)

    def get_record_by_external_id(self, record_type: str, external_id: str, **_: Any) -> dict[str, Any] | None:
        self.lookups.append((str(record_type), external_id))
        code = TYPE_CODES[str(record_type)]
        found = [t for t in self.with_external_id(external_id) if t["type"] == code]
        return {"id": found[0]["id"], "externalId": external_id} if found else None

    def suiteql(self, query: str, **_: Any) -> list[dict[str, Any]]:
        self.queries.append(query)
        return _run_suiteql(query, {"transaction": self.transactions, "transactionline": self.lines, "item": self.items})

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


# -- a small SuiteQL: SELECT columns FROM table alias WHERE a AND b ... [ORDER BY ...] -------------------------

_QUERY = re.compile(r"^SELECT (?P<columns>.+?) FROM (?P<table>\w+) (?P<alias>\w+) WHERE (?P<where>.+?)(?: ORDER BY .*)?$", re.S)
_LITERAL = re.compile(r"'((?:[^']|'')*)'|(-?\d+(?:\.\d+)?)")


def _literals(text: str) -> list[str]:
    return [quoted.replace("''", "'") if quoted or not number else number for quoted, number in _LITERAL.findall(text)]


def _column(expression: str) -> str:
    return expression.split(".")[-1].rstrip(")")


def _condition(text: str):
    text = text.strip()
    column, rest = text.split(" ", 1)
    name = _column(column)
    if rest.startswith("IN "):
        wanted = set(_literals(rest))
        return lambda row: row.get(name) in wanted
    if rest.startswith("= "):
        (value,) = _literals(rest)
        return lambda row: row.get(name) == value
    if rest.startswith("LIKE "):
        (pattern,) = _literals(rest)
        regex = re.compile("^" + "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern) + "$")
        return lambda row: row.get(name) is not None and bool(regex.match(row[name]))
    if rest.startswith((">= TO_DATE(", "< TO_DATE(")):
        bound = _literals(rest)[0]
        if rest.startswith(">="):
            return lambda row: row.get(name) is not None and row[name] >= bound
        return lambda row: row.get(name) is not None and row[name] < bound
    if rest == "IS NOT NULL":
        return lambda row: row.get(name) is not None
    raise AssertionError(f"the fake SuiteQL does not understand {text!r}")


def _run_suiteql(query: str, tables: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    match = _QUERY.match(" ".join(query.split()))
    assert match, f"the fake SuiteQL does not understand {query!r}"
    conditions = [_condition(part) for part in match["where"].split(" AND ")]
    selected = []
    for expression in match["columns"].split(", "):
        source, _, alias = expression.partition(" AS ")
        selected.append((alias or _column(source), _column(source)))
    rows = [row for row in tables[match["table"]] if all(condition(row) for condition in conditions)]
    return [{alias: row.get(column) for alias, column in selected} for row in rows]


# -- Loop returns ------------------------------------------------------------------------------------------------


def loop_return(
    return_id: str,
    *skus: str,
    order: str = "#1001",
    shopify_order_id: str | None = "5550001",
    created_at: str = "2025-03-01T10:00:00Z",
    state: str = "open",
    **fields: Any,
) -> LoopReturn:
    """A Loop return of one unit per SKU at 50.00 less 5.00 discount plus 3.60 tax (Loop's one line per unit), refunded in full."""
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
    return LoopReturn.model_validate(data)
