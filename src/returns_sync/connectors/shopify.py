"""Shopify Admin GraphQL client: cost-aware waits, the shared retry policy, typed order/refund helpers, webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx

from returns_sync.connectors.auth import ShopifyAccessTokenAuth
from returns_sync.connectors.errors import (
    ErrorKind,
    PermanentApiError,
    classify,
    error_for_transport,
    parse_retry_after,
    raise_for_response,
)
from returns_sync.connectors.pagination import CursorPaginator
from returns_sync.connectors.retry import DEFAULT_RETRY_POLICY, RetryPolicy
from returns_sync.connectors.tls import shared_ssl_context
from returns_sync.domain.shopify import ShopifyInventoryAdjustment, ShopifyOrder, ShopifyRefund, gid

__all__ = ["ORDER_QUERY", "ShopifyClient", "ShopifyUserError", "verify_shopify_webhook"]

VENDOR = "shopify"
LINE_PAGE_SIZE = 50  # keeps ORDER_QUERY's requested cost under 1,000 (nested first values multiply)
_MUTATION = re.compile(r"^\s*(?:#[^\n]*\n\s*)*mutation\b")

_MONEY = "{ shopMoney { amount currencyCode } }"
_LINE = (
    "id name sku quantity currentQuantity refundableQuantity variant { id sku inventoryItem { id } } "
    f"originalUnitPriceSet {_MONEY} discountedUnitPriceSet {_MONEY} discountedTotalSet {_MONEY} "
    f"taxLines {{ title rate priceSet {_MONEY} }}"
)
_TXN = f"id kind status gateway test processedAt amountSet {_MONEY} parentTransaction {{ id }}"
_REFUND = (
    f"id legacyResourceId createdAt updatedAt note totalRefundedSet {_MONEY} return {{ id }} "
    f"refundLineItems(first: 20) {{ nodes {{ id quantity restockType restocked lineItem {{ id sku }} location {{ id }} "
    f"priceSet {_MONEY} subtotalSet {_MONEY} totalTaxSet {_MONEY} }} }} "
    f"transactions(first: 10) {{ nodes {{ {_TXN} }} }}"
)
ORDER_QUERY = (
    "query OrderForReturn($id: ID!) { order(id: $id) { "
    "id legacyResourceId name createdAt updatedAt processedAt cancelledAt displayFinancialStatus displayFulfillmentStatus "
    "note tags currencyCode presentmentCurrencyCode customAttributes { key value } customer { id email firstName lastName } "
    f"totalRefundedSet {_MONEY} currentTotalPriceSet {_MONEY} totalPriceSet {_MONEY} "
    f"lineItems(first: {LINE_PAGE_SIZE}) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {_LINE} }} }} "
    f"refunds(first: 10) {{ {_REFUND} }} transactions(first: 50) {{ {_TXN} }} }} }}"
)
_MORE_LINES = (
    "query MoreLines($id: ID!, $after: String) { order(id: $id) { "
    f"lineItems(first: {LINE_PAGE_SIZE}, after: $after) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {_LINE} }} }} }} }}"
)
_ORDER_SUMMARY = f"id legacyResourceId name createdAt updatedAt cancelledAt displayFinancialStatus note tags currencyCode totalPriceSet {_MONEY} totalRefundedSet {_MONEY}"
_ORDERS = (
    "query Orders($first: Int!, $after: String, $q: String) { orders(first: $first, after: $after, query: $q, sortKey: UPDATED_AT) { "
    f"pageInfo {{ hasNextPage endCursor }} nodes {{ {_ORDER_SUMMARY} }} }} }}"
)
_NOTE = "query Note($id: ID!) { order(id: $id) { id note } }"
_ORDER_UPDATE = (
    "mutation SetNote($input: OrderInput!) { orderUpdate(input: $input) { order { id note } userErrors { field message } } }"
)
_TAGS_ADD = "mutation Tag($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { node { id ... on Order { tags } } userErrors { field message } } }"
_REFUND_CREATE = f"mutation RefundForReturn($input: RefundInput!) {{ refundCreate(input: $input) {{ refund {{ {_REFUND} }} userErrors {{ field message }} }} }}"
_ADJUST = (
    "mutation Restock($input: InventoryAdjustQuantitiesInput!) { inventoryAdjustQuantities(input: $input) { "
    "inventoryAdjustmentGroup { createdAt reason referenceDocumentUri changes { name delta quantityAfterChange } } userErrors { field message code } } }"
)


class ShopifyUserError(PermanentApiError):
    """A mutation answered with ``userErrors``: Shopify refused the input and wrote nothing."""

    def __init__(
        self, message: str, *, user_errors: list[dict[str, Any]] | None = None, mutation: str | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("vendor", VENDOR)
        kwargs.setdefault("code", "USER_ERROR")
        super().__init__(message, **kwargs)
        self.user_errors = list(user_errors or [])
        self.mutation = mutation

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:  # keep the userErrors through Prefect's pickling
        return (_rebuild_user_error, (self.message, self.user_errors, self.mutation, self.status_code))


def _rebuild_user_error(
    message: str, user_errors: list[dict[str, Any]], mutation: str | None, status_code: int | None
) -> ShopifyUserError:
    return ShopifyUserError(message, user_errors=user_errors, mutation=mutation, status_code=status_code)


class ShopifyClient:
    """One shop's Admin GraphQL API. ``execute`` retries throttles and 5xx; helpers return ``domain.shopify`` models.

    Args:
        http: client with the shop's base URL and the access-token auth.
        api_version: Admin API version in the path.
        retry: the retry policy; its ``sleep`` also pays the wait before a query the bucket cannot cover.
        clock: monotonic seconds, to refill the last known bucket level (injected by tests).

    Example:
        >>> with ShopifyClient.from_credentials(base_url="https://shop.myshopify.com", access_token=token) as shopify:
        ...     order = shopify.find_order_by_name("#1001")
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        api_version: str = "2025-10",
        retry: RetryPolicy = DEFAULT_RETRY_POLICY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self.api_version = api_version
        self._retry = retry
        self._clock = clock
        self._path = f"/admin/api/{api_version}/graphql.json"
        self.throttle_status: dict[str, float] | None = None  # last throttleStatus seen
        self.last_cost: dict[str, Any] | None = None  # last extensions.cost seen (requested/actual), for diagnosis
        self._status_at = 0.0
        self._expected_cost: dict[str, int] = {}  # query text -> last requestedQueryCost

    @classmethod
    def from_credentials(
        cls,
        *,
        base_url: str,
        access_token: str,
        api_version: str = "2025-10",
        timeout: float = 30.0,
        retry: RetryPolicy = DEFAULT_RETRY_POLICY,
    ) -> ShopifyClient:
        """A client for ``https://<shop>.myshopify.com`` (or the sandbox's base URL) with an Admin API access token."""
        http = httpx.Client(
            verify=shared_ssl_context(),
            base_url=base_url.rstrip("/"),
            auth=ShopifyAccessTokenAuth(access_token),
            timeout=httpx.Timeout(timeout),
            headers={"Accept": "application/json", "User-Agent": "returns-sync"},
        )
        return cls(http, api_version=api_version, retry=retry)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ShopifyClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- transport -----------------------------------------------------------------------------
    def execute(self, query: str, variables: dict[str, Any] | None = None, *, idempotent: bool | None = None) -> dict[str, Any]:
        """POST one operation; return ``data``. Raises the ``errors`` tree; ``ShopifyUserError`` on ``userErrors``.

        THROTTLED (200 or 429) waits for the bucket and resends (a throttled request was not executed). A
        query is resent after 5xx, INTERNAL_SERVER_ERROR and lost answers; a mutation only when it never
        left, unless ``idempotent=True`` says sending it twice is harmless: otherwise
        ``TransientApiError(maybe_committed=True)`` tells the caller to look before retrying.
        """
        mutation = bool(_MUTATION.match(query))
        idempotent = not mutation if idempotent is None else idempotent
        payload = {"query": query, "variables": variables or {}}
        what = "GraphQL mutation" if mutation else "GraphQL query"

        def attempt() -> dict[str, Any]:
            self._pause_for_budget(query, mutation)
            try:
                response = self._http.post(self._path, json=payload)
            except httpx.TransportError as exc:
                raise error_for_transport(exc, vendor=VENDOR, what=what, idempotent=idempotent) from exc
            return self._data(query, response, idempotent)

        return self._retry.call(attempt, vendor=VENDOR, what=what)

    def _data(self, query: str, response: httpx.Response, idempotent: bool) -> dict[str, Any]:
        """``data`` of a GraphQL answer, or the classified error it carries (raised)."""
        body = _json(response)
        self._remember_cost(query, body)
        errors = body.get("errors")
        code = _error_code(errors)
        kind = classify(response.status_code, code)
        if kind is not None:
            throttled = kind is ErrorKind.RATE_LIMITED
            raise_for_response(
                response,
                vendor=VENDOR,
                code=code or ("THROTTLED" if throttled else None),
                message=_error_message(body, response),
                retry_after=self._throttle_wait(response, body) if throttled else None,
                idempotent=idempotent,
            )
        if errors:
            raise PermanentApiError(
                _error_message(body, response),
                vendor=VENDOR,
                code=code or "GRAPHQL_ERROR",
                status_code=response.status_code,
                request=response.request,
                response=response,
            )
        data = body.get("data") or {}
        _raise_user_errors(data, response)
        return data

    def _remember_cost(self, query: str, body: dict[str, Any]) -> None:
        cost = (body.get("extensions") or {}).get("cost") or {}
        if cost:
            self.last_cost = cost
        status = cost.get("throttleStatus")
        if status:
            self.throttle_status = {k: float(v) for k, v in status.items()}
            self._status_at = self._clock()
        if cost.get("requestedQueryCost") is not None:
            self._expected_cost[query] = int(cost["requestedQueryCost"])

    def _throttle_wait(self, response: httpx.Response, body: dict[str, Any]) -> float:
        """Seconds until the bucket holds the request: ``ceil((requested - available) / restoreRate)``, else ``Retry-After``."""
        cost = (body.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        if cost.get("requestedQueryCost") is not None and status.get("restoreRate"):
            missing = float(cost["requestedQueryCost"]) - float(status.get("currentlyAvailable", 0))
            return float(max(1, math.ceil(missing / float(status["restoreRate"]))))
        return parse_retry_after(response.headers.get("Retry-After")) or 1.0

    def _pause_for_budget(self, query: str, mutation: bool) -> None:
        """Wait before sending when the last known bucket level, refilled since, cannot cover this query's cost."""
        status = self.throttle_status
        if not status or not status.get("restoreRate"):
            return
        expected = self._expected_cost.get(query, 10 if mutation else 1)
        elapsed = max(0.0, self._clock() - self._status_at)
        available = min(status["maximumAvailable"], status["currentlyAvailable"] + elapsed * status["restoreRate"])
        if available < expected:
            self._retry.sleep(float(math.ceil((expected - available) / status["restoreRate"])))

    # --- orders --------------------------------------------------------------------------------
    def get_order(self, order_id: int | str) -> ShopifyOrder | None:
        """The order with every line (extra line pages fetched), refunds and transactions; ``None`` when Shopify returns null."""
        order_gid = gid("Order", order_id)
        raw = self.execute(ORDER_QUERY, {"id": order_gid}).get("order")
        if raw is None:
            return None
        lines = raw.get("lineItems") or {}
        nodes = list(lines.get("nodes") or [])
        paginator = CursorPaginator()
        paginator.advance(lines.get("pageInfo") or {})
        while not paginator.finished:
            more = (self.execute(_MORE_LINES, {"id": order_gid, "after": paginator.cursor}).get("order") or {}).get(
                "lineItems"
            ) or {}
            nodes.extend(more.get("nodes") or [])
            paginator.advance(more.get("pageInfo") or {})
        raw["lineItems"] = {"nodes": nodes}
        return ShopifyOrder.model_validate(raw)

    def find_order_by_name(self, name: str) -> ShopifyOrder | None:
        """The order named ``#1001`` (``1001`` works too); ``None`` when no order has exactly that name."""
        wanted = name.strip().lstrip("#")
        data = self.execute(_ORDERS, {"first": 5, "q": f'name:"#{wanted}"'})
        match = next((n for n in data["orders"]["nodes"] if n["name"].lstrip("#") == wanted), None)
        return self.get_order(match["id"]) if match else None

    def iter_orders(self, query: str | None = None, page_size: int = 50) -> Iterator[ShopifyOrder]:
        """Order *summaries* (no lines or refunds) matching a search ``query``, oldest update first; ``get_order`` for details."""
        paginator = CursorPaginator()
        while not paginator.finished:
            page = self.execute(_ORDERS, {"first": page_size, "after": paginator.cursor, "q": query})["orders"]
            for node in page["nodes"]:
                yield ShopifyOrder.model_validate(node)
            paginator.advance(page["pageInfo"])

    def tags_add(self, order_gid: str, tags: Sequence[str]) -> list[str]:
        """Add tags without touching the others (re-adding is harmless); returns the order's tags afterwards."""
        data = self.execute(_TAGS_ADD, {"id": order_gid, "tags": list(tags)}, idempotent=True)
        return list(((data["tagsAdd"] or {}).get("node") or {}).get("tags") or [])

    def append_order_note(self, order_gid: str, text: str) -> str:
        """Append a line to the note (``orderUpdate`` replaces the whole note, so read first). A line already there is not added twice."""
        order = self.execute(_NOTE, {"id": order_gid}).get("order")
        if order is None:
            raise PermanentApiError(f"order {order_gid} not found", vendor=VENDOR, code="NOT_FOUND")
        note = order.get("note") or ""
        if text in note.splitlines():
            return note
        new_note = f"{note}\n{text}" if note else text
        # Sets the whole note to one value: sending it twice leaves the same note.
        data = self.execute(_ORDER_UPDATE, {"input": {"id": order_gid, "note": new_note}}, idempotent=True)
        return (data["orderUpdate"]["order"] or {}).get("note") or new_note

    def refund_create(self, refund_input: dict[str, Any]) -> ShopifyRefund:
        """``refundCreate`` with a ``RefundInput`` (amounts as strings or Decimals); put a marker in ``note`` to find it after a timeout."""
        data = self.execute(_REFUND_CREATE, {"input": _jsonable(refund_input)})
        refund = (data.get("refundCreate") or {}).get("refund")
        if refund is None:
            raise PermanentApiError("refundCreate returned no refund", vendor=VENDOR, code="NO_REFUND")
        return ShopifyRefund.model_validate(refund)

    def adjust_inventory(
        self,
        *,
        inventory_item_id: str,
        location_id: str,
        delta: int,
        reason: str = "restock",
        name: str = "available",
        reference_document_uri: str | None = None,
        ledger_document_uri: str | None = None,
    ) -> ShopifyInventoryAdjustment:
        """``inventoryAdjustQuantities`` for one item at one location (``ledger_document_uri`` is required for names other than ``available``)."""
        change: dict[str, Any] = {
            "inventoryItemId": gid("InventoryItem", inventory_item_id),
            "locationId": gid("Location", location_id),
            "delta": delta,
        }
        if ledger_document_uri:
            change["ledgerDocumentUri"] = ledger_document_uri
        adjustment = {"name": name, "reason": reason, "changes": [change]}
        if reference_document_uri:
            adjustment["referenceDocumentUri"] = reference_document_uri
        data = self.execute(_ADJUST, {"input": adjustment})
        return ShopifyInventoryAdjustment.model_validate(data["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"])


def verify_shopify_webhook(raw_body: bytes, hmac_header: str | None, secret: str | Sequence[str]) -> bool:
    """True when ``X-Shopify-Hmac-Sha256`` matches the raw body under ``secret`` (or any of several, during rotation).

    Every secret is checked with ``hmac.compare_digest``, so timing says nothing about which one matched.
    """
    if not hmac_header:
        return False
    try:
        given = hmac_header.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    secrets = [secret] if isinstance(secret, str) else list(secret)
    valid = False
    for key in secrets:
        digest = base64.b64encode(hmac.new(key.encode(), raw_body, hashlib.sha256).digest())
        valid = hmac.compare_digest(digest, given) or valid
    return valid


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_code(errors: Any) -> str | None:
    if isinstance(errors, list):
        for error in errors:
            code = ((error or {}).get("extensions") or {}).get("code") if isinstance(error, dict) else None
            if code:
                return str(code)
    return None


def _error_message(body: dict[str, Any], response: httpx.Response) -> str:
    """The vendor's message: GraphQL ``errors[].message`` joined, or the REST-style ``errors`` string/object."""
    errors = body.get("errors")
    if isinstance(errors, list):
        return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)[:500]
    if errors:
        return str(errors)[:500]
    return response.reason_phrase or f"HTTP {response.status_code}"


def _raise_user_errors(data: dict[str, Any], response: httpx.Response) -> None:
    for mutation, payload in data.items():
        if isinstance(payload, dict) and payload.get("userErrors"):
            errors = payload["userErrors"]
            text = "; ".join(f"{'.'.join(e.get('field') or []) or '-'}: {e.get('message')}" for e in errors)
            raise ShopifyUserError(
                f"{mutation}: {text}",
                user_errors=errors,
                mutation=mutation,
                status_code=response.status_code,
                request=response.request,
                response=response,
            )


def _jsonable(value: Any) -> Any:
    """Decimals (money) become strings, as ``Money`` inputs expect."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "as_tuple"):  # Decimal
        return str(value)
    return value
