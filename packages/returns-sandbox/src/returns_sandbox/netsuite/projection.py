"""Project a canonical transaction onto the SuiteQL rows derived from it: item lines, GL lines and line links."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from returns_sandbox.netsuite.constants import LINK_TYPES, RECORD_SPECS, SALES_SIDE
from returns_sandbox.netsuite.ledger_gl import postings_for
from returns_sandbox.netsuite.values import custom_value_text, dec, num_text

if TYPE_CHECKING:
    from returns_sandbox.netsuite.records import RecordStore

__all__ = ["write_lines", "write_link", "write_postings"]


def _line_rows(code: str, record: dict[str, Any], custom: list[str]) -> list[dict[str, Any]]:
    """The mainline row plus one row per item line, with NetSuite's signs (see schema.py)."""
    sign = Decimal(-1) if code in SALES_SIDE else Decimal(1)
    total = dec(record.get("total"))
    main_amount = str(-sign * total if record.get("item") is not None else total)
    rows: list[dict[str, Any]] = [{
        "id": 0, "linesequencenumber": 0, "mainline": "T", "netamount": main_amount, "foreignamount": main_amount,
        # The main line carries header facts SuiteQL no longer shows on ``transaction`` (schema.UNEXPOSED_COLUMNS).
        "location": record.get("location"), "subsidiary": record.get("subsidiary"), "memo": record.get("memo"), "_body": "{}",
    }]  # fmt: skip
    for seq, line in enumerate(record.get("item") or [], start=1):
        quantity, amount = dec(line.get("quantity")), dec(line.get("amount"))
        shipped = line.get("quantity") if code == "ItemRcpt" else line.get("quantityReceived", line.get("quantityFulfilled"))
        row = {
            "id": line["line"], "linesequencenumber": seq, "mainline": "F", "item": line.get("item"),
            "quantity": str(sign * quantity), "rate": num_text(line.get("rate")), "netamount": str(sign * amount),
            "foreignamount": str(sign * amount), "tax1amt": num_text(line.get("tax1Amt")), "location": line.get("location"),
            "taxcode": line.get("taxCode"),  # None under SuiteTax, where the engine keeps the code (tax.py)
            "isclosed": "T" if line.get("isClosed") else "F",
            "subsidiary": record.get("subsidiary"), "createdfrom": record.get("createdFrom"),
            "orderline": line.get("orderLine"), "memo": line.get("description"), "_body": json.dumps(line, sort_keys=True),
            "quantityshiprecv": num_text(shipped), "quantitybilled": num_text(line.get("quantityBilled")),
        }  # fmt: skip
        for name in custom:
            row[name] = custom_value_text(line.get(name))
        rows.append(row)
    return rows


def write_lines(store: RecordStore, code: str, record: dict[str, Any]) -> None:
    """Upsert the transaction's ``transactionline`` rows; ``linelastmodifieddate`` moves only on lines that changed."""
    rid = record["id"]
    existing = {
        int(r["id"]): (r["_body"], r["linelastmodifieddate"])
        for r in store.rows('SELECT id, _body, linelastmodifieddate FROM transactionline WHERE "transaction" = ?', (rid,))
    }
    now = record.get("lastModifiedDate") or store.now_text()
    custom = sorted(store.custom_fields("transactionline", "custcol_"))
    keep = set()
    for row in _line_rows(code, record, custom):
        previous = existing.get(int(row["id"]))
        unchanged = previous is not None and previous[0] == row["_body"] and row["id"] != 0
        row["linelastmodifieddate"] = previous[1] if unchanged else now  # type: ignore[index]
        keep.add(int(row["id"]))
        if previous is None:
            names = ", ".join(f'"{c}"' for c in ["transaction", *row])
            marks = ", ".join("?" for _ in range(len(row) + 1))
            store.conn.execute(f"INSERT INTO transactionline ({names}) VALUES ({marks})", (rid, *row.values()))
        else:
            sets = ", ".join(f'"{c}" = ?' for c in row)
            store.conn.execute(
                f'UPDATE transactionline SET {sets} WHERE "transaction" = ? AND id = ?', (*row.values(), rid, row["id"])
            )
    for line_id in set(existing) - keep:
        store.conn.execute('DELETE FROM transactionline WHERE "transaction" = ? AND id = ?', (rid, line_id))


def write_postings(store: RecordStore, code: str, record: dict[str, Any]) -> None:
    """Replace the transaction's ``transactionaccountingline`` rows with its current GL impact."""
    store.conn.execute('DELETE FROM transactionaccountingline WHERE "transaction" = ?', (record["id"],))
    for posting in postings_for(code, record, store):
        store.conn.execute(
            'INSERT INTO transactionaccountingline ("transaction", transactionline, account, debit, credit, amount, posting) '
            "VALUES (?, ?, ?, ?, ?, ?, 'T')",
            (
                record["id"],
                posting.line,
                posting.account,
                str(posting.debit),
                str(posting.credit),
                str(posting.debit - posting.credit),
            ),
        )


def write_link(store: RecordStore, previous: dict[str, Any], previous_line: int | None, following: dict[str, Any],
               next_line: int | None) -> None:  # fmt: skip
    """One ``previoustransactionlinelink`` row: ``following`` (line ``next_line``) came from ``previous``."""
    prev_code = RECORD_SPECS[previous["recordType"]].type_code or ""
    next_code = RECORD_SPECS[following["recordType"]].type_code or ""
    store.conn.execute(
        "INSERT INTO previoustransactionlinelink (previousdoc, previousline, nextdoc, nextline, linktype, previoustype, "
        "nexttype) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (previous["id"], previous_line, following["id"], next_line, LINK_TYPES.get((prev_code, next_code), "Other"), prev_code,
         next_code),
    )  # fmt: skip
