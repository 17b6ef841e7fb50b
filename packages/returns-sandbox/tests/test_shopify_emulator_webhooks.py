"""Webhook deliveries follow shopify_api.md §5: REST payloads, headers, HMAC, retries with one webhook id (MockTransport receiver)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading

import httpx
import pytest

from returns_sandbox.shopify import ShopifyBackend, create_shopify_app
from returns_sandbox.shopify.sample import NORTH, line_id, order_id, sample_world, transaction_id

HOOK = "https://hooks.example.com/shopify"
ORDER = f"gid://shopify/Order/{order_id('north', 0)}"


class Receiver:
    """Answers ``statuses`` in turn (then 200), remembering every request; a status of 0 raises a connection error."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            status = self.statuses.pop(0) if self.statuses else 200
        if status == 0:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(status, json={"ok": status == 200})


@pytest.fixture
def receiver():
    return Receiver()


def make_backend(receiver: Receiver) -> ShopifyBackend:
    backend = ShopifyBackend(webhook_base_delay=0.01, webhook_transport=httpx.MockTransport(receiver))
    backend.load_world(sample_world())
    return backend


@pytest.fixture
def backend(receiver):
    backend = make_backend(receiver)
    yield backend
    backend.close()


def subscribe(backend, topic, url=HOOK, **extra):
    return backend.webhook_subscription_create(NORTH.shop_domain, topic, {"callbackUrl": url, **extra}, api_version="2025-10")


def refund(backend):
    return backend.create_refund(
        NORTH.shop_domain,
        order_id("north", 0),
        line_items=[(line_id("north", 0, 0), 1)],
        transactions=[("shopify_payments", "21.60")],
        note="Loop return 12345",
    )


def expected_hmac(body: bytes, secret: str = NORTH.shopify_app_secret) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class TestDelivery:
    def test_refunds_create_is_signed_rest_json_with_shopify_headers(self, backend, receiver):
        subscribe(backend, "REFUNDS_CREATE")
        refund_id = refund(backend)
        assert backend.webhooks.wait_idle(5)
        [request] = receiver.requests
        assert str(request.url) == HOOK and request.method == "POST"
        headers = request.headers
        assert headers["X-Shopify-Topic"] == "refunds/create"
        assert headers["X-Shopify-Shop-Domain"] == NORTH.shop_domain
        assert headers["X-Shopify-API-Version"] == "2025-10"
        assert headers["X-Shopify-Hmac-Sha256"] == expected_hmac(request.content)
        assert headers["Content-Type"] == "application/json"
        for name in ("X-Shopify-Webhook-Id", "X-Shopify-Event-Id", "X-Shopify-Triggered-At"):
            assert headers[name]
        payload = json.loads(request.content)
        assert payload["id"] == refund_id and payload["admin_graphql_api_id"] == f"gid://shopify/Refund/{refund_id}"
        assert (
            payload["order_id"] == order_id("north", 0) and payload["note"] == "Loop return 12345" and payload["restock"] is False
        )
        [rli] = payload["refund_line_items"]
        assert (rli["line_item_id"], rli["quantity"], rli["restock_type"], rli["subtotal"], rli["total_tax"]) == (
            line_id("north", 0, 0),
            1,
            "no_restock",
            "20.00",
            "1.60",
        )
        assert rli["line_item"]["sku"] == "TEE-RED-M"
        [txn] = payload["transactions"]
        assert (txn["kind"], txn["status"], txn["gateway"], txn["amount"], txn["parent_id"]) == (
            "refund",
            "success",
            "shopify_payments",
            "21.60",
            transaction_id("north", 0),
        )
        assert txn["admin_graphql_api_id"] == f"gid://shopify/OrderTransaction/{txn['id']}"

    async def test_refund_create_mutation_triggers_the_same_webhook_and_orders_updated(self, backend, receiver):
        subscribe(backend, "REFUNDS_CREATE")
        subscribe(backend, "ORDERS_UPDATED")
        mutation = """mutation($input: RefundInput!) { refundCreate(input: $input) { refund { legacyResourceId } userErrors { message } } }"""
        variables = {
            "input": {
                "orderId": ORDER,
                "transactions": [
                    {
                        "orderId": ORDER,
                        "parentId": f"gid://shopify/OrderTransaction/{transaction_id('north', 0)}",
                        "gateway": "shopify_payments",
                        "kind": "REFUND",
                        "amount": "5.00",
                    }
                ],
            }
        }
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_shopify_app(backend)), base_url="https://sandbox"
        ) as client:
            response = await client.post(
                "/admin/api/2025-10/graphql.json",
                json={"query": mutation, "variables": variables},
                headers={"X-Shopify-Access-Token": NORTH.shopify_access_token},
            )
        body = response.json()
        assert backend.webhooks.wait_idle(5)
        topics = sorted(r.headers["X-Shopify-Topic"] for r in receiver.requests)
        assert topics == ["orders/updated", "refunds/create"]
        refund_hook = next(r for r in receiver.requests if r.headers["X-Shopify-Topic"] == "refunds/create")
        assert str(json.loads(refund_hook.content)["id"]) == body["data"]["refundCreate"]["refund"]["legacyResourceId"]
        order_hook = next(r for r in receiver.requests if r.headers["X-Shopify-Topic"] == "orders/updated")
        order = json.loads(order_hook.content)
        assert (order["id"], order["name"], order["financial_status"], order["admin_graphql_api_id"]) == (
            order_id("north", 0),
            "#1001",
            "partially_refunded",
            ORDER,
        )
        assert len(order["refunds"]) == 1 and order["tags"] == "vip"

    def test_orders_updated_only_when_tags_change(self, backend, receiver):
        subscribe(backend, "ORDERS_UPDATED")
        backend.tags_add(NORTH.shop_domain, ORDER, ["returned"])
        backend.tags_add(NORTH.shop_domain, ORDER, ["returned"])  # nothing changes: no event
        assert backend.webhooks.wait_idle(5)
        assert len(receiver.requests) == 1
        assert json.loads(receiver.requests[0].content)["tags"] == "vip, returned"

    def test_two_subscriptions_share_the_event_id_not_the_webhook_id(self, backend, receiver):
        subscribe(backend, "REFUNDS_CREATE")
        subscribe(backend, "REFUNDS_CREATE", url="https://other.example.com/hook", includeFields=["id", "order_id"])
        refund(backend)
        assert backend.webhooks.wait_idle(5)
        first, second = receiver.requests
        assert first.headers["X-Shopify-Event-Id"] == second.headers["X-Shopify-Event-Id"]
        assert first.headers["X-Shopify-Webhook-Id"] != second.headers["X-Shopify-Webhook-Id"]
        trimmed = next(r for r in receiver.requests if "other" in str(r.url))
        assert set(json.loads(trimmed.content)) == {"id", "order_id"}

    def test_orders_create_for_exchange_orders(self, backend, receiver):
        from returns_sandbox.shopify.app import order_from_json

        subscribe(backend, "ORDERS_CREATE")
        order = order_from_json(
            {
                "shopify_id": 990001,
                "name": "#EX-1",
                "created_at": "2025-10-03T09:00:00Z",
                "currency": "USD",
                "customer_email": "ada@example.com",
                "lines": [{"shopify_line_id": 1, "sku": "CAP-GRN", "title": "Cap", "quantity": 1, "unit_price": "15"}],
            }
        )
        backend.create_order(NORTH.shop_domain, order)
        backend.create_order(NORTH.shop_domain, order)  # idempotent: no second event
        assert backend.webhooks.wait_idle(5)
        [request] = receiver.requests
        assert request.headers["X-Shopify-Topic"] == "orders/create"
        assert json.loads(request.content)["fulfillment_status"] is None


