"""Value conversions shared by the emulator's modules: stored amounts as Decimal, money strings, custom field text."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from returns_sandbox.money import quantize

__all__ = ["custom_value_text", "dec", "money", "num_text"]


def dec(value: Any) -> Decimal:
    """A stored amount (decimal string, int or None) as Decimal; None and "" are zero."""
    if value is None or value == "":
        return Decimal("0")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def money(amount: Decimal, currency: str) -> str:
    """``amount`` rounded to ``currency``'s minor unit, as the decimal string records store."""
    return str(quantize(amount, currency))


def custom_value_text(value: Any) -> str | None:
    """A custom field's value as SuiteQL shows it: checkboxes ``T``/``F``, references their id."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, dict):
        return None if value.get("id") is None else str(value["id"])
    return str(value)


def num_text(value: Any) -> str | None:
    """A number for a NUMERIC column (None stays NULL)."""
    return None if value is None else str(value)
