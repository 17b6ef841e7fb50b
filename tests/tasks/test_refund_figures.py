"""refund_sync checks every money document against Loop's own figures, not against the plan it was built from:
a refund above what the goods are worth, or one Loop's per-gateway refunds do not show, is quarantined, never posted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import SHIRT, STORE
from fakes import TAX_8, FakeNetSuite, FakeShopify, loop_return

from returns_sync.blocks import StoreSettings
from returns_sync.domain.loop import LoopReturn
from returns_sync.ledger import Ledger
from returns_sync.tasks import runtime as runtime_module
from returns_sync.tasks.refunds import post_refunds
from returns_sync.tasks.return_authorizations import post_return_authorizations

SO_ID = 5001
ADJUSTMENT_ITEM = 9004
GIFT_CARD_ITEM = 9005


@pytest.fixture
def received(
    monkeypatch: pytest.MonkeyPatch, store_settings: StoreSettings, ledger: Ledger, netsuite: FakeNetSuite, shopify: FakeShopify
) -> Iterator[FakeNetSuite]:
    """Order #1001 (two shirts) in NetSuite; return 7001's RA for one shirt exists and its shirt was received."""
    settings = store_settings.model_copy(
        update={"price_adjustment_item": ADJUSTMENT_ITEM, "gift_card_payment_item": GIFT_CARD_ITEM, "refund_mode": "cash_refund"}
    )
    runtime_module.use_store_settings(settings)
    monkeypatch.setattr(runtime_module, "ledger_for", lambda url=None: ledger)
    monkeypatch.setattr(StoreSettings, "get_netsuite_client", lambda self: netsuite)
    monkeypatch.setattr(StoreSettings, "get_shopify_client", lambda self: shopify)
    netsuite.add_order_1001(SO_ID)
    netsuite.add_line(SO_ID, 1, item=SHIRT, quantity=-2, rate="50.00", taxcode=TAX_8)
    netsuite.items.append({"id": str(SHIRT), "itemid": "SHIRT", "isinactive": "F"})
    post_return_authorizations.fn(STORE, [loop_return("7001")], batch=1)
    [ra] = [t for t in netsuite.transactions if t["type"] == "RtnAuth"]
    netsuite.replace_lines(
        int(ra["id"]), {"item": SHIRT, "quantity": 1, "quantityshiprecv": 1, "quantitybilled": 0, "isclosed": "F", "orderline": 1}
    )
    netsuite.creates.clear()
    yield netsuite
    runtime_module.use_store_settings(None, store=STORE)


def closed(**fields: Any) -> LoopReturn:
    return loop_return("7001", state="closed", was_processed=True, **fields)


def money_created(netsuite: FakeNetSuite) -> list[str]:
    return [c.record_type for c in netsuite.creates if c.record_type != "itemReceipt"]


def test_a_refund_matching_the_goods_and_loops_gateways_posts(received: FakeNetSuite) -> None:
    result = post_refunds.fn(STORE, [closed(refunds=[{"gateway": "shopify_payments", "amount": "48.60"}])], batch=1)
    assert result.quarantined == []
    assert money_created(received) == ["cashRefund"]


def test_a_refund_above_the_goods_value_is_quarantined_not_paid_out(received: FakeNetSuite, ledger: Ledger) -> None:
    """Loop says 78.60 went back for a 48.60 shirt: no 'difference to Loop's payout' line, no cash refund."""
    too_much = closed(refund="78.60", refunds=[{"gateway": "shopify_payments", "amount": "78.60"}])
    result = post_refunds.fn(STORE, [too_much], batch=1)
    assert money_created(received) == []
    [held] = result.quarantined
    assert held.rule == "unexplained_difference"
    assert held.reason.startswith("Loop paid out 30.00 USD more than the returned goods, shipping and fees are worth")
    with ledger.session() as repo:
        assert [e.rule for e in repo.open_quarantine(STORE, "refund_sync")] == ["unexplained_difference"]


def test_a_refund_loops_gateways_do_not_show_is_quarantined(received: FakeNetSuite) -> None:
    """Loop's refund is 48.60 but Shopify only refunded 30.00 to the card: the plan must not pay out 48.60."""
    result = post_refunds.fn(STORE, [closed(refunds=[{"gateway": "shopify_payments", "amount": "30.00"}])], batch=1)
    assert money_created(received) == []
    rules = {q.rule for q in result.quarantined}
    assert rules == {"refund_parts_mismatch"}
    [held] = result.quarantined
    assert "refund of 48.60 USD but its refunds per payment gateway add up to 30.00 USD" in held.reason
    assert "Planned refund to the card 48.60 USD but Loop says 30.00 USD" in held.reason


def test_the_gift_card_part_is_checked_against_loops_gift_card_gateway(received: FakeNetSuite) -> None:
    """Loop's refund went half to a gift card; the plan's gift-card line must be that half, the card the rest."""
    parts = [{"gateway": "shopify_payments", "amount": "28.60"}, {"gateway": "gift_card", "amount": "20.00"}]
    result = post_refunds.fn(STORE, [closed(refunds=parts)], batch=1)
    assert result.quarantined == []
    [refund] = [c for c in received.creates if c.record_type == "cashRefund"]
    gift_card_lines = [line for line in refund.body["item"]["items"] if line.get("item") == {"id": str(GIFT_CARD_ITEM)}]
    assert [str(line["amount"]) for line in gift_card_lines] == ["-20.00"]


def test_a_gift_card_part_loops_gateways_do_not_show_is_quarantined(received: FakeNetSuite) -> None:
    """refunds[] puts 30.00 on a gift card but 48.60 on the card as well: more than Loop's refund."""
    parts = [{"gateway": "shopify_payments", "amount": "48.60"}, {"gateway": "gift_card", "amount": "30.00"}]
    result = post_refunds.fn(STORE, [closed(refunds=parts)], batch=1)
    assert money_created(received) == []
    assert "refund_parts_mismatch" in {q.rule for q in result.quarantined}


def test_a_refund_document_netsuite_totals_as_planned_leaves_no_error(received: FakeNetSuite) -> None:
    received.totals["loop-north-7001-cr"] = "-48.60"  # SuiteQL signs money going back
    result = post_refunds.fn(STORE, [closed(refunds=[{"gateway": "shopify_payments", "amount": "48.60"}])], batch=1)
    assert money_created(received) == ["cashRefund"]
    assert result.errors == []


def test_a_refund_document_netsuite_totals_otherwise_is_an_error_of_the_run(received: FakeNetSuite) -> None:
    """NetSuite computed the tax itself and arrived at a cent less: the run says so (one SuiteQL read per batch)."""
    received.totals["loop-north-7001-cr"] = "-48.59"
    result = post_refunds.fn(STORE, [closed(refunds=[{"gateway": "shopify_payments", "amount": "48.60"}])], batch=1)
    [refund] = received.with_external_id("loop-north-7001-cr")
    assert result.errors == [("7001", f"cashRefund {refund['id']} totals 48.59 in NetSuite, not the planned 48.60 USD")]
