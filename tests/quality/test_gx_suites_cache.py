"""The process's Great Expectations context: built once, shared by batches, rebuilt after ``GX_SUITES.reset()``."""

from __future__ import annotations

from decimal import Decimal

from returns_sync.quality import RefundCheck, validate_refunds
from returns_sync.quality.refund_suite import REFUND_SUITE
from returns_sync.quality.runner import GX_SUITES


def refund(**changes) -> RefundCheck:
    zero, ten = Decimal("0.00"), Decimal("10.00")
    fields = dict(
        loop_return_id="r-1",
        store="north",
        loop_currency="USD",
        so_currency="USD",
        document_total=ten,
        expected_document_total=ten,
        store_credit_total=zero,
        expected_store_credit=zero,
        deposit_total=zero,
        expected_deposit=zero,
        line_count=1,
    )
    return RefundCheck(**{**fields, **changes})


def test_suites_are_built_once_and_rebuilt_after_reset() -> None:
    assert validate_refunds([refund()]).failures == {}
    first = GX_SUITES.get(REFUND_SUITE)
    assert GX_SUITES.get(REFUND_SUITE) is first
    GX_SUITES.reset()
    assert validate_refunds([refund()]).failures == {}
    assert GX_SUITES.get(REFUND_SUITE) is not first
