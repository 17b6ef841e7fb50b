"""A return changed in Loop after its RA exists: the RA's lines are matched by SO line and item, not by position;
only an RA that cannot carry the return any more quarantines it (and ``returns-sync report`` lists it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import HAT, SHIRT, STORE
from fakes import TAX_8, FakeNetSuite, FakeShopify, loop_return

from returns_sync.blocks import StoreSettings
from returns_sync.cli.operate import print_report
from returns_sync.domain.loop import LoopReturn
from returns_sync.ledger import Ledger
from returns_sync.tasks import runtime as runtime_module
from returns_sync.tasks.item_receipt_to_netsuite import post_item_receipts
from returns_sync.tasks.refunds import post_refunds
from returns_sync.tasks.return_authorizations import post_return_authorizations

SO_ID = 5001


@pytest.fixture
def account(
    monkeypatch: pytest.MonkeyPatch, store_settings: StoreSettings, ledger: Ledger, netsuite: FakeNetSuite, shopify: FakeShopify
) -> Iterator[FakeNetSuite]:
    """Order #1001 in NetSuite: SO line 1 two shirts, SO line 2 one hat."""
    runtime_module.use_store_settings(store_settings.model_copy(update={"refund_mode": "cash_refund"}))
    monkeypatch.setattr(runtime_module, "ledger_for", lambda url=None: ledger)
    monkeypatch.setattr(StoreSettings, "get_netsuite_client", lambda self: netsuite)
    monkeypatch.setattr(StoreSettings, "get_shopify_client", lambda self: shopify)
    netsuite.add_order_1001(SO_ID)
    netsuite.add_line(SO_ID, 1, item=SHIRT, quantity=-2, rate="50.00", taxcode=TAX_8)
    netsuite.add_line(SO_ID, 2, item=HAT, quantity=-1, rate="50.00", taxcode=TAX_8)
    netsuite.items += [
        {"id": str(SHIRT), "itemid": "SHIRT", "isinactive": "F"},
        {"id": str(HAT), "itemid": "HAT", "isinactive": "F"},
    ]
    yield netsuite
    runtime_module.use_store_settings(None, store=STORE)


def with_ra(netsuite: FakeNetSuite, created_for: LoopReturn, *lines: dict[str, Any]) -> None:
    """ra_sync creates the RA for ``created_for``; then NetSuite's RA holds ``lines`` (received units included)."""
    post_return_authorizations.fn(STORE, [created_for], batch=1)
    [ra] = [t for t in netsuite.transactions if t["type"] == "RtnAuth"]
    netsuite.replace_lines(int(ra["id"]), *({"quantitybilled": 0, "isclosed": "F", **line} for line in lines))
    netsuite.creates.clear()


def closed(*skus: str) -> LoopReturn:
    total = f"{48.60 * len(skus):.2f}"
    return loop_return(
        "7001", *skus, state="closed", was_processed=True, refunds=[{"gateway": "shopify_payments", "amount": total}]
    )


def test_a_line_removed_in_loop_after_the_ra_leaves_the_rest_refunded_against_its_own_ra_line(account: FakeNetSuite) -> None:
    """The RA has a shirt (line 1) and a hat (line 2); the customer took the shirt off the return in Loop."""
    with_ra(
        account,
        loop_return("7001", "SHIRT", "HAT"),
        {"item": SHIRT, "quantity": 1, "quantityshiprecv": 0, "orderline": 1},
        {"item": HAT, "quantity": 1, "quantityshiprecv": 1, "orderline": 2},
    )
    result = post_refunds.fn(STORE, [closed("HAT")], batch=1)
    assert result.quarantined == [] and not [e for e in result.errors if "no longer matches" in e[1]]
    [refund] = [c for c in account.creates if c.record_type == "cashRefund"]
    credited = [line for line in refund.body["item"]["items"] if "orderLine" in line]
    assert [(line["orderLine"], line["quantity"]) for line in credited] == [(2, 1)]  # the hat's RA line, not line 1


def test_an_ra_that_cannot_carry_the_return_is_quarantined_and_reported(
    account: FakeNetSuite, ledger: Ledger, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The RA holds one shirt; the return now has two: crediting two against a one-unit line would be wrong."""
    with_ra(account, loop_return("7001", "SHIRT"), {"item": SHIRT, "quantity": 1, "quantityshiprecv": 1, "orderline": 1})
    result = post_refunds.fn(STORE, [closed("SHIRT", "SHIRT")], batch=1)
    assert [c.record_type for c in account.creates] == []
    [held] = result.quarantined
    assert held.rule == "ra_diverged"
    assert "the return has 2 × SHIRT (SO line 1) but RA" in held.reason and "has only 1 on it" in held.reason
    assert result.errors == []
    monkeypatch.setenv("COLUMNS", "400")  # the report's table on one line per return
    print_report(store=STORE, ledger_url=None)
    report = capsys.readouterr().out
    assert "7001" in report and "ra_diverged" in report and "no longer fits it" in report


def test_item_receipts_match_by_so_line_too(account: FakeNetSuite) -> None:
    """The warehouse received the hat in Loop; the RA's hat is its second line: the receipt takes that line."""
    with_ra(
        account,
        loop_return("7001", "SHIRT", "HAT"),
        {"item": SHIRT, "quantity": 1, "quantityshiprecv": 0, "orderline": 1},
        {"item": HAT, "quantity": 1, "quantityshiprecv": 0, "orderline": 2},
    )
    result = post_item_receipts.fn(STORE, [loop_return("7001", "HAT")], batch=1)
    assert result.quarantined == [] and result.errors == []
    [receipt] = [c for c in account.creates if c.record_type == "itemReceipt"]
    assert [line["orderLine"] for line in receipt.body["item"]["items"]] == [2]
