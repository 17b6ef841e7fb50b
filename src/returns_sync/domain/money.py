"""Money as Decimal with explicit currencies, rounded to each currency's minor unit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = ["ZERO", "CurrencyMismatchError", "Money", "format_money", "minor_units", "quantize", "to_decimal"]

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
    return str(Money(amount, currency))


class CurrencyMismatchError(ValueError):
    """Two amounts in different currencies met in one sum or comparison: a bug, never something to round away."""


@dataclass(frozen=True, order=False)
class Money:
    """An amount and its currency, always in the currency's minor unit (``48.6`` USD is ``48.60 USD``).

    Sums, differences and comparisons refuse a second currency instead of mixing it in.

    Example:
        >>> Money("48.6", "usd") + Money("1.40", "USD")
        Money(amount=Decimal('50.00'), currency='USD')
        >>> str(Money.total([Money("10", "JPY"), Money("5", "JPY")], "JPY"))
        '15 JPY'
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        currency = str(self.currency).strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")
        object.__setattr__(self, "currency", currency)
        object.__setattr__(self, "amount", quantize(to_decimal(self.amount), currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(ZERO, currency)

    @classmethod
    def total(cls, amounts: Iterable[Money], currency: str) -> Money:
        """The sum of ``amounts`` (zero when there are none), all in ``currency``."""
        result = cls.zero(currency)
        for amount in amounts:
            result += amount
        return result

    def _same(self, other: Money) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}; wrap it in Money first")
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"{self} and {other} are in different currencies")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        """Scale by a quantity or rate, rounded half-up to the minor unit."""
        if isinstance(factor, (float, bool)) or not isinstance(factor, (int, Decimal)):
            raise TypeError(f"Money can be multiplied by an int or a Decimal, not {type(factor).__name__}")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
