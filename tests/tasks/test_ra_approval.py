"""RA approval: created approved when the store says so; a pending RA makes its return wait, never quarantined."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import SHIRT, STORE
from fakes import TAX_8, FakeNetSuite, FakeShopify, loop_return

from returns_sync.blocks import StoreSettings
from returns_sync.connectors.errors import AuthenticationError
from returns_sync.ledger import Ledger
from returns_sync.tasks import runtime as runtime_module
from returns_sync.tasks.item_receipt_to_netsuite import post_item_receipts
from returns_sync.tasks.refunds import post_refunds
from returns_sync.tasks.return_authorizations import post_return_authorizations

SO_ID = 5001


@pytest.fixture
def account(
    monkeypatch: pytest.MonkeyPatch, ledger: Ledger, netsuite: FakeNetSuite, shopify: FakeShopify
) -> Iterator[FakeNetSuite]:
    """An account whose new RAs start Pending Approval, with order #1001 (two shirts) in it."""
    monkeypatch.setattr(runtime_module, "ledger_for", lambda url=None: ledger)
    monkeypatch.setattr(StoreSettings, "get_netsuite_client", lambda self: netsuite)
    monkeypatch.setattr(StoreSettings, "get_shopify_client", lambda self: shopify)
    netsuite.ra_approval_required = True
    netsuite.add_order_1001(SO_ID)
    netsuite.add_line(SO_ID, 1, item=SHIRT, quantity=-2, rate="50.00", taxcode=TAX_8)
    netsuite.items.append({"id": str(SHIRT), "itemid": "SHIRT", "isinactive": "F"})
    yield netsuite
    runtime_module.use_store_settings(None, store=STORE)


def use(settings: StoreSettings, *, approve: bool) -> None:
    runtime_module.use_store_settings(settings.model_copy(update={"approve_return_authorizations": approve}))


def ra_of(netsuite: FakeNetSuite) -> dict[str, str]:
    ras = [t for t in netsuite.transactions if t["type"] == "RtnAuth"]
    assert len(ras) == 1
    ra = ras[0]
    if not any(line["transaction"] == ra["id"] for line in netsuite.lines):  # the fake copies no lines: the RA's one shirt
        netsuite.add_line(
            int(ra["id"]), 1, item=SHIRT, quantity=1, quantityshiprecv=0, quantitybilled=0, isclosed="F", orderline=1
        )
    return ra


def test_a_store_that_approves_creates_its_ras_approved(account: FakeNetSuite, store_settings: StoreSettings) -> None:
    use(store_settings, approve=True)
    post_return_authorizations.fn(STORE, [loop_return("7001")], batch=1)
    assert account.creates[0].body["orderStatus"] == "B"
    assert ra_of(account)["status"] == "B"


def test_a_store_that_does_not_leaves_them_pending_and_the_receipt_waits(
    account: FakeNetSuite, store_settings: StoreSettings, ledger: Ledger
) -> None:
    use(store_settings, approve=False)
    post_return_authorizations.fn(STORE, [loop_return("7001")], batch=1)
    assert "orderStatus" not in account.creates[0].body and ra_of(account)["status"] == "A"
    result = post_item_receipts.fn(STORE, [loop_return("7001")], batch=1)
    assert [c.record_type for c in account.creates] == ["returnAuthorization"]  # no receipt tried
    assert account.updates == []
    assert result.quarantined == [] and result.errors == []
    [(return_id, why)] = result.waiting
    assert return_id == "7001" and "approval of" in why and "Pending Approval" in why
    with ledger.session() as repo:
        assert repo.open_quarantine(STORE, "item_receipt_to_netsuite") == []


def test_turning_the_toggle_on_approves_a_pending_ra_then_receives(
    account: FakeNetSuite, store_settings: StoreSettings, ledger: Ledger
) -> None:
    use(store_settings, approve=False)
    post_return_authorizations.fn(STORE, [loop_return("7001")], batch=1)
    ra = ra_of(account)
    use(store_settings, approve=True)
    result = post_item_receipts.fn(STORE, [loop_return("7001")], batch=1)
    assert account.updates == [("returnAuthorization", ra["id"], {"orderStatus": "B"})]
    assert result.counts["RAs approved"] == 1 and result.waiting == []
    assert [c.record_type for c in account.creates] == ["returnAuthorization", "itemReceipt"]
    with ledger.session() as repo:
        assert "approved returnAuthorization" in [e.action for e in repo.audit_entries(STORE, loop_return_id="7001")]


def test_ra_sync_approves_an_ra_left_pending_once_the_store_approves(
    account: FakeNetSuite, store_settings: StoreSettings
) -> None:
    use(store_settings, approve=False)
    post_return_authorizations.fn(STORE, [loop_return("7001")], batch=1)
    use(store_settings, approve=True)
    again = post_return_authorizations.fn(STORE, [loop_return("7001")], batch=1)
    assert again.counts["RAs approved"] == 1 and ra_of(account)["status"] == "B"
    third = post_return_authorizations.fn(STORE, [loop_return("7001")], batch=1)
    assert "RAs approved" not in third.counts and len(account.updates) == 1


def test_a_credentials_failure_stops_the_batch_and_quarantines_nothing(
    account: FakeNetSuite, store_settings: StoreSettings, ledger: Ledger
) -> None:
    use(store_settings, approve=True)
    refused = AuthenticationError("Invalid login attempt.", vendor="netsuite", code="INVALID_LOGIN", status_code=401)
    account.faults.append(("before", refused))
    with pytest.raises(AuthenticationError):
        post_return_authorizations.fn(STORE, [loop_return("7001")], batch=1)
    with ledger.session() as repo:
        assert repo.open_quarantine(STORE, "ra_sync") == []


def test_refund_sync_never_receives_against_a_pending_ra(
    account: FakeNetSuite, store_settings: StoreSettings, ledger: Ledger
) -> None:
    """create_ra_and_ir_on_refund creates the RA; Pending Approval, the receipt and refund wait (not quarantined)."""
    runtime_module.use_store_settings(
        store_settings.model_copy(update={"approve_return_authorizations": False, "create_ra_and_ir_on_refund": True})
    )
    processed = loop_return("7001", state="closed", was_processed=True)
    result = post_refunds.fn(STORE, [processed], batch=1)
    assert [c.record_type for c in account.creates] == ["returnAuthorization"]
    assert result.quarantined == []
    assert any(rid == "7001" and "approval of" in why for rid, why in result.waiting)
    with ledger.session() as repo:
        assert repo.open_quarantine(STORE, "refund_sync") == []
