"""Turn a REST request body into canonical field changes, validating names, references and values as NetSuite does."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from returns_sandbox.netsuite import errors
from returns_sandbox.netsuite.constants import (
    BOOL_FIELDS,
    DATE_FIELDS,
    NUMBER_FIELDS,
    RECORD_SPECS,
    REF_TARGETS,
    STATUS_FIELDS,
    RecordSpec,
)
from returns_sandbox.netsuite.records import RecordStore, dec, money
from returns_sandbox.netsuite.tax import apply_tax, is_suitetax

__all__ = ["APPLY_LINE_FIELDS", "TAX_DETAILS_REQUEST", "Changes", "finalize_lines", "merge_lines", "normalize_body", "parse_date"]

APPLY_LINE_FIELDS = ("line", "doc", "apply", "amount", "type", "total", "due")
_CUSTOM_PREFIX = {"transaction": "custbody_", "customer": "custentity_", "item": "custitem_"}
_CUSTOM_TABLE = {"transaction": "transaction", "customer": "customer", "item": "item"}
_REF_LABELS = {"customer": "customer", "item": "item", "transaction": "transaction", "salesOrder": "sales order"}
_IGNORED = {"links", "refName"}
_MAX_NUMBER = Decimal(10) ** 12  # keeps quantity × rate within Decimal's 28 digits
# SuiteTax's fields: properties of a transaction only where the feature is on (tax.py).
_SUITETAX_DETAIL_FIELDS = ("taxDetailsReference", "taxType", "taxCode", "taxBasis", "taxRate", "taxAmount")
TAX_DETAILS_REQUEST = "_taxDetailsRequest"  # the rows a request sent, until finalize_lines checks and applies them


@dataclass
class Changes:
    """Body field values to set (``None`` clears) and sublist lines as sent, each with the set of keys it carried."""

    body: dict[str, Any] = field(default_factory=dict)
    sublists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def parse_date(value: Any) -> str | None:
    """``YYYY-MM-DD``, an ISO datetime or the account's ``M/D/YYYY`` as ``YYYY-MM-DD``; None when not a date."""
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            pass
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        if match:
            try:
                return date(int(match[3]), int(match[1]), int(match[2])).isoformat()
            except ValueError:
                return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    return None


def normalize_body(store: RecordStore, spec: RecordSpec, body: Any, *, creating: bool, strict: bool = True) -> Changes:
    """Validate ``body`` for a write to ``spec`` and convert it to canonical values.

    Args:
        store: the record store, for reference checks and the account's custom fields.
        spec: the record type written.
        body: the parsed JSON request body.
        creating: True on POST / PUT-create / transform (``createdFrom`` may then be set).
        strict: False when the client sent ``X-NetSuite-PropertyNameValidation: ignore|warning``.

    Raises:
        NetSuiteError: 400 with NetSuite's code for the first problem found.
    """
    if not isinstance(body, dict):
        raise errors.NetSuiteError(400, "INVALID_CONTENT", "Invalid content in the request body: a JSON object is expected.")
    changes = Changes()
    suitetax = spec.kind == "transaction" and "item" in spec.sublists and is_suitetax(store)
    custom_prefix = _CUSTOM_PREFIX.get(spec.kind)
    custom = store.custom_fields(_CUSTOM_TABLE[spec.kind], custom_prefix) if custom_prefix else set()
    for name, value in body.items():
        if name in _IGNORED:
            continue
        if name in spec.sublists:
            changes.sublists[name] = _sublist(store, spec, name, value, strict=strict, suitetax=suitetax)
            continue
        if name in ("taxDetailsOverride", "taxDetails") and suitetax:
            if name == "taxDetails":
                changes.body[TAX_DETAILS_REQUEST] = _tax_details(store, value)
            else:
                changes.body[name] = _boolean(name, value, name)
            continue
        if custom_prefix and name.lower().startswith(custom_prefix):
            if name.lower() not in custom:
                if strict:
                    raise errors.unknown_field(name, spec.name, name)
                continue
            changes.body[name.lower()] = _custom_value(value, name)
            continue
        if name in spec.readonly and not (creating and name == "createdFrom"):
            raise errors.readonly_field(name, name)
        if name not in spec.body:
            if strict:
                raise errors.unknown_field(name, spec.name, name)
            continue
        changes.body[name] = convert(store, name, value, name, line=False, spec=spec)
    return changes


