"""StoreSettings (with credentials blocks) pointing at a running sandbox, for the demo, the bench and tests."""

from __future__ import annotations

from typing import Any

from returns_sync.blocks import LoopCredentials, NetSuiteCredentials, ShopifyCredentials, StoreSettings

__all__ = ["store_settings_for_sandbox"]


def store_settings_for_sandbox(sandbox: Any, store: str, **overrides: Any) -> StoreSettings:
    """The settings a merchant would save for ``store``, with base URLs of the running ``sandbox``."""
    world = sandbox.world
    spec = world.store(store)
    urls = sandbox.server.urls
    items = world.special_items
    values: dict[str, Any] = dict(
        store=spec.key,
        shop_domain=spec.shop_domain,
        loop_credentials=LoopCredentials(api_key=spec.loop_api_key, webhook_secret=spec.loop_webhook_secret, base_url=urls["loop"]),
        netsuite_credentials=NetSuiteCredentials(
            account_id=world.account.account_id,
            consumer_key=world.account.consumer_key,
            consumer_secret=world.account.consumer_secret,
            token_id=spec.ns_token_id,
            token_secret=spec.ns_token_secret,
            base_url=urls["netsuite"],
        ),
        shopify_credentials=ShopifyCredentials(shop_domain=spec.shop_domain, access_token=spec.shopify_access_token, base_url=urls["shopify"]),
        subsidiary_id=spec.ns_subsidiary_id,
        main_location_id=spec.ns_location_id,
        damaged_location_id=spec.ns_damaged_location_id,
        sku_field=spec.sku_field,
        ra_flag_field=spec.ra_flag_field,
        cancel_loop_on_ra_close=spec.cancel_loop_on_ra_close,
        close_ra_on_loop_cancel=spec.close_ra_on_loop_cancel,
        create_ra_and_ir_on_refund=spec.create_ra_and_ir_on_refund,
        refund_mode=spec.refund_mode,
        handling_fee_item=items["handling_fee"],
        store_credit_item=items["store_credit"],
        bonus_item=items["bonus"],
        price_adjustment_item=items["price_adjustment"],
        gift_card_payment_item=items["gift_card_payment"],
        upsell_deposit_account=world.accounts.get("stripe_clearing"),
    )
    if "shipping_item" in StoreSettings.model_fields:
        values["shipping_item"] = items.get("shipping")
    values.update(overrides)
    return StoreSettings(**values)
