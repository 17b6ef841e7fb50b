"""Money rounding for the emulators: Decimal amounts rounded half-up to each currency's minor unit.

The sandbox keeps its own copy rather than importing the product's: it is a separate package, and
an emulator that shared the product's rounding could not catch a rounding bug in it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["ZERO", "minor_units", "quantize"]

ZERO = Decimal("0")

# ISO 4217 currencies whose minor unit is not the usual two decimals.
_MINOR_UNITS = {"BHD": 3, "CLP": 0, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "OMR": 3, "TND": 3, "VND": 0}


def minor_units(currency: str) -> int:
    """Decimals of ``currency`` (ISO 4217): ``minor_units("USD") == 2``, ``minor_units("JPY") == 0``."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half-up to ``currency``'s minor unit, as NetSuite, Shopify and Loop round each line.

    >>> quantize(Decimal("2.345"), "USD")
    Decimal('2.35')
    >>> quantize(Decimal("1234.5"), "JPY")
    Decimal('1235')
    """
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)
