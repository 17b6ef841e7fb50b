"""Shopify Admin GraphQL client: cost-aware waits, the shared retry policy, typed order/refund helpers, webhooks."""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx

from returns_sync.connectors.auth import ShopifyAccessTokenAuth
from returns_sync.connectors.errors import (
    AuthenticationError,
    ErrorKind,
    PermanentApiError,
    classify,
    error_for_transport,
    json_body,
    parse_retry_after,
    raise_for_response,
)
from returns_sync.connectors.pagination import CursorPaginator
from returns_sync.connectors.retry import DEFAULT_RETRY_POLICY, RetryPolicy
from returns_sync.connectors.shopify_errors import ShopifyUserError, error_code, error_message, raise_user_errors
from returns_sync.connectors.shopify_graphql import (
    DEFAULT_API_VERSION,
    INVENTORY_ADJUST,
    MORE_LINES_QUERY,
    MORE_REFUND_LINES_QUERY,
    NOTE_QUERY,
    ORDER_QUERY,
    ORDER_UPDATE,
    ORDERS_QUERY,
    REFUND_CREATE,
    REFUND_QUERY,
    TAGS_ADD,
    idempotency_key,
)
from returns_sync.connectors.shopify_webhooks import verify_shopify_webhook
from returns_sync.connectors.tls import shared_ssl_context
from returns_sync.domain.shopify import ShopifyInventoryAdjustment, ShopifyOrder, ShopifyRefund, gid

__all__ = ["ORDER_QUERY", "ShopifyClient", "ShopifyUserError", "idempotency_key", "verify_shopify_webhook"]

VENDOR = "shopify"
_MUTATION = re.compile(r"^\s*(?:#[^\n]*\n\s*)*mutation\b")
log = logging.getLogger("returns_sync.connectors.shopify")


