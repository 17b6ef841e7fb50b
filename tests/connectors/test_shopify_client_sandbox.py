"""ShopifyClient against the Shopify emulator in-process (ASGI): orders, search, refunds, tags, notes, inventory, throttling."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest

from returns_sandbox.shopify import ShopifyBackend, create_shopify_app
from returns_sandbox.testing import NORTH, ManualClock, line_id, order_id, shopify_sample_world, transaction_id
from returns_sync.connectors.auth import ShopifyAccessTokenAuth
from returns_sync.connectors.errors import AuthenticationError
from returns_sync.connectors.retry import SERVER_WAIT_JITTER, RetryPolicy
from returns_sync.connectors.shopify import ShopifyClient, ShopifyUserError
from returns_sync.domain.shopify import FinancialStatus, TransactionKind

ORDER = f"gid://shopify/Order/{order_id('north', 0)}"
SALE = f"gid://shopify/OrderTransaction/{transaction_id('north', 0)}"


class SyncASGITransport(httpx.BaseTransport):
    """Lets a sync ``httpx.Client`` call an ASGI app: every request runs on a fresh event loop."""

    def __init__(self, app) -> None:
        self._inner = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            response = await self._inner.handle_async_request(request)
            return httpx.Response(response.status_code, headers=response.headers, content=await response.aread(), request=request)

        return asyncio.run(send())


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def backend(clock):
    backend = ShopifyBackend(clock=clock)
    backend.load_world(shopify_sample_world())
    yield backend
    backend.close()


@pytest.fixture
def sleeps(clock):
    recorded: list[float] = []

    def sleep(seconds: float) -> None:  # the sandbox's bucket refills on the same manual clock
        recorded.append(seconds)
        clock.advance(seconds)

    sleep.recorded = recorded  # type: ignore[attr-defined]
    return sleep


@pytest.fixture
def client(backend, sleeps, clock):
    http = httpx.Client(
        base_url="https://north-outfitters.myshopify.com",
        transport=SyncASGITransport(create_shopify_app(backend)),
        auth=ShopifyAccessTokenAuth(NORTH.shopify_access_token),
    )
    with ShopifyClient(http, retry=RetryPolicy(sleep=sleeps), clock=lambda: clock().timestamp()) as client:
        yield client


class TestReads:
    def test_get_order_by_number_or_gid(self, client):
        order = client.get_order(order_id("north", 0))
        assert order == client.get_order(ORDER)
        assert order.name == "#1001" and order.display_financial_status is FinancialStatus.PAID
        assert [(line.sku, line.quantity, line.unit_price, line.unit_paid, line.tax) for line in order.line_items] == [
            ("TEE-RED-M", 2, Decimal("25"), Decimal("20"), Decimal("3.2")),
            ("HOODIE-BLK-L", 1, Decimal("60"), Decimal("60"), Decimal("4.8")),
            ("CAP-GRN", 1, Decimal("15"), Decimal("15"), Decimal("0")),
        ]
        assert order.total_price_set.amount == Decimal("128.00") and order.customer.email == "ada@example.com"
        assert order.transactions[0].kind is TransactionKind.SALE and order.transactions[0].id == SALE
        assert client.last_cost["requestedQueryCost"] <= 1000

    def test_unknown_order_is_none(self, client):
        assert client.get_order(1) is None

    @pytest.mark.parametrize("name", ["#1002", "1002", " #1002 "])
    def test_find_order_by_name(self, client, name):
        assert client.find_order_by_name(name).numeric_id == order_id("north", 1)

    def test_find_unknown_name(self, client):
        assert client.find_order_by_name("#4242") is None

    def test_iter_orders_pages_through_summaries(self, client):
        assert [o.name for o in client.iter_orders(page_size=5)] == [f"#{n}" for n in range(1001, 1013)]
        assert [o.name for o in client.iter_orders("tag:wholesale", page_size=2)] == ["#1004", "#1007", "#1010"]

    def test_wrong_token_is_an_authentication_error(self, backend):
        http = httpx.Client(
            base_url="https://x", transport=SyncASGITransport(create_shopify_app(backend)), auth=ShopifyAccessTokenAuth("nope")
        )
        with ShopifyClient(http) as client, pytest.raises(AuthenticationError) as info:
            client.get_order(1)
        assert info.value.message == "[API] Invalid API key or access token (unrecognized login or wrong password)"


class TestWrites:
    def refund_input(self, quantity=1, amount="21.60"):
        return {
            "orderId": ORDER,
            "note": "loop-return-777",
            "notify": False,
            "refundLineItems": [
                {
                    "lineItemId": f"gid://shopify/LineItem/{line_id('north', 0, 0)}",
                    "quantity": quantity,
                    "restockType": "NO_RESTOCK",
                }
            ],
            "transactions": [
                {"orderId": ORDER, "parentId": SALE, "gateway": "shopify_payments", "kind": "REFUND", "amount": Decimal(amount)}
            ],
        }

    def test_refund_create_then_read_back(self, client):
        refund = client.refund_create(self.refund_input())
        assert refund.amount == Decimal("21.6") and refund.note == "loop-return-777"
        order = client.get_order(ORDER)
        assert order.refund_with_note("loop-return-777").id == refund.id
        assert order.refunded_quantity(line_id("north", 0, 0)) == 1
        assert order.display_financial_status is FinancialStatus.PARTIALLY_REFUNDED
        assert order.refundable_by_parent() == {SALE: Decimal("106.40")}

    def test_refund_user_errors(self, client):
        with pytest.raises(ShopifyUserError) as info:
            client.refund_create(self.refund_input(quantity=3))
        assert info.value.user_errors == [
            {"field": ["refundLineItems", "0", "quantity"], "message": "Quantity cannot refund more items than were purchased"}
        ]
        assert client.get_order(ORDER).refunds == []

    def test_tags_and_note(self, client):
        assert client.tags_add(ORDER, ["loop-return", "vip"]) == ["vip", "loop-return"]
        assert client.append_order_note(ORDER, "Loop return 777 -> NS CM-42") == "Loop return 777 -> NS CM-42"
        assert client.append_order_note(ORDER, "Refund posted") == "Loop return 777 -> NS CM-42\nRefund posted"
        assert client.append_order_note(ORDER, "Refund posted") == "Loop return 777 -> NS CM-42\nRefund posted"
        order = client.get_order(ORDER)
        assert order.tags == ["vip", "loop-return"] and order.note == "Loop return 777 -> NS CM-42\nRefund posted"

    def test_adjust_inventory(self, client, backend):
        group = client.adjust_inventory(
            inventory_item_id="50001",
            location_id=str(NORTH.shopify_location_id),
            delta=2,
            reference_document_uri="gid://loop-netsuite-sync/Return/777",
        )
        assert [(c.name, c.delta, c.quantity_after_change) for c in group.changes] == [("available", 2, 102), ("on_hand", 2, 102)]
        with pytest.raises(ShopifyUserError) as info:
            client.adjust_inventory(
                inventory_item_id="gid://shopify/InventoryItem/50001",
                location_id=str(NORTH.shopify_location_id),
                delta=1,
                name="damaged",
            )
        assert info.value.user_errors == [
            {
                "field": ["input", "changes", "0", "ledgerDocumentUri"],
                "message": "A ledger document URI is required except when adjusting available.",
                "code": "INVALID_QUANTITY_DOCUMENT",
            }
        ]


class TestThrottling:
    def test_waits_for_the_bucket_and_succeeds_without_real_sleep(self, client, backend, sleeps):
        backend.bucket(NORTH.shop_domain).set_available(100)
        order = client.get_order(ORDER)  # requests 843 points: throttled, waits ceil(743 / 100) = 8 s, then passes
        assert order.name == "#1001"
        [wait] = sleeps.recorded
        assert 8.0 <= wait <= 8.0 * (1 + SERVER_WAIT_JITTER)

    def test_pauses_before_a_query_the_bucket_cannot_cover(self, client, backend, sleeps):
        client.get_order(ORDER)  # learns that this query requests 843 points
        backend.bucket(NORTH.shop_domain).set_available(43)
        client.execute("{ shop { name } }")  # learns the bucket level (42 after this 1-point query)
        client.get_order(ORDER)
        assert sleeps.recorded == [9.0]  # ceil((843 - 42) / 100), paid up front instead of after a THROTTLED answer
