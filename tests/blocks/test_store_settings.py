"""StoreSettings: defaults, contradictions refused, locations, clients, and saving/loading through Prefect."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from returns_sync.blocks import LoopCredentials, NetSuiteCredentials, ShopifyCredentials, StoreSettings
from returns_sync.blocks.store import store_block_name
from returns_sync.tasks.runtime import posting_settings


class TestDefaults:
    def test_defaults_follow_the_lifecycle_document(self, store_settings: StoreSettings) -> None:
        s = store_settings
        assert (s.sku_field, s.so_shopify_order_id_field, s.ra_loop_id_field, s.shopify_refund_id_field) == (
            "itemid",
            "custbody_shopify_order_id",
            "custbody_loop_return_id",
            "custbody_shopify_refund_id",
        )
        assert s.ra_flag_field is None
        assert (s.cancel_loop_on_ra_close, s.close_ra_on_loop_cancel, s.create_ra_and_ir_on_refund) == (False, False, False)
        assert (s.refund_mode, s.exchange_mode) == ("auto", "zero_value")
        assert s.amount_tolerance == Decimal("0.01") and isinstance(s.amount_tolerance, Decimal)
        assert (s.cursor_overlap, s.initial_lookback, s.max_netsuite_concurrency) == (
            timedelta(minutes=10),
            timedelta(days=30),
            4,
        )

    def test_block_name_convention(self, store_settings: StoreSettings) -> None:
        assert store_settings.block_name == "store-acme" == store_block_name("acme")


class TestValidation:
    @pytest.mark.parametrize("store", ["", " ", "Acme", "acme_eu", "-acme", "acme-", "a" * 33, "acme eu"])
    def test_bad_store_keys_are_refused(self, settings_kwargs, store: str) -> None:
        with pytest.raises(ValidationError, match="must be 1-32 lowercase letters, digits or dashes"):
            StoreSettings(**{**settings_kwargs, "store": store})

    def test_negative_tolerance_is_refused(self, settings_kwargs) -> None:
        with pytest.raises(ValidationError, match="amount_tolerance must not be negative"):
            StoreSettings(**settings_kwargs, amount_tolerance=Decimal("-0.01"))

    def test_shop_domain_must_match_the_shopify_credentials(self, settings_kwargs) -> None:
        with pytest.raises(
            ValidationError, match="shop_domain 'other.myshopify.com' differs from the Shopify credentials' 'acme"
        ):
            StoreSettings(**{**settings_kwargs, "shop_domain": "https://other.myshopify.com"})

    def test_restock_at_the_damaged_location_is_refused(self, settings_kwargs) -> None:
        with pytest.raises(ValidationError, match="disposition 'restock' points at the damaged-goods location"):
            StoreSettings(**settings_kwargs, disposition_locations={"Restock": 7})

    @pytest.mark.parametrize(
        ("items", "message"),
        [
            ({"store_credit_item": 55, "bonus_item": 55}, "item 55 is used for bonus_item and store_credit_item"),
            ({"handling_fee_item": 9, "shipping_item": 9}, "item 9 is used for handling_fee_item and shipping_item"),
        ],
    )
    def test_one_item_for_two_purposes_is_refused(self, settings_kwargs, items: dict, message: str) -> None:
        with pytest.raises(ValidationError, match=message):
            StoreSettings(**settings_kwargs, **items)

    def test_flag_field_cannot_be_the_loop_id_field(self, settings_kwargs) -> None:
        with pytest.raises(ValidationError, match="ra_flag_field and ra_loop_id_field are the same field"):
            StoreSettings(**settings_kwargs, ra_flag_field="custbody_loop_return_id")

    def test_upsell_fee_needs_a_deposit_and_a_fee_account(self, settings_kwargs) -> None:
        with pytest.raises(
            ValidationError, match="upsell_fee_rate is set but upsell_deposit_account and merchant_fee_account are not"
        ):
            StoreSettings(**settings_kwargs, upsell_fee_rate=Decimal("0.029"))
        with pytest.raises(ValidationError, match="upsell_fee_fixed is set but merchant_fee_account is not"):
            StoreSettings(**settings_kwargs, upsell_fee_fixed=Decimal("0.30"), upsell_deposit_account=115)

    def test_upsell_fee_with_both_accounts_is_accepted(self, settings_kwargs) -> None:
        settings = StoreSettings(
            **settings_kwargs,
            upsell_fee_rate=Decimal("0.029"),
            upsell_fee_fixed=Decimal("0.30"),
            upsell_deposit_account=115,
            merchant_fee_account=676,
        )
        assert (settings.upsell_fee_fixed, settings.merchant_fee_account) == (Decimal("0.30"), 676)

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("sku_field", "custitem shopify sku", "is not a NetSuite field id"),
            ("refund_mode", "store_credit", "Input should be 'auto', 'cash_refund' or 'credit_memo'"),
            ("exchange_mode", "swap", "Input should be 'zero_value' or 'credit'"),
            ("main_location_id", 0, "greater than 0"),
            ("max_netsuite_concurrency", 0, "greater than or equal to 1"),
            ("upsell_fee_rate", Decimal("1"), "less than 1"),
            ("upsell_fee_fixed", Decimal("-0.30"), "greater than or equal to 0"),
            ("cash_refund_account", 0, "greater than 0"),
            ("customer_refund_account", -1, "greater than 0"),
            ("disposition_locations", {"dispose": -3}, "greater than 0|not a NetSuite location id"),
        ],
    )
    def test_field_rules(self, settings_kwargs, field: str, value: object, message: str) -> None:
        with pytest.raises(ValidationError, match=message):
            StoreSettings(**{**settings_kwargs, field: value})

    def test_field_ids_are_normalised_to_lower_case(self, settings_kwargs) -> None:
        settings = StoreSettings(**settings_kwargs, sku_field="CUSTITEM_SHOPIFY_SKU", ra_flag_field="custbody_ra_flag")
        assert (settings.sku_field, settings.ra_flag_field) == ("custitem_shopify_sku", "custbody_ra_flag")


class TestLocations:
    """The settings as the syncs read them: through the domain's ``PostingSettings.location_for``."""

    def test_defaults_restock_to_main_and_the_rest_to_damaged(self, store_settings: StoreSettings) -> None:
        posting = posting_settings(store_settings)
        assert [posting.location_for(d) for d in ("restock", None, "dispose", "Damaged")] == [1, 1, 7, 7]

    def test_map_wins(self, settings_kwargs) -> None:
        settings = StoreSettings(**settings_kwargs, disposition_locations={"Donate": 12, "restock": 3})
        assert settings.disposition_locations == {"donate": 12, "restock": 3}
        assert [posting_settings(settings).location_for(d) for d in ("donate", "restock", "dispose")] == [12, 3, 7]

    def test_without_a_damaged_location_everything_goes_to_main(self, settings_kwargs) -> None:
        settings = StoreSettings(**{**settings_kwargs, "damaged_location_id": None})
        assert posting_settings(settings).location_for("dispose") == 1


