"""What the ShopifyClient sends since 2026-04 and reads back, over httpx.MockTransport: the API version it asks for and the
one that answers, idempotency keys, changeFromQuantity, no customer PII, refunds read one by one."""

from __future__ import annotations

import json
import logging
import uuid

import httpx
import pytest

from returns_sync.connectors.retry import RetryPolicy
from returns_sync.connectors.shopify import ORDER_QUERY, ShopifyClient, idempotency_key
from returns_sync.connectors.shopify_graphql import (
    INVENTORY_ADJUST,
    MORE_REFUND_LINES_QUERY,
    ORDERS_QUERY,
    REFUND_CREATE,
    REFUND_QUERY,
)

BASE = "https://north-outfitters.myshopify.com"


def answer(data, version="2026-10", **headers):
    cost = {
        "requestedQueryCost": 10,
        "actualQueryCost": 10,
        "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1990, "restoreRate": 100.0},
    }
    return httpx.Response(
        200, json={"data": data, "extensions": {"cost": cost}}, headers={"X-Shopify-API-Version": version, **headers}
    )


class Script:
    """Answers in order and keeps each request's JSON body."""

    def __init__(self, *responses):
        self.responses = list(responses)
        self.bodies: list[dict] = []
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        self.paths.append(request.url.path)
        return self.responses.pop(0)


def client_for(script: Script, **kwargs) -> ShopifyClient:
    http = httpx.Client(base_url=BASE, transport=httpx.MockTransport(script), headers={"X-Shopify-Access-Token": "shpat_x"})
    return ShopifyClient(http, retry=RetryPolicy(sleep=lambda _s: None), **kwargs)


REFUND = {
    "id": "gid://shopify/Refund/1",
    "note": "Loop return 77",
    "totalRefundedSet": {"shopMoney": {"amount": "20.0", "currencyCode": "USD"}},
    "refundLineItems": {
        "pageInfo": {"hasNextPage": True, "endCursor": "r1"},
        "nodes": [
            {
                "id": "gid://shopify/RefundLineItem/1",
                "quantity": 1,
                "lineItem": {"id": "gid://shopify/LineItem/9001", "sku": "TEE"},
            }
        ],
    },
    "transactions": {"nodes": []},
}


class TestApiVersion:
    def test_asks_for_the_newest_stable_version_by_default(self):
        script = Script(answer({"shop": {"name": "x"}}))
        client_for(script).execute("{ shop { name } }")
        assert script.paths == ["/admin/api/2026-10/graphql.json"]

    def test_a_fell_forward_answer_is_reported_once(self, caplog):
        script = Script(
            *[
                answer(
                    {"x": 1}, version="2026-01", **{"X-Shopify-API-Deprecated-Reason": "https://shopify.dev/api/usage/versioning"}
                )
                for _ in range(2)
            ]
        )
        client = client_for(script, api_version="2025-10")
        with caplog.at_level(logging.WARNING, logger="returns_sync.connectors.shopify"):
            client.execute("{ x }")
            client.execute("{ x }")
        assert client.served_api_version == "2026-01" and client.deprecation_reasons == {
            "https://shopify.dev/api/usage/versioning"
        }
        warnings = [r.getMessage() for r in caplog.records]
        assert len(warnings) == 2 and "answered with API version 2026-01, not the configured 2025-10" in warnings[0]

    def test_the_version_asked_for_answering_is_silent(self, caplog):
        with caplog.at_level(logging.WARNING, logger="returns_sync.connectors.shopify"):
            client_for(Script(answer({"x": 1}))).execute("{ x }")
        assert caplog.records == []


class TestNoCustomerData:
    @pytest.mark.parametrize("document", [ORDER_QUERY, ORDERS_QUERY, REFUND_QUERY, REFUND_CREATE])
    def test_no_document_asks_for_a_customer_or_contact_details(self, document):
        for field in ("customer", "email", "phone", "firstName", "lastName", "displayName", "Address"):
            assert field not in document


