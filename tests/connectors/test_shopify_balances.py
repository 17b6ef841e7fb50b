"""Gift cards with their debit transactions and refund totals, read in batches from the Shopify emulator."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from test_shopify_client_sandbox import SyncASGITransport

from returns_sandbox.shopify import ShopifyBackend, create_shopify_app
from returns_sandbox.testing import NORTH, ManualClock, line_id, order_id, shopify_sample_world
from returns_sync.connectors.auth import ShopifyAccessTokenAuth
from returns_sync.connectors.errors import AuthenticationError
from returns_sync.connectors.retry import RetryPolicy
from returns_sync.connectors.shopify import ShopifyClient
from returns_sync.connectors.shopify_balances import read_gift_cards, read_refund_totals

SHOP = "north-outfitters.myshopify.com"


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
def client(backend, clock):
    http = httpx.Client(
        base_url=f"https://{SHOP}",
        transport=SyncASGITransport(create_shopify_app(backend)),
        auth=ShopifyAccessTokenAuth(NORTH.shopify_access_token),
    )
    with ShopifyClient(http, retry=RetryPolicy(sleep=clock.advance), clock=lambda: clock().timestamp()) as client:
        yield client


class TestGiftCards:
    def test_balance_initial_value_and_each_debit_with_its_date(self, client, backend, clock):
        spent = backend.issue_gift_card(SHOP, amount=Decimal("53.60"), order_id=order_id("north", 0))
        untouched = backend.issue_gift_card(SHOP, amount=Decimal("20.00"))
        clock.advance(86400)
        backend.debit_gift_card(SHOP, spent, amount=Decimal("15.00"))
        clock.advance(86400)
        backend.debit_gift_card(SHOP, spent, amount=Decimal("8.60"))

        cards = read_gift_cards(client, [str(spent), str(untouched), "999999"])

        assert set(cards) == {str(spent), str(untouched)}  # a card Shopify does not know is left out
        card = cards[str(spent)]
        assert (card.initial_value, card.balance, card.currency) == (Decimal("53.60"), Decimal("30.00"), "USD")
        assert [d.amount for d in card.debits] == [Decimal("15.00"), Decimal("8.60")]
        assert card.debits[1].processed_at - card.debits[0].processed_at == timedelta(days=1)
        assert cards[str(untouched)].debits == ()

    def test_a_debit_above_the_balance_is_refused(self, backend):
        card = backend.issue_gift_card(SHOP, amount=Decimal("10.00"))
        with pytest.raises(ValueError, match="holds 10.00, less than 10.01"):
            backend.debit_gift_card(SHOP, card, amount=Decimal("10.01"))

    def test_transactions_need_their_own_scope(self, client, backend):
        card = backend.issue_gift_card(SHOP, amount=Decimal("10.00"))
        backend.debit_gift_card(SHOP, card, amount=Decimal("1.00"))
        backend.set_access(NORTH.shopify_access_token, scopes=["read_orders", "read_gift_cards"])

        with pytest.raises(AuthenticationError) as info:
            read_gift_cards(client, [str(card)])

        assert info.value.code == "ACCESS_DENIED" and "`read_gift_card_transactions` access scope" in info.value.message


def test_refund_totals_by_id_and_an_unknown_refund_left_out(client, backend):
    refund = backend.create_refund(
        SHOP,
        order_id("north", 0),
        line_items=[(line_id("north", 0, 0), 1)],
        transactions=[("shopify_payments", Decimal("23.20"))],
    )

    assert read_refund_totals(client, [str(refund), "424242"]) == {str(refund): Decimal("23.20")}
