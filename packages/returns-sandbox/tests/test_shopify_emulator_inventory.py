"""``inventoryAdjustQuantities`` validation on 2026-01, where ``@idempotent`` and ``changeFromQuantity`` are optional
(what 2026-04 adds is in test_shopify_emulator_idempotency.py); plain httpx over ASGI."""

from __future__ import annotations

import httpx
import pytest

from returns_sandbox.shopify import ShopifyBackend, create_shopify_app
from returns_sandbox.shopify.sample import NORTH, sample_world

ITEM = "gid://shopify/InventoryItem/50001"
LOCATION = f"gid://shopify/Location/{NORTH.shopify_location_id}"
LEVEL = 'query($item: ID!, $loc: ID!) { inventoryItem(id: $item) { inventoryLevel(locationId: $loc) { quantities(names: ["available", "on_hand", "damaged"]) { name quantity } } } }'


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


async def gql(client, query, variables=None):
    response = await client.post(
        "/admin/api/2026-01/graphql.json",
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": NORTH.shopify_access_token},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def levels(client):
    body = await gql(client, LEVEL, {"item": ITEM, "loc": LOCATION})
    return {q["name"]: q["quantity"] for q in body["data"]["inventoryItem"]["inventoryLevel"]["quantities"]}


class TestInventoryAdjust:
    MUTATION = """mutation Restock($input: InventoryAdjustQuantitiesInput!) { inventoryAdjustQuantities(input: $input) {
        inventoryAdjustmentGroup { createdAt reason referenceDocumentUri changes { name delta quantityAfterChange item { id } location { id } } }
        userErrors { field message code } } }"""

    def adjust(self, name="available", **change):
        return {
            "reason": "restock",
            "name": name,
            "referenceDocumentUri": "gid://loop-netsuite-sync/Return/12345",
            "changes": [{"inventoryItemId": ITEM, "locationId": LOCATION, "delta": 1, **change}],
        }

    async def test_available_adjustment_moves_available_and_on_hand(self, client):
        payload = (await gql(client, self.MUTATION, {"input": self.adjust()}))["data"]["inventoryAdjustQuantities"]
        assert payload["userErrors"] == []
        group = payload["inventoryAdjustmentGroup"]
        assert group["reason"] == "restock" and group["referenceDocumentUri"] == "gid://loop-netsuite-sync/Return/12345"
        assert group["changes"] == [
            {"name": "available", "delta": 1, "quantityAfterChange": 101, "item": {"id": ITEM}, "location": {"id": LOCATION}},
            {"name": "on_hand", "delta": 1, "quantityAfterChange": 101, "item": {"id": ITEM}, "location": {"id": LOCATION}},
        ]
        assert await levels(client) == {"available": 101, "on_hand": 101, "damaged": 0}

    async def test_damaged_needs_a_ledger_document(self, client):
        payload = (await gql(client, self.MUTATION, {"input": self.adjust("damaged", ledgerDocumentUri="loop://inspection/9")}))[
            "data"
        ]["inventoryAdjustQuantities"]
        assert payload["userErrors"] == []
        assert await levels(client) == {"available": 100, "on_hand": 101, "damaged": 1}

    @pytest.mark.parametrize(
        ("input_changes", "expected"),
        [
            (
                {"name": "damaged"},
                (
                    ["input", "changes", "0", "ledgerDocumentUri"],
                    "A ledger document URI is required except when adjusting available.",
                    "INVALID_QUANTITY_DOCUMENT",
                ),
            ),
            (
                {"ledgerDocumentUri": "loop://x"},
                (
                    ["input", "changes", "0", "ledgerDocumentUri"],
                    "A ledger document URI is not allowed when adjusting available.",
                    "INVALID_AVAILABLE_DOCUMENT",
                ),
            ),
            (
                {"name": "damaged", "ledgerDocumentUri": "gid://shopify/Order/1"},
                (
                    ["input", "changes", "0", "ledgerDocumentUri"],
                    "Internal (gid://shopify/) ledger documents are not allowed to be adjusted via API.",
                    "INTERNAL_LEDGER_DOCUMENT",
                ),
            ),
            (
                {"inventoryItemId": "gid://shopify/InventoryItem/1"},
                (
                    ["input", "changes", "0", "inventoryItemId"],
                    "The specified inventory item could not be found.",
                    "INVALID_INVENTORY_ITEM",
                ),
            ),
            (
                {"locationId": "gid://shopify/Location/1"},
                (["input", "changes", "0", "locationId"], "The specified location could not be found.", "INVALID_LOCATION"),
            ),
            ({"reason": "because"}, (["input", "reason"], "The specified reason is invalid.", "INVALID_REASON")),
            ({"name": "sellable"}, (["input", "name"], "The specified quantity name is invalid.", "INVALID_QUANTITY_NAME")),
            (
                {"changeFromQuantity": 7},
                (
                    ["input", "changes", "0", "changeFromQuantity"],
                    "The specified compare quantity is stale.",
                    "CHANGE_FROM_QUANTITY_STALE",
                ),
            ),
        ],
    )
    async def test_refusals_carry_a_code(self, client, input_changes, expected):
        top = {k: input_changes.pop(k) for k in ("name", "reason") if k in input_changes}
        adjustment = self.adjust(top.pop("name", "available"), **input_changes)
        adjustment.update(top)
        payload = (await gql(client, self.MUTATION, {"input": adjustment}))["data"]["inventoryAdjustQuantities"]
        field, message, code = expected
        assert payload == {"inventoryAdjustmentGroup": None, "userErrors": [{"field": field, "message": message, "code": code}]}
        assert (await levels(client))["available"] == 100
