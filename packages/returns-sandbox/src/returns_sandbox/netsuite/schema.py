"""The NetSuite emulator's SQLite schema: the tables SuiteQL sees, shaped like NetSuite's analytics tables.

The record service (``models.py``) writes these tables; the SuiteQL engine (``suiteql.py``) reads
them. Columns are lower-case like NetSuite's. Columns that start with ``_`` are storage only
(the full REST body as JSON, ordering keys) and are invisible to SuiteQL. Custom fields
(``custbody_*``, ``custcol_*``, ``custitem_*``) are real columns, added per account by
``add_custom_field`` — as an administrator adds custom fields in NetSuite.

Conventions, as in NetSuite:
* booleans are ``'T'``/``'F'`` text;
* dates are ``YYYY-MM-DD`` text, datetimes ``YYYY-MM-DD HH:MM:SS`` text in UTC;
* every transaction has one ``mainline = 'T'`` row in ``transactionline`` plus its item lines; the main
  line carries the header's location and subsidiary, item lines carry ``createdfrom``;
* ``transaction.location``, ``transaction.subsidiary`` and ``transaction.createdfrom`` are storage for the
  record service only: SuiteQL refuses them as NetSuite does (``UNEXPOSED_COLUMNS``);
* on sales-side documents (SalesOrd, CashSale, CustInvc) line ``quantity`` and ``netamount`` are
  negative; on returns-side documents (RtnAuth, ItemRcpt, CustCred, CashRfnd) they are positive.
"""

from __future__ import annotations

import sqlite3

__all__ = [
    "CUSTOM_FIELD_TABLES",
    "DDL",
    "DISPLAY_FIELDS",
    "RECORD_TYPE_OF",
    "STATUS_TEXT",
    "SUITETAX_TABLES",
    "TRANSACTION_TYPES",
    "UNEXPOSED_COLUMNS",
    "add_custom_field",
    "create_schema",
    "visible_columns",
]

DDL = """
CREATE TABLE IF NOT EXISTS subsidiary (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, currency INTEGER, isinactive TEXT NOT NULL DEFAULT 'F'
);
CREATE TABLE IF NOT EXISTS currency (
    id INTEGER PRIMARY KEY, symbol TEXT NOT NULL UNIQUE, name TEXT
);
CREATE TABLE IF NOT EXISTS location (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, subsidiary INTEGER, isinactive TEXT NOT NULL DEFAULT 'F'
);
-- Legacy tax codes (Setup > Accounting > Tax Codes): ``rate`` is the text NetSuite shows, e.g. ``8.00%``.
CREATE TABLE IF NOT EXISTS salestaxitem (
    id INTEGER PRIMARY KEY, itemid TEXT NOT NULL, description TEXT, rate TEXT NOT NULL, taxaccount INTEGER,
    isinactive TEXT NOT NULL DEFAULT 'F'
);
CREATE TABLE IF NOT EXISTS account (
    id INTEGER PRIMARY KEY, acctnumber TEXT, accountsearchdisplayname TEXT NOT NULL, accttype TEXT NOT NULL,
    isinactive TEXT NOT NULL DEFAULT 'F'
);
CREATE TABLE IF NOT EXISTS customer (
    id INTEGER PRIMARY KEY,
    entityid TEXT, email TEXT, externalid TEXT UNIQUE, companyname TEXT, firstname TEXT, lastname TEXT,
    subsidiary INTEGER, currency INTEGER, isinactive TEXT NOT NULL DEFAULT 'F',
    datecreated TEXT, lastmodifieddate TEXT,
    _body TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS item (
    id INTEGER PRIMARY KEY,
    itemid TEXT NOT NULL, displayname TEXT, upccode TEXT, externalid TEXT UNIQUE,
    itemtype TEXT NOT NULL, isinactive TEXT NOT NULL DEFAULT 'F',
    baseprice NUMERIC, averagecost NUMERIC, incomeaccount INTEGER, assetaccount INTEGER, expenseaccount INTEGER,
    lastmodifieddate TEXT,
    _recordtype TEXT NOT NULL,
    _body TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS "transaction" (
    id INTEGER PRIMARY KEY,
    tranid TEXT, type TEXT NOT NULL, status TEXT, entity INTEGER, externalid TEXT,
    trandate TEXT, createddate TEXT, lastmodifieddate TEXT,
    otherrefnum TEXT, memo TEXT, foreigntotal NUMERIC, foreignamountunpaid NUMERIC, currency INTEGER, subsidiary INTEGER, location INTEGER,
    createdfrom INTEGER, voided TEXT NOT NULL DEFAULT 'F',
    _recordtype TEXT NOT NULL,
    _body TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX IF NOT EXISTS transaction_externalid ON "transaction" (type, externalid);
CREATE INDEX IF NOT EXISTS transaction_type_modified ON "transaction" (type, lastmodifieddate);
CREATE TABLE IF NOT EXISTS transactionline (
    uniquekey INTEGER PRIMARY KEY,
    "transaction" INTEGER NOT NULL, id INTEGER NOT NULL, linesequencenumber INTEGER NOT NULL,
    mainline TEXT NOT NULL DEFAULT 'F', taxline TEXT NOT NULL DEFAULT 'F',
    item INTEGER, quantity NUMERIC, rate NUMERIC, netamount NUMERIC, foreignamount NUMERIC, tax1amt NUMERIC, taxcode INTEGER,
    location INTEGER, subsidiary INTEGER, isclosed TEXT NOT NULL DEFAULT 'F', createdfrom INTEGER, orderline INTEGER,
    quantityshiprecv NUMERIC, quantitybilled NUMERIC, memo TEXT, linelastmodifieddate TEXT,
    _body TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS transactionline_transaction ON transactionline ("transaction", id);
CREATE INDEX IF NOT EXISTS transactionline_createdfrom ON transactionline (createdfrom);
-- SuiteTax's tax detail rows (only on accounts with SuiteTax; see SUITETAX_TABLES): ``line`` is transactionline.id,
-- ``taxrate`` a fraction (0.08), ``taxamount`` signed as the line's amount (negative on sales-side documents),
-- ``taxbasis`` unsigned. Sources: docs/sandbox/FIDELITY.md ("SuiteTax").
CREATE TABLE IF NOT EXISTS transactiontaxdetail (
    "transaction" INTEGER NOT NULL, line INTEGER NOT NULL, taxtype INTEGER, taxcode INTEGER, taxrate NUMERIC,
    taxbasis NUMERIC, taxamount NUMERIC
);
CREATE INDEX IF NOT EXISTS transactiontaxdetail_transaction ON transactiontaxdetail ("transaction", line);
CREATE TABLE IF NOT EXISTS transactionaccountingline (
    "transaction" INTEGER NOT NULL, transactionline INTEGER NOT NULL, account INTEGER NOT NULL,
    debit NUMERIC, credit NUMERIC, amount NUMERIC, posting TEXT NOT NULL DEFAULT 'T'
);
CREATE TABLE IF NOT EXISTS previoustransactionlinelink (
    previousdoc INTEGER NOT NULL, previousline INTEGER, nextdoc INTEGER NOT NULL, nextline INTEGER,
    linktype TEXT NOT NULL, previoustype TEXT, nexttype TEXT
);
"""

