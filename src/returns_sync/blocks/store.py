"""The per-store settings block: which accounts, which NetSuite fields and items, and the sync toggles."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prefect.blocks.core import Block
from pydantic import ConfigDict, Field, field_validator, model_validator

from returns_sync.blocks.loop import LoopCredentials
from returns_sync.blocks.netsuite import NetSuiteCredentials
from returns_sync.blocks.shopify import ShopifyCredentials, normalise_shop_domain
from returns_sync.domain.tax import TaxEngine

if TYPE_CHECKING:
    from returns_sync.connectors.loop import LoopClient
    from returns_sync.connectors.netsuite import NetSuiteClient
    from returns_sync.connectors.shopify import ShopifyClient

__all__ = ["STORE_BLOCK_PREFIX", "CredentialsVendor", "StoreSettings", "credentials_block_name", "store_block_name"]

STORE_BLOCK_PREFIX = "store-"
# Store keys end up in block names (lowercase letters, digits, dashes) and in NetSuite externalIds.
_STORE_KEY = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
_FIELD_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_SPECIAL_ITEMS = (
    "handling_fee_item",
    "store_credit_item",
    "bonus_item",
    "price_adjustment_item",
    "gift_card_payment_item",
    "shipping_item",
    "tax_rounding_item",
)


def store_block_name(store: str) -> str:
    """The block document name of a store's settings: ``store-<key>`` (``acme`` -> ``store-acme``).

    Raises:
        ValueError: ``store`` is not a valid store key.
    """
    if not _STORE_KEY.match(store or ""):
        raise ValueError(
            f"store key {store!r} must be 1-32 lowercase letters, digits or dashes, starting and ending "
            "with a letter or digit (it names the settings block and goes into NetSuite externalIds)"
        )
    return f"{STORE_BLOCK_PREFIX}{store}"


class CredentialsVendor(StrEnum):
    """The services a store holds credentials for; each is a field ``<vendor>_credentials`` of StoreSettings."""

    LOOP = "loop"
    NETSUITE = "netsuite"
    SHOPIFY = "shopify"

    @property
    def settings_field(self) -> str:
        return f"{self.value}_credentials"


def credentials_block_name(vendor: CredentialsVendor, store: str) -> str:
    """The block a store's credentials for ``vendor`` are saved under: ``<vendor>-<key>`` (``netsuite-north``).

    Raises:
        ValueError: ``store`` is not a valid store key.
    """
    store_block_name(store)  # the same rule for the key
    return f"{vendor.value}-{store}"


class StoreSettings(Block):
    """Everything the six syncs need to know about one Shopify store: accounts, NetSuite mapping, toggles.

    Save one block per store under the name ``store-<key>`` (for store ``acme``: ``store-acme``);
    every flow takes ``store="acme"`` and loads it with ``StoreSettings.load_for_store("acme")``.
    One Loop account may serve several stores: their blocks may share one ``LoopCredentials`` block.

    Example:
        Load a store's settings and build its NetSuite client:
        ```python
        from returns_sync.blocks import StoreSettings

        settings = StoreSettings.load("BLOCK_NAME")  # e.g. "store-acme"; or StoreSettings.load_for_store("acme")
        with settings.get_netsuite_client() as netsuite:
            ...
        ```
    """

    _block_type_name = "Returns Sync Store Settings"
    _block_type_slug = "returns-sync-store-settings"
    _description = "One Shopify store's accounts, NetSuite mapping and sync toggles for returns-sync."

    # A validation error must not echo the input: it holds the secrets.
    model_config = ConfigDict(hide_input_in_errors=True)

    store: str = Field(description="Store key, used in flow parameters, block names and NetSuite externalIds.")
    shop_domain: str = Field(description="The Shopify shop's permanent domain, e.g. acme.myshopify.com.")
    loop_credentials: LoopCredentials = Field(description="Loop account serving this store.")
    netsuite_credentials: NetSuiteCredentials = Field(description="NetSuite account the store posts to.")
    shopify_credentials: ShopifyCredentials = Field(description="Shopify Admin API access to this store.")

    subsidiary_id: int | None = Field(default=None, gt=0, description="NetSuite subsidiary id (OneWorld accounts).")
    # SuiteQL reads and shows dates in the token user's time zone preference; the sync needs it to window
    # lastmodifieddate and read it back (tasks/netsuite_dates.py). Configured, not probed: a probe of the
    # current offset would misread dates from the other side of a daylight-saving change.
    netsuite_time_zone: str = Field(
        default="America/Los_Angeles",
        description="Time zone preference (IANA name) of the NetSuite user the access token belongs to; NetSuite's default is America/Los_Angeles.",
    )
    main_location_id: int = Field(gt=0, description="NetSuite location receiving restocked returns.")
    damaged_location_id: int | None = Field(
        default=None, gt=0, description="NetSuite location for returns not restocked; empty uses the main location."
    )
    disposition_locations: dict[str, int] = Field(
        default_factory=dict,
        description="Loop disposition outcome (e.g. restock, dispose) to NetSuite location id, overriding the defaults.",
    )

    sku_field: str = Field(default="itemid", description="NetSuite item field holding the Shopify SKU.")
    so_shopify_order_id_field: str = Field(
        default="custbody_shopify_order_id", description="Sales Order body field holding the Shopify order id."
    )
    ra_loop_id_field: str = Field(
        default="custbody_loop_return_id", description="Return Authorization body field for the Loop return id."
    )
    shopify_refund_id_field: str = Field(
        default="custbody_shopify_refund_id", description="Refund body field where the Shopify connector stores the refund id."
    )
    ra_flag_field: str | None = Field(
        default=None, description="Return Authorization field that flags the Loop return for review; empty turns it off."
    )
    # NetSuite's return authorization has no standard tracking-number field (its SOAP schema lists none; sales
    # orders and fulfillments have trackingNumbers/linkedTrackingNumbers), so the sync writes custom body fields.
    # Off by default: the fields must exist in the account first, or every RA look-up would be refused (the doctor
    # checks them; `returns-sync configure` and a sandbox's connection info name them).
    ra_tracking_number_field: str | None = Field(
        default=None,
        description="Return Authorization free-form text body field for the return label's tracking number; empty turns it off.",
    )
    ra_expected_date_field: str | None = Field(
        default=None,
        description="Return Authorization date body field for the day the returned parcel is expected; empty turns it off.",
    )
    return_transit_days: int = Field(
        default=5,
        ge=0,
        le=60,
        description=(
            "Days a returned parcel takes from its label's last scan to the warehouse; Loop sends no delivery "
            "estimate, so the expected date is that scan's day plus these days (the delivery day once delivered)."
        ),
    )

    cancel_loop_on_ra_close: bool = Field(default=False, description="Cancel the Loop return when its RA is closed in NetSuite.")
    close_ra_on_loop_cancel: bool = Field(default=False, description="Close the RA when the Loop return is cancelled.")
    create_ra_and_ir_on_refund: bool = Field(
        default=False, description="Create the RA and Item Receipt during refund sync when Loop refunded before receipt."
    )
    unbooked_refund_days: int | None = Field(
        default=None,
        ge=0,
        le=3650,
        description=(
            "With create_ra_and_ir_on_refund off: a refund Loop made before the goods came back is reported as "
            "'refunded in Loop, not yet booked' on every run; after this many days it is booked as the toggle on would "
            "(RA, Item Receipt, refund document). Empty: report only."
        ),
    )
    approve_return_authorizations: bool = Field(
        default=False,
        description=(
            "Approve the Return Authorizations the sync creates (orderStatus Pending Receipt), for NetSuite accounts "
            "whose Default Return Authorization Status is Pending Approval. Off: a pending RA waits for someone to "
            "approve it in NetSuite before anything is received or refunded against it."
        ),
    )
    rma_on_shopify_order: bool = Field(
        default=False,
        description=(
            "Write each Return Authorization's number to the Shopify order: a tag and a line appended to the order "
            "note (the existing note is kept). Needs the write_orders scope."
        ),
    )
    restock_in_shopify: bool = Field(
        default=False,
        description=(
            "After inspection, add each received unit whose Loop disposition is restock back to Shopify stock at "
            "shopify_location_id, once per unit. Leave off if Loop or the Shopify connector already restocks."
        ),
    )
    shopify_location_id: int | None = Field(
        default=None, gt=0, description="Shopify location that restocked units go back to (needed by restock_in_shopify)."
    )
    refund_mode: Literal["auto", "cash_refund", "credit_memo"] = Field(
        default="auto", description="Refund document: auto follows how the order was billed."
    )
    exchange_mode: Literal["zero_value", "credit"] = Field(
        default="zero_value", description="Exchanges as a zero-value RA, or as a credit applied to the exchange order."
    )

    handling_fee_item: int | None = Field(default=None, gt=0, description="NetSuite item for Loop's handling fee.")
    store_credit_item: int | None = Field(default=None, gt=0, description="NetSuite item carrying store-credit liability.")
    bonus_item: int | None = Field(default=None, gt=0, description="NetSuite item for Loop's store-credit bonus.")
    price_adjustment_item: int | None = Field(
        default=None, gt=0, description="NetSuite item for an advanced exchange's price difference."
    )
    gift_card_payment_item: int | None = Field(
        default=None, gt=0, description="NetSuite item for the part of a refund going back to a gift card."
    )
    shipping_item: int | None = Field(
        default=None, gt=0, description="NetSuite item for shipping Loop refunds; empty leaves shipping out of refunds."
    )
    tax_rounding_item: int | None = Field(
        default=None,
        gt=0,
        description=(
            "NetSuite item (posting to a tax-rounding account, not revenue) for the cents by which Loop's per-unit tax "
            "and NetSuite's per-line tax differ, within amount_tolerance; booked on the refund document itself."
        ),
    )
    netsuite_tax_engine: TaxEngine = Field(
        default=TaxEngine.LEGACY,
        description=(
            "How the NetSuite account computes sales tax: legacy (each line carries a tax code) or suitetax (the "
            "SuiteTax feature is on: lines carry no code and the tax engine writes tax details). The sync reads a "
            "sales order line's rate from the matching place; `returns-sync doctor` says which one the account uses."
        ),
    )
    upsell_deposit_account: int | None = Field(
        default=None, gt=0, description="NetSuite account receiving upsell payments collected by Loop."
    )
    upsell_fee_rate: Decimal | None = Field(
        default=None, ge=0, lt=1, description="Payment processor fee on Loop-collected upsells, as a fraction (0.029)."
    )
    upsell_fee_fixed: Decimal | None = Field(
        default=None, ge=0, description="Fixed processor fee per Loop-collected upsell charge, in the store's currency (0.30)."
    )
    merchant_fee_account: int | None = Field(
        default=None,
        gt=0,
        description=(
            "NetSuite expense account debited with the processor fee on Loop-collected upsells; the fee journal "
            "credits upsell_deposit_account, so that clearing account nets to what Stripe pays out."
        ),
    )
    cash_refund_account: int | None = Field(
        default=None,
        gt=0,
        description=(
            "NetSuite account a Cash Refund pays out of (e.g. a Shopify Payments clearing account, so refunds reconcile "
            "with payouts); empty leaves NetSuite's default (Undeposited Funds)."
        ),
    )
    customer_refund_account: int | None = Field(
        default=None,
        gt=0,
        description=(
            "NetSuite account a Customer Refund paying out a credit memo is drawn on (e.g. the Shopify Payments clearing "
            "account); empty leaves NetSuite's default."
        ),
    )

    store_credit_liability_account: int | None = Field(
        default=None,
        gt=0,
        description="NetSuite GL account carrying store credit and gift cards (the reconciliation report reads its balance).",
    )
    stuck_after_days: int = Field(
        default=14,
        ge=1,
        le=365,
        description="Days an RA may wait for its refund before the reconciliation report calls it stuck.",
    )
    initial_lookback_days: int = Field(default=30, ge=1, le=3650, description="Days the first run of a sync reads back.")
    cursor_overlap_minutes: int = Field(default=10, ge=0, le=1440, description="Minutes each run re-reads before its cursor.")
    max_netsuite_concurrency: int = Field(default=4, ge=1, le=50, description="NetSuite requests in flight at once.")
    amount_tolerance: Decimal = Field(
        default=Decimal("0.01"),
        description=(
            "Largest difference per line accepted when totals are reconciled, and between Loop's tax and the tax "
            "NetSuite computes for a line (a difference within it is booked on tax_rounding_item)."
        ),
    )

    @field_validator("store", mode="before")
    @classmethod
    def _check_store(cls, value: object) -> object:
        if isinstance(value, str):
            store_block_name(value.strip())
            return value.strip()
        return value

    @field_validator("shop_domain", mode="before")
    @classmethod
    def _normalise_shop_domain(cls, value: object) -> object:
        return normalise_shop_domain(value) if isinstance(value, str) else value

    @field_validator(
        "sku_field",
        "so_shopify_order_id_field",
        "ra_loop_id_field",
        "shopify_refund_id_field",
        "ra_flag_field",
        "ra_tracking_number_field",
        "ra_expected_date_field",
    )
    @classmethod
    def _check_field_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().lower()
        if not _FIELD_ID.match(value):
            raise ValueError(f"{value!r} is not a NetSuite field id (lowercase letters, digits, underscores)")
        return value

    @field_validator("netsuite_time_zone")
    @classmethod
    def _check_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"netsuite_time_zone {value!r} is not an IANA time zone (e.g. America/Los_Angeles)") from None
        return value

    @field_validator("disposition_locations", mode="before")
    @classmethod
    def _normalise_dispositions(cls, value: object) -> object:
        if isinstance(value, dict):
            return {str(key).strip().lower(): location for key, location in value.items()}
        return value

    @model_validator(mode="after")
    def _refuse_contradictions(self) -> StoreSettings:
        problems: list[str] = []
        if self.amount_tolerance < 0:
            problems.append("amount_tolerance must not be negative")
        if not self.shop_domain:
            problems.append("shop_domain must not be empty")
        elif self.shop_domain != self.shopify_credentials.shop_domain:
            problems.append(
                f"shop_domain {self.shop_domain!r} differs from the Shopify credentials' {self.shopify_credentials.shop_domain!r}"
            )
        if self.restock_in_shopify and self.shopify_location_id is None:
            problems.append("restock_in_shopify needs shopify_location_id, the Shopify location to restock at")
        for disposition, location in self.disposition_locations.items():
            if not disposition:
                problems.append("disposition_locations has an empty disposition name")
            if location <= 0:
                problems.append(f"disposition {disposition!r} maps to location {location}, not a NetSuite location id")
        restock = self.disposition_locations.get("restock")
        if (
            restock is not None
            and self.damaged_location_id not in (None, self.main_location_id)
            and restock == self.damaged_location_id
        ):
            problems.append("disposition 'restock' points at the damaged-goods location; restocked goods must stay sellable")
        if self.ra_flag_field is not None and self.ra_flag_field == self.ra_loop_id_field:
            problems.append("ra_flag_field and ra_loop_id_field are the same field")
        items = {name: getattr(self, name) for name in _SPECIAL_ITEMS if getattr(self, name) is not None}
        for item_id in set(items.values()):
            sharing = sorted(name for name, value in items.items() if value == item_id)
            if len(sharing) > 1:
                problems.append(f"item {item_id} is used for {' and '.join(sharing)}; each needs its own item")
        for fee_field in ("upsell_fee_rate", "upsell_fee_fixed"):
            if getattr(self, fee_field):
                # The fee journal credits the clearing account the deposit debited and debits the fee account.
                missing = [name for name in ("upsell_deposit_account", "merchant_fee_account") if getattr(self, name) is None]
                if missing:
                    problems.append(f"{fee_field} is set but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def block_name(self) -> str:
        """The name this store's block is saved under: ``store-<key>``."""
        return store_block_name(self.store)

    @property
    def cursor_overlap(self) -> timedelta:
        """``cursor_overlap_minutes`` as the ``overlap`` of ``Repository.open_window``."""
        return timedelta(minutes=self.cursor_overlap_minutes)

    @property
    def initial_lookback(self) -> timedelta:
        """``initial_lookback_days`` as the ``initial_lookback`` of ``Repository.open_window``."""
        return timedelta(days=self.initial_lookback_days)

    @classmethod
    def load_for_store(cls, store: str) -> StoreSettings:
        """Load the settings block of ``store`` (saved as ``store-<key>``).

        Raises:
            ValueError: ``store`` is not a valid key, or no block of that name exists.
        """
        return cls.load(store_block_name(store))  # type: ignore[return-value]  # Prefect types load() as "block or coroutine"

    @classmethod
    async def aload_for_store(cls, store: str) -> StoreSettings:
        """Async variant of ``load_for_store``."""
        return await cls.aload(store_block_name(store))

    def get_loop_client(self) -> LoopClient:
        """A Loop client from this store's Loop credentials."""
        return self.loop_credentials.get_client()

    def get_netsuite_client(self) -> NetSuiteClient:
        """A NetSuite client limited to ``max_netsuite_concurrency`` requests in flight."""
        return self.netsuite_credentials.get_client(max_concurrency=self.max_netsuite_concurrency)

    def get_shopify_client(self) -> ShopifyClient:
        """A Shopify client from this store's Shopify credentials."""
        return self.shopify_credentials.get_client()
