"""The Shopify emulator's mutations and lifecycle operations follow shopify_api.md §4 (plain httpx over ASGI)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from returns_sandbox.shopify import ShopifyBackend, ShopifyUserErrors, create_shopify_app
from returns_sandbox.shopify.sample import NORTH, line_id, order_id, sample_world, transaction_id

ORDER = f"gid://shopify/Order/{order_id('north', 0)}"
TEE = f"gid://shopify/LineItem/{line_id('north', 0, 0)}"
HOODIE = f"gid://shopify/LineItem/{line_id('north', 0, 1)}"
SALE = f"gid://shopify/OrderTransaction/{transaction_id('north', 0)}"
ITEM = "gid://shopify/InventoryItem/50001"
LOCATION = f"gid://shopify/Location/{NORTH.shopify_location_id}"

REFUND_CREATE = """mutation RefundForReturn($input: RefundInput!) { refundCreate(input: $input) {
    refund { id note totalRefundedSet { shopMoney { amount currencyCode } } refundLineItems(first: 5) { nodes { quantity restockType restocked location { id } } }
             transactions(first: 5) { nodes { kind status gateway amountSet { shopMoney { amount } } parentTransaction { id } } } }
    order { displayFinancialStatus totalRefundedSet { shopMoney { amount } } currentTotalPriceSet { shopMoney { amount } }
            lineItems(first: 5) { nodes { currentQuantity refundableQuantity } } }
    userErrors { field message } } }"""
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


async def gql(client, query, variables=None, *, version="2025-10"):
    response = await client.post(
        f"/admin/api/{version}/graphql.json",
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": NORTH.shopify_access_token},
    )
    assert response.status_code == 200, response.text
    return response.json()


def refund_input(**overrides):
    base = {
        "orderId": ORDER,
        "note": "Loop return 12345 / NS RMA 678",
        "notify": False,
        "refundLineItems": [{"lineItemId": TEE, "quantity": 1, "restockType": "NO_RESTOCK"}],
        "transactions": [
            {"orderId": ORDER, "parentId": SALE, "gateway": "shopify_payments", "kind": "REFUND", "amount": "21.60"}
        ],
    }
    return {**base, **overrides}


async def levels(client):
    body = await gql(client, LEVEL, {"item": ITEM, "loc": LOCATION})
    return {q["name"]: q["quantity"] for q in body["data"]["inventoryItem"]["inventoryLevel"]["quantities"]}


class TestRefundCreate:
    async def test_creates_refund_with_refund_transaction_and_updates_order(self, client):
        body = await gql(client, REFUND_CREATE, {"input": refund_input()})
        payload = body["data"]["refundCreate"]
        assert payload["userErrors"] == []
        refund = payload["refund"]
        assert refund["note"] == "Loop return 12345 / NS RMA 678"
        assert refund["totalRefundedSet"] == {"shopMoney": {"amount": "21.6", "currencyCode": "USD"}}
        assert refund["refundLineItems"]["nodes"] == [
            {"quantity": 1, "restockType": "NO_RESTOCK", "restocked": False, "location": None}
        ]
        assert refund["transactions"]["nodes"] == [
            {
                "kind": "REFUND",
                "status": "SUCCESS",
                "gateway": "shopify_payments",
                "amountSet": {"shopMoney": {"amount": "21.6"}},
                "parentTransaction": {"id": SALE},
            }
        ]
        order = payload["order"]
        assert order["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
        assert order["totalRefundedSet"] == {"shopMoney": {"amount": "21.6"}}
        assert order["currentTotalPriceSet"] == {"shopMoney": {"amount": "106.4"}}  # 128 - (20 + 1.60)
        assert order["lineItems"]["nodes"][0] == {"currentQuantity": 1, "refundableQuantity": 1}
        assert body["extensions"]["cost"]["requestedQueryCost"] == 10

    async def test_restock_return_puts_units_back_at_the_location(self, client):
        before = await levels(client)
        items = [{"lineItemId": TEE, "quantity": 2, "restockType": "RETURN", "locationId": LOCATION}]
        payload = (await gql(client, REFUND_CREATE, {"input": refund_input(refundLineItems=items, transactions=[])}))["data"][
            "refundCreate"
        ]
        assert payload["userErrors"] == []
        assert payload["refund"]["refundLineItems"]["nodes"] == [
            {"quantity": 2, "restockType": "RETURN", "restocked": True, "location": {"id": LOCATION}}
        ]
        assert payload["refund"]["totalRefundedSet"]["shopMoney"]["amount"] == "0.0"  # no transactions: no money moved
        after = await levels(client)
        assert (after["available"] - before["available"], after["on_hand"] - before["on_hand"]) == (2, 2)

    async def test_full_refund_marks_the_order_refunded(self, client):
        lines = [
            {"lineItemId": f"gid://shopify/LineItem/{line_id('north', 0, i)}", "quantity": q} for i, q in enumerate((2, 1, 1))
        ]
        txns = [{"orderId": ORDER, "parentId": SALE, "gateway": "shopify_payments", "kind": "REFUND", "amount": "128.00"}]
        payload = (
            await gql(
                client,
                REFUND_CREATE,
                {"input": refund_input(refundLineItems=lines, transactions=txns, shipping={"fullRefund": True})},
            )
        )["data"]["refundCreate"]
        assert payload["userErrors"] == []
        assert payload["order"]["displayFinancialStatus"] == "REFUNDED"
        assert payload["order"]["currentTotalPriceSet"] == {"shopMoney": {"amount": "0.0"}}

    @pytest.mark.parametrize(
        ("overrides", "expected"),
        [
            ({"orderId": "gid://shopify/Order/1"}, [{"field": ["orderId"], "message": "Order does not exist"}]),
            (
                {"refundLineItems": [{"lineItemId": "gid://shopify/LineItem/1", "quantity": 1}]},
                [{"field": ["refundLineItems", "0", "lineItemId"], "message": "Line item does not exist"}],
            ),
            (
                {"refundLineItems": [{"lineItemId": HOODIE, "quantity": 2}]},
                [
                    {
                        "field": ["refundLineItems", "0", "quantity"],
                        "message": "Quantity cannot refund more items than were purchased",
                    }
                ],
            ),
            (
                {"refundLineItems": [{"lineItemId": TEE, "quantity": 1}, {"lineItemId": TEE, "quantity": 2}]},
                [
                    {
                        "field": ["refundLineItems", "1", "quantity"],
                        "message": "Quantity cannot refund more items than were purchased",
                    }
                ],
            ),
            (
                {
                    "transactions": [
                        {"orderId": ORDER, "parentId": SALE, "gateway": "shopify_payments", "kind": "REFUND", "amount": "128.01"}
                    ]
                },
                [
                    {
                        "field": ["transactions", "0", "amount"],
                        "message": "Refund amount $128.01 is greater than net payment received $128.00",
                    }
                ],
            ),
            (
                {"transactions": [{"orderId": ORDER, "gateway": "shopify_payments", "kind": "REFUND", "amount": "1.00"}]},
                [{"field": ["transactions"], "message": "Transactions require a parent_id associated with the order"}],
            ),
            (
                {
                    "transactions": [
                        {"orderId": ORDER, "parentId": SALE, "gateway": "shopify_payments", "kind": "SALE", "amount": "1.00"}
                    ]
                },
                [{"field": ["transactions", "0", "kind"], "message": "Kind sale is not a valid transaction"}],
            ),
            (
                {"refundLineItems": [{"lineItemId": TEE, "quantity": 1, "restockType": "LEGACY_RESTOCK"}]},
                [
                    {
                        "field": ["refundLineItems", "0", "restockType"],
                        "message": "Restock type LEGACY_RESTOCK is not supported on create",
                    }
                ],
            ),
        ],
    )
    async def test_refused_input_comes_back_as_user_errors_and_writes_nothing(self, client, backend, overrides, expected):
        body = await gql(client, REFUND_CREATE, {"input": refund_input(**overrides)})
        assert "errors" not in body
        assert body["data"]["refundCreate"] == {"refund": None, "order": None, "userErrors": expected}
        assert backend.order_snapshot(NORTH.shop_domain, order_id("north", 0))["refunds"] == []

    async def test_second_refund_is_limited_by_what_the_parent_has_left(self, client):
        txn = {"orderId": ORDER, "parentId": SALE, "gateway": "shopify_payments", "kind": "REFUND", "amount": "100.00"}
        assert (await gql(client, REFUND_CREATE, {"input": refund_input(refundLineItems=[], transactions=[txn])}))["data"][
            "refundCreate"
        ]["userErrors"] == []
        again = (
            await gql(
                client, REFUND_CREATE, {"input": refund_input(refundLineItems=[], transactions=[{**txn, "amount": "28.01"}])}
            )
        )["data"]["refundCreate"]
        assert again["userErrors"] == [
            {
                "field": ["transactions", "0", "amount"],
                "message": "Refund amount $28.01 is greater than net payment received $28.00",
            }
        ]

    async def test_bad_money_literal_is_a_graphql_error(self, client):
        body = await gql(
            client,
            REFUND_CREATE,
            {
                "input": refund_input(
                    transactions=[{"orderId": ORDER, "parentId": SALE, "gateway": "x", "kind": "REFUND", "amount": "ten"}]
                )
            },
        )
        assert "data" not in body and "invalid decimal" in body["errors"][0]["message"]

    async def test_input_arrays_are_capped_at_250(self, client):
        lines = [{"lineItemId": TEE, "quantity": 1}] * 251
        body = await gql(client, REFUND_CREATE, {"input": refund_input(refundLineItems=lines)})
        assert body["errors"][0]["message"] == "The input array size of 251 is greater than the maximum allowed of 250."
        assert body["errors"][0]["extensions"] == {"code": "MAX_INPUT_SIZE_EXCEEDED"}


class TestIdempotentDirective:
    MUTATION = """mutation($input: RefundInput!, $key: String!) { refundCreate(input: $input) @idempotent(key: $key) { refund { id } userErrors { field message } } }"""
    PLAIN = "mutation($input: RefundInput!) { refundCreate(input: $input) { refund { id } userErrors { field message } } }"

    async def test_directive_does_not_exist_on_2025_10(self, client):
        body = await gql(client, self.MUTATION, {"input": refund_input(), "key": "k1"})
        assert body["errors"][0]["message"] == "Unknown directive '@idempotent'."

    async def test_same_key_returns_the_first_refund_on_2026_01(self, client, backend):
        first = await gql(client, self.MUTATION, {"input": refund_input(), "key": "k1"}, version="2026-01")
        second = await gql(client, self.MUTATION, {"input": refund_input(), "key": "k1"}, version="2026-01")
        assert first["data"]["refundCreate"]["refund"]["id"] == second["data"]["refundCreate"]["refund"]["id"]
        assert len(backend.order_snapshot(NORTH.shop_domain, order_id("north", 0))["refunds"]) == 1
        assert (await gql(client, self.PLAIN, {"input": refund_input()}, version="2026-01"))["data"]["refundCreate"][
            "userErrors"
        ] == []

    async def test_directive_is_required_from_2026_04(self, client):
        body = await gql(client, self.PLAIN, {"input": refund_input()}, version="2026-04")
        assert body["data"] == {"refundCreate": None}
        assert body["errors"][0]["message"] == "The @idempotent directive is required for the refundCreate mutation."
        assert body["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}


class TestOrderUpdateAndTags:
    UPDATE = "mutation SetNote($input: OrderInput!) { orderUpdate(input: $input) { order { id note tags customAttributes { key value } } userErrors { field message } } }"
    TAGS_ADD = "mutation($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { node { id ... on Order { tags } } userErrors { field message } } }"
    TAGS_REMOVE = "mutation($id: ID!, $tags: [String!]!) { tagsRemove(id: $id, tags: $tags) { node { id ... on Order { tags } } userErrors { field message } } }"

    async def test_order_update_replaces_note_tags_and_attributes(self, client):
        payload = (
            await gql(
                client,
                self.UPDATE,
                {
                    "input": {
                        "id": ORDER,
                        "note": "first\nNS credit memo CM-42",
                        "tags": ["a", "b"],
                        "customAttributes": [{"key": "loop_return_id", "value": "77"}],
                    }
                },
            )
        )["data"]["orderUpdate"]
        assert payload == {
            "order": {
                "id": ORDER,
                "note": "first\nNS credit memo CM-42",
                "tags": ["a", "b"],
                "customAttributes": [{"key": "loop_return_id", "value": "77"}],
            },
            "userErrors": [],
        }
        payload = (await gql(client, self.UPDATE, {"input": {"id": ORDER, "note": "replaced"}}))["data"]["orderUpdate"]
        assert payload["order"]["note"] == "replaced" and payload["order"]["tags"] == ["a", "b"]  # omitted fields stay

    async def test_order_update_of_unknown_order(self, client):
        payload = (await gql(client, self.UPDATE, {"input": {"id": "gid://shopify/Order/1", "note": "x"}}))["data"]["orderUpdate"]
        assert payload == {"order": None, "userErrors": [{"field": ["id"], "message": "Order does not exist"}]}

    async def test_tags_add_keeps_other_tags_and_is_idempotent(self, client):
        first = (await gql(client, self.TAGS_ADD, {"id": ORDER, "tags": ["loop-return", "ns-synced"]}))["data"]["tagsAdd"]
        assert first == {"node": {"id": ORDER, "tags": ["vip", "loop-return", "ns-synced"]}, "userErrors": []}
        again = (await gql(client, self.TAGS_ADD, {"id": ORDER, "tags": "ns-synced, LOOP-RETURN , extra"}))["data"]["tagsAdd"]
        assert again["node"]["tags"] == ["vip", "loop-return", "ns-synced", "extra"]

    async def test_tags_remove(self, client):
        await gql(client, self.TAGS_ADD, {"id": ORDER, "tags": ["a", "b"]})
        payload = (await gql(client, self.TAGS_REMOVE, {"id": ORDER, "tags": ["A", "missing"]}))["data"]["tagsRemove"]
        assert payload == {"node": {"id": ORDER, "tags": ["vip", "b"]}, "userErrors": []}

    async def test_tags_on_customers_and_unknown_ids(self, client):
        payload = await gql(
            client,
            'mutation { tagsAdd(id: "gid://shopify/Customer/60001", tags: ["returner"]) { node { ... on Customer { tags } } userErrors { message } } }',
        )
        assert payload["data"]["tagsAdd"] == {"node": {"tags": ["returner"]}, "userErrors": []}
        missing = (await gql(client, self.TAGS_ADD, {"id": "gid://shopify/Order/1", "tags": ["x"]}))["data"]["tagsAdd"]
        assert missing == {"node": None, "userErrors": [{"field": ["id"], "message": "Order does not exist"}]}


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


class TestWebhookSubscriptions:
    CREATE = """mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
        webhookSubscription { id topic callbackUrl format apiVersion } userErrors { field message } } }"""
    DELETE = (
        "mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } } }"
    )

    async def test_create_list_and_delete(self, client):
        sub = {"callbackUrl": "https://hooks.example.com/shopify", "format": "JSON"}
        created = (await gql(client, self.CREATE, {"topic": "REFUNDS_CREATE", "sub": sub}))["data"]["webhookSubscriptionCreate"]
        assert created["userErrors"] == []
        assert {k: v for k, v in created["webhookSubscription"].items() if k != "id"} == {
            "topic": "REFUNDS_CREATE",
            "callbackUrl": "https://hooks.example.com/shopify",
            "format": "JSON",
            "apiVersion": "2025-10",
        }
        listed = await gql(client, "{ webhookSubscriptions(first: 5, topics: [REFUNDS_CREATE]) { nodes { id } } }")
        assert listed["data"]["webhookSubscriptions"]["nodes"] == [{"id": created["webhookSubscription"]["id"]}]
        deleted = (await gql(client, self.DELETE, {"id": created["webhookSubscription"]["id"]}))["data"][
            "webhookSubscriptionDelete"
        ]
        assert deleted == {"deletedWebhookSubscriptionId": created["webhookSubscription"]["id"], "userErrors": []}
        again = (await gql(client, self.DELETE, {"id": created["webhookSubscription"]["id"]}))["data"][
            "webhookSubscriptionDelete"
        ]
        assert again == {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
        }

    async def test_same_address_twice_and_bad_address(self, client):
        sub = {"callbackUrl": "https://hooks.example.com/shopify"}
        await gql(client, self.CREATE, {"topic": "ORDERS_UPDATED", "sub": sub})
        dup = (await gql(client, self.CREATE, {"topic": "ORDERS_UPDATED", "sub": sub}))["data"]["webhookSubscriptionCreate"]
        assert dup == {
            "webhookSubscription": None,
            "userErrors": [
                {"field": ["webhookSubscription", "callbackUrl"], "message": "Address for this topic has already been taken"}
            ],
        }
        bad = (await gql(client, self.CREATE, {"topic": "ORDERS_UPDATED", "sub": {"callbackUrl": "ftp://nowhere"}}))["data"][
            "webhookSubscriptionCreate"
        ]
        assert bad["userErrors"] == [{"field": ["webhookSubscription", "callbackUrl"], "message": "Address is invalid"}]


class TestLifecycleOperations:
    def test_create_refund_picks_the_parent_by_gateway(self, backend):
        refund_id = backend.create_refund(
            NORTH.shop_domain,
            order_id("north", 1),
            line_items=[(line_id("north", 1, 0), 1)],
            transactions=[("gift_card", Decimal("20.00")), ("shopify_payments", Decimal("40.00"))],
            note="Loop 5",
        )
        snap = backend.order_snapshot(NORTH.shop_domain, order_id("north", 1))
        [refund] = snap["refunds"]
        assert refund["id"] == refund_id and refund["amount"] == Decimal("60.00")
        assert {(t["gateway"], t["parent_id"]) for t in refund["transactions"]} == {
            ("gift_card", transaction_id("north", 1, 1)),
            ("shopify_payments", transaction_id("north", 1, 0)),
        }
        assert snap["totals"]["financial_status"] == "PARTIALLY_REFUNDED"

    def test_create_refund_runs_the_same_validation(self, backend):
        with pytest.raises(ShopifyUserErrors) as info:
            backend.create_refund(
                NORTH.shop_domain,
                order_id("north", 1),
                line_items=[(line_id("north", 1, 0), 2)],
                transactions=[("paypal", Decimal("1"))],
            )
        assert [(e.field, e.message) for e in info.value.errors] == [
            (["refundLineItems", "0", "quantity"], "Quantity cannot refund more items than were purchased"),
            (["transactions"], "Transactions require a parent_id associated with the order"),
        ]

    async def test_create_order_and_gift_card_through_control_routes(self, client, backend):
        order = {
            "shopify_id": 990001,
            "name": "#EX-1001",
            "created_at": "2025-10-03T09:00:00Z",
            "currency": "USD",
            "customer_email": "ada@example.com",
            "lines": [{"shopify_line_id": 9900010, "sku": "CAP-GRN", "title": "Green Cap", "quantity": 1, "unit_price": "15.00"}],
            "shipping": "0",
            "tags": ["loop-exchange"],
            "transactions": [],
        }
        response = await client.post("/_sandbox/shopify/orders", json={"shop": NORTH.shop_domain, "order": order})
        assert response.status_code == 201 and response.json() == {"order_id": 990001}
        found = await gql(
            client,
            '{ orders(first: 2, query: "tag:loop-exchange") { nodes { name displayFulfillmentStatus displayFinancialStatus lineItems(first: 1) { nodes { variant { id } } } } } }',
        )
        assert found["data"]["orders"]["nodes"] == [
            {
                "name": "#EX-1001",
                "displayFulfillmentStatus": "UNFULFILLED",
                "displayFinancialStatus": "PENDING",
                "lineItems": {"nodes": [{"variant": {"id": "gid://shopify/ProductVariant/40003"}}]},
            }
        ]
        card = await client.post(
            "/_sandbox/shopify/gift_cards",
            json={"shop": NORTH.shop_domain, "amount": "42.50", "order_id": 990001, "note": "Loop credit"},
        )
        card_gid = f"gid://shopify/GiftCard/{card.json()['gift_card_id']}"
        read = await gql(
            client,
            "query($id: ID!) { giftCard(id: $id) { initialValue { amount currencyCode } balance { amount } note order { name } } }",
            {"id": card_gid},
        )
        assert read["data"]["giftCard"] == {
            "initialValue": {"amount": "42.5", "currencyCode": "USD"},
            "balance": {"amount": "42.5"},
            "note": "Loop credit",
            "order": {"name": "#EX-1001"},
        }

    async def test_refund_control_route_reports_user_errors(self, client):
        response = await client.post(
            "/_sandbox/shopify/refunds", json={"shop": NORTH.shop_domain, "order_id": 1, "line_items": [], "transactions": []}
        )
        assert response.status_code == 422
        assert response.json() == {"userErrors": [{"field": ["orderId"], "message": "Order does not exist", "code": None}]}
        ok = await client.post(
            "/_sandbox/shopify/refunds",
            json={
                "shop": NORTH.shop_domain,
                "order_id": order_id("north", 0),
                "line_items": [[line_id("north", 0, 2), 1]],
                "transactions": [["shopify_payments", "15.00"]],
            },
        )
        assert ok.status_code == 201 and ok.json()["refund_id"] > 0

    def test_load_world_twice_is_refused_until_reset(self):
        backend, world = ShopifyBackend(), sample_world(order_count=2)
        try:
            assert not backend.is_seeded()
            backend.load_world(world)
            assert backend.is_seeded() and backend.shop_for_token(NORTH.shopify_access_token).domain == NORTH.shop_domain
            with pytest.raises(ValueError, match="north-outfitters.myshopify.com is already loaded"):
                backend.load_world(world)
            backend.reset(reseed=False)
            assert not backend.is_seeded() and backend.shop_for_token(NORTH.shopify_access_token) is None
            backend.load_world(world)
            assert len(backend.order_rows(NORTH.shop_domain)) == 2
        finally:
            backend.close()

    async def test_reset_reloads_the_world(self, client, backend):
        await gql(client, TestOrderUpdateAndTags.TAGS_ADD, {"id": ORDER, "tags": ["temp"]})
        assert (await client.post("/_sandbox/reset")).json() == {"reset": True, "seeded": True}
        assert backend.order_snapshot(NORTH.shop_domain, order_id("north", 0))["order"]["tags"] == ["vip"]