# SuiteQL ``transaction.type`` code for each REST record type the emulator knows.
TRANSACTION_TYPES: dict[str, str] = {
    "salesOrder": "SalesOrd",
    "returnAuthorization": "RtnAuth",
    "itemReceipt": "ItemRcpt",
    "creditMemo": "CustCred",
    "cashRefund": "CashRfnd",
    "customerRefund": "CustRfnd",
    "cashSale": "CashSale",
    "invoice": "CustInvc",
    "customerDeposit": "CustDep",
    "customerPayment": "CustPymt",
    "depositApplication": "DepAppl",
}
RECORD_TYPE_OF: dict[str, str] = {code: rtype for rtype, code in TRANSACTION_TYPES.items()}

# BUILTIN.DF(status) text per transaction type and status letter.
STATUS_TEXT: dict[str, dict[str, str]] = {
    "SalesOrd": {
        "A": "Sales Order : Pending Approval",
        "B": "Sales Order : Pending Fulfillment",
        "C": "Sales Order : Cancelled",
        "D": "Sales Order : Partially Fulfilled",
        "E": "Sales Order : Pending Billing/Partially Fulfilled",
        "F": "Sales Order : Pending Billing",
        "G": "Sales Order : Billed",
        "H": "Sales Order : Closed",
    },
    "RtnAuth": {
        "A": "Return Authorization : Pending Approval",
        "B": "Return Authorization : Pending Receipt",
        "C": "Return Authorization : Cancelled",
        "D": "Return Authorization : Partially Received",
        "E": "Return Authorization : Pending Refund/Partially Received",
        "F": "Return Authorization : Pending Refund",
        "G": "Return Authorization : Refunded",
        "H": "Return Authorization : Closed",
    },
    "CustCred": {"A": "Credit Memo : Open", "B": "Credit Memo : Fully Applied"},
    "CustInvc": {"A": "Invoice : Open", "B": "Invoice : Paid In Full"},
    "CustDep": {
        "A": "Customer Deposit : Not Deposited",
        "B": "Customer Deposit : Deposited",
        "C": "Customer Deposit : Fully Applied",
    },
    "CashSale": {"A": "Cash Sale : Unapproved Payment", "B": "Cash Sale : Not Deposited", "C": "Cash Sale : Deposited"},
    "CashRfnd": {},
    "ItemRcpt": {},
    "CustRfnd": {},
    "CustPymt": {"A": "Payment : Unapplied", "B": "Payment : Not Deposited", "C": "Payment : Deposited"},
    "DepAppl": {},
}

