"""Money: an amount with its currency, in the currency's minor unit, that refuses to mix currencies."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from returns_sync.domain.money import CurrencyMismatchError, Money, format_money


class TestMoney:
    @pytest.mark.parametrize(
        ("amount", "currency", "expected"),
        [
            ("48.6", "usd", "48.60 USD"),
            (Decimal("0.005"), "USD", "0.01 USD"),  # half-up, as NetSuite rounds a line
            (Decimal("-0.005"), "USD", "-0.01 USD"),
            ("1234.5", "JPY", "1235 JPY"),
            ("1.2345", "KWD", "1.235 KWD"),
            (7, "EUR", "7.00 EUR"),
            (None, "EUR", "0.00 EUR"),
        ],
    )
    def test_kept_in_the_currency_minor_unit(self, amount, currency: str, expected: str) -> None:
        assert str(Money(amount, currency)) == expected

    def test_equal_values_are_equal_whatever_their_spelling(self) -> None:
        assert Money("48.6", "usd") == Money(Decimal("48.600"), "USD")
        assert Money("48.60", "USD") != Money("48.60", "EUR")

    def test_arithmetic_stays_in_the_currency(self) -> None:
        a, b = Money("10.10", "USD"), Money("0.95", "USD")
        assert (a + b, a - b, -a, abs(-a)) == (Money("11.05", "USD"), Money("9.15", "USD"), Money("-10.10", "USD"), a)
        assert a * 3 == 3 * a == Money("30.30", "USD")
        assert Money("26.667", "USD") * Decimal("3") == Money("80.01", "USD")  # 26.67 x 3, the amount is rounded first
        assert Money.total([a, b, b], "USD") == Money("12.00", "USD")
        assert Money.total([], "JPY") == Money.zero("JPY")
        assert b < a and a >= b and not (a < a) and a <= a

    def test_zero_is_falsy_like_a_decimal(self) -> None:
        assert not Money.zero("USD") and Money("0.01", "USD")

    @pytest.mark.parametrize(
        "operation",
        [
            lambda a, b: a + b,
            lambda a, b: a - b,
            lambda a, b: a < b,
            lambda a, b: a >= b,
            lambda a, b: Money.total([a, b], "USD"),
        ],
    )
    def test_two_currencies_never_mix(self, operation) -> None:
        with pytest.raises(CurrencyMismatchError, match="10.00 USD and 5.00 EUR are in different currencies"):
            operation(Money("10", "USD"), Money("5", "EUR"))

    @pytest.mark.parametrize("other", [Decimal("1"), 1, "1.00"])
    def test_a_bare_number_is_not_money(self, other) -> None:
        with pytest.raises(TypeError, match="wrap it in Money first"):
            Money("1", "USD") + other

    @pytest.mark.parametrize("factor", [1.5, True, "2"])
    def test_scaled_only_by_exact_numbers(self, factor) -> None:
        with pytest.raises(TypeError, match="multiplied by an int or a Decimal"):
            Money("1", "USD") * factor

    @pytest.mark.parametrize("currency", ["", "US", "USDX", "U$D"])
    def test_currency_is_an_iso_code(self, currency: str) -> None:
        with pytest.raises(ValueError, match="not an ISO 4217 currency code"):
            Money("1", currency)

    def test_a_float_amount_goes_through_its_repr(self) -> None:
        assert Money(0.1, "USD").amount == Decimal("0.10")

    def test_format_money_renders_the_same(self) -> None:
        assert format_money(Decimal("48.6"), "usd") == "48.60 USD"

    @given(st.lists(st.integers(min_value=-(10**9), max_value=10**9), max_size=20))
    def test_a_total_is_exact_in_minor_units(self, cents: list[int]) -> None:
        amounts = [Money(Decimal(c).scaleb(-2), "USD") for c in cents]
        assert Money.total(amounts, "USD").amount == Decimal(sum(cents)).scaleb(-2).quantize(Decimal("0.01"))
