"""NetSuite vocabulary: RA status helpers, record types, item matches, the sales-order snapshot."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from returns_sync.domain.netsuite import ItemMatch, RaStatus, RecordType, SalesOrderLine, SalesOrderSnapshot


def letters(predicate) -> str:
    return "".join(sorted(status.value for status in RaStatus if predicate(status)))


class TestRaStatus:
    def test_letters(self) -> None:
        assert "".join(status.value for status in RaStatus) == "ABCDEFGH"

    def test_terminal_and_open(self) -> None:
        assert letters(RaStatus.is_terminal) == "CGH"
        assert letters(RaStatus.is_open) == "ABDEF"

    def test_receipt_and_refund(self) -> None:
        assert letters(RaStatus.allows_receipt) == "BDE"
        assert letters(RaStatus.allows_refund) == "EF"

    def test_closable_when_loop_cancels(self) -> None:
        assert letters(RaStatus.closable_on_loop_cancel) == "ABD"

    @pytest.mark.parametrize(
        ("text", "status"),
        [
            ("B", RaStatus.PENDING_RECEIPT),
            ("b", RaStatus.PENDING_RECEIPT),
            ("RtnAuth:G", RaStatus.REFUNDED),
            ("pendingRefundPartReceived", RaStatus.PENDING_REFUND_PARTIALLY_RECEIVED),
            ("Pending Refund/Partially Received", RaStatus.PENDING_REFUND_PARTIALLY_RECEIVED),
            ("Closed", RaStatus.CLOSED),
            ("pendingApproval", RaStatus.PENDING_APPROVAL),
        ],
    )
    def test_parse(self, text: str, status: RaStatus) -> None:
        assert RaStatus.parse(text) is status

    def test_parse_rejects_unknown(self) -> None:
        with pytest.raises(ValueError, match=r"^not a Return Authorization status: 'Z'$"):
            RaStatus.parse("Z")


def test_record_types_and_suiteql_codes() -> None:
    assert RecordType.RETURN_AUTHORIZATION == "returnAuthorization"
    assert RecordType.CREDIT_MEMO.suiteql_type == "CustCred"
    assert RecordType.CASH_REFUND.suiteql_type == "CashRfnd"
    assert {t.suiteql_type for t in RecordType} >= {"RtnAuth", "ItemRcpt", "CustRfnd", "CustDep", "SalesOrd"}


class TestItemMatch:
    def test_unique(self) -> None:
        match = ItemMatch(sku="SHIRT", item_ids=[812])
        assert (match.item_id, match.problem()) == (812, None)

    def test_ambiguous_names_the_items(self) -> None:
        match = ItemMatch(sku="SHIRT-M-BLU", item_ids=[977, 812])
        assert match.item_id is None
        assert match.problem() == "SKU SHIRT-M-BLU matches items 812 and 977 in NetSuite"

    def test_three_items(self) -> None:
        assert ItemMatch(sku="X", item_ids=[3, 1, 2]).problem() == "SKU X matches items 1, 2 and 3 in NetSuite"

    def test_none(self) -> None:
        assert ItemMatch(sku="X").problem() == "SKU X matches no active item in NetSuite"

    def test_from_mapping(self) -> None:
        assert ItemMatch.from_mapping({"A": [1]}) == [ItemMatch(sku="A", item_ids=[1])]


class TestSalesOrder:
    def test_rate_is_decimal_from_strings(self) -> None:
        line = SalesOrderLine(line=3, item_id=812, quantity=2, rate="45.00")
        assert line.rate == Decimal("45.00") and isinstance(line.rate, Decimal)

    def test_line_lookup(self) -> None:
        lines = [SalesOrderLine(line=3, item_id=812, quantity=2, rate="45")]
        so = SalesOrderSnapshot(id=1, tranid="SO1", currency="USD", customer_id=2, lines=lines)
        assert so.line(3).item_id == 812 and so.line(1) is None

    def test_billing_is_invoice_or_cash_sale(self) -> None:
        with pytest.raises(ValidationError, match="literal_error"):
            SalesOrderSnapshot(id=1, tranid="SO1", currency="USD", customer_id=2, billing="paypal")
