"""Money as Decimal with explicit currencies, rounded to each currency's minor unit."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = ["ZERO", "minor_units", "quantize", "to_decimal", "format_money"]

ZERO = Decimal("0")

# ISO 4217 minor units for currencies that differ from the usual two decimals.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "HUF": 2, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3}


def minor_units(currency: str) -> int:
    """Number of decimals of ``currency`` (ISO 4217), two unless listed otherwise."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half-up to the minor unit of ``currency`` (NetSuite rounds each line this way)."""
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def to_decimal(value: Any) -> Decimal:
    """Parse a money value from an API: decimal strings, ints, floats (via their repr) or None (zero).

    Loop sends strings in lists and numbers in some webhook fields; NetSuite SuiteQL sends strings.
    A float goes through ``str`` so 0.1 stays 0.1 and never becomes 0.1000000000000000055.
    """
    if value is None or value == "":
        return ZERO
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValueError("a boolean is not a money amount")
    if isinstance(value, float):
        value = repr(value)
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a money amount: {value!r}") from exc


def format_money(amount: Decimal, currency: str) -> str:
    """Render ``amount`` for people: ``48.60 USD``."""
    return f"{quantize(amount, currency)} {currency.upper()}"
