"""domain.shopify: GID helpers, connection flattening, Decimal money, tolerant enums and the order's refund arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest

import returns_sync.domain.shopify as shopify
from returns_sync.domain.shopify import (
    FinancialStatus,
    ReturnStatus,
    ShopifyOrder,
    ShopifyRefund,
    ShopifyReturn,
    TransactionKind,
    TransactionStatus,
    gid,
    legacy_id,
    parse_gid,
)


def money(amount: str) -> dict:
    return {"shopMoney": {"amount": amount, "currencyCode": "USD"}}


def txn(n: int, kind: str, amount: str, parent: int | None = None, status: str = "SUCCESS") -> dict:
    return {
        "id": f"gid://shopify/OrderTransaction/{n}",
        "kind": kind,
        "status": status,
        "gateway": "shopify_payments",
        "amountSet": money(amount),
        "parentTransaction": {"id": f"gid://shopify/OrderTransaction/{parent}"} if parent else None,
    }


class TestGids:
    def test_build_and_parse(self):
        assert gid("Order", 5001) == gid("Order", "5001") == "gid://shopify/Order/5001"
        assert gid("Order", "gid://shopify/Order/5001") == "gid://shopify/Order/5001"
        assert parse_gid("gid://shopify/InventoryLevel/7?inventory_item_id=30322695") == ("InventoryLevel", 7)
        assert legacy_id("gid://shopify/LineItem/9001") == legacy_id("9001") == legacy_id(9001) == 9001

    @pytest.mark.parametrize(
        ("type_name", "value"), [("Order", "gid://shopify/Customer/1"), ("Order", "#1001"), ("Order", "-5"), ("Order", "")]
    )
    def test_refuses_what_is_not_an_id_of_that_type(self, type_name, value):
        with pytest.raises(ValueError):
            gid(type_name, value)

    def test_parse_refuses_junk(self):
        with pytest.raises(ValueError):
            parse_gid("gid://other/Order/1")


class TestParsing:
    def test_connections_flatten_from_nodes_or_edges(self):
        order = ShopifyOrder.model_validate(
            {
                "id": "gid://shopify/Order/1",
                "name": "#1",
                "lineItems": {"edges": [{"cursor": "a", "node": {"id": "gid://shopify/LineItem/2", "quantity": 1}}]},
                "returns": {
                    "nodes": [
                        {
                            "id": "gid://shopify/Return/3",
                            "status": "OPEN",
                            "returnLineItems": {
                                "nodes": [
                                    {
                                        "id": "gid://shopify/ReturnLineItem/4",
                                        "quantity": 1,
                                        "returnReason": "SIZE_TOO_SMALL",
                                        "fulfillmentLineItem": {"lineItem": {"id": "gid://shopify/LineItem/2"}},
                                    }
                                ]
                            },
                        }
                    ]
                },
            }
        )
        assert [line.legacy_id for line in order.line_items] == [2]
        [ret] = order.returns
        assert ret.status is ReturnStatus.OPEN and not ret.status.is_terminal()
        assert ret.return_line_items[0].line_item_id == "gid://shopify/LineItem/2"

    def test_money_is_decimal_and_exact(self):
        order = ShopifyOrder.model_validate(
            {
                "id": "gid://shopify/Order/1",
                "name": "#1",
                "totalPriceSet": money("0.1"),
                "transactions": [txn(1, "SALE", "19.99")],
            }
        )
        assert order.total_price_set.amount == Decimal("0.1") and isinstance(order.total_price_set.amount, Decimal)
        assert order.transactions[0].amount == Decimal("19.99")

    def test_unknown_enum_values_and_fields_are_kept_not_rejected(self):
        order = ShopifyOrder.model_validate(
            {
                "id": "gid://shopify/Order/1",
                "name": "#1",
                "displayFinancialStatus": "SOMETHING_NEW",
                "brandNewField": 1,
                "transactions": [txn(1, "FUTURE_KIND", "1.00")],
            }
        )
        assert order.display_financial_status == "SOMETHING_NEW"
        assert order.transactions[0].kind == "FUTURE_KIND"

    def test_known_enum_values_are_enums(self):
        order = ShopifyOrder.model_validate(
            {
                "id": "gid://shopify/Order/1",
                "name": "#1",
                "displayFinancialStatus": "REFUNDED",
                "transactions": [txn(1, "SALE", "1.00", status="PENDING")],
            }
        )
        assert order.display_financial_status is FinancialStatus.REFUNDED and order.display_financial_status.is_terminal()
        assert order.transactions[0].kind is TransactionKind.SALE
        assert order.transactions[0].status is TransactionStatus.PENDING and not order.transactions[0].status.is_terminal()

    def test_return_status_terminals(self):
        assert {s for s in ReturnStatus if s.is_terminal()} == {ReturnStatus.CLOSED, ReturnStatus.DECLINED, ReturnStatus.CANCELED}
        assert ShopifyReturn.model_validate({"id": "gid://shopify/Return/1", "status": "CLOSED"}).status.is_terminal()


class TestRefundArithmetic:
    ORDER = {
        "id": "gid://shopify/Order/1",
        "legacyResourceId": "1",
        "name": "#1001",
        "customAttributes": [{"key": "loop_return_id", "value": "77"}],
        "lineItems": {
            "nodes": [{"id": "gid://shopify/LineItem/10", "quantity": 3}, {"id": "gid://shopify/LineItem/11", "quantity": 1}]
        },
        "transactions": [
            txn(1, "SALE", "60.00"),
            txn(2, "SALE", "20.00"),
            txn(3, "REFUND", "15.00", parent=1),
            txn(4, "REFUND", "5.00", parent=1, status="FAILURE"),
        ],
        "refunds": [
            {
                "id": "gid://shopify/Refund/5",
                "note": "Loop return 77",
                "return": {"id": "gid://shopify/Return/9"},
                "refundLineItems": {
                    "nodes": [
                        {
                            "quantity": 2,
                            "restockType": "NO_RESTOCK",
                            "lineItem": {"id": "gid://shopify/LineItem/10", "sku": "TEE"},
                        }
                    ]
                },
                "transactions": {
                    "nodes": [txn(3, "REFUND", "15.00", parent=1), txn(4, "REFUND", "5.00", parent=1, status="FAILURE")]
                },
            }
        ],
    }

    def test_refund_amount_counts_successful_refund_transactions_only(self):
        refund = ShopifyOrder.model_validate(self.ORDER).refunds[0]
        assert refund.amount == Decimal("15.00") and refund.return_ == "gid://shopify/Return/9"
        assert refund.refund_line_items[0].line_item.sku == "TEE"

    def test_refund_amount_falls_back_to_total_refunded_set(self):
        assert ShopifyRefund.model_validate({"id": "gid://shopify/Refund/1", "totalRefundedSet": money("9.5")}).amount == Decimal(
            "9.5"
        )

    def test_order_helpers(self):
        order = ShopifyOrder.model_validate(self.ORDER)
        assert order.numeric_id == 1 and order.attributes == {"loop_return_id": "77"}
        assert order.refunded_quantity(10) == 2 and order.refunded_quantity("gid://shopify/LineItem/11") == 0
        assert order.line_item("gid://shopify/LineItem/11").quantity == 1 and order.line_item(99) is None
        assert order.refund_with_note("return 77").id == "gid://shopify/Refund/5" and order.refund_with_note("nope") is None
        assert order.refundable_by_parent() == {
            "gid://shopify/OrderTransaction/1": Decimal("45.00"),
            "gid://shopify/OrderTransaction/2": Decimal("20.00"),
        }


def test_public_names_are_exported():
    assert set(shopify.__all__) == {
        name
        for name in vars(shopify)
        if not name.startswith("_") and getattr(getattr(shopify, name), "__module__", None) == shopify.__name__
    } | {"Money"}
