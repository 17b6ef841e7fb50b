"""The Shopify emulator over real localhost sockets: our connector, signed webhooks with retries, a urllib-only client, fault knobs."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from returns_sandbox.shopify import ShopifyBackend, create_shopify_app
from returns_sandbox.testing import NORTH, line_id, order_id, serve_in_thread, shopify_sample_world, transaction_id
from returns_sync.connectors.auth import ShopifyAccessTokenAuth
from returns_sync.connectors.errors import RateLimitedError, TransientApiError
from returns_sync.connectors.retry import SERVER_WAIT_JITTER, RetryPolicy
from returns_sync.connectors.shopify import ShopifyClient, verify_shopify_webhook

pytestmark = pytest.mark.contract

ORDER = f"gid://shopify/Order/{order_id('north', 0)}"
SALE = f"gid://shopify/OrderTransaction/{transaction_id('north', 0)}"
SUBSCRIBE = """mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) { webhookSubscription { id } userErrors { field message } } }"""


class Receiver:
    """A webhook endpoint that fails the first ``failures`` deliveries with 500 and records every request."""

    def __init__(self) -> None:
        self.failures = 0
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        self.lock = threading.Lock()

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            status = 500 if self.failures > 0 else 200
            self.failures -= 1
            self.received.append((dict(request.headers), body, status))
        return Response(status_code=status)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[dict[str, str], bytes, int]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} deliveries, got {len(self.received)}")


@pytest.fixture
def backend():
    backend = ShopifyBackend(webhook_base_delay=0.05)
    backend.load_world(shopify_sample_world())
    yield backend
    backend.close()


@pytest.fixture
def receiver():
    return Receiver()


@pytest.fixture
def server(backend, receiver):
    running = serve_in_thread(
        {
            "shopify": create_shopify_app(backend),
            "receiver": Starlette(routes=[Route("/hooks/shopify", receiver.handle, methods=["POST"])]),
        }
    )
    yield running
    running.stop()


@pytest.fixture
def shopify_url(server):
    return server.urls["shopify"]


@pytest.fixture
def connector(shopify_url):
    with ShopifyClient.from_credentials(base_url=shopify_url, access_token=NORTH.shopify_access_token, timeout=5.0) as client:
        yield client


def manual_client(base_url: str, *, timeout: float = 5.0, max_attempts: int = 3) -> tuple[ShopifyClient, list[float]]:
    """A connector whose waits are recorded, not slept."""
    sleeps: list[float] = []
    http = httpx.Client(base_url=base_url, auth=ShopifyAccessTokenAuth(NORTH.shopify_access_token), timeout=timeout)
    return ShopifyClient(http, retry=RetryPolicy(sleep=sleeps.append, max_attempts=max_attempts)), sleeps


def set_faults(base_url: str, **settings) -> dict:
    response = httpx.post(f"{base_url}/_sandbox/faults", json=settings)
    response.raise_for_status()
    return response.json()


def refund_input(note: str, amount: str = "21.60") -> dict:
    return {
        "orderId": ORDER,
        "note": note,
        "notify": False,
        "refundLineItems": [
            {"lineItemId": f"gid://shopify/LineItem/{line_id('north', 0, 0)}", "quantity": 1, "restockType": "NO_RESTOCK"}
        ],
        "transactions": [{"orderId": ORDER, "parentId": SALE, "gateway": "shopify_payments", "kind": "REFUND", "amount": amount}],
    }


class TestConnector:
    def test_reads_an_order_refunds_it_and_tags_it(self, connector):
        order = connector.find_order_by_name("#1001")
        assert order.id == ORDER and order.line_items[0].unit_paid == Decimal("20")
        refund = connector.refund_create(refund_input("Loop return 501"))
        assert refund.amount == Decimal("21.60")
        assert connector.tags_add(order.id, ["loop-returned"]) == ["vip", "loop-returned"]
        again = connector.get_order(order.numeric_id)
        assert again.refund_with_note("Loop return 501").id == refund.id and again.tags == ["vip", "loop-returned"]


class TestWebhooks:
    def subscribe(self, connector, server, topic="REFUNDS_CREATE") -> None:
        data = connector.execute(
            SUBSCRIBE, {"topic": topic, "sub": {"callbackUrl": f"{server.urls['receiver']}/hooks/shopify", "format": "JSON"}}
        )
        assert data["webhookSubscriptionCreate"]["userErrors"] == []

    def test_refunds_create_arrives_signed_with_shopify_headers(self, connector, server, receiver):
        self.subscribe(connector, server)
        refund = connector.refund_create(refund_input("Loop return 601"))
        [(headers, body, status)] = receiver.wait_for(1)
        assert status == 200
        assert headers["x-shopify-topic"] == "refunds/create"
        assert headers["x-shopify-shop-domain"] == NORTH.shop_domain
        assert headers["x-shopify-api-version"] == "2025-10"
        assert headers["x-shopify-webhook-id"] and headers["x-shopify-event-id"] and headers["x-shopify-triggered-at"]
        assert verify_shopify_webhook(body, headers["x-shopify-hmac-sha256"], NORTH.shopify_app_secret)
        assert not verify_shopify_webhook(body, headers["x-shopify-hmac-sha256"], "some-other-secret")
        payload = json.loads(body)
        assert payload["id"] == refund.legacy_resource_id and payload["admin_graphql_api_id"] == refund.id
        assert payload["note"] == "Loop return 601" and payload["transactions"][0]["amount"] == "21.60"

    def test_retry_after_500_carries_the_same_webhook_id(self, connector, server, receiver):
        self.subscribe(connector, server)
        receiver.failures = 1
        connector.refund_create(refund_input("Loop return 602"))
        (first_headers, first_body, first_status), (second_headers, second_body, second_status) = receiver.wait_for(2)
        assert (first_status, second_status) == (500, 200)
        assert first_headers["x-shopify-webhook-id"] == second_headers["x-shopify-webhook-id"]
        assert first_headers["x-shopify-hmac-sha256"] == second_headers["x-shopify-hmac-sha256"] and first_body == second_body
        log = httpx.get(f"{server.urls['shopify']}/_sandbox/shopify/deliveries").json()["deliveries"]
        assert [a["status_code"] for a in log[0]["attempts"]] == [500, 200]


class TestThirdPartyClient:
    """Written with only the standard library, as someone else's integration would be: only the base URL differs from Shopify."""

    def post(self, base_url: str, query: str, variables: dict | None = None, token: str = NORTH.shopify_access_token):
        request = urllib.request.Request(
            f"{base_url}/admin/api/2025-10/graphql.json",
            method="POST",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json", "X-Shopify-Access-Token": token},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, json.loads(response.read())

    def test_query_by_name_and_mutation(self, shopify_url):
        status, headers, body = self.post(
            shopify_url,
            "query($q: String!) { orders(first: 1, query: $q) { nodes { id name totalPriceSet { shopMoney { amount } } } } }",
            {"q": "name:#1001"},
        )
        assert status == 200 and headers["X-Shopify-API-Version"] == "2025-10"
        assert body["data"]["orders"]["nodes"] == [
            {"id": ORDER, "name": "#1001", "totalPriceSet": {"shopMoney": {"amount": "128.0"}}}
        ]
        assert body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 2000.0
        _, _, tagged = self.post(
            shopify_url,
            'mutation($id: ID!) { tagsAdd(id: $id, tags: "a, b") { node { ... on Order { tags } } userErrors { message } } }',
            {"id": ORDER},
        )
        assert tagged["data"]["tagsAdd"] == {"node": {"tags": ["vip", "a", "b"]}, "userErrors": []}

    def test_bad_token_is_401(self, shopify_url):
        with pytest.raises(urllib.error.HTTPError) as info:
            self.post(shopify_url, "{ shop { name } }", token="shpat_wrong")
        assert info.value.code == 401
        assert json.loads(info.value.read()) == {
            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
        }


class TestFaults:
    def test_latency(self, shopify_url, connector):
        set_faults(shopify_url, latency_ms=200)
        started = time.monotonic()
        connector.execute("{ shop { name } }")
        assert time.monotonic() - started >= 0.2

    def test_p_429_is_shopify_rest_style_and_the_connector_backs_off(self, shopify_url):
        set_faults(shopify_url, p_429=1.0)
        response = httpx.post(
            f"{shopify_url}/admin/api/2025-10/graphql.json",
            json={"query": "{ shop { name } }"},
            headers={"X-Shopify-Access-Token": NORTH.shopify_access_token},
        )
        assert response.status_code == 429 and response.headers["Retry-After"] == "2.0"
        assert response.json() == {
            "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
        }
        client, sleeps = manual_client(shopify_url)
        with client, pytest.raises(RateLimitedError) as info:
            client.execute("{ shop { name } }")
        assert len(sleeps) == 2 and all(2.0 <= wait <= 2.0 * (1 + SERVER_WAIT_JITTER) for wait in sleeps)
        assert info.value.retry_after == 2.0 and info.value.status_code == 429
        assert set_faults(shopify_url)["stats"]["injected"]["p_429"] == 4

    def test_p_503_is_retried_then_reported(self, shopify_url):
        set_faults(shopify_url, p_503=1.0)
        client, sleeps = manual_client(shopify_url)
        with client, pytest.raises(TransientApiError) as info:
            client.execute("{ shop { name } }")
        assert (info.value.status_code, info.value.message) == (503, "Service Unavailable")
        assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0  # full jitter

    def test_timeout_after_commit_on_a_mutation_leaves_the_refund_in_place(self, shopify_url, backend):
        set_faults(shopify_url, p_timeout_after_commit=1.0, hang_seconds=5)
        client, _ = manual_client(shopify_url, timeout=0.5)
        with client, pytest.raises(TransientApiError) as info:
            client.refund_create(refund_input("Loop return 701"))
        assert info.value.maybe_committed is True
        set_faults(shopify_url, p_timeout_after_commit=0.0)
        with ShopifyClient.from_credentials(base_url=shopify_url, access_token=NORTH.shopify_access_token) as reader:
            order = reader.get_order(ORDER)
        refund = order.refund_with_note("Loop return 701")
        assert refund is not None and refund.amount == Decimal("21.60")
        assert len(order.refunds) == 1  # the connector did not resend the mutation
