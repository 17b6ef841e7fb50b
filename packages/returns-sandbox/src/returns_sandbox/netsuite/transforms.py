"""Record transforms (SO -> RA -> Item Receipt -> Credit Memo / Cash Refund, SO -> Invoice / Cash Sale) and the RA status machine.

Each ``build_*`` function takes the source record and the request's ``Changes`` and returns the new
record (not yet saved, no id) plus the source as it must be saved afterwards (quantities received or
billed, status). ``RecordService.transform`` does the saving, numbering and linking.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from returns_sandbox.netsuite import errors
from returns_sandbox.netsuite.bodies import Changes
from returns_sandbox.netsuite.records import RecordStore
from returns_sandbox.netsuite.status import ra_status, so_status
from returns_sandbox.netsuite.values import dec

__all__ = ["TRANSFORMS", "build"]

# (from, to) pairs the emulator implements.
TRANSFORMS = frozenset(
    {
        ("salesOrder", "returnAuthorization"),
        ("cashSale", "returnAuthorization"),
        ("invoice", "returnAuthorization"),
        ("returnAuthorization", "itemReceipt"),
        ("returnAuthorization", "creditMemo"),
        ("returnAuthorization", "cashRefund"),
        ("cashSale", "cashRefund"),
        ("salesOrder", "invoice"),
        ("salesOrder", "cashSale"),
        ("customerDeposit", "depositApplication"),
    }
)
_SOURCE_STATUSES = {
    ("salesOrder", "returnAuthorization"): {"E", "F", "G"},
    ("returnAuthorization", "itemReceipt"): {"B", "D", "E"},
    ("returnAuthorization", "creditMemo"): {"E", "F"},
    ("returnAuthorization", "cashRefund"): {"E", "F"},
    ("salesOrder", "invoice"): {"E", "F"},
    ("salesOrder", "cashSale"): {"E", "F"},
}
_HEADER = ("currency", "subsidiary", "location")


def _header(source: dict[str, Any], entity_field: str) -> dict[str, Any]:
    header = {key: source[key] for key in _HEADER if source.get(key) is not None}
    header[entity_field] = source.get("entity") or source.get("customer")
    header["createdFrom"] = source["id"]
    return header


def _apply_lines(
    candidates: dict[int, dict[str, Any]], defaults: list[int], body_lines: list[dict[str, Any]], *, replace: bool
) -> list[dict[str, Any]]:
    """Merge request lines over the lines copied from the source, matching on ``orderLine``.

    Returns the new document's lines, each carrying ``_changed`` (the keys the request set).
    """
    chosen: dict[int, dict[str, Any]] = {} if replace else {k: dict(candidates[k], _changed=set()) for k in defaults}
    order: list[Any] = [] if replace else list(defaults)
    extra: list[dict[str, Any]] = []
    for index, change in enumerate(body_lines):
        order_line = change.get("orderLine")
        if order_line is None:
            if change.get("item") is None:
                raise errors.missing_value("Item", f"item.items[{index}].item")
            extra.append(dict(change, _changed=set(change)))
            continue
        if order_line not in candidates:
            raise errors.invalid_value("orderLine", order_line, f"item.items[{index}].orderLine")
        target = chosen.get(order_line) or dict(candidates[order_line], _changed=set())
        target.update({k: v for k, v in change.items() if v is not None})
        target["_changed"] = set(target["_changed"]) | set(change)
        target["_index"] = index
        if order_line not in chosen:
            order.append(order_line)
        chosen[order_line] = target
    return [chosen[k] for k in order] + extra


def _priced_line(line: dict[str, Any], quantity: Decimal, *, location: Any = None, description: bool = True) -> dict[str, Any]:
    """A source line copied onto the new record for ``quantity`` units with its tax code (NetSuite computes the tax)."""
    copied = {
        "orderLine": line["line"],
        "item": line["item"],
        "quantity": str(quantity),
        "rate": line.get("rate"),
        "location": line.get("location") or location,
    }
    for code_field in ("taxCode", "_taxCode"):  # legacy tax shows the code; under SuiteTax the engine keeps it (tax.py)
        if line.get(code_field) is not None:
            copied[code_field] = line[code_field]
    if description:
        copied["description"] = line.get("description")
    return copied


def build(
    store: RecordStore, from_type: str, source: dict[str, Any], to_type: str, changes: Changes, *, replace: bool
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Build the record ``to_type`` transformed from ``source``; returns (new record, updated source or None)."""
    allowed = _SOURCE_STATUSES.get((from_type, to_type))
    if allowed is not None and source.get("status") not in allowed:
        raise errors.cannot_initialize(to_type, source["id"])
    body_lines = changes.sublists.get("item", [])
    if to_type == "depositApplication":
        return _to_deposit_application(source), None
    if to_type == "returnAuthorization":
        return _to_return_authorization(store, from_type, source, body_lines, replace), None
    if to_type == "itemReceipt":
        return _to_item_receipt(store, source, body_lines, replace)
    if to_type in ("creditMemo", "cashRefund") and from_type == "returnAuthorization":
        return _to_refund(store, to_type, source, body_lines, replace)
    if to_type == "cashRefund":
        return _cash_sale_refund(store, source, body_lines, replace), None
    return _to_billing(store, to_type, source, body_lines, replace)