class TestClients:
    def test_netsuite_client_uses_the_store_concurrency(self, settings_kwargs, fake_connectors) -> None:
        StoreSettings(**settings_kwargs, max_netsuite_concurrency=2).get_netsuite_client()
        assert fake_connectors.calls["NetSuiteClient"]["max_concurrency"] == 2

    def test_loop_and_shopify_clients(self, store_settings: StoreSettings, fake_connectors) -> None:
        store_settings.get_loop_client()
        store_settings.get_shopify_client()
        assert fake_connectors.calls["LoopClient"]["base_url"] == "https://api.loopreturns.com"
        assert fake_connectors.calls["ShopifyClient"]["base_url"] == "https://acme.myshopify.com"


@pytest.mark.flow
class TestPrefectRoundTrip:
    def test_save_and_load_for_store_with_nested_blocks(self, prefect_api, store_settings: StoreSettings) -> None:
        store_settings.loop_credentials.save("loop-main", overwrite=True)  # shared by several stores
        store_settings.save(store_settings.block_name, overwrite=True)
        loaded = StoreSettings.load_for_store("acme")
        assert loaded.model_dump(context={"include_secrets": True}) == store_settings.model_dump(
            context={"include_secrets": True}
        )
        assert loaded.netsuite_credentials.realm == "1234567_SB1"
        assert LoopCredentials.load("loop-main").model_dump(context={"include_secrets": True})["api_key"] == "loop-key-SECRET-1"

    def test_missing_store_names_the_block_it_looked_for(self, prefect_api) -> None:
        with pytest.raises(ValueError, match="store-nowhere"):
            StoreSettings.load_for_store("nowhere")

    def test_invalid_key_is_refused_before_any_lookup(self) -> None:
        with pytest.raises(ValueError, match="must be 1-32 lowercase letters"):
            StoreSettings.load_for_store("Acme EU")

    async def test_async_load_for_store(self, prefect_api, settings_kwargs) -> None:
        settings = StoreSettings(**{**settings_kwargs, "store": "acme-async"})
        await settings.asave(settings.block_name, overwrite=True)
        loaded = await StoreSettings.aload_for_store("acme-async")
        assert (loaded.store, loaded.block_name) == ("acme-async", "store-acme-async")

    def test_blocks_register_with_the_api(self, prefect_api) -> None:
        from prefect.client.orchestration import get_client

        for block in (LoopCredentials, NetSuiteCredentials, ShopifyCredentials, StoreSettings):
            block.register_type_and_schema()
        with get_client(sync_client=True) as client:
            slugs = {block_type.slug for block_type in client.read_block_types()}
        assert {
            "returns-sync-loop-credentials",
            "returns-sync-netsuite-credentials",
            "returns-sync-shopify-credentials",
            "returns-sync-store-settings",
        } <= slugs


@pytest.mark.slow
def test_cli_registers_the_module_blocks(tmp_path: Path) -> None:
    """``prefect block register -m returns_sync.blocks`` against a throwaway ephemeral API."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
        DO_NOT_TRACK="1",
    )
    prefect = Path(sys.executable).with_name("prefect")
    result = subprocess.run(
        [str(prefect), "block", "register", "-m", "returns_sync.blocks"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Successfully registered 4 blocks" in result.stdout
    for name in ("Loop Credentials", "NetSuite Credentials", "Shopify Credentials", "Returns Sync Store Settings"):
        assert name in result.stdout
