"""The Shopify emulator's SQLite schema and the small row helpers the backend uses.

Money is stored as decimal text and read back as ``Decimal``; timestamps are ISO-8601 UTC text
(``2025-10-01T12:00:00Z``), so they sort as text. Lists (tags, custom attributes, adjustment changes)
are JSON text. Every row carries its ``shop`` so one database holds many shops.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

__all__ = ["DDL", "connect", "dec", "iso", "loads", "parse_iso", "wipe"]

DDL = """
CREATE TABLE IF NOT EXISTS shop (
    domain TEXT PRIMARY KEY, name TEXT NOT NULL, currency TEXT NOT NULL, app_secret TEXT NOT NULL,
    bucket_size REAL NOT NULL, restore_rate REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS access_token (
    token TEXT PRIMARY KEY, shop TEXT NOT NULL, scopes TEXT NOT NULL DEFAULT '[]', protected_fields TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS location (id INTEGER PRIMARY KEY, shop TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS product (
    id INTEGER PRIMARY KEY, shop TEXT NOT NULL, title TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS inventory_item (
    id INTEGER PRIMARY KEY, shop TEXT NOT NULL, sku TEXT, tracked INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS variant (
    id INTEGER PRIMARY KEY, shop TEXT NOT NULL, product_id INTEGER NOT NULL, inventory_item_id INTEGER NOT NULL,
    sku TEXT, title TEXT NOT NULL, price TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS variant_sku ON variant (shop, sku);
CREATE TABLE IF NOT EXISTS inventory_level (
    id INTEGER PRIMARY KEY, shop TEXT NOT NULL, inventory_item_id INTEGER NOT NULL, location_id INTEGER NOT NULL,
    quantities TEXT NOT NULL DEFAULT '{}', updated_at TEXT NOT NULL,
    UNIQUE (inventory_item_id, location_id)
);
CREATE TABLE IF NOT EXISTS inventory_adjustment_group (
    id INTEGER PRIMARY KEY, shop TEXT NOT NULL, created_at TEXT NOT NULL, reason TEXT NOT NULL,
    reference_document_uri TEXT, changes TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS customer (
    id INTEGER PRIMARY KEY, shop TEXT NOT NULL, email TEXT, first_name TEXT, last_name TEXT,
    tags TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS customer_email ON customer (shop, email);
CREATE TABLE IF NOT EXISTS "order" (
    id INTEGER PRIMARY KEY, shop TEXT NOT NULL, name TEXT NOT NULL, number INTEGER NOT NULL,
    email TEXT, customer_id INTEGER, currency TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, processed_at TEXT NOT NULL,
    cancelled_at TEXT, closed_at TEXT,
    note TEXT, tags TEXT NOT NULL DEFAULT '[]', custom_attributes TEXT NOT NULL DEFAULT '[]',
    shipping TEXT NOT NULL DEFAULT '0', shipping_tax TEXT NOT NULL DEFAULT '0',
    fulfillment_status TEXT NOT NULL DEFAULT 'FULFILLED'
);
CREATE INDEX IF NOT EXISTS order_shop ON "order" (shop, updated_at);
CREATE TABLE IF NOT EXISTS line_item (
    id INTEGER PRIMARY KEY, shop TEXT NOT NULL, order_id INTEGER NOT NULL, position INTEGER NOT NULL,
    title TEXT NOT NULL, sku TEXT, variant_id INTEGER, quantity INTEGER NOT NULL,
    unit_price TEXT NOT NULL, unit_discount TEXT NOT NULL, unit_tax TEXT NOT NULL, tax_rate TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS line_item_order ON line_item (order_id);
CREATE TABLE IF NOT EXISTS order_transaction (
    id INTEGER PRIMARY KEY, shop TEXT NOT NULL, order_id INTEGER NOT NULL, refund_id INTEGER,
    kind TEXT NOT NULL, status TEXT NOT NULL, gateway TEXT NOT NULL, amount TEXT NOT NULL,
    parent_id INTEGER, processed_at TEXT NOT NULL, test INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS transaction_order ON order_transaction (order_id);
CREATE TABLE IF NOT EXISTS refund (
    id INTEGER PRIMARY KEY, shop TEXT NOT NULL, order_id INTEGER NOT NULL, note TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, return_id INTEGER, shipping TEXT NOT NULL DEFAULT '0'
);
CREATE INDEX IF NOT EXISTS refund_order ON refund (order_id);
CREATE TABLE IF NOT EXISTS refund_line_item (
    id INTEGER PRIMARY KEY, refund_id INTEGER NOT NULL, line_item_id INTEGER NOT NULL, quantity INTEGER NOT NULL,
    restock_type TEXT NOT NULL, restocked INTEGER NOT NULL, location_id INTEGER,
    price TEXT NOT NULL, subtotal TEXT NOT NULL, total_tax TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS "return" (
    id INTEGER PRIMARY KEY, shop TEXT NOT NULL, order_id INTEGER NOT NULL, name TEXT NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL, closed_at TEXT
);
CREATE TABLE IF NOT EXISTS return_line_item (
    id INTEGER PRIMARY KEY, return_id INTEGER NOT NULL, line_item_id INTEGER NOT NULL, quantity INTEGER NOT NULL,
    return_reason TEXT NOT NULL DEFAULT 'UNKNOWN', customer_note TEXT
);
CREATE TABLE IF NOT EXISTS gift_card (
    id INTEGER PRIMARY KEY, shop TEXT NOT NULL, initial_value TEXT NOT NULL, balance TEXT NOT NULL,
    order_id INTEGER, note TEXT, created_at TEXT NOT NULL, last_characters TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS gift_card_transaction (
    id INTEGER PRIMARY KEY, gift_card_id INTEGER NOT NULL, amount TEXT NOT NULL, processed_at TEXT NOT NULL, note TEXT
);
CREATE TABLE IF NOT EXISTS webhook_subscription (
    id INTEGER PRIMARY KEY, shop TEXT NOT NULL, topic TEXT NOT NULL, callback_url TEXT NOT NULL,
    format TEXT NOT NULL, include_fields TEXT NOT NULL DEFAULT '[]', api_version TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency_key (
    shop TEXT NOT NULL, key TEXT NOT NULL, operation TEXT NOT NULL, result_id INTEGER NOT NULL, fingerprint TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (shop, key)
);
"""

_TABLES_IN_DELETE_ORDER = (
    "idempotency_key",
    "webhook_subscription",
    "gift_card_transaction",
    "gift_card",
    "return_line_item",
    '"return"',
    "refund_line_item",
    "refund",
    "order_transaction",
    "line_item",
    '"order"',
    "customer",
    "inventory_adjustment_group",
    "inventory_level",
    "variant",
    "inventory_item",
    "product",
    "location",
    "access_token",
    "shop",
)


# Columns added after the first release: a database file from then gets them on open.
_ADDED_COLUMNS = (
    ("access_token", "scopes", "TEXT NOT NULL DEFAULT '[]'"),
    ("access_token", "protected_fields", "TEXT NOT NULL DEFAULT '[]'"),
    ("idempotency_key", "fingerprint", "TEXT NOT NULL DEFAULT ''"),
)


def connect(db_path: str | None) -> sqlite3.Connection:
    """Open (and create) the database; ``None`` is a private in-memory database."""
    conn = sqlite3.connect(db_path or ":memory:", check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.executescript(DDL)
    for table, column, declaration in _ADDED_COLUMNS:
        if column not in {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    return conn


def wipe(conn: sqlite3.Connection) -> None:
    """Delete every row of every table (the schema stays)."""
    for table in _TABLES_IN_DELETE_ORDER:
        conn.execute(f"DELETE FROM {table}")


def iso(value: datetime) -> str:
    """ISO-8601 UTC text with a ``Z``; naive datetimes are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def dec(text: Any) -> Decimal:
    return Decimal(str(text))


def loads(text: str | None) -> Any:
    return json.loads(text) if text else None
