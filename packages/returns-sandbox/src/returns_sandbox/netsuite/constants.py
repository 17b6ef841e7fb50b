"""What the NetSuite emulator knows about record types, field kinds, statuses, GL account roles and limits."""

from __future__ import annotations

from dataclasses import dataclass

from returns_sandbox.netsuite.schema import STATUS_TEXT

__all__ = [
    "ACCOUNT_ROLES",
    "ACCOUNT_ROLE_ALIASES",
    "BOOL_FIELDS",
    "CURRENCY_NAMES",
    "DATETIME_FIELDS",
    "DATE_FIELDS",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_CONCURRENCY_LIMIT",
    "ITEM_RECORD_TYPES",
    "LINK_TYPES",
    "MAX_PAGE_SIZE",
    "NONCE_WINDOW_SECONDS",
    "NUMBER_FIELDS",
    "RECORD_PREFIX",
    "RECORD_SPECS",
    "REF_TARGETS",
    "RETURNS_SIDE",
    "SALES_SIDE",
    "SPECIAL_ITEMS",
    "STATUS_FIELDS",
    "SUITEQL_PATH",
    "AccountRole",
    "RecordSpec",
    "canonical_record_type",
    "status_label",
]

RECORD_PREFIX = "/services/rest/record/v1"
SUITEQL_PATH = "/services/rest/query/v1/suiteql"
MAX_PAGE_SIZE = 1000
DEFAULT_CONCURRENCY_LIMIT = 5  # a sandbox account gets the base tier only (reference §5.2)
NONCE_WINDOW_SECONDS = 600
DEFAULT_ACCOUNT_ID = "1234567_SB1"

_TXN_COMMON = ("externalId", "tranId", "tranDate", "memo", "otherRefNum", "currency", "subsidiary", "location")
_TXN_READONLY = ("id", "status", "total", "subtotal", "taxTotal", "createdDate", "lastModifiedDate", "createdFrom")
# ``tax1Amt`` is not here: NetSuite computes it from the line's ``taxCode`` and REST takes no tax amount (tax.py).
_SALES_LINE = ("line", "item", "quantity", "rate", "amount", "location", "description", "isClosed", "price", "taxCode")


@dataclass(frozen=True)
class RecordSpec:
    """One REST record type: where it is stored and which fields a request may send."""

    name: str  # REST record type id, camelCase
    kind: str  # "transaction" | "customer" | "item" | "setup" | "other"
    label: str  # human name used in refName and error texts
    type_code: str | None = None  # SuiteQL transaction.type or item.itemtype
    body: tuple[str, ...] = ()  # writable body fields
    readonly: tuple[str, ...] = ()  # returned on GET, refused on write
    line_fields: tuple[str, ...] = ()  # writable fields of the ``item`` sublist lines
    line_readonly: tuple[str, ...] = ()
    sublists: tuple[str, ...] = ()
    creatable: bool = True  # POST/PUT-create allowed (item receipts only come from a transform)
    writable: bool = True  # PATCH/DELETE allowed at all
    tranid_prefix: str | None = None
    entity_field: str = "entity"  # "customer" on payment-side records


# fmt: off
def _txn(name: str, label: str, code: str, prefix: str, *, body: tuple[str, ...] = (), lines: tuple[str, ...] = _SALES_LINE,
         line_readonly: tuple[str, ...] = (), sublists: tuple[str, ...] = ("item",), creatable: bool = True,
         entity_field: str = "entity", readonly: tuple[str, ...] = ()) -> RecordSpec:
    return RecordSpec(
        name=name, kind="transaction", label=label, type_code=code,
        body=_TXN_COMMON + (entity_field,) + body, readonly=_TXN_READONLY + readonly,
        line_fields=lines if "item" in sublists else (), line_readonly=line_readonly, sublists=sublists,
        creatable=creatable, tranid_prefix=prefix, entity_field=entity_field,
    )


_JOURNAL_BODY = ("externalId", "tranId", "tranDate", "memo", "currency", "subsidiary")
_ITEM_BODY = ("itemId", "displayName", "description", "upcCode", "externalId", "isInactive", "basePrice", "averageCost",
              "incomeAccount", "assetAccount", "cogsAccount", "expenseAccount")
