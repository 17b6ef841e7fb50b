"""Access scopes per token and protected customer data: what the Shopify emulator refuses, with Shopify's ACCESS_DENIED shapes."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from returns_sandbox.shopify import ShopifyBackend, create_shopify_app
from returns_sandbox.shopify.sample import NORTH, order_id, sample_world

ORDER = f"gid://shopify/Order/{order_id('north', 0)}"
SCOPES_DOCS = "https://shopify.dev/api/usage/access-scopes"
PII_MESSAGE = "This app is not approved to access the {type} object. See https://shopify.dev/docs/apps/launch/protected-customer-data for more details."


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
        "/admin/api/2026-10/graphql.json",
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": NORTH.shopify_access_token},
    )
    assert response.status_code == 200, response.text
    return response.json()


def denied(field: str, path: list[str], required: str, line: int, column: int) -> dict:
    return {
        "message": f"Access denied for {field} field. Required access: {required}.",
        "locations": [{"line": line, "column": column}],
        "path": path,
        "extensions": {"code": "ACCESS_DENIED", "documentation": SCOPES_DOCS, "requiredAccess": f"{required}."},
    }


class TestSeededScopes:
    def test_a_seeded_token_has_what_a_returns_sync_needs(self, backend):
        grant = backend.access_grant(NORTH.shopify_access_token)
        assert grant.scopes == {
            "read_orders",
            "write_orders",
            "read_products",
            "read_inventory",
            "write_inventory",
            "read_gift_cards",  # the reconciliation report: store credit issued as gift cards
            "read_gift_card_transactions",  # ... and what was redeemed from them
        }
        assert grant.protected_customer_fields == frozenset()

    async def test_orders_lines_variants_inventory_items_and_refunds_are_readable(self, client):
        body = await gql(
            client,
            """query($id: ID!) { order(id: $id) { name lineItems(first: 5) { nodes { variant { sku inventoryItem { id } } } }
            refunds(first: 5) { id refundLineItems(first: 5) { nodes { location { id } } } } transactions(first: 5) { kind } } }""",
            {"id": ORDER},
        )
        assert "errors" not in body and body["data"]["order"]["name"] == "#1001"


class TestMissingScopes:
    async def test_a_resource_without_its_scope_refuses_the_whole_query(self, client, backend):
        body = await gql(client, f'{{ shop {{ name }} order(id: "{ORDER}") {{ name customer {{ id }} }} }}')
        assert body["errors"] == [denied("customer", ["order", "customer"], "`read_customers` access scope", 1, 64)]
        assert "data" not in body and body["extensions"]["cost"]["actualQueryCost"] is None
        assert backend.bucket(NORTH.shop_domain).status()["currentlyAvailable"] == 2000  # nothing ran, nothing debited

    async def test_a_connection_is_guarded_by_its_node_type_and_each_denial_is_reported(self, client):
        body = await gql(
            client,
            f'{{ order(id: "{ORDER}") {{ returns(first: 5) {{ nodes {{ id }} }} }} locations(first: 2) {{ nodes {{ name }} }} }}',
        )
        assert [(e["path"], e["extensions"]["requiredAccess"]) for e in body["errors"]] == [
            (["order", "returns"], "`read_returns` access scope."),
            (["locations"], "`read_locations` access scope."),
        ]

    async def test_a_fragment_on_a_guarded_type_under_node(self, client, backend):
        backend.set_access(NORTH.shopify_access_token, scopes=["read_orders"])
        body = await gql(client, '{ node(id: "gid://shopify/GiftCard/1") { id ... on GiftCard { balance { amount } } } }')
        assert [(e["path"], e["extensions"]["requiredAccess"]) for e in body["errors"]] == [
            (["node"], "`read_gift_cards` access scope.")
        ]

    async def test_gift_card_transactions_need_their_own_scope(self, client, backend):
        card = backend.issue_gift_card(NORTH.shop_domain, amount=Decimal("20.00"))
        backend.debit_gift_card(NORTH.shop_domain, card, amount=Decimal("5.00"))
        query = f'{{ giftCard(id: "gid://shopify/GiftCard/{card}") {{ balance {{ amount }} transactions(first: 5) {{ nodes {{ amount {{ amount }} }} }} }} }}'

        granted = await gql(client, query)
        backend.set_access(NORTH.shopify_access_token, scopes=["read_gift_cards"])
        refused = await gql(client, query)

        card_view = granted["data"]["giftCard"]
        assert (card_view["balance"]["amount"], card_view["transactions"]["nodes"]) == (
            "15.0",
            [{"amount": {"amount": "-5.0"}}],
        )
        assert "data" not in refused
        assert [e["extensions"]["requiredAccess"] for e in refused["errors"]] == ["`read_gift_card_transactions` access scope."]

    async def test_location_id_opens_with_read_inventory_but_its_name_needs_read_locations(self, client):
        ok = await gql(client, f'{{ location(id: "gid://shopify/Location/{NORTH.shopify_location_id}") {{ id }} }}')
        assert "errors" not in ok
        refused = await gql(client, f'{{ location(id: "gid://shopify/Location/{NORTH.shopify_location_id}") {{ id name }} }}')
        assert refused["errors"][0]["extensions"]["requiredAccess"] == "`read_locations` access scope."

    async def test_inventory_items_open_with_read_products_alone(self, client, backend):
        backend.set_access(NORTH.shopify_access_token, scopes=["read_products"])
        body = await gql(client, '{ inventoryItem(id: "gid://shopify/InventoryItem/50001") { sku } }')
        assert body["data"] == {"inventoryItem": {"sku": "TEE-RED-M"}}

    async def test_mutations_need_their_write_scope(self, client, backend):
        backend.set_access(NORTH.shopify_access_token, scopes=["read_orders", "read_inventory"])
        body = await gql(client, f'mutation {{ tagsAdd(id: "{ORDER}", tags: ["x"]) {{ userErrors {{ message }} }} }}')
        assert body["errors"][0]["message"] == "Access denied for tagsAdd field. Required access: `write_orders` access scope."
        assert backend.order_snapshot(NORTH.shop_domain, order_id("north", 0))["order"]["tags"] == ["vip"]
        customer = await gql(
            client, 'mutation { tagsAdd(id: "gid://shopify/Customer/60001", tags: ["x"]) { userErrors { message } } }'
        )
        assert customer["errors"][0]["extensions"]["requiredAccess"] == "`write_customers` access scope."

    async def test_a_write_scope_grants_its_read_scope(self, client, backend):
        backend.set_access(NORTH.shopify_access_token, scopes=["write_orders"])
        assert "errors" not in await gql(client, f'{{ order(id: "{ORDER}") {{ name }} }}')

    async def test_control_route_reads_and_replaces_a_tokens_access(self, client):
        seen = await client.post("/_sandbox/shopify/access", json={"token": NORTH.shopify_access_token})
        assert seen.json()["scopes"] == [
            "read_gift_card_transactions",
            "read_gift_cards",
            "read_inventory",
            "read_orders",
            "read_products",
            "write_inventory",
            "write_orders",
        ]
        changed = await client.post(
            "/_sandbox/shopify/access",
            json={"token": NORTH.shopify_access_token, "scopes": ["read_customers"], "protected_customer_fields": ["email"]},
        )
        assert changed.json() == {"scopes": ["read_customers"], "protected_customer_fields": ["email"]}
        bad = await client.post(
            "/_sandbox/shopify/access",
            json={"token": NORTH.shopify_access_token, "scopes": [], "protected_customer_fields": ["dna"]},
        )
        assert bad.status_code == 400


class TestProtectedCustomerData:
    async def test_customer_name_and_email_without_approval_refuse_the_whole_query(self, client, backend):
        backend.set_access(NORTH.shopify_access_token, scopes=["read_orders", "read_customers"])
        body = await gql(client, f'{{ order(id: "{ORDER}") {{ name email customer {{ id firstName }} }} }}')
        assert "data" not in body
        assert [(e["message"], e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
            (PII_MESSAGE.format(type="Order"), ["order", "email"], "ACCESS_DENIED"),
            (PII_MESSAGE.format(type="Customer"), ["order", "customer", "firstName"], "ACCESS_DENIED"),
        ]

    async def test_a_customer_id_alone_is_not_protected(self, client, backend):
        backend.set_access(NORTH.shopify_access_token, scopes=["read_orders", "read_customers"])
        body = await gql(client, f'{{ order(id: "{ORDER}") {{ customer {{ id }} }} }}')
        assert body["data"] == {"order": {"customer": {"id": "gid://shopify/Customer/60001"}}}

    async def test_approved_fields_are_served_and_only_those(self, client, backend):
        backend.set_access(NORTH.shopify_access_token, scopes=["read_customers"], protected_customer_fields=["email"])
        served = await gql(client, '{ customer(id: "gid://shopify/Customer/60001") { email } }')
        assert served["data"] == {"customer": {"email": "ada@example.com"}}
        refused = await gql(client, '{ customer(id: "gid://shopify/Customer/60001") { email displayName } }')
        assert refused["errors"][0]["path"] == ["customer", "displayName"] and "data" not in refused


class TestGrantedScopes:
    """``currentAppInstallation.accessScopes``: what the merchant granted, readable whatever was granted."""

    async def test_the_seeded_scopes_are_listed_as_granted(self, client):
        body = await gql(client, "{ currentAppInstallation { accessScopes { handle } } }")
        handles = [s["handle"] for s in body["data"]["currentAppInstallation"]["accessScopes"]]
        assert handles == [
            "read_gift_card_transactions",
            "read_gift_cards",
            "read_inventory",
            "read_orders",
            "read_products",
            "write_inventory",
            "write_orders",
        ]

    async def test_a_token_with_one_scope_still_reads_its_grant_and_write_does_not_list_read(self, client, backend):
        backend.set_access(NORTH.shopify_access_token, scopes=["write_orders"])
        body = await gql(client, "{ currentAppInstallation { id accessScopes { handle description } } }")
        installation = body["data"]["currentAppInstallation"]
        assert installation["id"].startswith("gid://shopify/AppInstallation/")
        assert installation["accessScopes"] == [{"handle": "write_orders", "description": "Modify orders"}]
