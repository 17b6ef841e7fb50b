"""StoreSettings from a connection-info JSON: every field a merchant sets comes from the JSON, nothing from sandbox objects."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from returns_sync.blocks.connection_info import read_connection_info, store_settings_from_connection_info
from returns_sync.domain.tax import TaxEngine

# Written by hand in the shape `returns-sandbox up --info-file` writes (see Sandbox.connection_info()).
INFO: dict[str, Any] = {
    "loop": {"base_url": "http://127.0.0.1:8700"},
    "netsuite": {
        "base_url": "http://127.0.0.1:8701",
        "account_id": "1234567_SB1",
        "special_items": {
            "handling_fee": 9001,
            "store_credit": 9002,
            "bonus": 9003,
            "price_adjustment": 9004,
            "gift_card_payment": 9005,
            "shipping": 9006,
        },
        "accounts": {"cash": 111, "stripe_clearing": 115},
    },
    "shopify": {"base_url": "http://127.0.0.1:8702", "api_version": "2026-07", "api_versions": ["2026-01", "2026-04", "2026-07"]},
    "stores": {
        "north": {
            "name": "North Outfitters",
            "currency": "USD",
            "loop": {"api_key": "loop-key", "webhook_secret": "loop-secret"},
            "netsuite": {
                "account_id": "1234567_SB1",
                "consumer_key": "ck",
                "consumer_secret": "cs",
                "token_id": "ti",
                "token_secret": "ts",
                "subsidiary_id": 2,
                "location_id": 1,
                "damaged_location_id": 7,
                "sku_field": "custitem_shopify_sku",
                "ra_flag_field": "custbody_loop_flag",
            },
            "shopify": {"shop_domain": "north-outfitters.myshopify.com", "access_token": "shpat_x", "app_secret": "shpss_x"},
            "settings": {
                "refund_mode": "credit_memo",
                "create_ra_and_ir_on_refund": True,
                "close_ra_on_loop_cancel": True,
                "cancel_loop_on_ra_close": True,
            },
        }
    },
}


def test_every_field_comes_from_the_json() -> None:
    settings = store_settings_from_connection_info(INFO, "north")
    assert settings.store == "north" and settings.shop_domain == "north-outfitters.myshopify.com"
    assert settings.loop_credentials.base_url == "http://127.0.0.1:8700"
    assert settings.loop_credentials.api_key.get_secret_value() == "loop-key"
    assert settings.netsuite_credentials.base_url == "http://127.0.0.1:8701"
    assert settings.netsuite_credentials.account_id == "1234567_SB1"
    assert settings.netsuite_credentials.token_secret.get_secret_value() == "ts"
    assert (
        settings.shopify_credentials.base_url == "http://127.0.0.1:8702" and settings.shopify_credentials.api_version == "2026-07"
    )
    assert (settings.subsidiary_id, settings.main_location_id, settings.damaged_location_id) == (2, 1, 7)
    assert (settings.sku_field, settings.ra_flag_field) == ("custitem_shopify_sku", "custbody_loop_flag")
    assert (
        settings.refund_mode,
        settings.create_ra_and_ir_on_refund,
        settings.close_ra_on_loop_cancel,
        settings.cancel_loop_on_ra_close,
    ) == ("credit_memo", True, True, True)
    assert (
        settings.handling_fee_item,
        settings.store_credit_item,
        settings.bonus_item,
        settings.price_adjustment_item,
        settings.gift_card_payment_item,
        settings.shipping_item,
    ) == (9001, 9002, 9003, 9004, 9005, 9006)
    assert settings.upsell_deposit_account == 115


def test_without_an_api_version_the_block_default_applies() -> None:
    info = copy.deepcopy(INFO)
    del info["shopify"]["api_version"], info["shopify"]["api_versions"]
    assert store_settings_from_connection_info(info, "north").shopify_credentials.api_version == "2026-10"


def test_overrides_win() -> None:
    settings = store_settings_from_connection_info(INFO, "north", max_netsuite_concurrency=8, refund_mode="auto")
    assert (settings.max_netsuite_concurrency, settings.refund_mode) == (8, "auto")


def test_an_older_info_without_the_added_keys_falls_back_to_the_settings_defaults() -> None:
    info = copy.deepcopy(INFO)
    del info["netsuite"]["special_items"], info["netsuite"]["accounts"], info["stores"]["north"]["settings"]
    for key in ("damaged_location_id", "sku_field", "ra_flag_field"):
        del info["stores"]["north"]["netsuite"][key]
    settings = store_settings_from_connection_info(info, "north")
    assert (settings.sku_field, settings.ra_flag_field, settings.damaged_location_id, settings.store_credit_item) == (
        "itemid",
        None,
        None,
        None,
    )
    assert settings.refund_mode == "auto" and settings.cancel_loop_on_ra_close is False
    assert settings.netsuite_tax_engine is TaxEngine.LEGACY


def test_a_suitetax_account_sets_the_stores_tax_engine() -> None:
    info = copy.deepcopy(INFO)
    info["stores"]["north"]["settings"]["netsuite_tax_engine"] = "suitetax"
    assert store_settings_from_connection_info(info, "north").netsuite_tax_engine is TaxEngine.SUITETAX
    info["stores"]["north"]["settings"]["netsuite_tax_engine"] = "vat"
    with pytest.raises(ValueError, match="netsuite_tax_engine"):
        store_settings_from_connection_info(info, "north")


def test_an_unknown_store_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="store 'south' is not in the connection info \\(stores: north\\)"):
        store_settings_from_connection_info(INFO, "south")


def test_reads_the_info_file(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.json"
    path.write_text(json.dumps(INFO, indent=2) + "\n")
    assert read_connection_info(path) == INFO


def test_money_settings_and_the_refund_account_come_from_the_json() -> None:
    info = copy.deepcopy(INFO)
    info["netsuite"]["accounts"].update({"merchant_fees": 676, "shopify_payments_clearing": 116})
    store = info["stores"]["north"]
    store["settings"].update({"exchange_mode": "credit", "upsell_fee_rate": "0.029", "upsell_fee_fixed": "0.30"})
    store["accounts"] = {"refunds": "shopify_payments_clearing"}
    settings = store_settings_from_connection_info(info, "north")
    assert (settings.exchange_mode, settings.upsell_fee_rate, settings.upsell_fee_fixed) == (
        "credit",
        Decimal("0.029"),
        Decimal("0.30"),
    )
    assert (settings.upsell_deposit_account, settings.merchant_fee_account) == (115, 676)
    assert (settings.cash_refund_account, settings.customer_refund_account) == (116, 116)


def test_without_a_fee_or_refund_account_nothing_is_set() -> None:
    settings = store_settings_from_connection_info(INFO, "north")
    assert (settings.merchant_fee_account, settings.cash_refund_account, settings.customer_refund_account) == (None,) * 3