class TestRefunds:
    def test_get_order_reads_each_refund_and_all_its_lines(self):
        order = {
            "id": "gid://shopify/Order/5001",
            "name": "#1001",
            "lineItems": {"pageInfo": {"hasNextPage": False}, "nodes": []},
            "refunds": [{"id": "gid://shopify/Refund/1"}],
            "transactions": [],
        }
        more = {
            "pageInfo": {"hasNextPage": False, "endCursor": "r2"},
            "nodes": [
                {
                    "id": "gid://shopify/RefundLineItem/2",
                    "quantity": 2,
                    "lineItem": {"id": "gid://shopify/LineItem/9002", "sku": "CAP"},
                }
            ],
        }
        script = Script(
            answer({"order": order}),
            answer({"refund": json.loads(json.dumps(REFUND))}),
            answer({"refund": {"refundLineItems": more}}),
        )
        result = client_for(script).get_order(5001)
        assert [b["query"] for b in script.bodies] == [ORDER_QUERY, REFUND_QUERY, MORE_REFUND_LINES_QUERY]
        assert script.bodies[2]["variables"] == {"id": "gid://shopify/Refund/1", "after": "r1"}
        [refund] = result.refunds
        assert [(r.line_item.sku, r.quantity) for r in refund.refund_line_items] == [("TEE", 1), ("CAP", 2)]
        assert result.refunded_quantity(9002) == 2 and result.refund_with_note("Loop return 77") is refund

    def test_get_refund_of_an_unknown_id_is_none(self):
        assert client_for(Script(answer({"refund": None}))).get_refund(42) is None


class TestIdempotencyKeys:
    def test_a_key_is_a_uuid_fixed_by_the_operation(self):
        key = idempotency_key("loop-north-77-refund")
        assert uuid.UUID(key).version == 5 and key == idempotency_key(" loop-north-77-refund ")
        assert key != idempotency_key("loop-north-77-refund-2") and key != idempotency_key("loop-south-77-refund")

    def test_an_operation_must_be_named(self):
        with pytest.raises(ValueError, match="operation_id must name the operation"):
            idempotency_key(" ")

    def test_adjust_inventory_sends_the_key_and_opts_out_of_the_compare_explicitly(self):
        group = {
            "inventoryAdjustQuantities": {
                "inventoryAdjustmentGroup": {"reason": "restock", "changes": [{"name": "available", "delta": 1}]},
                "userErrors": [],
            }
        }
        script = Script(answer(group), answer(group))
        client = client_for(script)
        client.adjust_inventory(inventory_item_id="50001", location_id="70001", delta=1, operation_id="loop-north-77-restock-1")
        client.adjust_inventory(
            inventory_item_id="50001",
            location_id="70001",
            delta=1,
            operation_id="loop-north-77-restock-1",
            change_from_quantity=100,
        )
        first, second = script.bodies
        assert first["query"] == INVENTORY_ADJUST and first["variables"]["idempotencyKey"] == idempotency_key(
            "loop-north-77-restock-1"
        )
        assert first["variables"]["input"]["changes"] == [
            {
                "inventoryItemId": "gid://shopify/InventoryItem/50001",
                "locationId": "gid://shopify/Location/70001",
                "delta": 1,
                "changeFromQuantity": None,
            }
        ]
        assert second["variables"]["input"]["changes"][0]["changeFromQuantity"] == 100

    def test_a_lost_restock_answer_is_resent_unchanged(self):
        group = {"inventoryAdjustQuantities": {"inventoryAdjustmentGroup": {"changes": []}, "userErrors": []}}
        failures = [httpx.ReadTimeout("timed out"), answer(group)]

        def transport(request: httpx.Request) -> httpx.Response:
            transport.bodies.append(request.content)
            failure = failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return failure

        transport.bodies = []
        http = httpx.Client(base_url=BASE, transport=httpx.MockTransport(transport))
        ShopifyClient(http, retry=RetryPolicy(sleep=lambda _s: None)).adjust_inventory(
            inventory_item_id="50001", location_id="70001", delta=1, operation_id="loop-north-77-restock-1"
        )
        assert len(transport.bodies) == 2 and transport.bodies[0] == transport.bodies[1]
