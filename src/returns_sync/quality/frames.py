"""The batch a quality suite validates: one row per (return, SKU) with everything the checks need, money in minor units."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal

import pandas as pd

from returns_sync.domain.money import minor_units

__all__ = ["ReturnLineCheck", "build_batch_frame", "to_minor"]


def to_minor(amount: Decimal, currency: str) -> int:
    """Exact integer minor units (cents) so the checks never compare floats."""
    scaled = amount.scaleb(minor_units(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} has more decimals than the currency allows")
    return int(scaled)


@dataclass(frozen=True)
class ReturnLineCheck:
    """What the product knows about one returned SKU of one return, before posting anything.

    ``expected_*`` are Loop's own figures for what the plan should add up to; ``plan_*`` are the
    planned NetSuite document's. Both are per return and repeated on each of its rows.
    """

    loop_return_id: str
    store: str
    sku: str
    quantity: int
    sku_field: str
    item_ids: tuple[int, ...]
    order_name: str | None
    sales_order_ids: tuple[int, ...]
    sales_order_tranids: tuple[str, ...]
    ordered_quantity: int | None
    already_returned: int | None
    loop_currency: str
    so_currency: str | None
    unit_amount: Decimal
    tax_amount: Decimal
    plan_total: Decimal
    expected_total: Decimal
    plan_tax: Decimal
    expected_tax: Decimal
    line_count: int
    tolerance_per_line: Decimal = Decimal("0.01")
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def returnable(self) -> int | None:
        if self.ordered_quantity is None:
            return None
        return self.ordered_quantity - (self.already_returned or 0)


_MONEY_FIELDS = ("unit_amount", "tax_amount", "plan_total", "expected_total", "plan_tax", "expected_tax")


def build_batch_frame(rows: list[ReturnLineCheck]) -> pd.DataFrame:
    """One DataFrame for the whole batch; ``row_id`` ties GX's unexpected rows back to ``rows``."""
    records = []
    for row_id, row in enumerate(rows):
        record = asdict(row)
        record.pop("extra")
        currency = row.loop_currency
        for name in _MONEY_FIELDS:
            record[f"{name}_minor"] = to_minor(record.pop(name), currency)
        tolerance = to_minor(record.pop("tolerance_per_line"), currency) * max(row.line_count, 1)
        record["row_id"] = row_id
        record["item_match_count"] = len(row.item_ids)
        record["sales_order_match_count"] = len(row.sales_order_ids)
        record["item_ids"] = ",".join(map(str, row.item_ids))
        record["sales_order_ids"] = ",".join(map(str, row.sales_order_ids))
        record["sales_order_tranids"] = ",".join(row.sales_order_tranids)
        record["returnable"] = row.returnable
        record["total_difference_minor"] = abs(record["plan_total_minor"] - record["expected_total_minor"])
        record["tax_difference_minor"] = abs(record["plan_tax_minor"] - record["expected_tax_minor"])
        record["tolerance_minor"] = tolerance
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    if not frame.empty:
        # Nullable integers keep "unknown" (no SO) apart from 0 without turning counts into floats.
        for column in ("ordered_quantity", "already_returned", "returnable"):
            frame[column] = frame[column].astype("Int64")
    return frame
