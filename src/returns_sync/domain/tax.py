"""Sales tax as NetSuite will compute it, and how far Loop's tax may differ before a return is refused.

NetSuite's REST API takes no tax amount on a line: it computes each line's tax from the line's tax
code (kept from the sales order line by ``!transform``) and rounds it once per line, half-up to the
currency's minor unit (Oracle, "Setting Tax Rounding Levels, Methods, and Precision Settings":
https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_N1814149.html). Shopify, and so
Loop, round tax per unit; the two can differ by a cent or two on a multi-unit line. The sync predicts
NetSuite's figure, and books a difference within the store's tolerance as a rounding line in the same
request (nothing is half-posted); a larger difference is a data problem and the return waits in quarantine.

>>> parse_tax_rate("8.00%")
Decimal('0.08')
>>> netsuite_line_tax(Decimal("30.15"), Decimal("0.08"), "USD")
Decimal('2.41')
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from returns_sync.domain.money import ZERO, quantize
from returns_sync.domain.netsuite import LineKind, RecordRole, SalesOrderSnapshot
from returns_sync.domain.plan import PlannedRecord

__all__ = [
    "LineTax",
    "TaxRateError",
    "netsuite_line_tax",
    "parse_tax_rate",
    "price_difference_tax",
    "shipping_line_tax",
    "tax_difference_problem",
    "tax_problems",
]


class TaxRateError(ValueError):
    """A tax code's rate as NetSuite answered it cannot be read as a percentage."""


def parse_tax_rate(text: str) -> Decimal:
    """A tax code's ``rate`` as SuiteQL shows it (``8.00%``, or ``8`` without the sign) as a fraction (``0.08``).

    Raises:
        TaxRateError: not a percentage between 0 and 100.
    """
    cleaned = text.strip().removesuffix("%").strip()
    try:
        percent = Decimal(cleaned)
    except InvalidOperation:
        raise TaxRateError(f"tax rate {text!r} is not a percentage") from None
    if not percent.is_finite() or not ZERO <= percent <= 100:
        raise TaxRateError(f"tax rate {text!r} is not a percentage between 0 and 100")
    return percent / 100


def netsuite_line_tax(amount: Decimal, rate: Decimal | None, currency: str) -> Decimal:
    """The tax NetSuite computes on a line of ``amount`` with a code of ``rate`` (None: no code, no tax)."""
    if rate is None:
        return quantize(ZERO, currency)
    return quantize(amount * rate, currency)


def tax_difference_problem(what: str, loop_tax: Decimal, netsuite_tax: Decimal, tolerance: Decimal) -> str | None:
    """Why ``what`` cannot post when Loop's and NetSuite's tax differ by more than ``tolerance``; None when they may.

    >>> tax_difference_problem("SKU SHIRT", Decimal("3.60"), Decimal("3.59"), Decimal("0.01")) is None
    True
    """
    if abs(loop_tax - netsuite_tax) <= tolerance:
        return None
    return (
        f"tax on {what}: Loop charged {loop_tax} but NetSuite computes {netsuite_tax} from the sales order's tax code "
        f"(difference {loop_tax - netsuite_tax}, tolerance {tolerance})"
    )


@dataclass(frozen=True)
class LineTax:
    """The tax of a special line (shipping): its code, what NetSuite computes with it, and Loop's figure."""

    code: str | None
    netsuite: Decimal
    loop: Decimal


def shipping_line_tax(so: SalesOrderSnapshot, shipping_item_id: int | None, shipping: Decimal, loop_tax: Decimal) -> LineTax:
    """A shipping refund is taxed with the code of the order's shipping line; without one NetSuite taxes nothing."""
    so_line = next((line for line in so.lines if line.item_id == shipping_item_id), None) if shipping_item_id else None
    rate = so_line.tax_rate if so_line else None
    return LineTax(so_line.tax_code if so_line else None, netsuite_line_tax(shipping, rate, so.currency), loop_tax)


def price_difference_tax(so: SalesOrderSnapshot, order_line: int | None, difference: Decimal) -> tuple[Decimal, LineTax | None]:
    """Split Loop's tax-inclusive exchange price difference into its net amount and the tax NetSuite computes on it.

    The difference line is taxed with the exchanged SO line's code (POSTING.md: 10.80 back = 10.00 + 0.80 tax), so
    its tax goes to Sales Tax Payable, never to Sales Returns. Without a code the whole difference is net.

    >>> from returns_sync.domain.netsuite import SalesOrderLine
    >>> so = SalesOrderSnapshot(id=1, tranid="SO1", currency="USD", customer_id=1, lines=[
    ...     SalesOrderLine(line=1, item_id=7, quantity=1, rate=Decimal("45"), tax_code="11", tax_rate=Decimal("0.08"))])
    >>> net, tax = price_difference_tax(so, 1, Decimal("10.80"))
    >>> (net, tax.netsuite, tax.loop)
    (Decimal('10.00'), Decimal('0.80'), Decimal('0.80'))
    """
    so_line = so.line(order_line) if order_line is not None else None
    rate = so_line.tax_rate if so_line else None
    if so_line is None or not rate:
        return difference, None
    net = quantize(difference / (1 + rate), so.currency)
    return net, LineTax(so_line.tax_code, netsuite_line_tax(net, rate, so.currency), difference - net)


def tax_problems(records: list[PlannedRecord], tolerance: Decimal) -> list[str]:
    """Lines whose tax NetSuite computes differently from Loop's by more than ``tolerance``, in words.

    The RA's lines are checked once (the money document repeats them, the receipt carries no tax), then the
    money document's own taxed lines (shipping).
    """
    problems = []
    for record in records:
        for line in record.lines:
            if (record.role is not RecordRole.RA and line.ra_index is not None) or line.kind is LineKind.TAX_ROUNDING:
                continue
            what = f"SKU {line.sku}" if line.sku else line.description or str(line.kind)
            problem = tax_difference_problem(what, line.tax_amount + line.tax_difference, line.tax_amount, tolerance)
            if problem is not None:
                problems.append(problem)
    return problems
