"""``Sandbox.connection_info()``: the JSON contract users configure themselves from (``sandbox up`` prints it)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from returns_sandbox.hub import Sandbox
from returns_sandbox.seed.catalog import ACCOUNTS, SPECIAL_ITEMS
from returns_sandbox.seed.stores import EAST, NORTH, SOUTH, WEST


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    sandbox = Sandbox()
    sandbox.seed_demo(returns=24)
    sandbox.start()
    yield sandbox
    sandbox.close()


def test_is_plain_json(sandbox: Sandbox) -> None:
    info = sandbox.connection_info()
    assert json.loads(json.dumps(info)) == info


def test_keeps_the_keys_it_always_had(sandbox: Sandbox) -> None:
    info = sandbox.connection_info()
    assert {"loop", "netsuite", "shopify", "stores"} <= info.keys()
    assert info["loop"]["base_url"] == sandbox.server.urls["loop"]
    assert info["netsuite"]["base_url"] == sandbox.server.urls["netsuite"] and info["netsuite"]["account_id"] == "1234567_SB1"
    assert {"base_url", "api_version"} <= info["shopify"].keys() and info["shopify"]["base_url"] == sandbox.server.urls["shopify"]
    north = info["stores"]["north"]
    assert north["name"] == NORTH.name
    assert north["loop"] == {"api_key": NORTH.loop_api_key, "webhook_secret": NORTH.loop_webhook_secret}
    assert {"account_id", "consumer_key", "consumer_secret", "token_id", "token_secret", "subsidiary_id", "location_id"} <= north[
        "netsuite"
    ].keys()
    assert {k: north["shopify"][k] for k in ("shop_domain", "access_token", "app_secret")} == {
        "shop_domain": NORTH.shop_domain,
        "access_token": NORTH.shopify_access_token,
        "app_secret": NORTH.shopify_app_secret,
    }


def test_names_the_shopify_versions_it_serves_and_the_tokens_scopes(sandbox: Sandbox) -> None:
    shopify = sandbox.connection_info()["shopify"]
    # On 2026-12-03 2026-10 is the newest stable version and 2027-01 the release candidate.
    assert shopify["api_version"] == "2026-10" and shopify["release_candidate"] == "2027-01"
    assert shopify["api_versions"] == ["2026-01", "2026-04", "2026-07", "2026-10", "2027-01"]
    scopes = sandbox.connection_info()["stores"]["north"]["shopify"]["access_scopes"]
    assert scopes == [
        "read_gift_card_transactions",
        "read_gift_cards",
        "read_inventory",
        "read_orders",
        "read_products",
        "write_inventory",
        "write_orders",
    ]


def test_carries_what_a_merchants_settings_need(sandbox: Sandbox) -> None:
    info = sandbox.connection_info()
    assert info["netsuite"]["special_items"] == {role: ns_id for role, (ns_id, _) in SPECIAL_ITEMS.items()}
    assert info["netsuite"]["accounts"]["stripe_clearing"] == ACCOUNTS["stripe_clearing"]
    for spec in (NORTH, SOUTH, EAST, WEST):
        store = info["stores"][spec.key]
        assert store["currency"] == spec.currency
        assert {
            k: store["netsuite"][k] for k in ("subsidiary_id", "location_id", "damaged_location_id", "sku_field", "ra_flag_field")
        } == {
            "subsidiary_id": spec.ns_subsidiary_id,
            "location_id": spec.ns_location_id,
            "damaged_location_id": spec.ns_damaged_location_id,
            "sku_field": spec.sku_field,
            "ra_flag_field": spec.ra_flag_field,
        }
        assert store["settings"] == {
            "refund_mode": spec.refund_mode,
            "create_ra_and_ir_on_refund": spec.create_ra_and_ir_on_refund,
            "close_ra_on_loop_cancel": spec.close_ra_on_loop_cancel,
            "cancel_loop_on_ra_close": spec.cancel_loop_on_ra_close,
            "approve_return_authorizations": spec.approve_return_authorizations,
            "unbooked_refund_days": spec.unbooked_refund_days,
            "netsuite_tax_engine": "legacy",  # the account's default
            "exchange_mode": spec.exchange_mode,
            **({"upsell_fee_rate": str(spec.upsell_fee_rate)} if spec.upsell_fee_rate is not None else {}),
            **({"upsell_fee_fixed": str(spec.upsell_fee_fixed)} if spec.upsell_fee_fixed is not None else {}),
        }
        assert store["accounts"] == ({"refunds": spec.refund_account} if spec.refund_account else {})
        assert store["netsuite"]["ra_approval_required"] is spec.ns_ra_approval_required
    assert info["netsuite"]["tax_engine"] == "legacy"


def test_a_suitetax_account_says_so_for_the_account_and_every_store() -> None:
    sandbox = Sandbox(netsuite_suitetax=True)
    try:
        sandbox.seed_demo(seed=7, returns=2)
        info = sandbox.connection_info()
    finally:
        sandbox.close()
    assert info["netsuite"]["tax_engine"] == "suitetax"
    assert {store["settings"]["netsuite_tax_engine"] for store in info["stores"].values()} == {"suitetax"}
    assert info["netsuite"]["accounts"]["shopify_payments_clearing"] == ACCOUNTS["shopify_payments_clearing"]


def test_an_unseeded_sandbox_has_urls_and_no_stores() -> None:
    sandbox = Sandbox()
    try:
        info = sandbox.connection_info()
    finally:
        sandbox.close()
    assert info["stores"] == {} and info["netsuite"]["account_id"] is None and info["loop"] == {"base_url": None}