_ITEM_READONLY = ("id", "createdDate", "lastModifiedDate")

RECORD_SPECS: dict[str, RecordSpec] = {
    spec.name: spec
    for spec in (
        RecordSpec("customer", "customer", "Customer", body=("externalId", "entityId", "email", "firstName", "lastName",
                   "companyName", "subsidiary", "currency", "isInactive", "isPerson", "phone"),
                   readonly=("id", "dateCreated", "lastModifiedDate")),
        RecordSpec("inventoryItem", "item", "Inventory Item", "InvtPart", body=_ITEM_BODY, readonly=_ITEM_READONLY),
        RecordSpec("otherChargeItem", "item", "Other Charge Item", "OthCharge", body=_ITEM_BODY, readonly=_ITEM_READONLY),
        RecordSpec("discountItem", "item", "Discount Item", "Discount", body=_ITEM_BODY, readonly=_ITEM_READONLY),
        RecordSpec("nonInventorySaleItem", "item", "Non-inventory Item", "NonInvtPart", body=_ITEM_BODY, readonly=_ITEM_READONLY),
        RecordSpec("giftCertificateItem", "item", "Gift Certificate Item", "GiftCert", body=_ITEM_BODY, readonly=_ITEM_READONLY),
        RecordSpec("giftCertificate", "other", "Gift Certificate", body=("externalId", "giftCertCode", "name", "email", "sender",
                   "message", "originalAmount", "amountRemaining", "expirationDate", "currency"),
                   readonly=("id", "createdDate", "lastModifiedDate")),
        RecordSpec("location", "setup", "Location", readonly=("id", "name", "subsidiary", "isInactive"), creatable=False,
                   writable=False),
        RecordSpec("subsidiary", "setup", "Subsidiary", readonly=("id", "name", "currency", "isInactive"), creatable=False,
                   writable=False),
        RecordSpec("currency", "setup", "Currency", readonly=("id", "symbol", "name"), creatable=False, writable=False),
        RecordSpec("account", "setup", "Account", readonly=("id", "acctNumber", "acctName", "acctType"), creatable=False,
                   writable=False),
        _txn("salesOrder", "Sales Order", "SalesOrd", "SO", body=("orderStatus",),
             line_readonly=("quantityFulfilled", "quantityBilled")),
        _txn("returnAuthorization", "Return Authorization", "RtnAuth", "RMA", body=("orderStatus",),
             lines=_SALES_LINE + ("orderLine",), line_readonly=("quantityReceived", "quantityBilled")),
        _txn("itemReceipt", "Item Receipt", "ItemRcpt", "IR",
             lines=("line", "orderLine", "item", "itemReceive", "quantity", "location", "restock", "description"),
             creatable=False),
        _txn("creditMemo", "Credit Memo", "CustCred", "CM", body=("account", "autoApply"),
             lines=_SALES_LINE + ("orderLine",), readonly=("applied", "unapplied"), sublists=("item", "apply")),
        _txn("cashRefund", "Cash Refund", "CashRfnd", "CR", body=("account", "paymentMethod"),
             lines=_SALES_LINE + ("orderLine",)),
        _txn("invoice", "Invoice", "CustInvc", "INV", body=("account",), lines=_SALES_LINE + ("orderLine",),
             readonly=("amountPaid", "amountRemaining")),
        _txn("cashSale", "Cash Sale", "CashSale", "CS", body=("account", "paymentMethod"), lines=_SALES_LINE + ("orderLine",)),
        _txn("customerRefund", "Customer Refund", "CustRfnd", "CREF", body=("account", "paymentMethod"),
             sublists=("apply",), entity_field="customer"),
        _txn("customerDeposit", "Customer Deposit", "CustDep", "DEP", body=("salesOrder", "payment", "account", "paymentMethod"),
             sublists=(), entity_field="customer"),
        _txn("customerPayment", "Customer Payment", "CustPymt", "PYMT", body=("payment", "account", "paymentMethod"),
             sublists=("apply",), entity_field="customer"),
        # Created only by transforming a customer deposit (Oracle's REST "Deposit Application" page).
        _txn("depositApplication", "Deposit Application", "DepAppl", "DEPAPP", body=("deposit", "account"),
             sublists=("apply",), entity_field="customer", creatable=False),
        # No customer on the header: each line names its account, a debit or a credit, and optionally an entity.
        RecordSpec("journalEntry", "transaction", "Journal Entry", "Journal", body=_JOURNAL_BODY, readonly=_TXN_READONLY,
                   line_fields=("line", "account", "debit", "credit", "memo", "entity"), sublists=("line",),
                   tranid_prefix="JE"),
    )
}
# fmt: on
_LOWER = {name.lower(): name for name in RECORD_SPECS}