def _sublist(
    store: RecordStore, spec: RecordSpec, name: str, value: Any, *, strict: bool, suitetax: bool = False
) -> list[dict[str, Any]]:
    if not isinstance(value, dict) or not isinstance(value.get("items", []), list):
        raise errors.invalid_value(name, value, name)
    allowed = APPLY_LINE_FIELDS if name == "apply" else spec.line_fields + spec.line_readonly
    custom = store.custom_fields("transactionline", "custcol_") if name == "item" else set()
    lines = []
    for index, raw in enumerate(value.get("items", [])):
        path = f"{name}.items[{index}]"
        if not isinstance(raw, dict):
            raise errors.invalid_value(name, raw, path)
        line: dict[str, Any] = {}
        for key, item_value in raw.items():
            if key in _IGNORED:
                continue
            if key.lower().startswith("custcol_") and name == "item":
                if key.lower() not in custom:
                    if strict:
                        raise errors.unknown_field(key, spec.name, f"{path}.{key}")
                    continue
                line[key.lower()] = _custom_value(item_value, f"{path}.{key}")
                continue
            canonical = "itemReceive" if key == "itemreceive" else key  # Oracle's own example spells it lower-case
            if canonical in spec.line_readonly:
                raise errors.readonly_field(key, f"{path}.{key}")
            # Under SuiteTax the engine, not the line, carries the tax code: the property does not exist there.
            if canonical not in allowed or (suitetax and canonical == "taxCode"):
                if strict:
                    raise errors.unknown_field(key, spec.name, f"{path}.{key}")
                continue
            line[canonical] = convert(store, canonical, item_value, f"{path}.{key}", line=True, spec=spec)
        lines.append(line)
    return lines


def _tax_details(store: RecordStore, value: Any) -> list[dict[str, Any]]:
    """SuiteTax ``taxDetails`` rows as sent (checked against the record's lines when it is finalized)."""
    if not isinstance(value, dict) or not isinstance(value.get("items", []), list):
        raise errors.invalid_value("taxDetails", value, "taxDetails")
    rows = []
    for index, raw in enumerate(value.get("items", [])):
        path = f"taxDetails.items[{index}]"
        if not isinstance(raw, dict):
            raise errors.invalid_value("taxDetails", raw, path)
        row: dict[str, Any] = {}
        for key, item_value in raw.items():
            if key in _IGNORED:
                continue
            if key not in _SUITETAX_DETAIL_FIELDS:
                raise errors.unknown_field(key, "taxDetails", f"{path}.{key}")
            row[key] = _detail_value(store, key, item_value, f"{path}.{key}")
        rows.append(row)
    return rows


def _detail_value(store: RecordStore, key: str, value: Any, path: str) -> Any:
    if value is None:
        return None
    if key == "taxDetailsReference":
        if not isinstance(value, str) or not value:
            raise errors.invalid_value(key, value, path)
        return value
    if key in ("taxCode", "taxType"):
        raw = value.get("id") if isinstance(value, dict) else value
        if isinstance(raw, bool) or not str(raw).isdigit():
            raise errors.invalid_value(key, value, path)
        if key == "taxCode" and not store.exists("salestaxitem", raw):
            raise errors.invalid_value(key, raw, path)
        return int(str(raw))
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise errors.invalid_value(key, value, path)
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        raise errors.invalid_value(key, value, path) from None
    if not number.is_finite() or abs(number) >= _MAX_NUMBER:
        raise errors.invalid_value(key, value, path)
    return str(number)


