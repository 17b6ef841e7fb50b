"""StoreSettings (with their credentials blocks) from a sandbox's connection-info JSON, for the demo, the bench and tests.

The JSON is what ``returns-sandbox up`` prints and writes to ``--info-file`` (``Sandbox.connection_info()``):
the only thing the product knows about the sandbox. Nothing here imports the sandbox, so any
service speaking the same APIs and publishing the same JSON would do.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from returns_sync.blocks.loop import LoopCredentials
from returns_sync.blocks.netsuite import NetSuiteCredentials
from returns_sync.blocks.shopify import ShopifyCredentials
from returns_sync.blocks.store import StoreSettings

__all__ = ["read_connection_info", "store_settings_from_connection_info"]

# StoreSettings item fields <- the connection info's special item roles.
_ITEM_FIELDS = {
    "handling_fee_item": "handling_fee",
    "store_credit_item": "store_credit",
    "bonus_item": "bonus",
    "price_adjustment_item": "price_adjustment",
    "gift_card_payment_item": "gift_card_payment",
    "shipping_item": "shipping",
    "tax_rounding_item": "tax_rounding",
}
# The store settings toggles the connection info carries, copied as they are.
_SETTINGS = (
    "refund_mode",
    "create_ra_and_ir_on_refund",
    "close_ra_on_loop_cancel",
    "cancel_loop_on_ra_close",
    "approve_return_authorizations",
    "unbooked_refund_days",
    "netsuite_tax_engine",
    "exchange_mode",
    "upsell_fee_rate",
    "upsell_fee_fixed",
)


def read_connection_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The connection info saved by ``returns-sandbox up --info-file PATH``."""
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def store_settings_from_connection_info(info: Mapping[str, Any], store: str, **overrides: Any) -> StoreSettings:
    """The settings a merchant would save for ``store``, pointing at the services ``info`` describes.

    Args:
        info: the connection-info JSON, parsed (see ``read_connection_info``).
        store: a key of ``info["stores"]``.
        **overrides: StoreSettings fields to set differently (``max_netsuite_concurrency=8``, ...).

    Raises:
        KeyError: ``store`` is not in ``info``, or ``info`` lacks a required entry.

    Example:
        ```python
        info = read_connection_info("sandbox.json")
        settings = store_settings_from_connection_info(info, "north")
        ```
    """
    try:
        entry = info["stores"][store]
    except KeyError:
        raise KeyError(
            f"store {store!r} is not in the connection info (stores: {', '.join(sorted(info.get('stores', {})))})"
        ) from None
    loop, netsuite, shopify = entry["loop"], entry["netsuite"], entry["shopify"]
    account = info["netsuite"]
    items = account.get("special_items", {})
    values: dict[str, Any] = dict(
        store=store,
        shop_domain=shopify["shop_domain"],
        loop_credentials=LoopCredentials(
            api_key=loop["api_key"], webhook_secret=loop["webhook_secret"], base_url=info["loop"]["base_url"]
        ),
        netsuite_credentials=NetSuiteCredentials(
            account_id=netsuite["account_id"],
            consumer_key=netsuite["consumer_key"],
            consumer_secret=netsuite["consumer_secret"],
            token_id=netsuite["token_id"],
            token_secret=netsuite["token_secret"],
            base_url=account["base_url"],
        ),
        shopify_credentials=ShopifyCredentials(
            shop_domain=shopify["shop_domain"],
            access_token=shopify["access_token"],
            base_url=info["shopify"]["base_url"],
            # The version the service recommends when it names one (older connection infos do not: the block's default).
            **({"api_version": info["shopify"]["api_version"]} if info["shopify"].get("api_version") else {}),
        ),
        subsidiary_id=netsuite.get("subsidiary_id"),
        **({"netsuite_time_zone": account["time_zone"]} if account.get("time_zone") else {}),
        main_location_id=netsuite["location_id"],
        damaged_location_id=netsuite.get("damaged_location_id"),
        ra_flag_field=netsuite.get("ra_flag_field"),
        ra_tracking_number_field=netsuite.get("ra_tracking_number_field"),
        ra_expected_date_field=netsuite.get("ra_expected_date_field"),
        upsell_deposit_account=account.get("accounts", {}).get("stripe_clearing"),
        store_credit_liability_account=account.get("accounts", {}).get("gift_card_liability"),
        **{field: items.get(role) for field, role in _ITEM_FIELDS.items()},
        **{name: entry["settings"][name] for name in _SETTINGS if name in entry.get("settings", {})},
    )
    accounts = account.get("accounts", {})
    if values.get("upsell_fee_rate") or values.get("upsell_fee_fixed"):
        values["merchant_fee_account"] = accounts.get("merchant_fees")
    refunds_role = entry.get("accounts", {}).get("refunds")
    if refunds_role:
        # Cash refunds and customer refunds both leave from the store's payout clearing account.
        values["cash_refund_account"] = values["customer_refund_account"] = accounts[refunds_role]
    if netsuite.get("sku_field"):
        values["sku_field"] = netsuite["sku_field"]
    values.update(overrides)
    return StoreSettings(**values)
