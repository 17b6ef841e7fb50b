"""The suite every refund plan passes before it is posted: currency, no negative money, totals equal to Loop's.

Besides the document against Loop's ``refund``, the money is checked against Loop's own split of it,
independently of how the plan was built: the card part against ``refunds[]``'s card gateways, the
gift-card part against its gift-card gateways, ``refunds[]`` against ``refund``; and a plan that needs
a line no posting rule explains (an "unexplained difference") is refused, never posted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from returns_sync.quality.frames import to_minor
from returns_sync.quality.runner import SuiteSpec, ValidationReport, run_suite

__all__ = ["REFUND_SUITE", "RefundCheck", "validate_refunds"]


@dataclass(frozen=True)
class RefundCheck:
    """One return's planned money documents against what Loop says it paid out."""

    loop_return_id: str
    store: str
    loop_currency: str
    so_currency: str | None
    document_total: Decimal  # the cash refund / credit memo total
    expected_document_total: Decimal  # Loop's figure for the same money
    store_credit_total: Decimal  # gift-card liability the plan books
    expected_store_credit: Decimal
    deposit_total: Decimal  # customer deposit for an upsell collected outside Shopify
    expected_deposit: Decimal
    line_count: int
    tolerance_per_line: Decimal = Decimal("0.01")
    # Loop's split of the refund by gateway; without ``refunds[]`` (has_parts False) there is no split to check.
    has_parts: bool = False
    card_total: Decimal = Decimal("0")  # what the plan pays back to the card: cash refund or customer refund
    expected_card: Decimal = Decimal("0")  # refunds[] on card (non-gift-card) gateways
    gift_card_refund_total: Decimal = Decimal("0")  # the plan's refund-to-gift-card lines
    expected_gift_card_refund: Decimal = Decimal("0")  # refunds[] on gift-card gateways
    parts_total: Decimal = Decimal("0")  # sum of refunds[]
    loop_refund: Decimal = Decimal("0")  # Loop's ``refund``
    unexplained_total: Decimal = Decimal("0")  # the plan's line for a difference no posting rule explains


def _between(column: str, low: int | None, high: int | None):
    return lambda gx: gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high)


def _within_tolerance(column: str):
    return lambda gx: gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A="tolerance_minor", column_B=column, or_equal=True
    )


def _reason(rule: str, row: dict[str, Any]) -> str:
    from returns_sync.quality.reasons import _money

    currency = row["loop_currency"]
    if rule == "currency_mismatch":
        return f"Loop refunded in {currency} but the sales order is in {row.get('so_currency')}"
    if rule == "negative_amount":
        return f"The refund document would total {_money(row['document_total_minor'], currency)}: money cannot go back negative"
    if rule == "unexplained_difference":
        more = "more" if row["unexplained_total_minor"] > 0 else "less"
        return (
            f"Loop paid out {_money(row['unexplained_abs_minor'], currency)} {more} than the returned goods, shipping "
            "and fees are worth, and no posting rule explains it; nothing is posted until Loop's figures agree"
        )
    if rule == "refund_parts_mismatch":
        return (
            f"Loop reports a refund of {_money(row['loop_refund_minor'], currency)} but its refunds per payment gateway "
            f"add up to {_money(row['parts_total_minor'], currency)}"
        )
    labels = {
        "total_mismatch": ("refund", "document"),
        "store_credit_mismatch": ("store credit", "store_credit"),
        "deposit_mismatch": ("upsell deposit", "deposit"),
        "card_refund_mismatch": ("refund to the card", "card"),
        "gift_card_refund_mismatch": ("refund to the gift card", "gift_card_refund"),
    }
    label, prefix = labels[rule]
    planned, expected = row[f"{prefix}_total_minor"], row[f"expected_{prefix}_minor"]
    return (
        f"Planned {label} {_money(planned, currency)} but Loop says {_money(expected, currency)} "
        f"(tolerance {_money(row['tolerance_minor'], currency)})"
    )


REFUND_SUITE = SuiteSpec(
    name="refunds",
    expectations=(
        (
            "currency_mismatch",
            lambda gx: gx.expectations.ExpectColumnPairValuesToBeEqual(
                column_A="loop_currency", column_B="so_currency", ignore_row_if="either_value_is_missing"
            ),
        ),
        ("negative_amount", _between("document_total_minor", 0, None)),
        ("total_mismatch", _within_tolerance("document_difference_minor")),
        ("store_credit_mismatch", _within_tolerance("store_credit_difference_minor")),
        ("deposit_mismatch", _within_tolerance("deposit_difference_minor")),
        ("unexplained_difference", _between("unexplained_abs_minor", 0, 0)),
        ("refund_parts_mismatch", _within_tolerance("parts_difference_minor")),
        ("card_refund_mismatch", _within_tolerance("card_difference_minor")),
        ("gift_card_refund_mismatch", _within_tolerance("gift_card_refund_difference_minor")),
    ),
    reason=_reason,
)


def _frame(rows: list[RefundCheck]) -> pd.DataFrame:
    records = []
    for row_id, row in enumerate(rows):
        c = row.loop_currency
        record: dict[str, Any] = {k: v for k, v in asdict(row).items() if not isinstance(v, Decimal)}
        record["row_id"] = row_id
        record["document_total_minor"] = to_minor(row.document_total, c)
        record["expected_document_minor"] = to_minor(row.expected_document_total, c)
        record["store_credit_total_minor"] = to_minor(row.store_credit_total, c)
        record["expected_store_credit_minor"] = to_minor(row.expected_store_credit, c)
        record["deposit_total_minor"] = to_minor(row.deposit_total, c)
        record["expected_deposit_minor"] = to_minor(row.expected_deposit, c)
        record["card_total_minor"] = to_minor(row.card_total, c)
        record["expected_card_minor"] = to_minor(row.expected_card, c)
        record["gift_card_refund_total_minor"] = to_minor(row.gift_card_refund_total, c)
        record["expected_gift_card_refund_minor"] = to_minor(row.expected_gift_card_refund, c)
        record["parts_total_minor"] = to_minor(row.parts_total, c)
        record["loop_refund_minor"] = to_minor(row.loop_refund, c)
        record["unexplained_total_minor"] = to_minor(row.unexplained_total, c)
        record["unexplained_abs_minor"] = abs(record["unexplained_total_minor"])
        for prefix in ("document", "store_credit", "deposit", "card", "gift_card_refund"):
            record[f"{prefix}_difference_minor"] = abs(record[f"{prefix}_total_minor"] - record[f"expected_{prefix}_minor"])
        record["parts_difference_minor"] = abs(record["parts_total_minor"] - record["loop_refund_minor"])
        if not row.has_parts:  # Loop gave no split by gateway: nothing to hold the plan's split against
            for column in ("card_difference_minor", "gift_card_refund_difference_minor", "parts_difference_minor"):
                record[column] = 0
        record["tolerance_minor"] = to_minor(row.tolerance_per_line, c) * max(row.line_count, 1)
        records.append(record)
    return pd.DataFrame.from_records(records)


def validate_refunds(rows: list[RefundCheck]) -> ValidationReport:
    return run_suite(REFUND_SUITE, _frame(rows))
