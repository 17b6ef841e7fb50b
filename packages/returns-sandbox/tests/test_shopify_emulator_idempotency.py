"""From 2026-04 refund and inventory mutations need ``@idempotent`` and inventory changes ``changeFromQuantity``;
a key replays its first result and refuses other parameters (the Shopify emulator over plain httpx and ASGI)."""

from __future__ import annotations

import httpx
import pytest

from returns_sandbox.shopify import ShopifyBackend, create_shopify_app
from returns_sandbox.shopify.sample import NORTH, line_id, order_id, sample_world, transaction_id

ORDER = f"gid://shopify/Order/{order_id('north', 0)}"
ITEM = "gid://shopify/InventoryItem/50001"
LOCATION = f"gid://shopify/Location/{NORTH.shopify_location_id}"
REFUND = """mutation($input: RefundInput!, $key: String!) { refundCreate(input: $input) @idempotent(key: $key) { refund { id } userErrors { field message } } }"""
ADJUST = """mutation($input: InventoryAdjustQuantitiesInput!, $key: String!) { inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { changes { name delta quantityAfterChange } } userErrors { field message code } } }"""
ADJUST_WITHOUT_KEY = """mutation($input: InventoryAdjustQuantitiesInput!) { inventoryAdjustQuantities(input: $input) {
    inventoryAdjustmentGroup { changes { name delta } } userErrors { field message code } } }"""
AVAILABLE = 'query($item: ID!, $loc: ID!) { inventoryItem(id: $item) { inventoryLevel(locationId: $loc) { quantities(names: ["available"]) { quantity } } } }'


@pytest.fixture
def backend():
    backend = ShopifyBackend()
    backend.load_world(sample_world())
    yield backend
    backend.close()


@pytest.fixture
async def client(backend):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_shopify_app(backend)), base_url="https://sandbox"
    ) as client:
        yield client


async def gql(client, query, variables, version="2026-10"):
    response = await client.post(
        f"/admin/api/{version}/graphql.json",
        json={"query": query, "variables": variables},
        headers={"X-Shopify-Access-Token": NORTH.shopify_access_token},
    )
    assert response.status_code == 200, response.text
    return response.json()


def refund_input(amount: str = "21.60") -> dict:
    return {
        "orderId": ORDER,
        "note": "Loop return 12345",
        "refundLineItems": [{"lineItemId": f"gid://shopify/LineItem/{line_id('north', 0, 0)}", "quantity": 1}],
        "transactions": [
            {
                "orderId": ORDER,
                "parentId": f"gid://shopify/OrderTransaction/{transaction_id('north', 0)}",
                "gateway": "shopify_payments",
                "kind": "REFUND",
                "amount": amount,
            }
        ],
    }


def restock(delta: int = 2, **change) -> dict:
    return {
        "reason": "restock",
        "name": "available",
        "changes": [{"inventoryItemId": ITEM, "locationId": LOCATION, "delta": delta, **change}],
    }


async def available(client) -> int:
    body = await gql(client, AVAILABLE, {"item": ITEM, "loc": LOCATION})
    return body["data"]["inventoryItem"]["inventoryLevel"]["quantities"][0]["quantity"]


class TestRefundCreate:
    async def test_a_repeated_key_returns_the_first_refund_and_refunds_once(self, client, backend):
        first = await gql(client, REFUND, {"input": refund_input(), "key": "loop-north-12345-refund"})
        again = await gql(client, REFUND, {"input": refund_input(), "key": "loop-north-12345-refund"})
        assert (
            first["data"]["refundCreate"] == again["data"]["refundCreate"] and first["data"]["refundCreate"]["userErrors"] == []
        )
        assert len(backend.order_snapshot(NORTH.shop_domain, order_id("north", 0))["refunds"]) == 1

    async def test_a_key_reused_with_other_parameters_is_refused(self, client, backend):
        await gql(client, REFUND, {"input": refund_input(), "key": "k"})
        other = await gql(client, REFUND, {"input": refund_input("10.00"), "key": "k"})
        assert other["data"]["refundCreate"] == {
            "refund": None,
            "userErrors": [
                {"field": None, "message": "The same idempotency key cannot be used with different operation parameters."}
            ],
        }
        assert len(backend.order_snapshot(NORTH.shop_domain, order_id("north", 0))["refunds"]) == 1

    async def test_a_refused_refund_does_not_use_up_its_key(self, client):
        wrong = refund_input()
        wrong["refundLineItems"][0]["quantity"] = 9
        assert (await gql(client, REFUND, {"input": wrong, "key": "k"}))["data"]["refundCreate"]["userErrors"]
        assert (await gql(client, REFUND, {"input": refund_input(), "key": "k"}))["data"]["refundCreate"]["userErrors"] == []


