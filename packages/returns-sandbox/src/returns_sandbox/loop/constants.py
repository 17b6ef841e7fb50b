"""Limits and enumerations of the Loop Returns API that the emulator enforces (reference: loop_api.md)."""

from __future__ import annotations

from datetime import timedelta

__all__ = [
    "API_KEY_SCOPES",
    "API_PREFIX",
    "CURRENCY_TYPES",
    "DEFAULT_LIST_STATES",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_WINDOW",
    "FILTER_COLUMNS",
    "MAX_PAGE_SIZE",
    "MAX_RANGE",
    "NOTE_MAX_CHARS",
    "RATE_LIMIT_PER_MINUTE",
    "REMOVABLE_OUTCOMES",
    "RETURNS_SCOPE",
    "RETURN_STATES",
    "WEBHOOK_MAX_ATTEMPTS",
    "WEBHOOK_RETRY_AFTER_CAP_SECONDS",
    "WEBHOOK_STATUSES",
    "WEBHOOK_TIMEOUT_SECONDS",
    "WEBHOOK_TOPICS",
    "WEBHOOK_TRIGGERS",
]

API_PREFIX = "/api/v1"

# §1: 300 requests per minute per API key, across all endpoints.
RATE_LIMIT_PER_MINUTE = 300

# §1 Pagination: pageSize default 100, max 750.
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 750

# §1 Date filtering: at most 120 days between from and to; neither given -> the last 24 hours.
MAX_RANGE = timedelta(days=120)
DEFAULT_WINDOW = timedelta(hours=24)

RETURN_STATES = ("open", "closed", "cancelled", "expired", "review")
# §1: without `state` the list hides cancelled and review returns.
DEFAULT_LIST_STATES = ("open", "closed", "expired")
FILTER_COLUMNS = ("created_at", "updated_at")
CURRENCY_TYPES = ("shop", "presentment")

# Create/Get Return Note(s) name "Returns" as the API key scope they require
# (https://docs.loopreturns.com/api-reference/latest/return-actions/create-return-note). Keys are seeded with
# every scope the emulator checks unless a test asks for fewer.
RETURNS_SCOPE = "returns"
API_KEY_SCOPES = (RETURNS_SCOPE,)

# §2.2 Create Return Note: content required and *less than* 255 characters.
NOTE_MAX_CHARS = 255

# §2.3 + §4.1. The documented 422 message lists only the first three topics; the enum has more.
WEBHOOK_TOPICS = ("return", "label", "restock", "label.request", "giftcard", "happy.returns.shipment", "return.processing")
WEBHOOK_TRIGGERS = (
    "return.created",
    "return.updated",
    "return.closed",
    "label.created",
    "label.updated",
    "restock.requested",
    "label.request.issued",
    "label.request.cancelled",
    "giftcard.requested",
    "shipment.processed",
    "return.processing.failed",
)
WEBHOOK_STATUSES = ("active", "inactive")

# §4.4: 5 retries (6 attempts) with exponential backoff + jitter; Retry-After honoured up to 30 minutes.
WEBHOOK_MAX_ATTEMPTS = 6
WEBHOOK_RETRY_AFTER_CAP_SECONDS = 30 * 60
WEBHOOK_TIMEOUT_SECONDS = 10.0

# §2.2 Remove Line Items: only refund or store-credit lines can be removed.
REMOVABLE_OUTCOMES = ("refund", "credit", "store_credit", "gift_card")
