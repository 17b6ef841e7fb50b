"""A batch's sales orders are read in one round: headers, lines with their tax rates, and billing side by side.

Each return's way to its RA waits for this read; three NetSuite latencies in a row (headers, then lines and
billing, then rates) were the longest part of the chain after Loop's webhook (issue 13's freshness figures).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import HAT, SHIRT
from fakes import TAX_8, FakeNetSuite, LazyNetSuite, order_5550001

from returns_sync.domain.netsuite import SalesOrderSnapshot
from returns_sync.domain.tax import TaxEngine
from returns_sync.tasks import netsuite_sales_orders as so_lookup

SO = 5001


def _order_1001(netsuite: FakeNetSuite) -> None:
    netsuite.add_order_1001(SO)
    netsuite.add_line(SO, 1, item=SHIRT, quantity=-2, rate="50.00", taxcode=TAX_8)
    netsuite.add_line(SO, 2, item=HAT, quantity=-1, rate="20.00")
    netsuite.add_transaction("CashSale", createdfrom=SO)


def _find(netsuite: FakeNetSuite, engine: TaxEngine = TaxEngine.LEGACY) -> SalesOrderSnapshot:
    return order_5550001(netsuite, engine)


def test_headers_lines_and_billing_are_read_side_by_side() -> None:
    netsuite = LazyNetSuite(parties=3)
    _order_1001(netsuite)
    so = _find(netsuite)  # sent one after another, the first read would wait at the barrier alone and fail
    assert len(netsuite.queries) == 3
    assert (so.billing, [(line.line, line.tax_code, line.tax_rate) for line in so.lines]) == (
        "cash_sale",
        [(1, TAX_8, Decimal("0.08")), (2, None, None)],
    )


def test_under_suitetax_the_tax_detail_rows_are_read_beside_them() -> None:
    netsuite = LazyNetSuite(parties=4)
    netsuite.suitetax = True
    _order_1001(netsuite)
    netsuite.tax_details.append({"transaction": str(SO), "line": "2", "taxcode": "31", "taxrate": "0.0825"})
    so = _find(netsuite, TaxEngine.SUITETAX)
    assert [(line.tax_code, line.tax_rate) for line in so.lines] == [(None, None), ("31", Decimal("0.0825"))]


def test_a_rate_netsuite_shows_in_another_form_leaves_the_line_unpredictable(netsuite: FakeNetSuite) -> None:
    netsuite.tax_codes[0]["rate"] = "eight"
    _order_1001(netsuite)
    # lines.py quarantines such a return: the tax cannot be checked before posting.
    assert [(line.tax_code, line.tax_rate) for line in _find(netsuite).lines] == [(TAX_8, None), (None, None)]


def test_a_code_without_a_salestaxitem_row_keeps_its_line(netsuite: FakeNetSuite) -> None:
    netsuite.tax_codes.clear()
    _order_1001(netsuite)
    assert [(line.line, line.tax_code, line.tax_rate) for line in _find(netsuite).lines] == [(1, TAX_8, None), (2, None, None)]


def test_the_lines_of_an_order_of_another_subsidiary_are_left_out(netsuite: FakeNetSuite) -> None:
    _order_1001(netsuite)
    netsuite.transactions[-2]["subsidiary"] = "2"  # the order; the cash sale is the last row
    by_id, _ = so_lookup.find_sales_orders(
        netsuite,
        shopify_order_ids=["5550001"],
        order_names=[],
        order_id_field="custbody_shopify_order_id",
        subsidiary_id=1,
    )
    assert by_id == {}


@pytest.mark.parametrize("engine", list(TaxEngine))
def test_the_reads_match_sales_orders_only(netsuite: FakeNetSuite, engine: TaxEngine) -> None:
    netsuite.suitetax = engine is TaxEngine.SUITETAX
    _order_1001(netsuite)
    _find(netsuite, engine)
    assert len(netsuite.queries) == (4 if netsuite.suitetax else 3)
    for query in netsuite.queries:
        assert "t.type = 'SalesOrd'" in query and "t.custbody_shopify_order_id IN ('5550001')" in query
