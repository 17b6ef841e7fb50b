"""What the Shopify connector sends: the Admin API version it targets, its GraphQL documents and idempotency keys.

Kept apart from the client so the credentials block can read the versions without importing httpx, and so
each document's cost sits next to it. Costs follow Shopify's published rules (objects 1, connections 2 +
``first`` x one node, https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits and
https://shopify.engineering/rate-limiting-graphql-apis-calculating-query-complexity); plain lists bounded
by ``first`` are counted as ``first`` elements, the strict reading the sandbox enforces. No single query
may request more than 1,000 points.

No document selects a customer or an order's email, phone or addresses: the syncs never need them, and
they are protected customer data that an app must be approved for
(https://shopify.dev/docs/apps/launch/protected-customer-data); selecting one without approval fails the
query.
"""

from __future__ import annotations

import re
import uuid

__all__ = [
    "ACCESS_SCOPES_QUERY",
    "API_VERSION_PATTERN",
    "DEFAULT_API_VERSION",
    "INVENTORY_ADJUST",
    "LINE_PAGE_SIZE",
    "MIN_API_VERSION",
    "MORE_LINES_QUERY",
    "MORE_REFUND_LINES_QUERY",
    "NOTE_QUERY",
    "ORDERS_QUERY",
    "ORDER_QUERY",
    "ORDER_UPDATE",
    "REFUND_CREATE",
    "REFUND_LINE_PAGE_SIZE",
    "REFUND_QUERY",
    "REQUIRED_ACCESS_SCOPES",
    "SHOP_QUERY",
    "TAGS_ADD",
    "idempotency_key",
]

# Shopify's calendar (https://shopify.dev/docs/api/usage/versioning, release notes such as
# https://shopify.dev/changelog/release-notes/2026-10): a stable version each quarter, accessible about a year.
# On 2026-12-03 the stable versions are 2026-01 to 2026-10; 2027-01 is a release candidate until it becomes
# stable on 2027-01-01, and release candidates are not for production. So the default is 2026-10, the newest
# stable version; re-check it every quarter.
DEFAULT_API_VERSION = "2026-10"
# The oldest version this connector is written for: @idempotent and InventoryChangeInput.changeFromQuantity
# exist from 2026-01, and every mutation here sends them. An older pin would be served as the oldest accessible
# version anyway ("falls forward"), so refusing it only makes the configuration say what really runs.
MIN_API_VERSION = "2026-01"
API_VERSION_PATTERN = re.compile(r"^\d{4}-(01|04|07|10)$")

_MONEY = "{ shopMoney { amount currencyCode } }"
# One line costs 12: itself, variant + inventoryItem, three money bags (2 each), taxLines (unbounded: one element, 3).
_LINE = (
    "id name sku quantity currentQuantity refundableQuantity variant { id sku inventoryItem { id } } "
    f"originalUnitPriceSet {_MONEY} discountedUnitPriceSet {_MONEY} discountedTotalSet {_MONEY} "
    f"taxLines {{ title rate priceSet {_MONEY} }}"
)
# One transaction costs 4: itself, amountSet (2), parentTransaction.
_TXN = f"id kind status gateway test processedAt amountSet {_MONEY} parentTransaction {{ id }}"
# One refund line costs 9: itself, lineItem, location (its id is readable with read_inventory), three money bags.
_REFUND_LINE = f"id quantity restockType restocked lineItem {{ id sku }} location {{ id }} priceSet {_MONEY} subtotalSet {_MONEY} totalTaxSet {_MONEY}"
LINE_PAGE_SIZE = 40
REFUND_LINE_PAGE_SIZE = 50
_PAGE_INFO = "pageInfo { hasNextPage endCursor }"
_REFUND = (
    f"id legacyResourceId createdAt updatedAt note totalRefundedSet {_MONEY} "
    f"refundLineItems(first: {REFUND_LINE_PAGE_SIZE}) {{ {_PAGE_INFO} nodes {{ {_REFUND_LINE} }} }} "
    f"transactions(first: 20) {{ nodes {{ {_TXN} }} }}"
)

