"""Sales order lines on a SuiteTax account: the rate comes from the engine's tax detail rows, not a line tax code."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import HAT, SHIRT
from fakes import USD, FakeNetSuite, order_5550001

from returns_sync.domain.tax import TaxEngine

SO = 5001
SUITETAX_CODE = "31"


@pytest.fixture
def suitetax_account(netsuite: FakeNetSuite) -> FakeNetSuite:
    """Order #1001 on a SuiteTax account: its lines carry no tax code; the engine taxed the shirt line at 8.25 %."""
    netsuite.suitetax = True
    netsuite.transactions.append(
        {"id": str(SO), "type": "SalesOrd", "tranid": "SO5001", "otherrefnum": "#1001",
         "custbody_shopify_order_id": "5550001", "currency": USD, "entity": "42", "subsidiary": "1", "location": "1"}
    )  # fmt: skip
    netsuite.add_line(SO, 1, item=SHIRT, quantity=-2, rate="50.00")
    netsuite.add_line(SO, 2, item=HAT, quantity=-1, rate="20.00")
    netsuite.tax_details.append({"transaction": str(SO), "line": "1", "taxcode": SUITETAX_CODE, "taxrate": "0.0825"})
    return netsuite


def _lines(netsuite: FakeNetSuite, engine: TaxEngine) -> dict[int, tuple[str | None, Decimal | None]]:
    return {line.line: (line.tax_code, line.tax_rate) for line in order_5550001(netsuite, engine).lines}


def test_a_lines_code_and_rate_come_from_its_tax_detail_row(suitetax_account: FakeNetSuite) -> None:
    assert _lines(suitetax_account, TaxEngine.SUITETAX) == {1: (SUITETAX_CODE, Decimal("0.0825")), 2: (None, None)}
    queries = " ".join(suitetax_account.queries)
    assert "transactiontaxdetail" in queries and "salestaxitem" not in queries and "tl.taxcode" not in queries


def test_rows_of_several_tax_types_on_one_line_add_up_their_rates(suitetax_account: FakeNetSuite) -> None:
    suitetax_account.tax_details.append({"transaction": str(SO), "line": "1", "taxcode": "32", "taxrate": "0.01"})
    assert _lines(suitetax_account, TaxEngine.SUITETAX)[1] == (SUITETAX_CODE, Decimal("0.0925"))


@pytest.mark.parametrize("rate", ["8.25", "n/a", ""])
def test_a_rate_that_is_no_fraction_leaves_the_line_unpredictable(suitetax_account: FakeNetSuite, rate: str) -> None:
    suitetax_account.tax_details[0]["taxrate"] = rate
    # A code without a rate: lines.py quarantines the return, saying the tax cannot be checked before posting.
    assert _lines(suitetax_account, TaxEngine.SUITETAX)[1] == (SUITETAX_CODE, None)


def test_a_legacy_account_has_no_tax_detail_table(suitetax_account: FakeNetSuite) -> None:
    suitetax_account.suitetax = False
    with pytest.raises(Exception, match="transactiontaxdetail"):
        _lines(suitetax_account, TaxEngine.SUITETAX)


def test_the_legacy_read_is_unchanged(suitetax_account: FakeNetSuite) -> None:
    suitetax_account.lines[0]["taxcode"] = "11"
    suitetax_account.tax_codes.append({"id": "11", "rate": "8.00%"})
    assert _lines(suitetax_account, TaxEngine.LEGACY) == {1: ("11", Decimal("0.08")), 2: (None, None)}
    assert "transactiontaxdetail" not in " ".join(suitetax_account.queries)
