"""The seeded world, as plain data: stores, catalogue, customers, orders, Loop returns, and what each return should become.

The generator (``demo.py``) builds a ``World``; each emulator loads the part it owns
(``load_world`` in ``returns_sandbox/<vendor>/models.py``). Tests and the demo compare the final state of
the emulators with ``World.expected``. Nothing here talks HTTP or knows about the product's code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

__all__ = [
    "CatalogItem",
    "Customer",
    "ExpectedLine",
    "ExpectedOutcome",
    "Lifecycle",
    "NetSuiteAccount",
    "Order",
    "OrderLine",
    "OrderTransaction",
    "ReturnCase",
    "StoreSpec",
    "World",
]

Billing = Literal["invoice", "cash_sale"]
Warehouse = Literal["netsuite", "loop"]


@dataclass(frozen=True)
class NetSuiteAccount:
    account_id: str  # e.g. "1234567_SB1" (realm form)
    consumer_key: str
    consumer_secret: str
    # Custom fields this account has (the Shopify connector's and ours), created at load time.
    custom_fields: tuple[str, ...] = (
        "custbody_shopify_order_id",
        "custbody_shopify_store",
        "custbody_shopify_refund_id",
        "custbody_loop_return_id",
        "custbody_loop_flag",
        "custbody_loop_tracking_number",
        "custbody_loop_expected_date",
        "custcol_loop_line_ids",
        "custitem_shopify_sku",
    )


@dataclass(frozen=True)
class StoreSpec:
    """One Shopify store, its Loop shop and its corner of the NetSuite account, with demo credentials."""

    key: str  # short store key used everywhere: "north", "south"
    name: str
    shop_domain: str  # "north-outfitters.myshopify.com"
    currency: str  # ISO code; the NetSuite subsidiary's currency too
    loop_shop_id: int
    loop_api_key: str
    loop_webhook_secret: str
    shopify_access_token: str
    shopify_app_secret: str
    shopify_location_id: int
    ns_subsidiary_id: int
    ns_subsidiary_name: str
    ns_currency_id: int
    ns_location_id: int  # main warehouse: where returns are received
    ns_damaged_location_id: int  # where items graded "dispose"/"damaged" go
    ns_token_id: str
    ns_token_secret: str
    sku_field: str  # NetSuite item field matched against the Shopify SKU: "itemid" or "custitem_shopify_sku"
    billing: Billing  # how this store's sales orders were billed in NetSuite (decides cash refund vs credit memo)
    first_order_number: int  # e.g. 1001
    # The store's StoreSettings toggles in the demo (see docs/LIFECYCLE.md).
    refund_mode: Literal["auto", "cash_refund", "credit_memo"] = "auto"
    create_ra_and_ir_on_refund: bool = False
    close_ra_on_loop_cancel: bool = True
    cancel_loop_on_ra_close: bool = True
    ra_flag_field: str | None = "custbody_loop_flag"
    # Where the store's RAs carry the return label's tracking number and expected arrival (custom body fields).
    ra_tracking_number_field: str | None = "custbody_loop_tracking_number"
    ra_expected_date_field: str | None = "custbody_loop_expected_date"
    # The account's "Default Return Authorization Status" is Pending Approval for this store's subsidiary ...
    ns_ra_approval_required: bool = False
    # ... and the store's sync approves the RAs it creates (else the demo's accountant approves them by hand).
    approve_return_authorizations: bool = False
    # With create_ra_and_ir_on_refund off: book a refund made before the goods came back after this many days.
    unbooked_refund_days: int | None = None
    # Money settings (POSTING.md): exchanges as zero-value RAs or as a credit applied to the exchange order's invoice;
    # Stripe's fee on upsells Loop collects (rate x upsell + fixed; None: not booked); the account role (ACCOUNTS)
    # that cash refunds and customer refunds pay out of (None: NetSuite's default).
    exchange_mode: Literal["zero_value", "credit"] = "zero_value"
    upsell_fee_rate: Decimal | None = None
    upsell_fee_fixed: Decimal | None = None
    refund_account: str | None = None


@dataclass(frozen=True)
class CatalogItem:
    """A product variant: the NetSuite item and, per store, the Shopify variant."""

    ns_id: int
    itemid: str  # NetSuite item name/number
    sku: str  # Shopify SKU
    custitem_shopify_sku: str | None  # the custom SKU field (None when not filled in)
    display_name: str
    item_type: str  # "InvtPart", "OthCharge", "Discount", "GiftCert"
    price: Decimal
    cost: Decimal
    upccode: str | None = None
    is_inactive: bool = False
    # False = a Shopify-only variant NetSuite has never heard of (the "SKU unknown" case): the NetSuite
    # emulator must not load it (its ns_id is 0); the Shopify emulator loads it like any other variant.
    in_netsuite: bool = True
    # Shopify ids of the variant and its inventory item, per store key.
    shopify_variant_ids: dict[str, int] = field(default_factory=dict)
    shopify_inventory_item_ids: dict[str, int] = field(default_factory=dict)
    shopify_product_ids: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Customer:
    store: str
    email: str
    first_name: str
    last_name: str
    shopify_id: int
    ns_id: int


@dataclass(frozen=True)
class OrderLine:
    shopify_line_id: int
    sku: str
    title: str
    quantity: int
    unit_price: Decimal  # list price before discount
    unit_discount: Decimal  # allocated discount per unit
    unit_tax: Decimal  # tax per unit on the discounted price
    tax_rate: Decimal  # e.g. Decimal("0.08")
    ns_item_id: int | None  # the NetSuite item on the SO line (None when the SKU is unknown to NetSuite)
    ns_line: int  # the SO line number (NetSuite "line"), set even when not in NetSuite

    @property
    def unit_paid(self) -> Decimal:
        return self.unit_price - self.unit_discount


@dataclass(frozen=True)
class OrderTransaction:
    shopify_id: int
    kind: str  # "SALE", "REFUND", ...
    gateway: str  # "shopify_payments", "gift_card", "stripe"
    amount: Decimal
    status: str = "SUCCESS"
    parent_id: int | None = None


@dataclass(frozen=True)
class Order:
    store: str
    shopify_id: int
    name: str  # "#1001"
    created_at: datetime
    currency: str
    customer_email: str
    lines: tuple[OrderLine, ...]
    shipping: Decimal
    shipping_tax: Decimal
    transactions: tuple[OrderTransaction, ...]
    tags: tuple[str, ...] = ()
    note: str | None = None
    # NetSuite side; ns_so_id None = the Shopify connector has not synced this order yet.
    ns_so_id: int | None = None
    ns_tranid: str | None = None
    ns_currency: str | None = None  # normally == currency
    billing: Billing = "invoice"
    exchange_for_return: str | None = None  # set on EX- orders: the Loop return id they replace

    @property
    def subtotal(self) -> Decimal:
        return sum((line.unit_paid * line.quantity for line in self.lines), Decimal("0"))

    @property
    def tax(self) -> Decimal:
        return sum((line.unit_tax * line.quantity for line in self.lines), Decimal("0")) + self.shipping_tax

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax + self.shipping


@dataclass(frozen=True)
class Lifecycle:
    """What happens to a return around the syncs (driven by sandbox transitions between runs).

    warehouse: where the goods are received after the RA exists: "netsuite" (an Item Receipt is
    entered in NetSuite, sync 2 then processes the Loop return) or "loop" (the return is processed
    in Loop, sync 3 then creates the Item Receipt); None = never arrives during the demo.
    """

    warehouse: Warehouse | None = None
    cancel_in_loop: bool = False  # the merchant cancels the return in Loop after the RA exists
    close_ra_in_netsuite: bool = False  # an accountant closes the RA in NetSuite
    flag_in_netsuite: bool = False  # an RA-flag set in NetSuite (sync 2 flags the Loop return once)
    shopify_connector_posts_refund: bool = False  # the Shopify connector also posts the refund to NetSuite
    received_quantity: int | None = None  # partial receipt: units that actually arrive (None = all)
    # After the partial receipt, support processes the return anyway (clearing a review first): Loop refunds all.
    process_after_review: bool = False
    # ... or support takes the units that never arrived off the return (Loop's Remove Line Items), which processes
    # it: Loop refunds only what arrived.
    remove_unreceived_after_review: bool = False
    # Instant exchange whose goods never go back: Loop expires the return and charges the held card.
    expires_in_loop: bool = False


@dataclass(frozen=True)
class ExpectedLine:
    sku: str
    ns_item_id: int
    quantity: int
    rate: Decimal  # per unit, what the customer paid before tax (0 for zero-value exchanges)
    tax: Decimal  # tax for the whole line


@dataclass(frozen=True)
class ExpectedOutcome:
    """What the sync should make of one return, computed by the generator from how it built the return."""

    return_id: str
    store: str
    scenario: str  # "refund_full", "refund_partial", "store_credit", "exchange_same", ... or "bad_sku_unknown", ...
    quarantine_rule: str | None = (
        None  # "sku_unknown", "sku_ambiguous", "order_not_in_netsuite", "quantity_exceeds_returnable", "currency_mismatch"
    )
    ra_lines: tuple[ExpectedLine, ...] = ()  # empty when no RA should exist
    item_receipt_quantity: int = 0  # units received in NetSuite at the end (0 = no IR)
    refund_record: str | None = None  # "cashRefund", "creditMemo", or None
    refund_total: Decimal = Decimal("0")  # total of that document
    customer_refund_total: Decimal = Decimal("0")  # credit_memo mode: cash paid out by the customerRefund
    store_credit_total: Decimal = Decimal("0")  # gift-card liability posted (store credit + bonus)
    deposit_total: Decimal = Decimal("0")  # upsell collected outside Shopify (customer deposit)
    shipping_refund_total: Decimal = Decimal("0")  # shipping line (before tax) on the refund document
    fee_total: Decimal = Decimal("0")  # Stripe's fee on that upsell (journal entry -fee)
    exchange_invoice_applied: Decimal = Decimal("0")  # credit mode: the credit memo's part paying the exchange invoice
    # POSTING.md's GL rows for the return's records: (externalId suffix kind, account role, signed amount, + = debit),
    # summed per kind and account (item receipts as "ir").
    gl: tuple[tuple[str, str, Decimal], ...] = ()
    skipped_as_connector_duplicate: bool = False
    payment_total: Decimal = Decimal("0")  # customer payment for an instant exchange Loop charged (-pay)
    payment_applied: Decimal = Decimal("0")  # the part of it applied to the exchange order's invoice
    final_loop_state: str = "open"
    final_ra_status: str | None = None  # RA status letter at the end, None when no RA
    loop_flagged: bool = False


@dataclass
class ReturnCase:
    """One Loop return: the JSON Loop serves (list/details shape), its lifecycle, and the expected result."""

    store: str
    loop_return: dict[str, Any]
    lifecycle: Lifecycle
    expected: ExpectedOutcome
    # Exchanges only: the exchange (EX-) order Loop creates in Shopify when it processes the exchange, already
    # priced (credit as discount; for an upsell paid in Shopify a shopify_payments SALE of the upsell; paid via
    # Loop's Stripe: no Shopify payment). For an instant exchange it already exists and is also in
    # ``World.orders``; otherwise the sandbox creates it (stamping its own created_at, and syncing it into
    # NetSuite as the Shopify connector would) when the Loop return is processed.
    exchange_order: Order | None = None

    @property
    def return_id(self) -> str:
        return str(self.loop_return["id"])


@dataclass
class World:
    seed: int
    now: datetime  # the seed's "current time"; returns are created/updated in the 24 h before it
    account: NetSuiteAccount
    stores: tuple[StoreSpec, ...]
    catalog: tuple[CatalogItem, ...]
    customers: tuple[Customer, ...]
    orders: tuple[Order, ...]
    returns: list[ReturnCase]
    # Non-inventory items the posting rules use, by role: handling_fee, store_credit, bonus, price_adjustment,
    # gift_card_payment, shipping -> NetSuite internal id.
    special_items: dict[str, int] = field(default_factory=dict)
    # Accounts by role (sales_returns, tax_payable, cash/undeposited, ar, inventory, cogs, gift_card_liability, ...).
    accounts: dict[str, int] = field(default_factory=dict)

    def store(self, key: str) -> StoreSpec:
        return next(s for s in self.stores if s.key == key)

    @property
    def expected(self) -> dict[str, ExpectedOutcome]:
        return {case.return_id: case.expected for case in self.returns}
