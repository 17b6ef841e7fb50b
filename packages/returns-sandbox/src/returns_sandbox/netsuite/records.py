"""Persistence of the emulator's records: one canonical JSON body per record, projected onto the SuiteQL tables.

A *canonical record* is a plain dict: ``recordType``, ``id`` (int), body fields in REST camelCase with
references stored as int ids and amounts as decimal strings, and sublists (``item``, ``apply``) as
lists of line dicts. The whole body is kept in the row's ``_body`` column; every other column
(``tranid``, ``status``, line quantities with their NetSuite signs, GL rows, ...) is derived from it
on each save, so SuiteQL always sees what the record service returns.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from returns_sandbox.netsuite import errors
from returns_sandbox.netsuite.constants import RECORD_SPECS, RecordSpec
from returns_sandbox.netsuite.projection import write_lines, write_link, write_postings, write_tax_details
from returns_sandbox.netsuite.values import custom_value_text, dec, money, num_text

__all__ = ["STORAGE_DDL", "RecordStore", "custom_value_text", "dec", "money"]

# Storage-only tables (names start with ``_``; SuiteQL must not expose them).
STORAGE_DDL = """
CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS _account_role (role TEXT PRIMARY KEY, account INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS _sequence (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS _record (
    recordtype TEXT NOT NULL, id INTEGER NOT NULL, externalid TEXT, _body TEXT NOT NULL, PRIMARY KEY (recordtype, id)
);
CREATE TABLE IF NOT EXISTS _tba_consumer (consumer_key TEXT PRIMARY KEY, secret TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS _tba_token (
    token_id TEXT PRIMARY KEY, secret TEXT NOT NULL, label TEXT, revoked TEXT NOT NULL DEFAULT 'F',
    inactive TEXT NOT NULL DEFAULT 'F'
);
CREATE TABLE IF NOT EXISTS _tba_nonce (
    consumer_key TEXT NOT NULL, token_id TEXT NOT NULL, nonce TEXT NOT NULL, seen_at REAL NOT NULL,
    PRIMARY KEY (consumer_key, token_id, nonce)
);
"""

_MAX_ID = 2**63 - 1  # SQLite's INTEGER range; larger ids cannot exist
_TABLE = {"transaction": '"transaction"', "customer": "customer", "item": "item"}
_SETUP_SQL = {
    "location": "SELECT id, name, subsidiary, isinactive FROM location",
    "subsidiary": "SELECT id, name, currency, isinactive FROM subsidiary",
    "currency": "SELECT id, symbol, name FROM currency",
    "account": "SELECT id, acctnumber, accountsearchdisplayname, accttype FROM account",
}


class RecordStore:
    """Reads and writes canonical records on one SQLite connection (the caller holds the lock and commits)."""

    def __init__(self, conn: sqlite3.Connection, now_text: Callable[[], str]) -> None:
        self.conn = conn
        self.now_text = now_text

    # ---- low-level helpers -------------------------------------------------------------------------
    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        return cur.execute(sql, tuple(params)).fetchall()

    def row(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def columns(self, table: str) -> list[str]:
        return [r[1] for r in self.conn.execute(f'PRAGMA table_info("{table}")')]

    def custom_fields(self, table: str, prefix: str) -> set[str]:
        return {c for c in self.columns(table) if c.startswith(prefix)}

    def meta(self, key: str) -> str | None:
        found = self.row("SELECT value FROM _meta WHERE key = ?", (key,))
        return None if found is None else found["value"]

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO _meta (key, value) VALUES (?, ?)", (key, value))

    def account_for(self, role: str) -> int:
        found = self.row("SELECT account FROM _account_role WHERE role = ?", (role,))
        if found is None:
            raise errors.user_error(f"The account for '{role}' is not set up in this account.")
        return int(found["account"])

    def next_number(self, name: str, start: int) -> int:
        found = self.row("SELECT value FROM _sequence WHERE name = ?", (name,))
        value = start if found is None else int(found["value"]) + 1
        self.conn.execute("INSERT OR REPLACE INTO _sequence (name, value) VALUES (?, ?)", (name, value))
        return value

    def next_id(self, spec: RecordSpec) -> int:
        if spec.kind == "other":
            found = self.row("SELECT MAX(id) AS m FROM _record WHERE recordtype = ?", (spec.name,))
        else:
            found = self.row(f"SELECT MAX(id) AS m FROM {_TABLE[spec.kind]}")
        assert found is not None  # an aggregate always answers one row
        return max(int(found["m"] or 0) + 1, 100)

    def currency_symbol(self, currency_id: Any) -> str:
        found = self.row("SELECT symbol FROM currency WHERE id = ?", (currency_id,)) if currency_id is not None else None
        return found["symbol"] if found else "USD"

    def item_row(self, item_id: Any) -> sqlite3.Row | None:
        return self.row("SELECT * FROM item WHERE id = ?", (item_id,))

    # ---- lookups ---------------------------------------------------------------------------------------
    def exists(self, target: str, rid: Any) -> bool:
        """Does a record of ``target`` (a kind such as ``customer``/``transaction`` or a REST type) have id ``rid``?"""
        try:
            rid = int(rid)
        except (TypeError, ValueError):
            return False
        if not -_MAX_ID <= rid <= _MAX_ID:
            return False
        if target in ("customer", "item", "transaction"):
            return self.row(f"SELECT 1 FROM {_TABLE[target]} WHERE id = ?", (rid,)) is not None
        if target == "salestaxitem":
            return self.row("SELECT 1 FROM salestaxitem WHERE id = ? AND isinactive = 'F'", (rid,)) is not None
        if target in _SETUP_SQL:
            return self.row(f'SELECT 1 FROM "{target}" WHERE id = ?', (rid,)) is not None
        spec = RECORD_SPECS[target]
        return self.type_of_id(spec, rid)

    def is_transaction(self, rid: int) -> bool:
        """Is ``rid`` a transaction of any type?"""
        return -_MAX_ID <= rid <= _MAX_ID and self.row('SELECT 1 FROM "transaction" WHERE id = ?', (rid,)) is not None

    def type_of_id(self, spec: RecordSpec, rid: int) -> bool:
        """Is ``rid`` a record of exactly the REST type ``spec``?"""
        if not -_MAX_ID <= rid <= _MAX_ID:
            return False
        if spec.kind == "transaction":
            return self.row('SELECT 1 FROM "transaction" WHERE id = ? AND type = ?', (rid, spec.type_code)) is not None
        if spec.kind == "item":
            return self.row("SELECT 1 FROM item WHERE id = ? AND _recordtype = ?", (rid, spec.name)) is not None
        if spec.kind == "other":
            return self.row("SELECT 1 FROM _record WHERE recordtype = ? AND id = ?", (spec.name, rid)) is not None
        return self.exists("customer" if spec.kind == "customer" else spec.name, rid)

    def ref_name(self, target: str, rid: Any) -> str | None:
        """The ``refName`` NetSuite shows for a reference to ``target`` record ``rid``."""
        if target == "customer":
            found = self.row("SELECT entityid FROM customer WHERE id = ?", (rid,))
            return found["entityid"] if found else None
        if target == "item":
            found = self.row("SELECT itemid FROM item WHERE id = ?", (rid,))
            return found["itemid"] if found else None
        if target in ("location", "subsidiary"):
            found = self.row(f'SELECT name FROM "{target}" WHERE id = ?', (rid,))
            return found["name"] if found else None
        if target == "currency":
            found = self.row("SELECT name, symbol FROM currency WHERE id = ?", (rid,))
            return (found["name"] or found["symbol"]) if found else None
        if target == "account":
            found = self.row("SELECT accountsearchdisplayname AS n FROM account WHERE id = ?", (rid,))
            return found["n"] if found else None
        found = self.row('SELECT tranid, _recordtype FROM "transaction" WHERE id = ?', (rid,))
        return f"{RECORD_SPECS[found['_recordtype']].label} #{found['tranid']}" if found else None

    def ref_type(self, target: str, rid: Any) -> str:
        """The REST record type a reference link should point at."""
        if target == "item":
            found = self.row("SELECT _recordtype FROM item WHERE id = ?", (rid,))
            return found["_recordtype"] if found else "inventoryItem"
        if target in ("transaction", "salesOrder"):
            found = self.row('SELECT _recordtype FROM "transaction" WHERE id = ?', (rid,))
            return found["_recordtype"] if found else "transaction"
        return target

    # ---- reading -----------------------------------------------------------------------------------------
    def load(self, spec: RecordSpec, rid: Any) -> dict[str, Any] | None:
        try:
            rid = int(rid)
        except (TypeError, ValueError):
            return None
        if not -_MAX_ID <= rid <= _MAX_ID:
            return None
        if spec.kind == "setup":
            return self._load_setup(spec, rid)
        if spec.kind == "other":
            found = self.row("SELECT _body FROM _record WHERE recordtype = ? AND id = ?", (spec.name, rid))
        elif spec.kind == "transaction":
            found = self.row('SELECT _body FROM "transaction" WHERE id = ? AND type = ?', (rid, spec.type_code))
        elif spec.kind == "item":
            found = self.row("SELECT _body FROM item WHERE id = ? AND _recordtype = ?", (rid, spec.name))
        else:
            found = self.row("SELECT _body FROM customer WHERE id = ?", (rid,))
        return None if found is None else json.loads(found["_body"])

    def require(self, spec: RecordSpec, rid: Any) -> dict[str, Any]:
        record = self.load(spec, rid)
        if record is None:
            raise errors.not_found()
        return record

    def _load_setup(self, spec: RecordSpec, rid: int) -> dict[str, Any] | None:
        found = self.row(f"{_SETUP_SQL[spec.name]} WHERE id = ?", (rid,))
        if found is None:
            return None
        values = dict(found)
        record: dict[str, Any] = {"recordType": spec.name, "id": rid}
        if spec.name == "account":
            record.update(
                acctNumber=values["acctnumber"], acctName=values["accountsearchdisplayname"], acctType=values["accttype"]
            )
        else:
            for column, value in values.items():
                if column == "id" or value is None:
                    continue
                key = {"isinactive": "isInactive"}.get(column, column)
                record[key] = (value == "T") if key == "isInactive" else value
        return record

    def find_external(self, spec: RecordSpec, external_id: str) -> int | None:
        if spec.kind == "transaction":
            found = self.row('SELECT id FROM "transaction" WHERE type = ? AND externalid = ?', (spec.type_code, external_id))
        elif spec.kind == "item":
            found = self.row("SELECT id FROM item WHERE externalid = ?", (external_id,))
        elif spec.kind == "customer":
            found = self.row("SELECT id FROM customer WHERE externalid = ?", (external_id,))
        elif spec.kind == "other":
            found = self.row("SELECT id FROM _record WHERE recordtype = ? AND externalid = ?", (spec.name, external_id))
        else:
            found = None
        return None if found is None else int(found["id"])

    def ids(self, spec: RecordSpec) -> list[int]:
        params: tuple[str | None, ...]
        if spec.kind == "transaction":
            sql, params = 'SELECT id FROM "transaction" WHERE type = ? ORDER BY id', (spec.type_code,)
        elif spec.kind == "item":
            sql, params = "SELECT id FROM item WHERE _recordtype = ? ORDER BY id", (spec.name,)
        elif spec.kind == "customer":
            sql, params = "SELECT id FROM customer ORDER BY id", ()
        elif spec.kind == "other":
            sql, params = "SELECT id FROM _record WHERE recordtype = ? ORDER BY id", (spec.name,)
        else:
            sql, params = f'SELECT id FROM "{spec.name}" ORDER BY id', ()
        return [int(r["id"]) for r in self.rows(sql, params)]

    def ids_where(self, spec: RecordSpec, column: str, text: str | None) -> list[int]:
        """Ids of ``spec`` records whose (custom field) ``column`` holds ``text``; ``column`` must be a real column."""
        if column not in self.columns({"transaction": "transaction"}.get(spec.kind, spec.kind)):
            raise ValueError(f"no column {column!r}")
        params: tuple[str | None, ...]
        if spec.kind == "transaction":
            sql, params = f'SELECT id FROM "transaction" WHERE type = ? AND "{column}" = ? ORDER BY id', (spec.type_code, text)
        elif spec.kind == "item":
            sql, params = f'SELECT id FROM item WHERE _recordtype = ? AND "{column}" = ? ORDER BY id', (spec.name, text)
        else:
            sql, params = f'SELECT id FROM customer WHERE "{column}" = ? ORDER BY id', (text,)
        return [int(r["id"]) for r in self.rows(sql, params)]

    # ---- writing -----------------------------------------------------------------------------------------
    def save(self, record: dict[str, Any]) -> None:
        """Insert or replace ``record`` and everything derived from it (columns, lines, GL)."""
        spec = RECORD_SPECS[record["recordType"]]
        body = json.dumps(record, sort_keys=True)
        if spec.kind == "other":
            self.conn.execute(
                "INSERT OR REPLACE INTO _record (recordtype, id, externalid, _body) VALUES (?, ?, ?, ?)",
                (spec.name, record["id"], record.get("externalId"), body),
            )
        elif spec.kind == "customer":
            self._upsert(
                "customer",
                record,
                body,
                {
                    "entityid": record.get("entityId"),
                    "email": record.get("email"),
                    "externalid": record.get("externalId"),
                    "companyname": record.get("companyName"),
                    "firstname": record.get("firstName"),
                    "lastname": record.get("lastName"),
                    "subsidiary": record.get("subsidiary"),
                    "currency": record.get("currency"),
                    "isinactive": "T" if record.get("isInactive") else "F",
                    "datecreated": record.get("dateCreated"),
                    "lastmodifieddate": record.get("lastModifiedDate"),
                },
                "custentity",
            )
        elif spec.kind == "item":
            self._upsert(
                "item",
                record,
                body,
                {
                    "itemid": record.get("itemId"),
                    "displayname": record.get("displayName"),
                    "upccode": record.get("upcCode"),
                    "externalid": record.get("externalId"),
                    "itemtype": spec.type_code,
                    "isinactive": "T" if record.get("isInactive") else "F",
                    "baseprice": num_text(record.get("basePrice")),
                    "averagecost": num_text(record.get("averageCost")),
                    "incomeaccount": record.get("incomeAccount"),
                    "assetaccount": record.get("assetAccount"),
                    "expenseaccount": record.get("cogsAccount") or record.get("expenseAccount"),
                    "lastmodifieddate": record.get("lastModifiedDate"),
                    "_recordtype": spec.name,
                },
                "custitem",
            )
        elif spec.kind == "transaction":
            self._save_transaction(spec, record, body)
        else:
            raise errors.user_error(f"{spec.label} records are read-only in this account.")

    def _upsert(self, table: str, record: dict[str, Any], body: str, columns: dict[str, Any], custom_prefix: str) -> None:
        for name in self.custom_fields(table, custom_prefix + "_"):
            columns[name] = custom_value_text(record.get(name))
        columns = {"id": record["id"], **columns, "_body": body}
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c != "id")
        self.conn.execute(
            f'INSERT INTO "{table}" ({names}) VALUES ({marks}) ON CONFLICT(id) DO UPDATE SET {updates}', tuple(columns.values())
        )

    def _save_transaction(self, spec: RecordSpec, record: dict[str, Any], body: str) -> None:
        code = spec.type_code or ""
        self._upsert(
            "transaction",
            record,
            body,
            {
                "tranid": record.get("tranId"),
                "type": code,
                "status": record.get("status"),
                "entity": record.get(spec.entity_field),
                "externalid": record.get("externalId"),
                "trandate": record.get("tranDate"),
                "createddate": record.get("createdDate"),
                "lastmodifieddate": record.get("lastModifiedDate"),
                "otherrefnum": record.get("otherRefNum"),
                "memo": record.get("memo"),
                "foreigntotal": num_text(record.get("total")),
                # Invoices only: what is still due (Records Catalog, transaction.foreignamountunpaid).
                "foreignamountunpaid": num_text(record.get("amountRemaining")) if code == "CustInvc" else None,
                "currency": record.get("currency"),
                "subsidiary": record.get("subsidiary"),
                "location": record.get("location"),
                "createdfrom": record.get("createdFrom"),
                "voided": "F",
                "_recordtype": spec.name,
            },
            "custbody",
        )
        write_lines(self, code, record)
        write_tax_details(self, code, record)
        write_postings(self, code, record)

    def link(self, previous: dict[str, Any], previous_line: int | None, following: dict[str, Any], next_line: int | None) -> None:
        """Record that line ``next_line`` of ``following`` came from line ``previous_line`` of ``previous``."""
        write_link(self, previous, previous_line, following, next_line)

    def has_dependents(self, spec: RecordSpec, rid: int) -> bool:
        if spec.kind == "transaction":
            return (
                self.row('SELECT 1 FROM "transaction" WHERE createdfrom = ? AND id != ?', (rid, rid)) is not None
                or self.row("SELECT 1 FROM previoustransactionlinelink WHERE previousdoc = ?", (rid,)) is not None
            )
        if spec.kind == "customer":
            return self.row('SELECT 1 FROM "transaction" WHERE entity = ?', (rid,)) is not None
        if spec.kind == "item":
            return self.row("SELECT 1 FROM transactionline WHERE item = ?", (rid,)) is not None
        return False

    def delete(self, spec: RecordSpec, rid: int) -> None:
        if spec.kind == "transaction":
            for sql in (
                'DELETE FROM transactionaccountingline WHERE "transaction" = ?',
                'DELETE FROM transactionline WHERE "transaction" = ?',
                'DELETE FROM "transaction" WHERE id = ?',
            ):
                self.conn.execute(sql, (rid,))
            self.conn.execute("DELETE FROM previoustransactionlinelink WHERE nextdoc = ?", (rid,))
        elif spec.kind == "other":
            self.conn.execute("DELETE FROM _record WHERE recordtype = ? AND id = ?", (spec.name, rid))
        else:
            self.conn.execute(f"DELETE FROM {_TABLE[spec.kind]} WHERE id = ?", (rid,))