class TestDirectiveByVersion:
    PLAIN = "mutation($input: RefundInput!) { refundCreate(input: $input) { refund { id } userErrors { field message } } }"

    async def test_a_retired_version_falls_forward_to_2026_01_where_the_directive_exists(self, client):
        body = await gql(client, REFUND, {"input": refund_input(), "key": "k1"}, version="2025-10")
        assert body["data"]["refundCreate"]["userErrors"] == []

    async def test_optional_on_2026_01(self, client, backend):
        assert (await gql(client, self.PLAIN, {"input": refund_input()}, version="2026-01"))["data"]["refundCreate"][
            "userErrors"
        ] == []
        assert len(backend.order_snapshot(NORTH.shop_domain, order_id("north", 0))["refunds"]) == 1

    @pytest.mark.parametrize("version", ["2026-04", "2026-07", "2026-10", "2027-01"])
    async def test_required_from_2026_04(self, client, backend, version):
        body = await gql(client, self.PLAIN, {"input": refund_input()}, version=version)
        assert body["data"] == {"refundCreate": None}
        assert body["errors"][0]["message"] == "The @idempotent directive is required for this mutation but was not provided."
        assert body["errors"][0]["extensions"] == {"code": "BAD_REQUEST"} and body["errors"][0]["path"] == ["refundCreate"]
        assert backend.order_snapshot(NORTH.shop_domain, order_id("north", 0))["refunds"] == []


class TestInventoryAdjust:
    async def test_change_from_quantity_must_be_named_from_2026_04(self, client):
        body = await gql(client, ADJUST, {"input": restock(), "key": "k"})
        assert body["data"] == {"inventoryAdjustQuantities": None}
        [error] = body["errors"]
        assert error["message"] == "InventoryChangeInput must include the following argument: changeFromQuantity."
        assert error["extensions"] == {"code": "INVALID_FIELD_ARGUMENTS"} and error["path"] == ["inventoryAdjustQuantities"]
        assert await available(client) == 100

    async def test_on_2026_01_both_are_optional(self, client):
        body = await gql(client, ADJUST_WITHOUT_KEY, {"input": restock()}, version="2026-01")
        assert body["data"]["inventoryAdjustQuantities"]["userErrors"] == [] and await available(client) == 102

    async def test_the_directive_is_required_from_2026_04(self, client):
        body = await gql(client, ADJUST_WITHOUT_KEY, {"input": restock(changeFromQuantity=None)})
        assert body["errors"][0]["message"] == "The @idempotent directive is required for this mutation but was not provided."
        assert await available(client) == 100

    async def test_null_opts_out_of_the_compare_and_a_value_must_match(self, client):
        opted_out = await gql(client, ADJUST, {"input": restock(changeFromQuantity=None), "key": "a"})
        assert opted_out["data"]["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"]["changes"][0] == {
            "name": "available",
            "delta": 2,
            "quantityAfterChange": 102,
        }
        stale = await gql(client, ADJUST, {"input": restock(changeFromQuantity=100), "key": "b"})
        assert stale["data"]["inventoryAdjustQuantities"]["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
        fresh = await gql(client, ADJUST, {"input": restock(changeFromQuantity=102), "key": "c"})
        assert fresh["data"]["inventoryAdjustQuantities"]["userErrors"] == [] and await available(client) == 104

    async def test_a_repeated_key_adjusts_once_and_other_parameters_are_refused(self, client):
        first = await gql(client, ADJUST, {"input": restock(changeFromQuantity=None), "key": "loop-north-9-restock"})
        again = await gql(client, ADJUST, {"input": restock(changeFromQuantity=None), "key": "loop-north-9-restock"})
        assert first["data"] == again["data"] and await available(client) == 102
        other = await gql(client, ADJUST, {"input": restock(5, changeFromQuantity=None), "key": "loop-north-9-restock"})
        assert other["data"]["inventoryAdjustQuantities"]["userErrors"] == [
            {
                "field": None,
                "message": "The same idempotency key cannot be used with different operation parameters.",
                "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
            }
        ]
        assert await available(client) == 102

    async def test_a_refund_key_cannot_be_reused_for_inventory(self, client):
        await gql(client, REFUND, {"input": refund_input(), "key": "shared"})
        body = await gql(client, ADJUST, {"input": restock(changeFromQuantity=None), "key": "shared"})
        assert body["data"]["inventoryAdjustQuantities"]["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
