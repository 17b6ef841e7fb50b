"""Outcome classification from lines, exchanges and totals (Loop's own ``outcome`` string is ignored)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from posting_factory import loop_return, unit

from returns_sync.domain.outcomes import Outcome, UnitKind, classify_outcome, is_gift_card_gateway, payout, unit_kind

EXCHANGE = [{"exchange_id": "E1", "sku": "SHIRT-L"}]
EXCHANGED = unit("L1", outcome="exchange")


@pytest.mark.parametrize(
    ("units", "fields", "expected"),
    [
        ((unit("L1"),), {"refund": "48.60"}, Outcome.REFUND),
        ((unit("L1"),), {"refund": "48.60", "refunds": [{"gateway": "gift_card", "amount": "20.00"}]}, Outcome.REFUND),
        ((unit("L1"),), {"gift_card": "48.60"}, Outcome.STORE_CREDIT),
        ((unit("L1"),), {"gift_card": "53.60"}, Outcome.STORE_CREDIT),
        ((unit("L1"),), {"refund": "20.00", "gift_card": "28.60"}, Outcome.MIXED),
        ((unit("L1", outcome="refund"), unit("L2", outcome="credit")), {}, Outcome.MIXED),
        ((unit("L1", outcome="credit"),), {}, Outcome.STORE_CREDIT),
        ((unit("L1"),), {}, Outcome.REFUND),
        ((EXCHANGED,), {"exchanges": EXCHANGE}, Outcome.EXCHANGE),
        ((unit("L1"),), {"exchanges": EXCHANGE}, Outcome.EXCHANGE),
        ((unit("L1", exchange_variant="4401"),), {}, Outcome.EXCHANGE),
        ((EXCHANGED,), {"exchanges": EXCHANGE, "upsell": "21.40"}, Outcome.ADVANCED_EXCHANGE_UPSELL),
        ((EXCHANGED,), {"exchanges": EXCHANGE, "refund": "10.00"}, Outcome.ADVANCED_EXCHANGE_DOWNSELL),
        ((EXCHANGED,), {"exchanges": EXCHANGE, "gift_card": "10.00"}, Outcome.ADVANCED_EXCHANGE_DOWNSELL),
        ((EXCHANGED, unit("L2", outcome="refund")), {"exchanges": EXCHANGE, "refund": "48.60"}, Outcome.MIXED),
        (
            (unit("L1", outcome="exchange", received=False),),
            {"exchanges": [{"exchange_id": "E1", "exchange_order_id": "9901"}]},
            Outcome.INSTANT_EXCHANGE,
        ),
        ((EXCHANGED,), {"exchanges": [{"exchange_id": "E1", "exchange_order_id": "9901"}]}, Outcome.EXCHANGE),
        ((EXCHANGED,), {"exchanges": EXCHANGE, "instant_exchange": True}, Outcome.INSTANT_EXCHANGE),
        # Loop's own outcome string does not decide.
        ((unit("L1"),), {"outcome": "exchange", "refund": "48.60"}, Outcome.REFUND),
    ],
)
def test_classify_outcome(units: tuple[dict[str, Any], ...], fields: dict[str, Any], expected: Outcome) -> None:
    assert classify_outcome(loop_return(*units, **fields)) is expected


def test_caller_knowledge_of_instant_exchange_wins() -> None:
    ret = loop_return(EXCHANGED, exchanges=EXCHANGE)
    assert classify_outcome(ret, instant=True) is Outcome.INSTANT_EXCHANGE
    ret = loop_return(unit("L1", outcome="exchange", received=False), exchanges=[{"exchange_id": "E1", "exchange_order_id": "9"}])
    assert classify_outcome(ret, instant=False) is Outcome.EXCHANGE


def test_exchange_outcomes() -> None:
    assert {o for o in Outcome if o.is_exchange()} == {
        Outcome.EXCHANGE,
        Outcome.ADVANCED_EXCHANGE_UPSELL,
        Outcome.ADVANCED_EXCHANGE_DOWNSELL,
        Outcome.INSTANT_EXCHANGE,
    }


@pytest.mark.parametrize(
    ("line", "fields", "kind"),
    [
        ({"outcome": "Exchange"}, {}, UnitKind.EXCHANGE),
        ({"outcome": "gift-card"}, {}, UnitKind.CREDIT),
        ({"outcome": "store credit"}, {}, UnitKind.CREDIT),
        ({"outcome": "refund", "exchange_variant": "4401"}, {}, UnitKind.REFUND),
        ({"exchange_variant": "4401"}, {}, UnitKind.EXCHANGE),
        ({}, {"exchanges": EXCHANGE}, UnitKind.EXCHANGE),
        ({}, {"gift_card": "10.00"}, UnitKind.CREDIT),
        ({}, {"gift_card": "10.00", "refund": "5.00"}, UnitKind.REFUND),
        ({}, {}, UnitKind.REFUND),
    ],
)
def test_unit_kind(line: dict[str, Any], fields: dict[str, Any], kind: UnitKind) -> None:
    ret = loop_return(unit("L1", **line), **fields)
    assert unit_kind(ret.line_items[0], ret) is kind


class TestPayout:
    def test_gift_card_part_of_the_refund_is_split_off(self) -> None:
        ret = loop_return(
            refund="48.60",
            gift_card="5.00",
            refunds=[{"gateway": "shopify_payments", "amount": 28.6}, {"gateway": "Gift Card", "amount": "20"}],
        )
        paid = payout(ret)
        assert (paid.card, paid.gift_card_refund, paid.store_credit) == (Decimal("28.60"), Decimal("20.00"), Decimal("5.00"))
        assert (paid.refund, paid.total) == (Decimal("48.60"), Decimal("53.60"))

    def test_refund_missing_falls_back_to_the_parts(self) -> None:
        paid = payout(loop_return(refunds=[{"gateway": "Stripe", "amount": 20}]))
        assert (str(paid.card), str(paid.gift_card_refund)) == ("20.00", "0.00")

    def test_amounts_take_the_currency_exponent(self) -> None:
        paid = payout(loop_return(currency="JPY", refund="4860"), "JPY")
        assert str(paid.card) == "4860"

    @pytest.mark.parametrize(
        ("gateway", "is_gift_card"),
        [
            ("gift_card", True),
            ("Gift Card", True),
            ("shopify_gift_card", True),
            ("giftcard", True),
            ("stripe", False),
            (None, False),
        ],
    )
    def test_gift_card_gateways(self, gateway: str | None, is_gift_card: bool) -> None:
        assert is_gift_card_gateway(gateway) is is_gift_card