# Requests 740: order 1, customAttributes 1, three money bags 6, lineItems 2 + 40 x 12, refunds 50 x 1, transactions
# 50 x 4. Refunds are listed by id only; each one's lines and transactions come from REFUND_QUERY.
ORDER_QUERY = (
    "query OrderForReturn($id: ID!) { order(id: $id) { "
    "id legacyResourceId name createdAt updatedAt processedAt cancelledAt displayFinancialStatus displayFulfillmentStatus "
    "note tags currencyCode presentmentCurrencyCode customAttributes { key value } "
    f"totalRefundedSet {_MONEY} currentTotalPriceSet {_MONEY} totalPriceSet {_MONEY} "
    f"lineItems(first: {LINE_PAGE_SIZE}) {{ {_PAGE_INFO} nodes {{ {_LINE} }} }} "
    f"refunds(first: 50) {{ id }} transactions(first: 50) {{ {_TXN} }} }} }}"
)
MORE_LINES_QUERY = (
    "query MoreLines($id: ID!, $after: String) { order(id: $id) { "
    f"lineItems(first: {LINE_PAGE_SIZE}, after: $after) {{ {_PAGE_INFO} nodes {{ {_LINE} }} }} }} }}"
)
# Requests 537: refund 1, totalRefundedSet 2, refundLineItems 2 + 50 x 9, transactions 2 + 20 x 4. Not ``return``:
# Shopify-native Returns need read_returns, and Loop, not Shopify, holds the returns this sync follows.
REFUND_QUERY = f"query RefundDetail($id: ID!) {{ refund(id: $id) {{ {_REFUND} }} }}"
MORE_REFUND_LINES_QUERY = (
    "query MoreRefundLines($id: ID!, $after: String) { refund(id: $id) { "
    f"refundLineItems(first: {REFUND_LINE_PAGE_SIZE}, after: $after) {{ {_PAGE_INFO} nodes {{ {_REFUND_LINE} }} }} }} }}"
)
_ORDER_SUMMARY = f"id legacyResourceId name createdAt updatedAt cancelledAt displayFinancialStatus note tags currencyCode totalPriceSet {_MONEY} totalRefundedSet {_MONEY}"
# Requests 2 + first x 5 (252 at the default 50).
ORDERS_QUERY = (
    "query Orders($first: Int!, $after: String, $q: String) { orders(first: $first, after: $after, query: $q, sortKey: UPDATED_AT) { "
    f"{_PAGE_INFO} nodes {{ {_ORDER_SUMMARY} }} }} }}"
)
# What the syncs read (tasks/loading.py reads orders with ORDER_QUERY and its follow-ups): scope -> why. A write
# scope grants its read scope (https://shopify.dev/docs/api/usage/access-scopes). ``returns-sync doctor`` compares
# these with the installation's granted scopes.
REQUIRED_ACCESS_SCOPES: dict[str, str] = {
    "read_orders": "orders, their lines, transactions and refunds",
    "read_products": "the variant and inventory item of each order line",
}
# The granted scopes; readable without any scope
# (https://shopify.dev/docs/api/admin-graphql/latest/objects/AppInstallation, field accessScopes).
ACCESS_SCOPES_QUERY = "query GrantedScopes { currentAppInstallation { accessScopes { handle } } }"
SHOP_QUERY = "query Shop { shop { name myshopifyDomain } }"
NOTE_QUERY = "query Note($id: ID!) { order(id: $id) { id note } }"
ORDER_UPDATE = (
    "mutation SetNote($input: OrderInput!) { orderUpdate(input: $input) { order { id note } userErrors { field message } } }"
)
TAGS_ADD = "mutation Tag($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { node { id ... on Order { tags } } userErrors { field message } } }"
# From 2026-04 both mutations must carry @idempotent (https://shopify.dev/changelog/making-idempotency-mandatory-for-inventory-adjustments-and-refund-mutations);
# a resend with the same key returns the first result, so the connector may resend them after a lost answer.
REFUND_CREATE = (
    "mutation RefundForReturn($input: RefundInput!, $idempotencyKey: String!) { "
    f"refundCreate(input: $input) @idempotent(key: $idempotencyKey) {{ refund {{ {_REFUND} }} userErrors {{ field message }} }} }}"
)
INVENTORY_ADJUST = (
    "mutation Restock($input: InventoryAdjustQuantitiesInput!, $idempotencyKey: String!) { "
    "inventoryAdjustQuantities(input: $input) @idempotent(key: $idempotencyKey) { "
    "inventoryAdjustmentGroup { createdAt reason referenceDocumentUri changes { name delta quantityAfterChange } } userErrors { field message code } } }"
)

# Keys are UUIDs as Shopify recommends (https://shopify.dev/docs/api/usage/implementing-idempotency), but derived, not
# random: the same operation always gets the same key, so a retry after a crash or a lost answer (a new process, a
# Prefect task retry) is recognised as the duplicate it is and never refunds or restocks twice.
_KEY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/returns-sync/shopify-idempotency")


def idempotency_key(operation_id: str) -> str:
    """The ``@idempotent`` key of one logical operation, e.g. ``loop-north-12345-refund`` (store, Loop return, what).

    Use one ``operation_id`` per intended effect (a second, different refund for the same return needs its own id,
    ``...-refund-2``); Shopify refuses a key reused with other parameters.
    """
    if not operation_id or not operation_id.strip():
        raise ValueError("operation_id must name the operation, e.g. loop-<store>-<return id>-refund")
    return str(uuid.uuid5(_KEY_NAMESPACE, operation_id.strip()))
