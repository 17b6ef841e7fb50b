"""Sales tax as NetSuite computes it on a transaction: legacy tax codes per line, or SuiteTax's ``taxDetails``.

Legacy tax (the default): each item line carries a ``taxCode`` (a ``salestaxitem``); NetSuite computes the
line's ``tax1Amt`` from the code's rate and the line amount. A transformed line keeps the source line's code.
REST takes no tax amount on a line: ``tax1Amt`` is not a property a request may set (bodies.py refuses or
drops it per ``X-NetSuite-PropertyNameValidation``).

SuiteTax (an account option, off by default): lines carry no tax code; the engine writes one ``taxDetails``
row per taxed line (``taxDetailsReference`` = the line's reference, ``taxType``, ``taxCode``, ``taxBasis``,
``taxRate`` in percent, ``taxAmount``). With ``taxDetailsOverride`` true the request's rows stand as sent.

Rounding: half-up per line to the currency's minor unit. For US and Canadian nexuses NetSuite offers no
transaction-level tax rounding, so tax is rounded per item line; the default rounding method is "Round off"
(nearest) at ".01 and below" (Oracle, "Setting Tax Rounding Levels, Methods, and Precision Settings",
https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_N1814149.html). Sources for the rest:
packages/returns-sandbox/docs/netsuite.md, "Tax".
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from returns_sandbox.netsuite import errors
from returns_sandbox.netsuite.values import dec, money

if TYPE_CHECKING:
    import sqlite3

    from returns_sandbox.netsuite.records import RecordStore

__all__ = [
    "SUITETAX_META",
    "TAX_TYPE_ID",
    "add_tax_code",
    "apply_tax",
    "code_for_rate",
    "is_suitetax",
    "rate_text",
    "tax_rate",
]

SUITETAX_META = "suitetax"
TAX_TYPE_ID = 1  # the one tax type ("Sales Tax") the emulator's SuiteTax engine knows
_DETAIL_FIELDS = ("taxDetailsReference", "taxType", "taxCode", "taxBasis", "taxRate", "taxAmount")


def rate_text(rate: Decimal) -> str:
    """A fraction (``0.08``) as NetSuite shows a tax code's rate: ``8.00%``."""
    return f"{(rate * 100).quantize(Decimal('0.01'))}%"


def add_tax_code(conn: sqlite3.Connection, code_id: int, name: str, rate: Decimal, tax_account: int | None) -> None:
    """Create (or replace) the legacy tax code ``code_id`` with ``rate`` as a fraction."""
    conn.execute(
        "INSERT OR REPLACE INTO salestaxitem (id, itemid, description, rate, taxaccount) VALUES (?, ?, ?, ?, ?)",
        (code_id, name, name, rate_text(rate), tax_account),
    )


def code_for_rate(store: RecordStore, rate: Decimal) -> int:
    """The active tax code with ``rate`` (a fraction), created as ``Sales Tax <rate>`` when the account has none."""
    found = store.row("SELECT id FROM salestaxitem WHERE rate = ? AND isinactive = 'F' ORDER BY id LIMIT 1", (rate_text(rate),))
    if found is not None:
        return int(found["id"])
    highest = store.row("SELECT MAX(id) AS id FROM salestaxitem")
    code_id = 1 if highest is None or highest["id"] is None else int(highest["id"]) + 1
    account = store.row("SELECT account FROM _account_role WHERE role = 'tax_payable'")
    add_tax_code(store.conn, code_id, f"Sales Tax {rate_text(rate)}", rate, None if account is None else int(account["account"]))
    return code_id


def tax_rate(store: RecordStore, code_id: Any) -> Decimal:
    """The rate of tax code ``code_id`` as a fraction (``8.00%`` -> ``0.08``).

    Raises:
        NetSuiteError: the code does not exist or is inactive.
    """
    found = store.row("SELECT rate, isinactive FROM salestaxitem WHERE id = ?", (code_id,)) if code_id is not None else None
    if found is None or found["isinactive"] == "T":
        raise errors.invalid_value("taxCode", code_id, "taxCode")
    try:
        return Decimal(str(found["rate"]).strip().rstrip("%")) / 100
    except InvalidOperation:  # pragma: no cover - rows are written by add_tax_code only
        raise errors.invalid_value("taxCode", code_id, "taxCode") from None


def is_suitetax(store: RecordStore) -> bool:
    """Is the SuiteTax feature on in this account (emulator option ``suitetax``)?"""
    return store.meta(SUITETAX_META) == "1"


def _line_reference(line: dict[str, Any]) -> str:
    return f"ITEM_{line['line']}"


def apply_tax(store: RecordStore, record: dict[str, Any], currency: str, *, override: list[dict[str, Any]] | None) -> None:
    """Set every item line's ``tax1Amt`` (and, with SuiteTax, the record's ``taxDetails``) as NetSuite computes them.

    Args:
        override: SuiteTax rows sent with ``taxDetailsOverride`` true; they replace the computed rows.
    """
    lines = record.get("item") or []
    if not is_suitetax(store):
        for line in lines:
            code = line.get("taxCode")
            rate = tax_rate(store, code) if code is not None else Decimal(0)
            line["tax1Amt"] = money(dec(line.get("amount")) * rate, currency)
        return
    for line in lines:
        # The engine, not the line, owns the code under SuiteTax: keep it out of sight (serialize.py hides ``_`` keys).
        if "taxCode" in line:
            line["_taxCode"] = line.pop("taxCode")
    if override is not None:
        record["taxDetails"] = _overridden(override, lines, currency)
    else:
        record["taxDetails"] = _computed(store, lines, currency)
    by_reference: dict[str, Decimal] = {}
    for row in record["taxDetails"]:
        by_reference[row["taxDetailsReference"]] = by_reference.get(row["taxDetailsReference"], Decimal(0)) + dec(
            row["taxAmount"]
        )
    for line in lines:
        line["tax1Amt"] = money(by_reference.get(_line_reference(line), Decimal(0)), currency)


def _computed(store: RecordStore, lines: list[dict[str, Any]], currency: str) -> list[dict[str, Any]]:
    """The engine's rows: one per line whose (internal) tax code is set; ``taxRate`` in percent as SuiteTax shows it."""
    rows = []
    for line in lines:
        code = line.get("_taxCode")
        if code is None:
            continue
        rate = tax_rate(store, code)
        basis = dec(line.get("amount"))
        rows.append(
            {
                "taxDetailsReference": _line_reference(line),
                "taxType": TAX_TYPE_ID,
                "taxCode": code,
                "taxBasis": money(basis, currency),
                "taxRate": str((rate * 100).quantize(Decimal("0.01"))),
                "taxAmount": money(basis * rate, currency),
            }
        )
    return rows


def _overridden(rows: list[dict[str, Any]], lines: list[dict[str, Any]], currency: str) -> list[dict[str, Any]]:
    """Rows sent with the override, checked: every field given and every reference naming a line of the record."""
    references = {_line_reference(line) for line in lines}
    kept = []
    for index, row in enumerate(rows):
        path = f"taxDetails.items[{index}]"
        for name in _DETAIL_FIELDS:
            if row.get(name) is None:
                raise errors.missing_value(name, f"{path}.{name}")
        if row["taxDetailsReference"] not in references:
            raise errors.invalid_value("taxDetailsReference", row["taxDetailsReference"], f"{path}.taxDetailsReference")
        kept.append(
            {**row, "taxBasis": money(dec(row["taxBasis"]), currency), "taxAmount": money(dec(row["taxAmount"]), currency)}
        )
    return kept
