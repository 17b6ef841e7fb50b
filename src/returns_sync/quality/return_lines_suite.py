"""The suite every return passes before its RA is posted: SKU and order linkage, quantities, currency, amounts, totals."""

from __future__ import annotations

from returns_sync.quality.frames import ReturnLineCheck, build_batch_frame
from returns_sync.quality.reasons import reason_for
from returns_sync.quality.runner import SuiteSpec, ValidationReport, run_suite

__all__ = ["RETURN_LINES_SUITE", "validate_return_lines"]


def _between(column: str, low: int | None, high: int | None):
    return lambda gx: gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high)


def _a_at_least_b(column_a: str, column_b: str):
    return lambda gx: gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=column_a, column_B=column_b, or_equal=True, ignore_row_if="either_value_is_missing"
    )


def _equal(column_a: str, column_b: str):
    return lambda gx: gx.expectations.ExpectColumnPairValuesToBeEqual(
        column_A=column_a, column_B=column_b, ignore_row_if="either_value_is_missing"
    )


RETURN_LINES_SUITE = SuiteSpec(
    name="return_lines",
    expectations=(
        ("sku_unknown", _between("item_match_count", 1, None)),
        ("sku_ambiguous", _between("item_match_count", None, 1)),
        ("order_not_in_netsuite", _between("sales_order_match_count", 1, None)),
        ("order_ambiguous", _between("sales_order_match_count", None, 1)),
        ("quantity_exceeds_returnable", _a_at_least_b("returnable", "quantity")),
        ("currency_mismatch", _equal("loop_currency", "so_currency")),
        ("negative_amount", _between("unit_amount_minor", 0, None)),
        ("negative_amount", _between("tax_amount_minor", 0, None)),
        ("total_mismatch", _a_at_least_b("tolerance_minor", "total_difference_minor")),
        ("tax_mismatch", _a_at_least_b("tolerance_minor", "tax_difference_minor")),
    ),
    reason=reason_for,
)


def validate_return_lines(rows: list[ReturnLineCheck]) -> ValidationReport:
    """Validate a whole batch at once; returns with any failing row are reported with every rule they broke."""
    return run_suite(RETURN_LINES_SUITE, build_batch_frame(rows))