# BUILTIN.DF(<table>.<column>) follows a reference to this (table, display column).
DISPLAY_FIELDS: dict[tuple[str, str], tuple[str, str]] = {
    ("transaction", "entity"): ("customer", "entityid"),
    # A currency displays as its name ("US Dollar"); its ISO code is currency.symbol (docs/sandbox/FIDELITY.md).
    ("transaction", "currency"): ("currency", "name"),
    ("transactionline", "item"): ("item", "itemid"),
    ("transactionline", "location"): ("location", "name"),
    ("transactionline", "taxcode"): ("salestaxitem", "itemid"),
    ("transactiontaxdetail", "taxcode"): ("salestaxitem", "itemid"),
    ("transactiontaxdetail", "transaction"): ("transaction", "tranid"),
    ("transactionline", "subsidiary"): ("subsidiary", "name"),
    ("transactionline", "transaction"): ("transaction", "tranid"),
    ("transactionline", "createdfrom"): ("transaction", "tranid"),
    ("transactionaccountingline", "account"): ("account", "accountsearchdisplayname"),
    ("customer", "subsidiary"): ("subsidiary", "name"),
    ("customer", "currency"): ("currency", "name"),
    ("location", "subsidiary"): ("subsidiary", "name"),
}

# Columns the records service keeps but SuiteQL refuses, with the reason NetSuite gives. Real accounts answer
# "Field 'location' for record 'transaction' was not found. Reason: REMOVED - Field is removed" and
# "Field 'subsidiary' for record 'transaction' was not found. Reason: NOT_EXPOSED ..."; both facts are read
# from the main line (transactionline.mainline = 'T'), createdfrom from the item lines. Sources: docs/sandbox/FIDELITY.md.
UNEXPOSED_COLUMNS: dict[tuple[str, str], str] = {
    ("transaction", "location"): "REMOVED - Field is removed",
    ("transaction", "subsidiary"): "NOT_EXPOSED - Not available for channel SEARCH",
    ("transaction", "createdfrom"): "REMOVED - Field is removed",
}

# Tables that exist only where the SuiteTax feature is on: a legacy-tax account answers "Record ... was not found".
SUITETAX_TABLES: frozenset[str] = frozenset({"transactiontaxdetail"})

# Which table a custom field prefix lands on.
CUSTOM_FIELD_TABLES: dict[str, str] = {
    "custbody_": "transaction",
    "custcol_": "transactionline",
    "custitem_": "item",
    "custentity_": "customer",
}


def create_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(DDL)
    # A database made before transactionline carried the subsidiary gains the column (empty until rewritten).
    line_columns = {row[1] for row in conn.execute("PRAGMA table_info(transactionline)")}
    if "subsidiary" not in line_columns:
        conn.execute("ALTER TABLE transactionline ADD COLUMN subsidiary INTEGER")
    # Likewise account.isinactive (SuiteQL's account table has it, as every list record does; see docs/netsuite.md).
    if "isinactive" not in {row[1] for row in conn.execute("PRAGMA table_info(account)")}:
        conn.execute("ALTER TABLE account ADD COLUMN isinactive TEXT NOT NULL DEFAULT 'F'")
    if "taxcode" not in line_columns:
        conn.execute("ALTER TABLE transactionline ADD COLUMN taxcode INTEGER")


def add_custom_field(conn: sqlite3.Connection, field_id: str) -> str:
    """Create the column for custom field ``field_id`` (e.g. ``custbody_loop_return_id``); returns its table."""
    field_id = field_id.lower()
    for prefix, table in CUSTOM_FIELD_TABLES.items():  # noqa: B007 - the matching table is used after the loop
        if field_id.startswith(prefix):
            break
    else:
        raise ValueError(f"{field_id!r} is not a custom field id (custbody_/custcol_/custitem_/custentity_)")
    if not field_id.replace("_", "").isalnum():
        raise ValueError(f"bad custom field id {field_id!r}")
    existing = {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
    if field_id not in existing:
        conn.execute(f'ALTER TABLE "{table}" ADD COLUMN {field_id} TEXT')
    return table


def visible_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """Columns SuiteQL may select from ``table`` (storage-only ``_`` columns, ``uniquekey`` and unexposed columns hidden)."""
    return [
        row[1]
        for row in conn.execute(f'PRAGMA table_info("{table}")')
        if not row[1].startswith("_") and row[1] != "uniquekey" and (table, row[1]) not in UNEXPOSED_COLUMNS
    ]
