"""Status letters of Sales Orders and Return Authorizations, derived from their lines' received/fulfilled/billed quantities."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from returns_sandbox.netsuite.values import dec

__all__ = ["ra_status", "so_status", "undo_source_effects"]


def ra_status(ra: dict[str, Any]) -> str:
    """Return Authorization status letter from its lines (reference §3.5).

    C (Cancelled) is kept; all lines closed -> H (an unapproved RA too); A (Pending Approval) is kept until
    approved; nothing received -> B; partly received -> E when some received units are not yet credited, else D;
    everything received -> G when all of it is credited, else F. A closed line counts only its received units.
    """
    if ra.get("status") == "C":
        return "C"
    lines = ra.get("item") or []
    if lines and all(line.get("isClosed") for line in lines):
        return "H"
    if ra.get("status") == "A":
        return "A"
    ordered = received = billed = Decimal(0)
    for line in lines:
        got = dec(line.get("quantityReceived"))
        ordered += got if line.get("isClosed") else dec(line.get("quantity"))
        received += got
        billed += dec(line.get("quantityBilled"))
    if received == 0:
        return "B"
    if received < ordered:
        return "E" if received > billed else "D"
    return "G" if billed >= received else "F"


def so_status(so: dict[str, Any]) -> str:
    """Sales Order status from fulfilled/billed quantities (A and C kept; all lines closed -> H)."""
    if so.get("status") in ("A", "C"):
        return so["status"]
    lines = [line for line in so.get("item") or [] if not line.get("isClosed")]
    if not lines:
        return "H" if so.get("item") else so.get("status") or "B"
    ordered = sum((dec(x.get("quantity")) for x in lines), Decimal(0))
    fulfilled = sum((dec(x.get("quantityFulfilled")) for x in lines), Decimal(0))
    billed = sum((dec(x.get("quantityBilled")) for x in lines), Decimal(0))
    if fulfilled == 0:
        return "B"
    if billed >= ordered:
        return "G"
    if fulfilled < ordered:
        return "E" if billed < fulfilled else "D"
    return "F"


def undo_source_effects(record: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """The source of a deleted receipt/credit/bill with the quantities that record had moved taken back."""
    field = {
        "itemReceipt": "quantityReceived",
        "creditMemo": "quantityBilled",
        "cashRefund": "quantityBilled",
        "invoice": "quantityBilled",
        "cashSale": "quantityBilled",
    }.get(record["recordType"])
    if field is None or source.get("item") is None:
        return source
    updated = dict(source, item=[dict(x) for x in source["item"]])
    by_line = {x["line"]: x for x in updated["item"]}
    for line in record.get("item") or []:
        target = by_line.get(line.get("orderLine"))
        if target is not None:
            target[field] = str(max(dec(target.get(field)) - dec(line.get("quantity")), Decimal(0)))
    if updated["recordType"] == "returnAuthorization":
        updated["status"] = ra_status(updated)
    elif updated["recordType"] == "salesOrder":
        updated["status"] = so_status(updated)
    return updated
