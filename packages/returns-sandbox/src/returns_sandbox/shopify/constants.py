"""Limits, versions and fixed vocabularies of the Shopify Admin GraphQL emulator, plus GID helpers."""

from __future__ import annotations

import re

__all__ = [
    "ADJUSTABLE_QUANTITY_NAMES",
    "API_VERSIONS",
    "CHANGE_FROM_QUANTITY_REQUIRED_FROM",
    "CONNECTION_BASE_COST",
    "CURRENCY_CODES",
    "DEFAULT_ACCESS_SCOPES",
    "DEFAULT_BUCKET_SIZE",
    "DEFAULT_RESTORE_RATE",
    "DEFAULT_STOCK",
    "IDEMPOTENT_FROM",
    "IDEMPOTENT_REQUIRED_FROM",
    "INVENTORY_REASONS",
    "LATEST_STABLE_VERSION",
    "MAX_INPUT_ARRAY",
    "MAX_PAGE_SIZE",
    "MAX_QUERY_COST",
    "MUTATION_COST",
    "OLDEST_SUPPORTED_VERSION",
    "RATE_LIMIT_DOCS",
    "RELEASE_CANDIDATE",
    "STABLE_API_VERSIONS",
    "WEBHOOK_BASE_DELAY",
    "WEBHOOK_MAX_RETRIES",
    "WEBHOOK_TIMEOUT",
    "WEBHOOK_TOPICS",
    "gid",
    "gid_type",
    "parse_gid",
]

# Shopify's release calendar (https://shopify.dev/docs/api/usage/versioning): a stable version each quarter
# at 17:00 UTC, accessible for at least 12 months (the release notes give "accessible until" the 16th of the
# same month a year on, 15:00 UTC, e.g. https://shopify.dev/changelog/release-notes/2026-10). The sandbox
# lives on 2026-12-03: 2025-10 closed on 2026-10-16, 2026-01 is the oldest accessible stable version,
# 2026-10 the newest stable one, and 2027-01 the release candidate (callable, stable from 2027-01-01).
STABLE_API_VERSIONS = ("2026-01", "2026-04", "2026-07", "2026-10")
RELEASE_CANDIDATE = "2027-01"
API_VERSIONS = STABLE_API_VERSIONS + (RELEASE_CANDIDATE,)
OLDEST_SUPPORTED_VERSION = STABLE_API_VERSIONS[0]
LATEST_STABLE_VERSION = STABLE_API_VERSIONS[-1]
# `@idempotent(key:)` exists from 2026-01 and is required on refundCreate/inventoryAdjustQuantities from 2026-04
# (https://shopify.dev/changelog/making-idempotency-mandatory-for-inventory-adjustments-and-refund-mutations);
# InventoryChangeInput.changeFromQuantity exists from 2026-01 and must be given (null opts out) from 2026-04
# (https://shopify.dev/changelog/making-changefromquantity-field-required).
IDEMPOTENT_FROM = "2026-01"
IDEMPOTENT_REQUIRED_FROM = "2026-04"
CHANGE_FROM_QUANTITY_REQUIRED_FROM = "2026-04"

# What a seeded token may do: the scopes a returns sync needs (orders, refunds, tags and notes; variants and
# inventory items on order lines; restocking). No customers, returns, locations or gift cards: a query touching
# them is ACCESS_DENIED, as on a shop whose merchant granted only these (tests widen it with set_access).
# The reconciliation report reads store-credit gift cards and what was redeemed from them (the two gift-card scopes).
DEFAULT_ACCESS_SCOPES = (
    "read_orders",
    "write_orders",
    "read_products",
    "read_inventory",
    "write_inventory",
    "read_gift_cards",
    "read_gift_card_transactions",
)

MAX_QUERY_COST = 1000
MAX_PAGE_SIZE = 250
MAX_INPUT_ARRAY = 250
MUTATION_COST = 10
CONNECTION_BASE_COST = 2
DEFAULT_BUCKET_SIZE = 2000
DEFAULT_RESTORE_RATE = 100
RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"

# GraphQL enum -> REST-style topic name (the X-Shopify-Topic header). Only the first three are ever fired.
WEBHOOK_TOPICS = {
    "REFUNDS_CREATE": "refunds/create",
    "ORDERS_UPDATED": "orders/updated",
    "ORDERS_CREATE": "orders/create",
    "ORDERS_CANCELLED": "orders/cancelled",
    "ORDERS_EDITED": "orders/edited",
    "RETURNS_REQUEST": "returns/request",
    "RETURNS_APPROVE": "returns/approve",
    "RETURNS_DECLINE": "returns/decline",
    "RETURNS_CANCEL": "returns/cancel",
    "RETURNS_CLOSE": "returns/close",
    "RETURNS_REOPEN": "returns/reopen",
    "RETURNS_UPDATE": "returns/update",
    "INVENTORY_LEVELS_UPDATE": "inventory_levels/update",
    "APP_UNINSTALLED": "app/uninstalled",
}
# Shopify's policy since 2024-09: 8 retries over about 4 h. 60 s doubling 8 times spans ~4.25 h.
WEBHOOK_MAX_RETRIES = 8
WEBHOOK_BASE_DELAY = 60.0
WEBHOOK_TIMEOUT = 5.0

# Quantity names inventoryAdjustQuantities accepts; "on_hand" also moves "available".
ADJUSTABLE_QUANTITY_NAMES = ("available", "damaged", "quality_control", "reserved", "safety_stock", "incoming", "on_hand")
INVENTORY_REASONS = (
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
)
# Units of every variant at the store's location after load_world (the seed has no stock figures).
DEFAULT_STOCK = 100

# The CurrencyCode enum of the sandbox schema (Shopify's has every ISO 4217 code; these cover the demo and tests).
CURRENCY_CODES = (
    "AED",
    "AUD",
    "BGN",
    "BRL",
    "CAD",
    "CHF",
    "CNY",
    "CZK",
    "DKK",
    "EUR",
    "GBP",
    "HKD",
    "HUF",
    "ILS",
    "INR",
    "ISK",
    "JPY",
    "KRW",
    "KWD",
    "MXN",
    "NOK",
    "NZD",
    "PLN",
    "RON",
    "SEK",
    "SGD",
    "TRY",
    "USD",
    "ZAR",
)

_GID = re.compile(r"^gid://shopify/(?P<type>[A-Za-z]+)/(?P<id>\d+)(?:\?.*)?$")


def gid(type_name: str, numeric_id: int | str) -> str:
    """``gid://shopify/<Type>/<n>`` for a numeric id."""
    return f"gid://shopify/{type_name}/{numeric_id}"


def parse_gid(value: object, expected: str | None = None) -> int | None:
    """Numeric tail of a Shopify GID (optionally of one type); ``None`` when it is not one."""
    if not isinstance(value, str):
        return None
    match = _GID.match(value.strip())
    if not match or (expected is not None and match["type"] != expected):
        return None
    return int(match["id"])


def gid_type(value: object) -> str | None:
    """Type segment of a Shopify GID, ``None`` when it is not one."""
    match = _GID.match(value.strip()) if isinstance(value, str) else None
    return match["type"] if match else None
