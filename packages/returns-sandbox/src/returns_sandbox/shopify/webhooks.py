"""Webhook deliveries: REST-style payloads, Shopify's headers and HMAC, retries from a background thread."""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from returns_sandbox.money import quantize
from returns_sandbox.shopify.constants import WEBHOOK_TOPICS, gid
from returns_sandbox.shopify.settings import ShopifySandboxSettings

__all__ = ["Delivery", "WebhookDispatcher", "render_order", "render_refund", "sign"]


def sign(body: bytes, secret: str) -> str:
    """``X-Shopify-Hmac-Sha256``: base64 of HMAC-SHA256 over the raw body, keyed by the app secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _rest_time(text: str | None) -> str | None:
    return text.replace("Z", "+00:00") if text else None


def _money(amount: Decimal, currency: str) -> str:
    return str(quantize(amount, currency))


def render_refund(snap: dict[str, Any], refund: dict[str, Any]) -> dict[str, Any]:
    """The REST ``refund`` JSON (``refunds/create`` body, and each entry of an order's ``refunds``)."""
    order, currency = snap["order"], snap["order"]["currency"]
    lines = {line["id"]: line for line in snap["lines"]}
    return {
        "id": refund["id"],
        "admin_graphql_api_id": gid("Refund", refund["id"]),
        "order_id": order["id"],
        "created_at": _rest_time(refund["created_at"]),
        "processed_at": _rest_time(refund["created_at"]),
        "note": refund["note"],
        "restock": any(r["restocked"] for r in refund["line_items"]),
        "user_id": None,
        "refund_line_items": [
            {
                "id": rli["id"],
                "line_item_id": rli["line_item_id"],
                "quantity": rli["quantity"],
                "restock_type": rli["restock_type"].lower(),
                "location_id": rli["location_id"],
                "subtotal": _money(rli["subtotal"], currency),
                "total_tax": _money(rli["total_tax"], currency),
                "line_item": _render_line(lines[rli["line_item_id"]], currency),
            }
            for rli in refund["line_items"]
        ],
        "transactions": [_render_transaction(t, order["id"], currency) for t in refund["transactions"]],
        "order_adjustments": [],
        "duties": [],
        "return": {"id": refund["return_id"], "admin_graphql_api_id": gid("Return", refund["return_id"])}
        if refund["return_id"]
        else None,
    }


def render_order(snap: dict[str, Any]) -> dict[str, Any]:
    """The REST ``order`` JSON (``orders/create`` and ``orders/updated`` bodies), trimmed to what a returns app reads."""
    order, totals, currency = snap["order"], snap["totals"], snap["order"]["currency"]
    customer = snap["customer"]
    return {
        "id": order["id"],
        "admin_graphql_api_id": gid("Order", order["id"]),
        "name": order["name"],
        "order_number": order["number"],
        "email": order["email"],
        "created_at": _rest_time(order["created_at"]),
        "updated_at": _rest_time(order["updated_at"]),
        "processed_at": _rest_time(order["processed_at"]),
        "cancelled_at": _rest_time(order["cancelled_at"]),
        "closed_at": _rest_time(order["closed_at"]),
        "currency": currency,
        "presentment_currency": currency,
        "financial_status": totals["financial_status"].lower(),
        "fulfillment_status": "fulfilled" if order["fulfillment_status"] == "FULFILLED" else None,
        "note": order["note"],
        "tags": ", ".join(order["tags"]),
        "note_attributes": [{"name": a["key"], "value": a["value"]} for a in order["custom_attributes"]],
        "subtotal_price": _money(totals["subtotal"], currency),
        "total_discounts": _money(totals["discounts"], currency),
        "total_tax": _money(totals["tax"], currency),
        "total_price": _money(totals["total"], currency),
        "current_total_price": _money(totals["current_total"], currency),
        "test": False,
        "customer": {
            "id": customer["id"],
            "admin_graphql_api_id": gid("Customer", customer["id"]),
            "email": customer["email"],
            "first_name": customer["first_name"],
            "last_name": customer["last_name"],
        }
        if customer
        else None,
        "line_items": [_render_line(line, currency) for line in snap["lines"]],
        "refunds": [render_refund(snap, r) for r in snap["refunds"]],
    }


def _render_line(line: dict[str, Any], currency: str) -> dict[str, Any]:
    return {
        "id": line["id"],
        "admin_graphql_api_id": gid("LineItem", line["id"]),
        "title": line["title"],
        "name": line["title"],
        "sku": line["sku"],
        "quantity": line["quantity"],
        "current_quantity": line["current_quantity"],
        "price": _money(line["unit_price"], currency),
        "total_discount": _money(line["unit_discount"] * line["quantity"], currency),
        "variant_id": line["variant_id"],
        "product_id": line["product_id"],
        "tax_lines": [
            {"title": "Tax", "rate": float(line["tax_rate"]), "price": _money(line["unit_tax"] * line["quantity"], currency)}
        ]
        if line["unit_tax"] or line["tax_rate"]
        else [],
    }


def _render_transaction(txn: dict[str, Any], order_id: int, currency: str) -> dict[str, Any]:
    return {
        "id": txn["id"],
        "admin_graphql_api_id": gid("OrderTransaction", txn["id"]),
        "order_id": order_id,
        "kind": txn["kind"].lower(),
        "gateway": txn["gateway"],
        "status": txn["status"].lower(),
        "amount": _money(txn["amount"], currency),
        "currency": currency,
        "parent_id": txn["parent_id"],
        "processed_at": _rest_time(txn["processed_at"]),
        "created_at": _rest_time(txn["processed_at"]),
        "test": txn["test"],
    }


@dataclass
class Delivery:
    """One delivery of one event to one subscription, with every attempt made so far."""

    webhook_id: str
    event_id: str
    shop: str
    topic: str
    subscription_id: int
    url: str
    body: bytes
    headers: dict[str, str]
    status: str = "pending"  # pending -> delivered | retrying -> ... -> failed
    attempts: list[dict[str, Any]] = field(default_factory=list)
    next_at: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "webhook_id": self.webhook_id,
            "event_id": self.event_id,
            "shop": self.shop,
            "topic": self.topic,
            "subscription_id": self.subscription_id,
            "url": self.url,
            "status": self.status,
            "attempts": list(self.attempts),
            "headers": dict(self.headers),
            "payload": json.loads(self.body),
        }