ITEM_RECORD_TYPES: dict[str, str] = {
    spec.type_code: spec.name for spec in RECORD_SPECS.values() if spec.kind == "item" and spec.type_code
}

# Document sides, for the sign of SuiteQL line quantities/amounts (see schema.py).
SALES_SIDE = frozenset({"SalesOrd", "CashSale", "CustInvc"})
RETURNS_SIDE = frozenset({"RtnAuth", "ItemRcpt", "CustCred", "CashRfnd"})

# previoustransactionlinelink.linktype per (previous type, next type); NetSuite's exact codes are unconfirmed.
LINK_TYPES: dict[tuple[str, str], str] = {
    ("SalesOrd", "CustInvc"): "OrdBill",
    ("SalesOrd", "CashSale"): "OrdBill",
    ("SalesOrd", "RtnAuth"): "RtnAuth",
    ("CashSale", "RtnAuth"): "RtnAuth",
    ("CustInvc", "RtnAuth"): "RtnAuth",
    ("RtnAuth", "ItemRcpt"): "ShipRcpt",
    ("RtnAuth", "CustCred"): "RtnCred",
    ("RtnAuth", "CashRfnd"): "RtnCred",
    ("CashSale", "CashRfnd"): "RtnCred",
    ("CustCred", "CustRfnd"): "Payment",
    ("CustInvc", "CustCred"): "Payment",
    ("CustInvc", "CustPymt"): "Payment",
    ("SalesOrd", "CustDep"): "DepAppl",
    ("CustDep", "DepAppl"): "DepAppl",
    ("CustInvc", "DepAppl"): "Payment",
}


def canonical_record_type(name: str) -> str | None:
    """The REST record type id for ``name`` matched case-insensitively (``salesorder`` -> ``salesOrder``)."""
    return _LOWER.get(name.lower())


# Reference (select) fields and the record kind their id points at; ``None`` = accepted unvalidated.
REF_TARGETS: dict[str, str | None] = {
    "entity": "customer",
    "customer": "customer",
    "currency": "currency",
    "subsidiary": "subsidiary",
    "location": "location",
    "account": "account",
    "createdFrom": "transaction",
    "salesOrder": "salesOrder",
    "item": "item",
    "doc": "transaction",
    "incomeAccount": "account",
    "assetAccount": "account",
    "cogsAccount": "account",
    "expenseAccount": "account",
    "paymentMethod": None,
    "taxCode": "salestaxitem",
    "price": None,
}
NUMBER_FIELDS = frozenset(
    {
        "quantity",
        "rate",
        "amount",
        "tax1Amt",
        "total",
        "subtotal",
        "taxTotal",
        "payment",
        "debit",
        "credit",
        "applied",
        "unapplied",
        "quantityReceived",
        "quantityBilled",
        "quantityFulfilled",
        "basePrice",
        "averageCost",
        "originalAmount",
        "amountRemaining",
        "amountPaid",
        "orderLine",
        "line",
    }
)
BOOL_FIELDS = frozenset({"isClosed", "itemReceive", "restock", "apply", "isInactive", "isPerson", "autoApply"})
DATE_FIELDS = frozenset({"tranDate", "expirationDate"})
# The names NetSuite gives its standard currencies (Lists > Accounting > Currencies); the ISO code is the symbol.
CURRENCY_NAMES: dict[str, str] = {
    "USD": "US Dollar", "CAD": "Canadian Dollar", "EUR": "Euro", "GBP": "British pound", "AUD": "Australian Dollar",
    "JPY": "Yen", "MXN": "Mexican Peso", "NZD": "New Zealand Dollar", "CHF": "Swiss Franc", "SEK": "Swedish Krona",
}  # fmt: skip
DATETIME_FIELDS = frozenset({"createdDate", "lastModifiedDate", "dateCreated"})
STATUS_FIELDS = frozenset({"status", "orderStatus"})


