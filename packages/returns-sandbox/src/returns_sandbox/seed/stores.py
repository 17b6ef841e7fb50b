"""The demo's four stores, their NetSuite account corner and their (obviously fake, deterministic) demo credentials."""

from __future__ import annotations

from decimal import Decimal

from returns_sandbox.seed.world import NetSuiteAccount, StoreSpec

__all__ = [
    "CARRIERS",
    "COUNTRIES",
    "EAST",
    "LOOP_DESTINATIONS",
    "NETSUITE_ACCOUNT",
    "NORTH",
    "SHIPPING_TAXED",
    "SOUTH",
    "STORES",
    "STORE_KEYS",
    "TAX_RATES",
    "WEST",
    "store_by_key",
]


def _fake(label: str, length: int) -> str:
    """A demo secret: readable label padded with zeros, so nobody mistakes it for a real one."""
    return (label + "0" * length)[:length]


NETSUITE_ACCOUNT = NetSuiteAccount(
    account_id="1234567_SB1",
    consumer_key=_fake("democonsumerkey", 64),
    consumer_secret=_fake("democonsumersecret", 64),
)

NORTH = StoreSpec(
    key="north",
    name="North Outfitters",
    shop_domain="north-outfitters.myshopify.com",
    currency="USD",
    loop_shop_id=41001,
    loop_api_key=_fake("demoloopapikeynorth", 40),
    loop_webhook_secret=_fake("demoloopwebhooksecretnorth", 32),
    shopify_access_token="shpat_" + _fake("demonorth", 32),
    shopify_app_secret="shpss_" + _fake("demonorth", 32),
    shopify_location_id=68110000001,
    ns_subsidiary_id=2,
    ns_subsidiary_name="North Outfitters Inc.",
    ns_currency_id=1,
    ns_location_id=1,
    ns_damaged_location_id=2,
    ns_token_id=_fake("demotokenidnorth", 64),
    ns_token_secret=_fake("demotokensecretnorth", 64),
    sku_field="custitem_shopify_sku",
    billing="cash_sale",
    first_order_number=1001,
    refund_mode="auto",
    create_ra_and_ir_on_refund=True,
    close_ra_on_loop_cancel=True,
    cancel_loop_on_ra_close=True,
    # RAs of this subsidiary start Pending Approval; the store's sync creates them approved.
    ns_ra_approval_required=True,
    approve_return_authorizations=True,
    # Loop collects upsells through Stripe at 2.9 % + 0.30 (help.loopreturns.com/en/articles/1914625).
    upsell_fee_rate=Decimal("0.029"),
    upsell_fee_fixed=Decimal("0.30"),
)

SOUTH = StoreSpec(
    key="south",
    name="South Surf Co",
    shop_domain="south-surf.myshopify.com",
    currency="CAD",
    loop_shop_id=41002,
    loop_api_key=_fake("demoloopapikeysouth", 40),
    loop_webhook_secret=_fake("demoloopwebhooksecretsouth", 32),
    shopify_access_token="shpat_" + _fake("demosouth", 32),
    shopify_app_secret="shpss_" + _fake("demosouth", 32),
    shopify_location_id=68120000001,
    ns_subsidiary_id=3,
    ns_subsidiary_name="South Surf Co. Ltd.",
    ns_currency_id=3,
    ns_location_id=3,
    ns_damaged_location_id=4,
    ns_token_id=_fake("demotokenidsouth", 64),
    ns_token_secret=_fake("demotokensecretsouth", 64),
    sku_field="itemid",
    billing="invoice",
    # A separate number range, so order names and SO numbers never collide across the two stores.
    first_order_number=5001,
    refund_mode="auto",
    create_ra_and_ir_on_refund=False,
    close_ra_on_loop_cancel=False,
    cancel_loop_on_ra_close=True,
    unbooked_refund_days=14,
)