def _boolean(name: str, value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("T", "F", "true", "false"):
        return value in ("T", "true")
    raise errors.invalid_value(name, value, path)


def _custom_value(value: Any, path: str) -> Any:
    if isinstance(value, dict):
        if "id" not in value:
            raise errors.invalid_value(path.rsplit(".", 1)[-1], value, path)
        return {"id": str(value["id"])}
    if isinstance(value, (list, tuple)):
        raise errors.invalid_value(path.rsplit(".", 1)[-1], value, path)
    return value


def convert(store: RecordStore, name: str, value: Any, path: str, *, line: bool, spec: RecordSpec) -> Any:
    """One field's request value as its canonical value (ref -> int id, number -> decimal string, ...)."""
    if value is None:
        return None
    if name in REF_TARGETS:
        return _reference(store, name, value, path, line=line)
    if name in STATUS_FIELDS:
        letter = value.get("id") if isinstance(value, dict) else value
        if not isinstance(letter, str) or len(letter) != 1 or not letter.isalpha():
            raise errors.invalid_value(name, value, path)
        return letter.upper()
    if name in NUMBER_FIELDS:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise errors.invalid_value(name, value, path)
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
        except InvalidOperation:
            raise errors.invalid_value(name, value, path) from None
        if not number.is_finite() or abs(number) >= _MAX_NUMBER:
            raise errors.invalid_value(name, value, path)
        if name in ("line", "orderLine"):
            if number != number.to_integral_value():
                raise errors.invalid_value(name, value, path)
            return int(number)
        return str(number)
    if name in BOOL_FIELDS:
        return _boolean(name, value, path)
    if name in DATE_FIELDS:
        parsed = parse_date(value)
        if parsed is None:
            raise errors.invalid_value(name, value, path)
        return parsed
    if isinstance(value, (dict, list)):
        raise errors.invalid_value(name, value, path)
    return value if isinstance(value, str) else str(value)


def _reference(store: RecordStore, name: str, value: Any, path: str, *, line: bool) -> Any:
    target = REF_TARGETS[name]
    if isinstance(value, dict):
        if "id" in value and value["id"] is not None:
            raw = value["id"]
        elif "externalId" in value and target is not None:
            raw = _by_external_id(store, target, str(value["externalId"]))
            if raw is None:
                raise _bad_ref(target, name, f"eid:{value['externalId']}", path, line=line)
        else:
            raise errors.invalid_value(name, value, path)
    elif isinstance(value, (int, str)) and not isinstance(value, bool):
        raw = value
    else:
        raise errors.invalid_value(name, value, path)
    if target is None:
        text = str(raw)
        return int(text) if text.isdigit() else text
    try:
        rid = int(str(raw))
    except ValueError:
        raise _bad_ref(target, name, raw, path, line=line) from None
    if not store.exists(target, rid):
        raise _bad_ref(target, name, raw, path, line=line)
    return rid


def _by_external_id(store: RecordStore, target: str, external_id: str) -> int | None:
    if target in RECORD_SPECS:
        return store.find_external(RECORD_SPECS[target], external_id)
    table = {"customer": "customer", "item": "item", "transaction": '"transaction"'}.get(target)
    if table is None:
        return None
    found = store.row(f"SELECT id FROM {table} WHERE externalid = ?", (external_id,))
    return None if found is None else int(found["id"])


def _bad_ref(target: str, name: str, raw: Any, path: str, *, line: bool) -> errors.NetSuiteError:
    if line:
        return errors.invalid_value(name, raw, path)
    return errors.invalid_reference(_REF_LABELS.get(target, target), raw, path)


def merge_lines(
    existing: list[dict[str, Any]], incoming: list[dict[str, Any]], *, replace: bool, sublist: str = "item"
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Merge request lines into a keyed sublist (key ``line``).

    Lines whose ``line`` matches are updated; lines without ``line`` are appended with the next number;
    with ``replace`` the existing lines the request does not mention are removed.

    Returns:
        (merged lines, removed lines, the merged line dicts touched by the request with the keys it set
        under ``"_changed"`` — strip that key with ``finalize_lines``).
    """
    by_line = {int(line["line"]): dict(line) for line in existing}
    next_line = max(by_line, default=0) + 1
    mentioned: set[int] = set()
    touched: list[dict[str, Any]] = []
    order = [int(line["line"]) for line in existing]
    for index, change in enumerate(incoming):
        key = change.get("line")
        if key is not None and key in by_line:
            target = by_line[key]
        elif key is not None:
            raise errors.invalid_value("line", key, f"{sublist}.items[{index}].line")
        else:
            key = next_line
            next_line += 1
            target = {"line": key}
            by_line[key] = target
            order.append(key)
        for name, value in change.items():
            if name == "line":
                continue
            if value is None:
                target.pop(name, None)
            else:
                target[name] = value
        target["_changed"] = set(change)
        mentioned.add(key)
        touched.append(target)
    removed = [by_line[k] for k in order if replace and k not in mentioned]
    merged = [by_line[k] for k in order if not (replace and k not in mentioned)]
    return merged, removed, touched


def finalize_lines(store: RecordStore, record: dict[str, Any]) -> None:
    """Fill quantity/rate/amount of every item line and the record's totals, rounded to the currency."""
    currency = store.currency_symbol(record.get("currency"))
    lines = record.get("item")
    if lines is None:
        return
    for line in lines:
        changed = line.pop("_changed", set())
        if line.get("item") is None:
            raise errors.missing_value("Item", "item")
        quantity = dec(line.get("quantity", "1"))
        line["quantity"] = str(quantity)
        if "amount" in changed and "rate" not in changed:
            amount = dec(line["amount"])
            line["rate"] = str(amount / quantity) if quantity else line.get("rate", str(amount))
        elif line.get("rate") is not None:
            amount = dec(line["rate"]) * quantity
        elif line.get("amount") is not None:
            amount = dec(line["amount"])
            line["rate"] = str(amount / quantity) if quantity else str(amount)
        else:
            item = store.item_row(line["item"])
            rate = dec(item["baseprice"]) if item is not None and item["baseprice"] is not None else Decimal(0)
            line["rate"] = str(rate)
            amount = rate * quantity
        line["amount"] = money(amount, currency)
    sent = record.pop(TAX_DETAILS_REQUEST, None)
    override = bool(record.get("taxDetailsOverride"))
    if sent is not None and not override:
        # No source gives NetSuite's words for this; the UI only lets the rows be edited with the box checked.
        raise errors.user_error(
            "Tax details can only be changed when Tax Details Override (taxDetailsOverride) is checked.", path="taxDetails"
        )
    rows = sent if sent is not None else (record.get("taxDetails") if override else None)
    apply_tax(store, record, currency, override=rows)
    subtotal = sum((dec(x["amount"]) for x in lines), Decimal(0))
    tax = sum((dec(x["tax1Amt"]) for x in lines), Decimal(0))
    record["subtotal"] = money(subtotal, currency)
    record["taxTotal"] = money(tax, currency)
    record["total"] = money(subtotal + tax, currency)