class ShopifyClient:
    """One shop's Admin GraphQL API. ``execute`` retries throttles and 5xx; helpers return ``domain.shopify`` models.

    Args:
        http: client with the shop's base URL and the access-token auth.
        api_version: Admin API version in the path (``YYYY-MM``); Shopify may answer with a newer one when it is
            retired ("falls forward"), which ``served_api_version`` shows and a warning reports.
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
        api_version: str = DEFAULT_API_VERSION,
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
        self.served_api_version: str | None = None  # X-Shopify-API-Version of the last answer
        self.deprecation_reasons: set[str] = set()  # every X-Shopify-API-Deprecated-Reason seen

    @classmethod
    def from_credentials(
        cls,
        *,
        base_url: str,
        access_token: str,
        api_version: str = DEFAULT_API_VERSION,
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
        self._note_version(response)
        # A 200 that is no JSON (a proxy's page, a cut-off body) is classified, never read as empty data.
        if response.is_success:
            json_body(response, vendor=VENDOR, what="GraphQL request", idempotent=idempotent)
        body = _json(response)
        self._remember_cost(query, body)
        errors = body.get("errors")
        code = error_code(errors)
        if code == "ACCESS_DENIED":
            # A missing scope or unapproved protected data fails every call alike: stop the run, do not quarantine record by record.
            raise AuthenticationError(
                error_message(body, response),
                vendor=VENDOR,
                code=code,
                status_code=response.status_code,
                request=response.request,
                response=response,
            )
        kind = classify(response.status_code, code)
        if kind is not None:
            throttled = kind is ErrorKind.RATE_LIMITED
            raise_for_response(
                response,
                vendor=VENDOR,
                code=code or ("THROTTLED" if throttled else None),
                message=error_message(body, response),
                retry_after=self._throttle_wait(response, body) if throttled else None,
                idempotent=idempotent,
            )
        if errors:
            raise PermanentApiError(
                error_message(body, response),
                vendor=VENDOR,
                code=code or "GRAPHQL_ERROR",
                status_code=response.status_code,
                request=response.request,
                response=response,
            )
        data = body.get("data") or {}
        raise_user_errors(data, response)
        return data

    def _note_version(self, response: httpx.Response) -> None:
        """Warn once when Shopify answers with another version than asked (a retired pin falls forward silently)."""
        served = response.headers.get("X-Shopify-API-Version")
        if served and served != self.served_api_version:
            self.served_api_version = served
            if served != self.api_version:
                log.warning(
                    "Shopify answered with API version %s, not the configured %s: that version is no longer served; "
                    "set the Shopify credentials' api_version to a supported one",
                    served,
                    self.api_version,
                )
        reason = response.headers.get("X-Shopify-API-Deprecated-Reason")
        if reason and reason not in self.deprecation_reasons:
            self.deprecation_reasons.add(reason)
            log.warning("Shopify flagged deprecated API use (version %s): %s", served or self.api_version, reason)

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
        """The order with every line, its refunds (each with its lines and transactions) and transactions; ``None`` when
        Shopify returns null. One request for the order, one more per extra page of lines and one per refund."""
        order_gid = gid("Order", order_id)
        raw = self.execute(ORDER_QUERY, {"id": order_gid}).get("order")
        if raw is None:
            return None
        raw["lineItems"] = {
            "nodes": self._all_nodes(
                raw.get("lineItems") or {},
                lambda after: (self.execute(MORE_LINES_QUERY, {"id": order_gid, "after": after}).get("order") or {}).get(
                    "lineItems"
                ),
            )
        }
        raw["refunds"] = [refund for ref in raw.get("refunds") or [] if (refund := self._refund_detail(ref["id"])) is not None]
        return ShopifyOrder.model_validate(raw)

    def get_refund(self, refund_id: int | str) -> ShopifyRefund | None:
        """One refund with all its lines and its transactions; ``None`` when Shopify returns null."""
        raw = self._refund_detail(gid("Refund", refund_id))
        return ShopifyRefund.model_validate(raw) if raw is not None else None

    def _refund_detail(self, refund_gid: str) -> dict[str, Any] | None:
        raw: dict[str, Any] | None = self.execute(REFUND_QUERY, {"id": refund_gid}).get("refund")
        if raw is None:
            return None
        raw["refundLineItems"] = {
            "nodes": self._all_nodes(
                raw.get("refundLineItems") or {},
                lambda after: (self.execute(MORE_REFUND_LINES_QUERY, {"id": refund_gid, "after": after}).get("refund") or {}).get(
                    "refundLineItems"
                ),
            )
        }
        return raw

    @staticmethod
    def _all_nodes(page: dict[str, Any], next_page: Callable[[str | None], dict[str, Any] | None]) -> list[dict[str, Any]]:
        """Every node of a nested connection: the first page given, the rest fetched ``after`` each end cursor."""
        nodes = list(page.get("nodes") or [])
        paginator = CursorPaginator()
        paginator.advance(page.get("pageInfo") or {})
        while not paginator.finished:
            page = next_page(paginator.cursor) or {}
            nodes.extend(page.get("nodes") or [])
            paginator.advance(page.get("pageInfo") or {})
        return nodes

    def find_order_by_name(self, name: str) -> ShopifyOrder | None:
        """The order named ``#1001`` (``1001`` works too); ``None`` when no order has exactly that name."""
        wanted = name.strip().lstrip("#")
        data = self.execute(ORDERS_QUERY, {"first": 5, "q": f'name:"#{wanted}"'})
        match = next((n for n in data["orders"]["nodes"] if n["name"].lstrip("#") == wanted), None)
        return self.get_order(match["id"]) if match else None

    def iter_orders(self, query: str | None = None, page_size: int = 50) -> Iterator[ShopifyOrder]:
        """Order *summaries* (no lines or refunds) matching a search ``query``, oldest update first; ``get_order`` for details."""
        paginator = CursorPaginator()
        while not paginator.finished:
            page = self.execute(ORDERS_QUERY, {"first": page_size, "after": paginator.cursor, "q": query})["orders"]
            for node in page["nodes"]:
                yield ShopifyOrder.model_validate(node)
            paginator.advance(page["pageInfo"])

    def tags_add(self, order_gid: str, tags: Sequence[str]) -> list[str]:
        """Add tags without touching the others (re-adding is harmless); returns the order's tags afterwards."""
        data = self.execute(TAGS_ADD, {"id": order_gid, "tags": list(tags)}, idempotent=True)
        return list(((data["tagsAdd"] or {}).get("node") or {}).get("tags") or [])

    def append_order_note(self, order_gid: str, text: str) -> str:
        """Append a line to the note (``orderUpdate`` replaces the whole note, so read first). A line already there is not added twice."""
        order = self.execute(NOTE_QUERY, {"id": order_gid}).get("order")
        if order is None:
            raise PermanentApiError(f"order {order_gid} not found", vendor=VENDOR, code="NOT_FOUND")
        note = order.get("note") or ""
        if text in note.splitlines():
            return note
        new_note = f"{note}\n{text}" if note else text
        # Sets the whole note to one value: sending it twice leaves the same note.
        data = self.execute(ORDER_UPDATE, {"input": {"id": order_gid, "note": new_note}}, idempotent=True)
        return (data["orderUpdate"]["order"] or {}).get("note") or new_note

    def refund_create(self, refund_input: dict[str, Any], *, operation_id: str) -> ShopifyRefund:
        """``refundCreate`` with a ``RefundInput`` (amounts as strings or Decimals), made exactly once per ``operation_id``.

        ``operation_id`` names the refund for good, e.g. ``loop-north-12345-refund``: its ``@idempotent`` key is derived
        from it, so a resend after a lost answer, or the same call from a later run, returns the first refund instead of
        refunding again. That is also why this request, unlike other writes, is resent after a timeout or a 5xx.
        """
        variables = {"input": _jsonable(refund_input), "idempotencyKey": idempotency_key(operation_id)}
        data = self.execute(REFUND_CREATE, variables, idempotent=True)
        refund = (data.get("refundCreate") or {}).get("refund")
        if refund is None:
            raise PermanentApiError("refundCreate returned no refund", vendor=VENDOR, code="NO_REFUND")
        refund["refundLineItems"] = {
            "nodes": self._all_nodes(
                refund.get("refundLineItems") or {},
                lambda after: (
                    self.execute(MORE_REFUND_LINES_QUERY, {"id": refund["id"], "after": after}).get("refund") or {}
                ).get("refundLineItems"),
            )
        }
        return ShopifyRefund.model_validate(refund)

    def adjust_inventory(
        self,
        *,
        inventory_item_id: str,
        location_id: str,
        delta: int,
        operation_id: str,
        reason: str = "restock",
        name: str = "available",
        reference_document_uri: str | None = None,
        ledger_document_uri: str | None = None,
        change_from_quantity: int | None = None,
    ) -> ShopifyInventoryAdjustment:
        """``inventoryAdjustQuantities`` for one item at one location, applied exactly once per ``operation_id``.

        ``changeFromQuantity`` is always sent (required from 2026-04). By default it is ``null``, Shopify's explicit opt-out
        of the compare-and-swap: a restock adds returned units, which commutes with concurrent sales, and what must not
        happen is applying it twice, which the operation's idempotency key prevents. A baseline read before the call
        would change between retries and turn a resend into a second adjustment under a new key. Pass
        ``change_from_quantity`` to compare anyway (a stale value comes back as ``CHANGE_FROM_QUANTITY_STALE``).
        ``ledger_document_uri`` is required for names other than ``available``.
        """
        change: dict[str, Any] = {
            "inventoryItemId": gid("InventoryItem", inventory_item_id),
            "locationId": gid("Location", location_id),
            "delta": delta,
            "changeFromQuantity": change_from_quantity,
        }
        if ledger_document_uri:
            change["ledgerDocumentUri"] = ledger_document_uri
        adjustment: dict[str, Any] = {"name": name, "reason": reason, "changes": [change]}
        if reference_document_uri:
            adjustment["referenceDocumentUri"] = reference_document_uri
        data = self.execute(
            INVENTORY_ADJUST, {"input": adjustment, "idempotencyKey": idempotency_key(operation_id)}, idempotent=True
        )
        return ShopifyInventoryAdjustment.model_validate(data["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"])


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _jsonable(value: Any) -> Any:
    """Decimals (money) become strings, as ``Money`` inputs expect."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "as_tuple"):  # Decimal
        return str(value)
    return value