def status_label(type_code: str, letter: str) -> str:
    """REST ``refName`` of a status letter: the text after ``Return Authorization : `` (``Pending Receipt``)."""
    text = STATUS_TEXT.get(type_code, {}).get(letter, letter)
    return text.split(" : ", 1)[-1]


@dataclass(frozen=True)
class AccountRole:
    role: str
    default_id: int
    number: str
    name: str
    accttype: str


ACCOUNT_ROLES: tuple[AccountRole, ...] = (
    AccountRole("cash", 1, "1000", "Checking", "Bank"),
    AccountRole("undeposited_funds", 2, "1010", "Undeposited Funds", "OthCurrAsset"),
    AccountRole("stripe_clearing", 3, "1050", "Stripe Clearing", "Bank"),
    AccountRole("ar", 4, "1100", "Accounts Receivable", "AcctRec"),
    AccountRole("inventory", 5, "1200", "Inventory Asset", "OthCurrAsset"),
    AccountRole("tax_payable", 6, "2200", "Sales Tax Payable", "OthCurrLiab"),
    AccountRole("customer_deposits", 7, "2400", "Customer Deposits", "OthCurrLiab"),
    AccountRole("gift_card_liability", 8, "2450", "Gift Card Liability", "OthCurrLiab"),
    AccountRole("income", 9, "4000", "Sales", "Income"),
    AccountRole("sales_returns", 10, "4100", "Sales Returns and Allowances", "Income"),
    AccountRole("shipping_income", 11, "4200", "Shipping Income", "Income"),
    AccountRole("other_income", 12, "4900", "Other Income - Return Fees", "OthIncome"),
    AccountRole("cogs", 13, "5000", "Cost of Goods Sold", "COGS"),
    AccountRole("return_incentive_expense", 14, "6500", "Return Incentive Expense", "Expense"),
    AccountRole("merchant_fees", 15, "6600", "Merchant Fees", "Expense"),
    AccountRole("tax_rounding", 16, "7900", "Tax Rounding Differences", "OthExpense"),
    # Where Shopify Payments refunds leave from, so refunds reconcile with Shopify's payouts (issue 10).
    AccountRole("shopify_payments_clearing", 17, "1060", "Shopify Payments Clearing", "Bank"),
)
# Other spellings a seed may use for the same role.
ACCOUNT_ROLE_ALIASES: dict[str, str] = {
    "undeposited": "undeposited_funds",
    "accounts_receivable": "ar",
    "inventory_asset": "inventory",
    "sales": "income",
    "sales_income": "income",
    "sales_tax_payable": "tax_payable",
    "tax": "tax_payable",
    "handling_fees": "other_income",
    "handling_fee_income": "other_income",
    "gift_card": "gift_card_liability",
    "store_credit_liability": "gift_card_liability",
    "bonus": "return_incentive_expense",
    "return_incentive": "return_incentive_expense",
    "stripe": "stripe_clearing",
    "deposits": "customer_deposits",
    "cost_of_goods_sold": "cogs",
}

# world.special_items role -> (item name, account role of its income account).
SPECIAL_ITEMS: dict[str, tuple[str, str]] = {
    "handling_fee": ("Loop Handling Fee", "other_income"),
    "store_credit": ("Store Credit", "gift_card_liability"),
    "bonus": ("Loop Bonus Credit", "return_incentive_expense"),
    "price_adjustment": ("Price Adjustment", "sales_returns"),
    "gift_card_payment": ("Gift Card Payment", "gift_card_liability"),
    "shipping": ("Shipping", "shipping_income"),
    # The cent NetSuite's per-line tax and the shop's differ by; never revenue, never tax (POSTING.md).
    "tax_rounding": ("Tax Rounding", "tax_rounding"),
}
