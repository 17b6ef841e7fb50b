"""The Shopify emulator's endpoint, auth, versions and queries follow shopify_api.md §1 and §3 (plain httpx over ASGI)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import httpx
import pytest

from returns_sandbox.seed.world import ExpectedOutcome, Lifecycle, OrderTransaction, ReturnCase
from returns_sandbox.shopify import ShopifyBackend, create_shopify_app
from returns_sandbox.shopify.sample import NORTH, SOUTH, line_id, order_id, sample_world, transaction_id

INVALID_TOKEN = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
ORDER_1001 = f"gid://shopify/Order/{order_id('north', 0)}"


@pytest.fixture
def backend():
    backend = ShopifyBackend()
    backend.load_world(sample_world())
    yield backend
    backend.close()


@pytest.fixture
async def client(backend):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_shopify_app(backend)), base_url="https://north-outfitters.myshopify.com"
    ) as client:
        yield client


async def gql(client, query, variables=None, *, token=NORTH.shopify_access_token, version="2025-10"):
    response = await client.post(
        f"/admin/api/{version}/graphql.json",
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": token},
    )
    return response


async def data(client, query, variables=None, **kwargs):
    response = await gql(client, query, variables, **kwargs)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


class TestEndpoint:
    @pytest.mark.parametrize("version", ["2025-07", "2025-10", "2026-01", "2026-04"])
    async def test_supported_versions_echo_the_version_header(self, client, version):
        response = await gql(client, "{ shop { name currencyCode } }", version=version)
        assert response.status_code == 200
        assert response.headers["X-Shopify-API-Version"] == version
        assert response.json()["data"]["shop"] == {"name": "North Outfitters", "currencyCode": "USD"}

    @pytest.mark.parametrize("version", ["2024-01", "unstable", "2025-11"])
    async def test_unknown_version_is_404(self, client, version):
        response = await gql(client, "{ shop { name } }", version=version)
        assert response.status_code == 404
        assert response.json() == {"errors": "Not Found"}

    async def test_missing_token_is_401_with_shopify_body(self, client):
        response = await client.post("/admin/api/2025-10/graphql.json", json={"query": "{ shop { name } }"})
        assert response.status_code == 401
        assert response.json() == INVALID_TOKEN

    async def test_wrong_token_is_401(self, client):
        response = await gql(client, "{ shop { name } }", token="shpat_not_a_real_token")
        assert response.status_code == 401
        assert response.json() == INVALID_TOKEN

    async def test_token_picks_the_shop_on_one_host(self, client):
        south = await data(
            client, "{ shop { myshopifyDomain } orders(first: 10) { nodes { name } } }", token=SOUTH.shopify_access_token
        )
        assert south["shop"]["myshopifyDomain"] == "south-outfitters.myshopify.com"
        assert [n["name"] for n in south["orders"]["nodes"]] == ["#5001", "#5002"]
        # another shop's order is invisible: null, not an error
        assert (
            await data(client, "query($id: ID!) { order(id: $id) { id } }", {"id": ORDER_1001}, token=SOUTH.shopify_access_token)
        )["order"] is None

    async def test_missing_query_is_400(self, client):
        response = await client.post(
            "/admin/api/2025-10/graphql.json",
            json={"variables": {}},
            headers={"X-Shopify-Access-Token": NORTH.shopify_access_token},
        )
        assert response.status_code == 400
        assert response.json() == {"errors": {"query": "Required parameter missing or invalid"}}

    async def test_application_graphql_body(self, client):
        response = await client.post(
            "/admin/api/2025-10/graphql.json",
            content=b"{ shop { name } }",
            headers={"X-Shopify-Access-Token": NORTH.shopify_access_token, "Content-Type": "application/graphql"},
        )
        assert response.json()["data"]["shop"]["name"] == "North Outfitters"

    async def test_syntax_error_is_200_with_errors_and_no_data(self, client):
        response = await gql(client, "{ shop { name }")
        assert response.status_code == 200
        body = response.json()
        assert "data" not in body
        assert body["errors"][0]["message"].startswith("Syntax Error")
        assert body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 2000.0

    async def test_unknown_field_is_a_validation_error(self, client):
        body = (await gql(client, '{ order(id: "gid://shopify/Order/1") { id totalRefunded } }')).json()
        assert body["errors"][0]["message"].startswith("Cannot query field 'totalRefunded' on type 'Order'.")

    async def test_bad_variable_is_reported(self, client):
        body = (await gql(client, "query($n: Int!) { orders(first: $n) { nodes { id } } }", {"n": "ten"})).json()
        assert "Variable '$n' has invalid value" in body["errors"][0]["message"]


class TestOrderById:
    QUERY = """query OrderForReturn($id: ID!) { order(id: $id) {
        id legacyResourceId name createdAt displayFinancialStatus displayFulfillmentStatus note tags currencyCode presentmentCurrencyCode
        customer { id email firstName lastName }
        totalRefundedSet { shopMoney { amount currencyCode } } totalPriceSet { shopMoney { amount } } currentTotalPriceSet { shopMoney { amount } }
        lineItems(first: 10) { pageInfo { hasNextPage endCursor } nodes {
            id name sku quantity currentQuantity refundableQuantity variant { id sku inventoryItem { id } }
            originalUnitPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
            discountedUnitPriceSet { shopMoney { amount } } discountedTotalSet { shopMoney { amount } }
            taxLines { title rate priceSet { shopMoney { amount } } } } }
        transactions(first: 5) { id kind status gateway test amountSet { shopMoney { amount currencyCode } } parentTransaction { id } }
        refunds(first: 5) { id } returns(first: 5) { nodes { id } } customAttributes { key value } } }"""

    async def test_order_fields_follow_the_reference(self, client):
        order = (await data(client, self.QUERY, {"id": ORDER_1001}))["order"]
        assert order["id"] == ORDER_1001 and order["legacyResourceId"] == str(order_id("north", 0))
        assert order["name"] == "#1001" and order["createdAt"] == "2025-10-01T12:00:00Z"
        assert (order["displayFinancialStatus"], order["displayFulfillmentStatus"]) == ("PAID", "FULFILLED")
        assert order["tags"] == ["vip"] and order["note"] is None and order["customAttributes"] == []
        assert order["customer"] == {
            "id": "gid://shopify/Customer/60001",
            "email": "ada@example.com",
            "firstName": "Ada",
            "lastName": "Lovelace",
        }
        # 2 x (25 - 5) + 60 + 15 = 115, tax 8% on 40 and 60 = 8, shipping 5 -> 128
        assert order["totalPriceSet"] == {"shopMoney": {"amount": "128.0"}}
        assert order["totalRefundedSet"] == {"shopMoney": {"amount": "0.0", "currencyCode": "USD"}}
        assert order["refunds"] == [] and order["returns"] == {"nodes": []}
        tee = order["lineItems"]["nodes"][0]
        assert tee == {
            "id": f"gid://shopify/LineItem/{line_id('north', 0, 0)}",
            "name": "Red Tee - M",
            "sku": "TEE-RED-M",
            "quantity": 2,
            "currentQuantity": 2,
            "refundableQuantity": 2,
            "variant": {
                "id": "gid://shopify/ProductVariant/40001",
                "sku": "TEE-RED-M",
                "inventoryItem": {"id": "gid://shopify/InventoryItem/50001"},
            },
            "originalUnitPriceSet": {
                "shopMoney": {"amount": "25.0", "currencyCode": "USD"},
                "presentmentMoney": {"amount": "25.0", "currencyCode": "USD"},
            },
            "discountedUnitPriceSet": {"shopMoney": {"amount": "20.0"}},
            "discountedTotalSet": {"shopMoney": {"amount": "40.0"}},
            "taxLines": [{"title": "Tax", "rate": 0.08, "priceSet": {"shopMoney": {"amount": "3.2"}}}],
        }
        cap = order["lineItems"]["nodes"][2]
        assert cap["taxLines"] == []
        assert order["transactions"] == [
            {
                "id": f"gid://shopify/OrderTransaction/{transaction_id('north', 0)}",
                "kind": "SALE",
                "status": "SUCCESS",
                "gateway": "shopify_payments",
                "test": False,
                "amountSet": {"shopMoney": {"amount": "128.0", "currencyCode": "USD"}},
                "parentTransaction": None,
            }
        ]

    @pytest.mark.parametrize("unknown", ["gid://shopify/Order/1", "gid://shopify/Customer/60001", "not-a-gid"])
    async def test_unknown_order_is_null_without_errors(self, client, unknown):
        assert (await data(client, "query($id: ID!) { order(id: $id) { id } }", {"id": unknown}))["order"] is None

    async def test_gift_card_split_payment_has_two_sales(self, client):
        order = (
            await data(
                client,
                "query($id: ID!) { order(id: $id) { transactions { gateway amountSet { shopMoney { amount } } } } }",
                {"id": f"gid://shopify/Order/{order_id('north', 1)}"},
            )
        )["order"]
        assert [(t["gateway"], t["amountSet"]["shopMoney"]["amount"]) for t in order["transactions"]] == [
            ("shopify_payments", "45.0"),
            ("gift_card", "20.0"),
        ]

    async def test_node_and_nodes_resolve_by_gid(self, client):
        result = await data(
            client,
            """query($ids: [ID!]!) { node(id: "gid://shopify/Customer/60001") { id ... on Customer { email } }
            nodes(ids: $ids) { __typename id ... on Order { name } ... on ProductVariant { sku } } }""",
            {"ids": [ORDER_1001, "gid://shopify/ProductVariant/40002", "gid://shopify/Order/42"]},
        )
        assert result["node"] == {"id": "gid://shopify/Customer/60001", "email": "ada@example.com"}
        assert result["nodes"] == [
            {"__typename": "Order", "id": ORDER_1001, "name": "#1001"},
            {"__typename": "ProductVariant", "id": "gid://shopify/ProductVariant/40002", "sku": "HOODIE-BLK-L"},
            None,
        ]


class TestOrderSearch:
    QUERY = "query($q: String, $first: Int!) { orders(first: $first, query: $q) { nodes { name } } }"

    async def names(self, client, q, first=20):
        return [n["name"] for n in (await data(client, self.QUERY, {"q": q, "first": first}))["orders"]["nodes"]]

    @pytest.mark.parametrize("q", ["name:#1002", "name:1002", 'name:"#1002"', "name:'#1002'"])
    async def test_order_by_name(self, client, q):
        assert await self.names(client, q, first=1) == ["#1002"]

    async def test_unknown_name_matches_nothing(self, client):
        assert await self.names(client, "name:#9999") == []

    async def test_tag_and_status_and_default_and(self, client):
        assert await self.names(client, "tag:wholesale") == ["#1004", "#1007", "#1010"]
        assert await self.names(client, "tag:wholesale status:any name:#1007") == ["#1007"]
        assert await self.names(client, "tag:wholesale OR tag:vip") == ["#1001", "#1004", "#1007", "#1010"]
        assert len(await self.names(client, "-tag:wholesale status:any")) == 9

    async def test_updated_at_ranges(self, client):
        # order i was created (and last updated) at 12:00 + i hours on 2025-10-01
        assert await self.names(client, "updated_at:>='2025-10-01T20:00:00Z'") == ["#1009", "#1010", "#1011", "#1012"]
        assert await self.names(client, "updated_at:<2025-10-01T13:00:00Z") == ["#1001"]
        assert len(await self.names(client, "updated_at:2025-10-01")) == 12

    async def test_financial_status_follows_refunds(self, backend, client):
        backend.create_refund(NORTH.shop_domain, order_id("north", 3), line_items=[], transactions=[("shopify_payments", "5.00")])
        assert await self.names(client, "financial_status:partially_refunded") == ["#1004"]


class TestPagination:
    PAGE = """query($first: Int, $after: String, $last: Int, $before: String, $reverse: Boolean) {
        orders(first: $first, after: $after, last: $last, before: $before, reverse: $reverse, sortKey: CREATED_AT) {
        edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""

    async def test_forward_pages_cover_every_order_once(self, client):
        names, after, pages = [], None, 0
        while True:
            page = (await data(client, self.PAGE, {"first": 5, "after": after}))["orders"]
            pages += 1
            names += [e["node"]["name"] for e in page["edges"]]
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
            assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert pages == 3
        assert names == [f"#{n}" for n in range(1001, 1013)]

    async def test_backward_pages_with_last_and_before(self, client):
        last_page = (await data(client, self.PAGE, {"last": 3}))["orders"]
        assert [e["node"]["name"] for e in last_page["edges"]] == ["#1010", "#1011", "#1012"]
        assert last_page["pageInfo"] == {**last_page["pageInfo"], "hasPreviousPage": True, "hasNextPage": False}
        before = (await data(client, self.PAGE, {"last": 2, "before": last_page["pageInfo"]["startCursor"]}))["orders"]
        assert [e["node"]["name"] for e in before["edges"]] == ["#1008", "#1009"]
        assert before["pageInfo"]["hasNextPage"] is True

    async def test_reverse(self, client):
        page = (await data(client, self.PAGE, {"first": 2, "reverse": True}))["orders"]
        assert [e["node"]["name"] for e in page["edges"]] == ["#1012", "#1011"]
        nxt = (await data(client, self.PAGE, {"first": 2, "reverse": True, "after": page["pageInfo"]["endCursor"]}))["orders"]
        assert [e["node"]["name"] for e in nxt["edges"]] == ["#1010", "#1009"]

    async def test_line_items_paginate_separately(self, client):
        query = "query($id: ID!, $after: String) { order(id: $id) { lineItems(first: 2, after: $after) { pageInfo { hasNextPage endCursor } nodes { sku } } } }"
        first = (await data(client, query, {"id": ORDER_1001}))["order"]["lineItems"]
        assert [n["sku"] for n in first["nodes"]] == ["TEE-RED-M", "HOODIE-BLK-L"] and first["pageInfo"]["hasNextPage"] is True
        second = (await data(client, query, {"id": ORDER_1001, "after": first["pageInfo"]["endCursor"]}))["order"]["lineItems"]
        assert [n["sku"] for n in second["nodes"]] == ["CAP-GRN"] and second["pageInfo"] == {
            "hasNextPage": False,
            "endCursor": second["pageInfo"]["endCursor"],
        }

    async def test_connection_without_first_or_last_is_refused_before_execution(self, client):
        body = (await gql(client, "{ orders { nodes { id } } }")).json()
        assert "data" not in body
        assert body["errors"][0]["message"] == "you must provide one of first or last"

    async def test_page_size_above_250_is_refused(self, client):
        body = (await gql(client, "{ orders(first: 251) { nodes { id } } }")).json()
        assert (
            body["errors"][0]["message"] == "Requested 251 records; the maximum number of records a connection can return is 250."
        )

    async def test_garbage_cursor_is_an_error(self, client):
        body = (await gql(client, '{ orders(first: 2, after: "bm9wZQ") { nodes { id } } }')).json()
        assert body["errors"][0]["message"].startswith("Invalid cursor")


class TestListsAndConnections:
    async def test_refunds_and_transactions_are_plain_lists(self, client):
        body = (
            await gql(
                client, "query($id: ID!) { order(id: $id) { refunds(first: 5) { edges { node { id } } } } }", {"id": ORDER_1001}
            )
        ).json()
        assert body["errors"][0]["message"].startswith("Cannot query field 'edges' on type 'Refund'.")
        body = (
            await gql(
                client, "query($id: ID!) { order(id: $id) { transactions(first: 5) { nodes { id } } } }", {"id": ORDER_1001}
            )
        ).json()
        assert body["errors"][0]["message"].startswith("Cannot query field 'nodes' on type 'OrderTransaction'.")

    async def test_line_items_and_refund_children_are_connections(self, client):
        body = (await gql(client, "query($id: ID!) { order(id: $id) { lineItems(first: 5) { id } } }", {"id": ORDER_1001})).json()
        assert body["errors"][0]["message"].startswith("Cannot query field 'id' on type 'LineItemConnection'.")

    async def test_refund_children_and_returns_read_back(self, backend, client):
        refund_id = backend.create_refund(
            NORTH.shop_domain,
            order_id("north", 0),
            line_items=[(line_id("north", 0, 1), 1)],
            transactions=[("shopify_payments", "64.80")],
            note="Loop return 77",
        )
        return_id = backend.create_return(
            NORTH.shop_domain, order_id("north", 0), line_items=[(line_id("north", 0, 2), 1)], reason="SIZE_TOO_SMALL"
        )
        query = """query($id: ID!) { order(id: $id) {
            refunds { id legacyResourceId note totalRefundedSet { shopMoney { amount } } return { id }
              refundLineItems(first: 5) { edges { cursor node { quantity restockType restocked lineItem { sku } subtotalSet { shopMoney { amount } } totalTaxSet { shopMoney { amount } } } } }
              transactions(first: 5) { nodes { kind gateway amountSet { shopMoney { amount } } parentTransaction { id } } } }
            returns(first: 5) { nodes { id name status totalQuantity returnLineItems(first: 5) { nodes { quantity ... on ReturnLineItem { returnReason fulfillmentLineItem { lineItem { sku } } } } } } } } }"""
        order = (await data(client, query, {"id": ORDER_1001}))["order"]
        [refund] = order["refunds"]
        assert refund["id"] == f"gid://shopify/Refund/{refund_id}" and refund["legacyResourceId"] == str(refund_id)
        assert (
            refund["note"] == "Loop return 77"
            and refund["totalRefundedSet"] == {"shopMoney": {"amount": "64.8"}}
            and refund["return"] is None
        )
        [edge] = refund["refundLineItems"]["edges"]
        assert edge["node"] == {
            "quantity": 1,
            "restockType": "NO_RESTOCK",
            "restocked": False,
            "lineItem": {"sku": "HOODIE-BLK-L"},
            "subtotalSet": {"shopMoney": {"amount": "60.0"}},
            "totalTaxSet": {"shopMoney": {"amount": "4.8"}},
        }
        assert refund["transactions"]["nodes"] == [
            {
                "kind": "REFUND",
                "gateway": "shopify_payments",
                "amountSet": {"shopMoney": {"amount": "64.8"}},
                "parentTransaction": {"id": f"gid://shopify/OrderTransaction/{transaction_id('north', 0)}"},
            }
        ]
        [ret] = order["returns"]["nodes"]
        assert ret == {
            "id": f"gid://shopify/Return/{return_id}",
            "name": "#1001-R1",
            "status": "OPEN",
            "totalQuantity": 1,
            "returnLineItems": {
                "nodes": [
                    {"quantity": 1, "returnReason": "SIZE_TOO_SMALL", "fulfillmentLineItem": {"lineItem": {"sku": "CAP-GRN"}}}
                ]
            },
        }


class TestSeededRefunds:
    """A Loop refund in the seed is REFUND transactions on the order plus ``provider_refund_id`` on the Loop return."""

    def world(self):
        world = sample_world()
        index = 2  # #1003: one tee at 25.00 + 5.00 shipping
        sale = transaction_id("north", index)
        orders = tuple(
            replace(
                o,
                transactions=o.transactions
                + (OrderTransaction(sale + 3, "REFUND", "shopify_payments", Decimal("25.00"), parent_id=sale),),
            )
            if o.shopify_id == order_id("north", index)
            else o
            for o in world.orders
        )
        loop_return = {
            "id": "48200001",
            "provider_order_id": str(order_id("north", index)),
            "refunds": [{"gateway": "shopify_payments", "amount": "25.00", "provider_refund_id": "9310000000001"}],
            "line_items": [{"line_item_id": "1", "provider_line_item_id": str(line_id("north", index, 0)), "outcome": "refund"}],
            "outcomes_processed_at": {"refund_processed": "2025-10-02T10:00:00.000Z"},
        }
        case = ReturnCase(
            "north", loop_return, Lifecycle(), ExpectedOutcome(return_id="48200001", store="north", scenario="refund_full")
        )
        return replace(world, orders=orders, returns=[case])

    async def test_seeded_refund_is_a_refund_with_the_loop_refund_id(self):
        backend = ShopifyBackend()
        try:
            backend.load_world(self.world())
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=create_shopify_app(backend)), base_url="https://x"
            ) as client:
                refund = (
                    await data(
                        client,
                        """{ refund(id: "gid://shopify/Refund/9310000000001") { createdAt note totalRefundedSet { shopMoney { amount } }
                    refundLineItems(first: 5) { nodes { quantity lineItem { sku } } } order { name displayFinancialStatus lineItems(first: 1) { nodes { currentQuantity } } } } }""",
                    )
                )["refund"]
        finally:
            backend.close()
        assert refund == {
            "createdAt": "2025-10-02T10:00:00Z",
            "note": "Loop return 48200001",
            "totalRefundedSet": {"shopMoney": {"amount": "25.0"}},
            "refundLineItems": {"nodes": [{"quantity": 1, "lineItem": {"sku": "TEE-RED-M"}}]},
            "order": {
                "name": "#1003",
                "displayFinancialStatus": "PARTIALLY_REFUNDED",
                "lineItems": {"nodes": [{"currentQuantity": 0}]},
            },
        }