# The third store exercises the money modes the other two leave at their defaults (issue 10): refunds forced to
# cash refunds on invoiced orders, paid out of a Shopify Payments clearing account; exchanges as a credit memo
# applied to the exchange order's invoice; Stripe's fee on Loop-collected upsells.
EAST = StoreSpec(
    key="east",
    name="East Harbor Goods",
    shop_domain="east-harbor.myshopify.com",
    currency="USD",
    loop_shop_id=41003,
    loop_api_key=_fake("demoloopapikeyeast", 40),
    loop_webhook_secret=_fake("demoloopwebhooksecreteast", 32),
    shopify_access_token="shpat_" + _fake("demoeast", 32),
    shopify_app_secret="shpss_" + _fake("demoeast", 32),
    shopify_location_id=68130000001,
    ns_subsidiary_id=5,
    ns_subsidiary_name="East Harbor Goods LLC",
    ns_currency_id=1,
    ns_location_id=5,
    ns_damaged_location_id=6,
    ns_token_id=_fake("demotokenideast", 64),
    ns_token_secret=_fake("demotokensecreteast", 64),
    sku_field="itemid",
    billing="invoice",
    first_order_number=8001,
    refund_mode="cash_refund",
    create_ra_and_ir_on_refund=True,
    close_ra_on_loop_cancel=True,
    cancel_loop_on_ra_close=True,
    exchange_mode="credit",
    upsell_fee_rate=Decimal("0.029"),
    upsell_fee_fixed=Decimal("0.30"),
    refund_account="shopify_payments_clearing",
)

# The fourth store bills cash sales like north but books every refund as a credit memo and a customer refund
# [refund_mode = credit_memo], so the demo runs both forced modes beside auto (issue 10): a merchant that wants
# A/R to carry every refund until it is paid out, whatever the original sale was.
WEST = StoreSpec(
    key="west",
    name="West Ridge Supply",
    shop_domain="west-ridge.myshopify.com",
    currency="USD",
    loop_shop_id=41004,
    loop_api_key=_fake("demoloopapikeywest", 40),
    loop_webhook_secret=_fake("demoloopwebhooksecretwest", 32),
    shopify_access_token="shpat_" + _fake("demowest", 32),
    shopify_app_secret="shpss_" + _fake("demowest", 32),
    shopify_location_id=68140000001,
    ns_subsidiary_id=7,
    ns_subsidiary_name="West Ridge Supply LLC",
    ns_currency_id=1,
    ns_location_id=7,
    ns_damaged_location_id=8,
    ns_token_id=_fake("demotokenidwest", 64),
    ns_token_secret=_fake("demotokensecretwest", 64),
    sku_field="itemid",
    billing="cash_sale",
    first_order_number=9001,
    refund_mode="credit_memo",
    create_ra_and_ir_on_refund=True,
    close_ra_on_loop_cancel=True,
    cancel_loop_on_ra_close=True,
)

STORES: tuple[StoreSpec, ...] = (NORTH, SOUTH, EAST, WEST)
STORE_KEYS: tuple[str, ...] = tuple(s.key for s in STORES)

# Sales tax per store: a flat 8 % US state rate; Ontario HST 13 %.
TAX_RATES: dict[str, Decimal] = {
    "north": Decimal("0.08"),
    "south": Decimal("0.13"),
    "east": Decimal("0.07"),
    "west": Decimal("0.06"),
}
# HST applies to shipping; the US state in the demo does not tax it.
SHIPPING_TAXED: dict[str, bool] = {"north": False, "south": True, "east": False, "west": False}
# Loop destination (warehouse) ids, one per store.
LOOP_DESTINATIONS: dict[str, str] = {"north": "1201", "south": "1202", "east": "1203", "west": "1204"}
COUNTRIES: dict[str, tuple[str, str]] = {
    "north": ("United States", "US"),
    "south": ("Canada", "CA"),
    "east": ("United States", "US"),
    "west": ("United States", "US"),
}
CARRIERS: dict[str, str] = {"north": "USPS", "south": "Canada Post", "east": "UPS", "west": "FedEx"}


def store_by_key(key: str) -> StoreSpec:
    """The ``StoreSpec`` for ``key`` (``north``, ``south``, ``east`` or ``west``)."""
    return next(s for s in STORES if s.key == key)
