"""Calculated query cost, MAX_COST_EXCEEDED and the leaky bucket follow shopify_api.md §2 and the published cost rules
(https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits), over plain httpx and ASGI with an injected clock."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from graphql import parse
from graphql.execution.values import get_variable_values

from returns_sandbox.seed.world import Order, OrderLine, OrderTransaction
from returns_sandbox.shopify import ShopifyBackend, create_shopify_app
from returns_sandbox.shopify.cost import requested_cost
from returns_sandbox.shopify.sample import BASE_TIME, NORTH, ManualClock, order_id, sample_world
from returns_sandbox.shopify.schema import schema_for

ORDER = f"gid://shopify/Order/{order_id('north', 0)}"
KNOWN = "query($id: ID!) { order(id: $id) { id name lineItems(first: 5) { nodes { id sku originalUnitPriceSet { shopMoney { amount } } } } } }"
THROTTLED = [
    {"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}
]
TINY = "tiny.myshopify.com"
TINY_TOKEN = "shpat_tiny"


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def backend(clock):
    backend = ShopifyBackend(clock=clock)
    backend.load_world(sample_world())
    backend.add_shop(TINY, access_tokens=[TINY_TOKEN], app_secret="s", currency="USD", bucket_size=30, restore_rate=10)
    line = OrderLine(
        shopify_line_id=7,
        sku="X",
        title="X",
        quantity=1,
        unit_price=Decimal("10"),
        unit_discount=Decimal("0"),
        unit_tax=Decimal("0"),
        tax_rate=Decimal("0"),
        ns_item_id=None,
        ns_line=1,
    )
    backend.create_order(
        TINY,
        Order(
            store="tiny",
            shopify_id=5,
            name="#1",
            created_at=BASE_TIME,
            currency="USD",
            customer_email="t@example.com",
            lines=(line,),
            shipping=Decimal("0"),
            shipping_tax=Decimal("0"),
            transactions=(OrderTransaction(9, "SALE", "manual", Decimal("10")),),
        ),
    )
    yield backend
    backend.close()


@pytest.fixture
async def client(backend):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_shopify_app(backend)), base_url="https://sandbox"
    ) as client:
        yield client


async def post(client, query, variables=None, token=NORTH.shopify_access_token):
    return await client.post(
        "/admin/api/2026-10/graphql.json",
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": token},
    )


def static_cost(query: str, variables: dict | None = None) -> int:
    schema = schema_for("2026-10")
    document = parse(query)
    operation = document.definitions[0]
    cost, errors = requested_cost(
        schema, document, operation, get_variable_values(schema, operation.variable_definitions or (), variables or {})
    )
    assert errors == []
    return cost


class TestCostRules:
    def test_connection_is_two_plus_page_size_times_node(self):
        # order 1 + lineItems (2 + 5 x (node 1 + originalUnitPriceSet 1 + shopMoney 1))
        assert static_cost(KNOWN, {"id": ORDER}) == 18

    def test_nodes_and_edges_of_one_connection_are_counted_once(self):
        assert static_cost("{ orders(first: 10) { edges { cursor node { id } } nodes { id } pageInfo { hasNextPage } } }") == 12

    def test_nested_connections_multiply(self):
        assert static_cost("{ orders(first: 10) { nodes { lineItems(first: 10) { nodes { id } } } } }") == 2 + 10 * (1 + 2 + 10)

    def test_a_bounded_plain_list_costs_first_times_one_element_without_the_connections_two(self):
        assert static_cost(
            f'{{ order(id: "{ORDER}") {{ refunds(first: 50) {{ id totalRefundedSet {{ shopMoney {{ amount }} }} }} }} }}'
        ) == 1 + 50 * (1 + 2)
        assert static_cost(
            f'{{ order(id: "{ORDER}") {{ transactions(first: 3) {{ id parentTransaction {{ id }} }} }} }}'
        ) == 1 + 3 * (1 + 1)

    def test_nodes_costs_one_node_per_id(self):
        ids = [ORDER, "gid://shopify/Order/2", "gid://shopify/Order/3"]
        assert static_cost(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Order { totalPriceSet { shopMoney { amount } } } } }",
            {"ids": ids},
        ) == 3 * (1 + 2)

    def test_an_unbounded_plain_list_costs_one_element(self):
        assert static_cost(
            f'{{ order(id: "{ORDER}") {{ lineItems(first: 2) {{ nodes {{ taxLines {{ priceSet {{ shopMoney {{ amount }} }} }} }} }} }} }}'
        ) == 1 + 2 + 2 * (1 + 3)

    def test_fragments_and_aliases(self):
        query = f'{{ a: order(id: "{ORDER}") {{ id }} b: order(id: "{ORDER}") {{ ...F }} }} fragment F on Order {{ customer {{ id }} }}'
        assert static_cost(query) == 1 + (1 + 1)

    def test_interface_costs_its_most_expensive_selection(self):
        query = f'{{ node(id: "{ORDER}") {{ id ... on Order {{ customer {{ id }} totalPriceSet {{ shopMoney {{ amount }} }} }} ... on Customer {{ email }} }} }}'
        assert static_cost(query) == 1 + (1 + 2)

    def test_mutations_cost_ten_each_whatever_they_select(self):
        one = 'mutation { tagsAdd(id: "x", tags: ["a"]) { node { id } userErrors { message } } }'
        two = 'mutation { a: tagsAdd(id: "x", tags: ["a"]) { userErrors { message } } b: tagsRemove(id: "x", tags: ["a"]) { userErrors { message } } }'
        assert (static_cost(one), static_cost(two)) == (10, 20)


class TestCostExtension:
    async def test_requested_and_actual_cost_of_a_known_query(self, client):
        body = (await post(client, KNOWN, {"id": ORDER})).json()
        # the order has three lines: 1 + 2 + 3 x 3
        assert body["extensions"]["cost"] == {
            "requestedQueryCost": 18,
            "actualQueryCost": 12,
            "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1988, "restoreRate": 100.0},
        }

    async def test_a_null_object_still_costs_its_lookup(self, client):
        body = (await post(client, KNOWN, {"id": "gid://shopify/Order/1"})).json()
        assert body["data"] == {"order": None}
        assert (body["extensions"]["cost"]["requestedQueryCost"], body["extensions"]["cost"]["actualQueryCost"]) == (18, 1)

    async def test_a_bounded_list_costs_what_it_returned(self, client):
        body = (
            await post(
                client,
                "query($id: ID!) { order(id: $id) { transactions(first: 20) { id amountSet { shopMoney { amount } } } } }",
                {"id": ORDER},
            )
        ).json()
        # #1001 has one sale: requested 1 + 20 x 3, actual 1 + 1 x 3
        assert (body["extensions"]["cost"]["requestedQueryCost"], body["extensions"]["cost"]["actualQueryCost"]) == (61, 4)

    async def test_mutation_cost_is_ten(self, client):
        body = (await post(client, f'mutation {{ tagsAdd(id: "{ORDER}", tags: ["x"]) {{ userErrors {{ message }} }} }}')).json()
        assert body["extensions"]["cost"]["requestedQueryCost"] == body["extensions"]["cost"]["actualQueryCost"] == 10

    async def test_max_cost_exceeded_is_refused_before_execution(self, client, backend):
        response = await post(client, "{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { id } } } } }")
        assert response.status_code == 200
        body = response.json()
        assert "data" not in body
        [error] = body["errors"]
        assert error["message"].startswith("Query cost is 63252, which exceeds the single query max cost limit (1000).")
        assert error["extensions"] == {"code": "MAX_COST_EXCEEDED", "cost": 63252, "maxCost": 1000}
        assert body["extensions"]["cost"]["actualQueryCost"] is None
        assert backend.bucket(NORTH.shop_domain).status()["currentlyAvailable"] == 2000


class TestLeakyBucket:
    QUERY = "{ orders(first: 5) { nodes { id lineItems(first: 2) { nodes { id } } } } }"  # requested 2 + 5 x (1 + 2 + 2) = 27

    async def test_throttles_when_the_bucket_cannot_cover_the_request_and_refills_over_time(self, client, clock):
        first = (await post(client, self.QUERY, token=TINY_TOKEN)).json()
        # one order with one line: actual 2 + (1 + 2 + 1) = 6; 30 - 27 + 21 = 24 left
        assert first["extensions"]["cost"] == {
            "requestedQueryCost": 27,
            "actualQueryCost": 6,
            "throttleStatus": {"maximumAvailable": 30.0, "currentlyAvailable": 24, "restoreRate": 10.0},
        }
        response = await post(client, self.QUERY, token=TINY_TOKEN)
        assert response.status_code == 200
        assert response.json() == {
            "errors": THROTTLED,
            "extensions": {
                "cost": {
                    "requestedQueryCost": 27,
                    "actualQueryCost": None,
                    "throttleStatus": {"maximumAvailable": 30.0, "currentlyAvailable": 24, "restoreRate": 10.0},
                }
            },
        }
        clock.advance(0.2)  # 24 + 2 = 26: still short, and a throttled request takes nothing
        assert (await post(client, self.QUERY, token=TINY_TOKEN)).json()["extensions"]["cost"]["throttleStatus"][
            "currentlyAvailable"
        ] == 26
        clock.advance(0.1)  # 27 now
        ok = (await post(client, self.QUERY, token=TINY_TOKEN)).json()
        assert "errors" not in ok and ok["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 21

    async def test_points_spent_counts_the_actual_cost_kept_and_nothing_for_a_throttled_request(self, client, backend):
        await post(client, self.QUERY, token=TINY_TOKEN)  # requested 27, actual 6: 21 refunded
        await post(client, self.QUERY, token=TINY_TOKEN)  # throttled (24 left < 27): nothing taken
        assert backend.bucket(TINY).points_spent == 6
        assert backend.points_spent() == 6

    async def test_refill_stops_at_the_maximum(self, client, clock):
        await post(client, self.QUERY, token=TINY_TOKEN)
        clock.advance(timedelta(hours=1).total_seconds())
        body = (await post(client, "{ shop { name } }", token=TINY_TOKEN)).json()
        assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 29  # capped at 30, minus this query's 1

    async def test_throttled_mutation_is_not_executed(self, client, backend):
        backend.bucket(TINY).set_available(5)
        response = await post(
            client, 'mutation { tagsAdd(id: "gid://shopify/Order/5", tags: ["x"]) { userErrors { message } } }', token=TINY_TOKEN
        )
        assert response.json()["errors"] == THROTTLED
        assert backend.order_snapshot(TINY, 5)["order"]["tags"] == []

    async def test_buckets_are_per_shop(self, client, backend):
        backend.bucket(TINY).set_available(0)
        north = (await post(client, "{ shop { name } }")).json()
        assert north["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 1999

    async def test_throttle_status_code_setting_and_bucket_route(self, client, backend):
        assert (await client.post("/_sandbox/shopify/settings", json={"throttle_status_code": 429})).json()[
            "throttle_status_code"
        ] == 429
        assert (await client.post("/_sandbox/shopify/bucket", json={"shop": TINY, "available": 3})).json()[
            "currentlyAvailable"
        ] == 3
        response = await post(client, self.QUERY, token=TINY_TOKEN)
        assert response.status_code == 429
        assert response.json()["errors"] == THROTTLED
        bad = await client.post("/_sandbox/shopify/settings", json={"throttle_status_code": 418})
        assert bad.status_code == 400 and bad.json() == {"error": "throttle_status_code must be 200 or 429"}