def _held_by_returns(store: RecordStore, source_id: int) -> dict[int, Decimal]:
    """Units of each source line already on RAs created from it (open lines count fully, closed ones what arrived)."""
    held: dict[int, Decimal] = {}
    for row in store.rows("SELECT _body FROM \"transaction\" WHERE type = 'RtnAuth' AND createdfrom = ?", (source_id,)):
        ra = json.loads(row["_body"])
        for line in ra.get("item") or []:
            if line.get("orderLine") is None:
                continue
            units = dec(line.get("quantityReceived")) if line.get("isClosed") else dec(line.get("quantity"))
            held[line["orderLine"]] = held.get(line["orderLine"], Decimal(0)) + units
    return held


def _to_return_authorization(
    store: RecordStore, from_type: str, source: dict[str, Any], body_lines: list[dict[str, Any]], replace: bool
) -> dict[str, Any]:
    held = _held_by_returns(store, source["id"])
    candidates: dict[int, dict[str, Any]] = {}
    defaults: list[int] = []
    for line in source.get("item") or []:
        shipped = (
            dec(line.get("quantityFulfilled", line.get("quantity"))) if from_type == "salesOrder" else dec(line.get("quantity"))
        )
        returnable = max(shipped - held.get(line["line"], Decimal(0)), Decimal(0))
        candidates[line["line"]] = {
            **_priced_line(line, returnable, location=source.get("location")),
        }
        if returnable > 0 and not line.get("isClosed"):
            defaults.append(line["line"])
    lines = _apply_lines(candidates, defaults, body_lines, replace=replace)
    for number, line in enumerate(lines, start=1):
        line["line"] = number
        line.pop("_index", None)
        line.setdefault("quantityReceived", "0")
        line.setdefault("quantityBilled", "0")
        line["isClosed"] = bool(line.get("isClosed", False))
    record = _header(source, "entity")
    record.update(recordType="returnAuthorization", otherRefNum=source.get("otherRefNum"), item=lines, status="B")
    return record


