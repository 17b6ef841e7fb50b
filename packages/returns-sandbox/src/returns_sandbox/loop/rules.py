"""Loop's return state machine: which action is allowed in which state, and what it does to the return JSON.

Pure functions over plain dicts; ``models.py`` stores the results. Refusals raise the exact bodies of
``errors.py``. ``flagged`` is the emulator's marker for a return put into ``review`` by Flag Return
(Loop renders it only through the ``UNPROCESSABLE_FLAGGED_RETURN`` refusals).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from returns_sandbox.loop.constants import REMOVABLE_OUTCOMES
from returns_sandbox.loop.errors import ActionRefused, UnprocessableRequest

__all__ = [
    "apply_processing",
    "check_admin",
    "check_cancel",
    "check_close",
    "check_flag",
    "check_process",
    "check_remove",
    "mark_lines_received",
    "parse_line_item_ids",
    "remove_lines",
]


def check_process(state: str, flagged: bool) -> None:
    """Process Return: only ``open`` returns; the spec's body differs per refused state."""
    if state == "open":
        return
    if state == "review":
        raise ActionRefused.flagged() if flagged else ActionRefused.plain("review")
    if state == "cancelled":
        raise ActionRefused.plain("cancelled")
    raise ActionRefused.state(state)


def check_cancel(state: str, flagged: bool) -> None:
    """Cancel Return: ``open`` or an unflagged ``review``; expired/flagged answer with ``content`` bodies."""
    if state == "open" or (state == "review" and not flagged):
        return
    if state == "expired":
        raise ActionRefused.content("expired")
    if state == "review":
        raise ActionRefused.content("flagged")
    raise ActionRefused.state(state)


def check_flag(state: str, flagged: bool) -> None:
    """Flag Return: only ``open`` returns go to review."""
    if state == "open":
        return
    if state == "review" and flagged:
        raise ActionRefused.flagged()
    raise ActionRefused.state(state)


def check_close(state: str, flagged: bool) -> None:
    """Close Return: ``open`` or ``review`` (closing is how a human resolves a review)."""
    if state in ("open", "review"):
        return
    if state == "cancelled":
        raise ActionRefused.plain("cancelled")
    raise ActionRefused.state(state)


def check_remove(state: str, flagged: bool) -> None:
    """Remove Line Items processes the return afterwards, so it needs an ``open`` return."""
    if state != "open":
        raise UnprocessableRequest.cannot_be_modified()


def check_admin(state: str, allowed: Iterable[str]) -> None:
    """Admin-side actions (the sandbox's stand-in for people working in Loop Admin)."""
    if state not in tuple(allowed):
        raise ActionRefused.state(state)


def _dec(value: Any) -> Decimal:
    if value is None or value == "":
        return Decimal("0")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal("0")


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def apply_processing(ret: dict[str, Any], now: str, *, set_returned_at: bool) -> dict[str, Any]:
    """The return after Loop processed it: closed, ``was_processed``, and a timestamp per executed outcome.

    Existing ``outcomes_processed_at`` values are kept (a refund issued before inspection stays dated).
    ``set_returned_at`` marks every line received that is not yet (what processing in Loop Admin does).
    """
    result = copy.deepcopy(ret)
    result["state"] = "closed"
    result["was_processed"] = True
    done = dict(result.get("outcomes_processed_at") or {})
    for key in ("return_processed", "refund_processed", "gift_card_processed", "exchange_processed"):
        done.setdefault(key, None)
    done["return_processed"] = done["return_processed"] or now
    if _dec(result.get("refund")) > 0:
        done["refund_processed"] = done["refund_processed"] or now
    if _dec(result.get("gift_card")) > 0:
        done["gift_card_processed"] = done["gift_card_processed"] or now
    if result.get("exchanges"):
        done["exchange_processed"] = done["exchange_processed"] or now
    result["outcomes_processed_at"] = done
    if set_returned_at:
        for line in result.get("line_items") or []:
            line["returned_at"] = line.get("returned_at") or now
    return result


def parse_line_item_ids(raw: str | Iterable[Any] | None) -> list[str]:
    """``"123,456"`` or ``[123, "456"]`` -> ``["123", "456"]`` (blanks dropped)."""
    if raw is None:
        return []
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    return [str(item).strip() for item in items if str(item).strip()]


def remove_lines(ret: dict[str, Any], line_item_ids: list[str]) -> dict[str, Any]:
    """The return without ``line_item_ids`` and with its totals reduced by what those lines carried.

    Raises:
        UnprocessableRequest: none, or not all, of the ids are refund/store-credit lines of this return.
    """
    lines = ret.get("line_items") or []
    by_id = {str(line.get("line_item_id")): line for line in lines}
    wanted = set(line_item_ids)
    qualifying = {i for i in wanted if i in by_id and str(by_id[i].get("outcome") or "") in REMOVABLE_OUTCOMES}
    if not qualifying:
        raise UnprocessableRequest.nothing_to_remove()
    if qualifying != wanted:
        raise UnprocessableRequest.not_all_removable()
    result = copy.deepcopy(ret)
    result["line_items"] = [line for line in result.get("line_items") or [] if str(line.get("line_item_id")) not in wanted]
    for line_id in wanted:
        line = by_id[line_id]
        price, discount, tax, credit = (
            _dec(line.get("price")),
            _dec(line.get("discount")),
            _dec(line.get("tax")),
            _dec(line.get("refund")),
        )
        deltas = {
            "return_product_total": price,
            "return_discount_total": discount,
            "return_tax_total": tax,
            "return_total": price - discount + tax,
            "return_credit_total": credit,
            "total": credit,
            "refund" if line.get("outcome") == "refund" else "gift_card": credit,
        }
        for key, delta in deltas.items():
            if key in result:
                result[key] = _money(_dec(result[key]) - delta)
    _shrink_pending_refund_parts(result)
    return result


def _shrink_pending_refund_parts(ret: dict[str, Any]) -> None:
    """Refund parts not yet executed (no ``provider_refund_id``) follow the smaller ``refund``, split as before.

    Loop refunds per gateway what the return still holds; the parts keep their proportions, the last takes the cent.
    """
    parts = ret.get("refunds") or []
    if not parts or any(part.get("provider_refund_id") for part in parts):
        return
    before = sum((_dec(part.get("amount")) for part in parts), Decimal(0))
    after = _dec(ret.get("refund"))
    if before <= 0 or before == after:
        return
    left = after
    for part in parts[:-1]:
        share = (_dec(part.get("amount")) * after / before).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        part["amount"] = _money(share)
        left -= share
    parts[-1]["amount"] = _money(left)
    ret["refunds"] = [part for part in parts if _dec(part.get("amount")) > 0]


def mark_lines_received(ret: dict[str, Any], now: str, line_item_ids: list[str] | None) -> dict[str, Any]:
    """Set ``returned_at`` on the given lines (all when ``None``) that do not have it yet."""
    result = copy.deepcopy(ret)
    wanted = None if line_item_ids is None else set(line_item_ids)
    for line in result.get("line_items") or []:
        if wanted is None or str(line.get("line_item_id")) in wanted:
            line["returned_at"] = line.get("returned_at") or now
    return result