class WebhookDispatcher:
    """Queues deliveries and sends them from one daemon thread; failed ones are retried with doubling delays.

    ``transport`` replaces the network (``httpx.MockTransport`` in unit tests).
    """

    def __init__(self, settings: ShopifySandboxSettings, *, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self._transport = transport
        self._cond = threading.Condition()
        self._queue: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()
        self._log: list[Delivery] = []
        self._in_flight = 0
        self._stop = False
        self._thread: threading.Thread | None = None
        self._client: httpx.Client | None = None

    def enqueue(
        self,
        *,
        shop: str,
        secret: str,
        topic: str,
        subscriptions: list[dict[str, Any]],
        payload: dict[str, Any],
        triggered_at: datetime,
    ) -> list[Delivery]:
        """Queue one delivery per subscription of ``topic`` (GraphQL enum name); they share one event id."""
        event_id = str(uuid.uuid4())
        stamp = triggered_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        created = []
        for sub in subscriptions:
            include = json.loads(sub.get("include_fields") or "[]")
            body_obj = {k: v for k, v in payload.items() if k in include} if include else payload
            body = json.dumps(body_obj, separators=(",", ":"), default=str).encode()
            webhook_id = str(uuid.uuid4())
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "Shopify-Captain-Hook",
                "X-Shopify-Topic": WEBHOOK_TOPICS[topic],
                "X-Shopify-Hmac-Sha256": sign(body, secret),
                "X-Shopify-Shop-Domain": shop,
                "X-Shopify-API-Version": sub["api_version"],
                "X-Shopify-Webhook-Id": webhook_id,
                "X-Shopify-Event-Id": event_id,
                "X-Shopify-Triggered-At": stamp,
            }
            created.append(
                Delivery(webhook_id, event_id, shop, WEBHOOK_TOPICS[topic], sub["id"], sub["callback_url"], body, headers)
            )
        if not created:
            return []
        with self._cond:
            for delivery in created:
                self._log.append(delivery)
                self._push(delivery, time.monotonic())
            self._ensure_worker()
            self._cond.notify_all()
        return created

    @property
    def running(self) -> bool:
        """Whether the delivery thread is alive (it starts with the first delivery)."""
        return self._thread is not None and self._thread.is_alive()

    def deliveries(self, topic: str | None = None) -> list[dict[str, Any]]:
        """The delivery log, oldest first (``topic`` in REST form filters it)."""
        with self._cond:
            return [d.as_dict() for d in self._log if topic is None or d.topic == topic]

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is queued or being sent (retries included); ``False`` on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def clear(self) -> None:
        """Forget queued deliveries and the log (sandbox reset)."""
        with self._cond:
            self._queue.clear()
            self._log.clear()
            self._cond.notify_all()

    def close(self) -> None:
        """Stop the worker thread; deliveries still queued are dropped."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._client is not None:
            self._client.close()

    def _push(self, delivery: Delivery, when: float) -> None:
        delivery.next_at = when
        heapq.heappush(self._queue, (when, next(self._order), delivery))

    def _ensure_worker(self) -> None:
        if self._thread is None and not self._stop:
            self._client = httpx.Client(transport=self._transport, follow_redirects=False)
            self._thread = threading.Thread(target=self._run, name="shopify-webhooks", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stop and (not self._queue or self._queue[0][0] > time.monotonic()):
                    wait = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._cond.wait(wait)
                if self._stop:
                    return
                _, _, delivery = heapq.heappop(self._queue)
                self._in_flight += 1
            try:
                self._attempt(delivery)
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    def _attempt(self, delivery: Delivery) -> None:
        attempt: dict[str, Any] = {"at": datetime.now(UTC).isoformat()}
        ok = False
        try:
            assert self._client is not None
            response = self._client.post(
                delivery.url, content=delivery.body, headers=delivery.headers, timeout=self.settings.webhook_timeout
            )
            attempt["status_code"] = response.status_code
            ok = 200 <= response.status_code < 300
        except httpx.HTTPError as exc:
            attempt["error"] = type(exc).__name__
        with self._cond:
            delivery.attempts.append(attempt)
            retries_done = len(delivery.attempts) - 1
            if ok:
                delivery.status = "delivered"
            elif retries_done < self.settings.webhook_max_retries:
                delivery.status = "retrying"
                self._push(delivery, time.monotonic() + self.settings.webhook_base_delay * (2**retries_done))
            else:
                delivery.status = "failed"