def _to_item_receipt(
    store: RecordStore, ra: dict[str, Any], body_lines: list[dict[str, Any]], replace: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    candidates: dict[int, dict[str, Any]] = {}
    defaults: list[int] = []
    remaining: dict[int, Decimal] = {}
    for line in ra.get("item") or []:
        left = dec(line.get("quantity")) - dec(line.get("quantityReceived"))
        remaining[line["line"]] = Decimal(0) if line.get("isClosed") else left
        candidates[line["line"]] = {
            "orderLine": line["line"],
            "item": line["item"],
            "quantity": str(max(left, Decimal(0))),
            "location": line.get("location") or ra.get("location"),
            "itemReceive": True,
            "restock": True,
            "description": line.get("description"),
        }
        if remaining[line["line"]] > 0:
            defaults.append(line["line"])
    lines = []
    for line in _apply_lines(candidates, defaults, body_lines, replace=replace):
        index = line.pop("_index", None)
        line.pop("_changed", None)
        if "orderLine" not in line:
            raise errors.user_error("Item receipt lines must reference a line of the return authorization (orderLine).")
        if not line.get("itemReceive", True):
            continue
        quantity = dec(line.get("quantity"))
        path = f"item.items[{index}]" if index is not None else "item"
        if quantity <= 0:
            continue
        if quantity > remaining[line["orderLine"]]:
            raise errors.user_error(
                f"You cannot receive more than the {remaining[line['orderLine']]} unit(s) still expected "
                f"on line {line['orderLine']}.",
                path=f"{path}.quantity",
            )
        if line.get("location") is None:
            raise errors.missing_value("Location", f"{path}.location")
        line["quantity"] = str(quantity)
        lines.append(line)
    if not lines:
        raise errors.user_error("You must enter at least one line item for this transaction.")
    updated = dict(ra, item=[dict(x) for x in ra["item"]])
    by_line = {x["line"]: x for x in updated["item"]}
    for number, line in enumerate(lines, start=1):
        line["line"] = number
        target = by_line[line["orderLine"]]
        target["quantityReceived"] = str(dec(target.get("quantityReceived")) + dec(line["quantity"]))
    updated["status"] = ra_status(updated)
    record = _header(ra, "entity")
    record.update(recordType="itemReceipt", item=lines, status=None, location=ra.get("location") or lines[0]["location"])
    return record, updated


def _to_refund(
    store: RecordStore, to_type: str, ra: dict[str, Any], body_lines: list[dict[str, Any]], replace: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    candidates: dict[int, dict[str, Any]] = {}
    defaults: list[int] = []
    creditable: dict[int, Decimal] = {}
    for line in ra.get("item") or []:
        left = Decimal(0) if line.get("isClosed") else dec(line.get("quantityReceived")) - dec(line.get("quantityBilled"))
        creditable[line["line"]] = left
        candidates[line["line"]] = _priced_line(line, left)
        if left > 0:
            defaults.append(line["line"])
    lines = _apply_lines(candidates, defaults, body_lines, replace=replace)
    if not lines:
        raise errors.user_error("You must enter at least one line item for this transaction.")
    updated = dict(ra, item=[dict(x) for x in ra["item"]])
    by_line = {x["line"]: x for x in updated["item"]}
    for number, line in enumerate(lines, start=1):
        index = line.pop("_index", None)
        line["line"] = number
        if "orderLine" not in line:
            continue
        quantity = dec(line.get("quantity"))
        if quantity > creditable[line["orderLine"]]:
            raise errors.user_error(
                f"You cannot credit more than the {creditable[line['orderLine']]} received and not yet "
                f"credited unit(s) on line {line['orderLine']}.",
                path=f"item.items[{index}].quantity",
            )
        target = by_line[line["orderLine"]]
        target["quantityBilled"] = str(dec(target.get("quantityBilled")) + quantity)
    updated["status"] = ra_status(updated)
    record = _header(ra, "entity")
    record.update(recordType=to_type, item=lines, status="A" if to_type == "creditMemo" else None)
    record["account"] = store.account_for("ar" if to_type == "creditMemo" else "undeposited_funds")
    return record, updated


def _cash_sale_refund(
    store: RecordStore, sale: dict[str, Any], body_lines: list[dict[str, Any]], replace: bool
) -> dict[str, Any]:
    refunded: dict[int, Decimal] = {}
    for row in store.rows("SELECT _body FROM \"transaction\" WHERE type = 'CashRfnd' AND createdfrom = ?", (sale["id"],)):
        for line in json.loads(row["_body"]).get("item") or []:
            if line.get("orderLine") is not None:
                refunded[line["orderLine"]] = refunded.get(line["orderLine"], Decimal(0)) + dec(line.get("quantity"))
    candidates: dict[int, dict[str, Any]] = {}
    defaults: list[int] = []
    for line in sale.get("item") or []:
        left = dec(line.get("quantity")) - refunded.get(line["line"], Decimal(0))
        candidates[line["line"]] = _priced_line(line, left, description=False)
        if left > 0:
            defaults.append(line["line"])
    lines = _apply_lines(candidates, defaults, body_lines, replace=replace)
    if not lines:
        raise errors.user_error("You must enter at least one line item for this transaction.")
    for number, line in enumerate(lines, start=1):
        line.pop("_index", None)
        line["line"] = number
    record = _header(sale, "entity")
    record.update(recordType="cashRefund", item=lines, account=store.account_for("undeposited_funds"))
    return record


def _to_billing(
    store: RecordStore, to_type: str, so: dict[str, Any], body_lines: list[dict[str, Any]], replace: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    candidates: dict[int, dict[str, Any]] = {}
    defaults: list[int] = []
    for line in so.get("item") or []:
        left = dec(line.get("quantityFulfilled", line.get("quantity"))) - dec(line.get("quantityBilled"))
        candidates[line["line"]] = _priced_line(line, left, location=so.get("location"))
        if left > 0 and not line.get("isClosed"):
            defaults.append(line["line"])
    lines = _apply_lines(candidates, defaults, body_lines, replace=replace)
    if not lines:
        raise errors.user_error("You must enter at least one line item for this transaction.")
    updated = dict(so, item=[dict(x) for x in so["item"]])
    by_line = {x["line"]: x for x in updated["item"]}
    for number, line in enumerate(lines, start=1):
        line.pop("_index", None)
        line["line"] = number
        if "orderLine" in line:
            target = by_line[line["orderLine"]]
            target["quantityBilled"] = str(dec(target.get("quantityBilled")) + dec(line["quantity"]))
    updated["status"] = so_status(updated)
    record = _header(so, "entity")
    record.update(recordType=to_type, item=lines, otherRefNum=so.get("otherRefNum"))
    if to_type == "invoice":
        record.update(status="A", account=store.account_for("ar"))
    else:
        record.update(status="B", account=store.account_for("undeposited_funds"))
    return record, updated


def _to_deposit_application(deposit: dict[str, Any]) -> dict[str, Any]:
    """The deposit's header; the ``apply`` sublist comes from the request (payments.apply_deposit checks it).

    Oracle, "Deposit Application" (REST): created only by ``customerDeposit/<id>/!transform/depositApplication``
    with an ``apply`` sublist of invoices (https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/article_0830101547.html).
    """
    header = _header(deposit, "customer")
    header.update(recordType="depositApplication", deposit=deposit["id"])
    return header