class TestRetries:
    @pytest.fixture
    def receiver(self, request):
        return Receiver(*request.param)

    @pytest.mark.parametrize("receiver", [(500, 0, 200)], indirect=True)
    def test_failed_delivery_is_retried_with_the_same_webhook_id_and_body(self, backend, receiver):
        subscribe(backend, "REFUNDS_CREATE")
        refund(backend)
        assert backend.webhooks.wait_idle(5)
        assert len(receiver.requests) == 3
        assert len({r.headers["X-Shopify-Webhook-Id"] for r in receiver.requests}) == 1
        assert len({r.headers["X-Shopify-Triggered-At"] for r in receiver.requests}) == 1
        assert len({r.content for r in receiver.requests}) == 1
        [delivery] = backend.webhooks.deliveries()
        assert delivery["status"] == "delivered"
        assert [a.get("status_code") or a.get("error") for a in delivery["attempts"]] == [500, "ConnectError", 200]

    @pytest.mark.parametrize("receiver", [(503,) * 20], indirect=True)
    def test_gives_up_after_the_configured_retries(self, backend, receiver):
        backend.settings.update(webhook_max_retries=2)
        subscribe(backend, "REFUNDS_CREATE")
        refund(backend)
        assert backend.webhooks.wait_idle(5)
        assert len(receiver.requests) == 3
        assert backend.webhooks.deliveries()[0]["status"] == "failed"

    def test_default_policy_is_eight_retries(self):
        backend = ShopifyBackend()
        try:
            assert (backend.settings.webhook_max_retries, backend.settings.webhook_base_delay) == (8, 60.0)
        finally:
            backend.close()


class TestDeliveryLog:
    async def test_log_route_lists_deliveries_by_topic(self, backend):
        subscribe(backend, "REFUNDS_CREATE")
        subscribe(backend, "ORDERS_UPDATED")
        refund(backend)
        assert backend.webhooks.wait_idle(5)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_shopify_app(backend)), base_url="https://sandbox"
        ) as client:
            everything = (await client.get("/_sandbox/shopify/deliveries")).json()["deliveries"]
            refunds = (await client.get("/_sandbox/shopify/deliveries", params={"topic": "refunds/create"})).json()["deliveries"]
        assert {d["topic"] for d in everything} == {"refunds/create", "orders/updated"}
        [delivery] = refunds
        assert (
            delivery["status"] == "delivered" and delivery["url"] == HOOK and delivery["payload"]["note"] == "Loop return 12345"
        )

    def test_close_stops_the_worker(self, receiver):
        backend = make_backend(receiver)
        subscribe(backend, "REFUNDS_CREATE")
        refund(backend)
        assert backend.webhooks.wait_idle(5)
        assert backend.webhooks.running
        backend.close()
        assert not backend.webhooks.running
