"""The Shopify emulator's order search (``orders(query:)``) and cursor pagination (plain httpx over ASGI)."""

from __future__ import annotations

import httpx
import pytest

from returns_sandbox.shopify import ShopifyBackend, create_shopify_app
from returns_sandbox.shopify.sample import NORTH, order_id, sample_world

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
        transport=httpx.ASGITransport(app=create_shopify_app(backend)), base_url="https://sandbox"
    ) as client:
        yield client


async def gql(client, query, variables=None):
    return await client.post(
        "/admin/api/2026-10/graphql.json",
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": NORTH.shopify_access_token},
    )


async def data(client, query, variables=None):
    response = await gql(client, query, variables)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


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
