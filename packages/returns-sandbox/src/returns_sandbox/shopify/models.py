"""State of the Shopify emulator and the operations on it, with no HTTP: shops, catalogue, orders, refunds.

``ShopifyBackend`` keeps everything in one SQLite database (in memory by default) guarded by an
``RLock``; many shops share it, each found by its access token. The GraphQL resolvers and the
sandbox hub's lifecycle calls (``create_refund``, ``create_order``, ``issue_gift_card``) go through
the same methods, so a refund made by "Loop" looks exactly like one made through ``refundCreate``.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx

from returns_sandbox.shopify.access import PROTECTED_CUSTOMER_FIELDS, AccessGrant
from returns_sandbox.shopify.constants import (
    CURRENCY_CODES,
    DEFAULT_ACCESS_SCOPES,
    DEFAULT_BUCKET_SIZE,
    DEFAULT_RESTORE_RATE,
    DEFAULT_STOCK,
    gid,
)
from returns_sandbox.shopify.cost import LeakyBucket
from returns_sandbox.shopify.db import connect, iso, wipe
from returns_sandbox.shopify.inventory import InventoryMixin
from returns_sandbox.shopify.operations import OperationsMixin
from returns_sandbox.shopify.queries import refundable_by_parent
from returns_sandbox.shopify.seeding import SeedingMixin
from returns_sandbox.shopify.settings import ShopifySandboxSettings
from returns_sandbox.shopify.webhooks import WebhookDispatcher, render_order, render_refund

if TYPE_CHECKING:
    from returns_sandbox.seed.world import Order, World

__all__ = ["ShopInfo", "ShopifyBackend"]

Clock = Callable[[], datetime]
# New objects get ids above every seeded one, in Shopify's 13-digit range.
_ID_FLOOR = 1_000_000_000_000


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ShopInfo:
    domain: str
    name: str
    currency: str
    app_secret: str = field(repr=False)
    bucket_size: float = DEFAULT_BUCKET_SIZE
    restore_rate: float = DEFAULT_RESTORE_RATE
    primary_location_id: int | None = None


class ShopifyBackend(OperationsMixin, InventoryMixin, SeedingMixin):
    """All shops of one sandbox. ``clock`` (returning an aware datetime) drives timestamps and the cost buckets;
    ``webhook_base_delay`` is the first retry delay of a failed delivery (tests use a few ms); ``webhook_transport``
    replaces the network for deliveries (``httpx.MockTransport``)."""

    def __init__(
        self,
        db_path: str | None = None,
        *,
        clock: Clock | None = None,
        webhook_base_delay: float | None = None,
        webhook_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._conn = connect(db_path)
        self._lock = threading.RLock()
        self.clock: Clock = clock or _utcnow
        self.settings = ShopifySandboxSettings()
        if webhook_base_delay is not None:
            self.settings.webhook_base_delay = webhook_base_delay
        self.webhooks = WebhookDispatcher(self.settings, transport=webhook_transport)
        self._buckets: dict[str, LeakyBucket] = {}
        self._tx_depth = 0
        self._pending: list[tuple[str, str, tuple]] = []
        self._world: World | None = None

    # --- lifecycle of the backend ----------------------------------------------------------------
    def close(self) -> None:
        """Stop the webhook worker and close the database."""
        self.webhooks.close()
        with self._lock:
            self._conn.close()

    def reset(self, *, reseed: bool = True) -> None:
        """Delete all data and deliveries; reload the last world given to ``load_world`` when ``reseed``."""
        with self._lock:
            wipe(self._conn)
            self._buckets.clear()
            self.webhooks.clear()
            if reseed and self._world is not None:
                self.load_world(self._world)

    def is_seeded(self) -> bool:
        return self._one("SELECT 1 AS x FROM shop LIMIT 1") is not None

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        """One write transaction (re-entrant); webhooks queued inside it go out only after the commit."""
        with self._lock:
            outer = self._tx_depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._tx_depth += 1
            try:
                yield self._conn
            except BaseException:
                self._tx_depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                    self._pending.clear()
                raise
            self._tx_depth -= 1
            if not outer:
                return
            self._conn.execute("COMMIT")
            events, self._pending = self._pending, []
            for shop, topic, ref in events:
                self._deliver(shop, topic, ref)

    def _next_id(self, table: str) -> int:
        current = self._conn.execute(f'SELECT MAX(id) FROM "{table}"').fetchone()[0] or 0
        return max(current, _ID_FLOOR, getattr(self, "_reserved_below", 0)) + 1

    def reserve_ids(self, highest: int) -> None:
        """Never hand out ids up to ``highest``: a seeded world holds orders (exchange orders) it creates later."""
        self._reserved_below = max(getattr(self, "_reserved_below", 0), int(highest))

    def _emit(self, shop: str, topic: str, ref: tuple) -> None:
        self._pending.append((shop, topic, ref))

    def _deliver(self, shop: str, topic: str, ref: tuple) -> None:
        subscriptions = self.webhook_subscription_rows(shop, topic)
        if not subscriptions:
            return
        kind, order_id, object_id = ref
        snap = self.order_snapshot(shop, order_id)
        if snap is None:
            return
        if kind == "refund":
            payload = render_refund(snap, next(r for r in snap["refunds"] if r["id"] == object_id))
        else:
            payload = render_order(snap)
        info = self.shop(shop)
        self.webhooks.enqueue(
            shop=shop,
            secret=info.app_secret,
            topic=topic,
            subscriptions=subscriptions,
            payload=payload,
            triggered_at=self.clock(),
        )

    # --- shops -----------------------------------------------------------------------------------
    def add_shop(
        self,
        domain: str,
        *,
        access_tokens: list[str],
        app_secret: str,
        currency: str,
        bucket_size: float = DEFAULT_BUCKET_SIZE,
        restore_rate: float = DEFAULT_RESTORE_RATE,
        name: str | None = None,
        scopes: Iterable[str] = DEFAULT_ACCESS_SCOPES,
    ) -> ShopInfo:
        """Create a shop reachable with any of ``access_tokens`` (each granted ``scopes``, no protected customer
        fields); webhooks to it are signed with ``app_secret``."""
        if currency not in CURRENCY_CODES:
            raise ValueError(f"currency {currency!r} is not in the sandbox's CurrencyCode enum")
        granted = json.dumps(sorted(set(scopes)))
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO shop (domain, name, currency, app_secret, bucket_size, restore_rate) VALUES (?, ?, ?, ?, ?, ?)",
                (domain, name or domain.split(".")[0], currency, app_secret, float(bucket_size), float(restore_rate)),
            )
            conn.executemany(
                "INSERT INTO access_token (token, shop, scopes) VALUES (?, ?, ?)", [(t, domain, granted) for t in access_tokens]
            )
        self._buckets.pop(domain, None)
        return self.shop(domain)

    def shop(self, domain: str) -> ShopInfo:
        row = self._one("SELECT * FROM shop WHERE domain = ?", domain)
        if row is None:
            raise KeyError(f"no shop {domain!r}")
        location = self._one("SELECT MIN(id) AS id FROM location WHERE shop = ?", domain)
        return ShopInfo(
            row["domain"],
            row["name"],
            row["currency"],
            row["app_secret"],
            row["bucket_size"],
            row["restore_rate"],
            location["id"] if location else None,
        )

    def shop_for_token(self, token: str | None) -> ShopInfo | None:
        """The shop an Admin API access token belongs to, ``None`` for an unknown token."""
        if not token:
            return None
        row = self._one("SELECT shop FROM access_token WHERE token = ?", token)
        return self.shop(row["shop"]) if row else None

    def access_grant(self, token: str) -> AccessGrant:
        """The scopes and approved protected customer fields of an access token (nothing for an unknown one)."""
        row = self._one("SELECT scopes, protected_fields FROM access_token WHERE token = ?", token)
        if row is None:
            return AccessGrant()
        return AccessGrant(frozenset(json.loads(row["scopes"])), frozenset(json.loads(row["protected_fields"])))

    def set_access(self, token: str, *, scopes: Iterable[str], protected_customer_fields: Iterable[str] = ()) -> AccessGrant:
        """Replace what ``token`` may do, as a merchant changing the app's scopes or Shopify approving protected fields."""
        fields = sorted(set(protected_customer_fields))
        unknown = set(fields) - set(PROTECTED_CUSTOMER_FIELDS)
        if unknown:
            raise ValueError(
                f"unknown protected customer fields {sorted(unknown)}; known: {', '.join(PROTECTED_CUSTOMER_FIELDS)}"
            )
        with self._tx() as conn:
            cursor = conn.execute(
                "UPDATE access_token SET scopes = ?, protected_fields = ? WHERE token = ?",
                (json.dumps(sorted(set(scopes))), json.dumps(fields), token),
            )
            if cursor.rowcount == 0:
                raise KeyError("no such access token")
        return self.access_grant(token)

    def bucket(self, domain: str) -> LeakyBucket:
        """The shop's cost bucket (one app per shop in the sandbox, so one bucket per shop)."""
        with self._lock:
            if domain not in self._buckets:
                info = self.shop(domain)
                self._buckets[domain] = LeakyBucket(info.bucket_size, info.restore_rate, self.clock)
            return self._buckets[domain]

    def points_spent(self) -> float:
        """Cost points kept by every shop's bucket so far (the bench's measure of Shopify's budget used)."""
        with self._lock:
            return sum(bucket.points_spent for bucket in self._buckets.values())

    # --- catalogue and customers -----------------------------------------------------------------
    def add_location(self, shop: str, location_id: int, name: str) -> None:
        with self._tx() as conn:
            conn.execute("INSERT INTO location (id, shop, name) VALUES (?, ?, ?)", (location_id, shop, name))

    def add_variant(
        self,
        shop: str,
        *,
        variant_id: int,
        sku: str | None,
        title: str,
        price: Decimal,
        product_id: int | None = None,
        inventory_item_id: int | None = None,
        tracked: bool = True,
        stock: int = DEFAULT_STOCK,
    ) -> None:
        """A product variant with its product and inventory item, stocked at every location of the shop."""
        product_id = product_id or variant_id
        item_id = inventory_item_id or variant_id
        with self._tx() as conn:
            conn.execute("INSERT OR IGNORE INTO product (id, shop, title) VALUES (?, ?, ?)", (product_id, shop, title))
            conn.execute(
                "INSERT INTO inventory_item (id, shop, sku, tracked) VALUES (?, ?, ?, ?)", (item_id, shop, sku, int(tracked))
            )
            conn.execute(
                "INSERT INTO variant (id, shop, product_id, inventory_item_id, sku, title, price) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (variant_id, shop, product_id, item_id, sku, title, str(price)),
            )
            for location in self.location_rows(shop):
                self._move_stock(shop, item_id, location["id"], {"available": stock, "on_hand": stock})

    def add_customer(
        self, shop: str, *, customer_id: int, email: str, first_name: str | None = None, last_name: str | None = None
    ) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO customer (id, shop, email, first_name, last_name) VALUES (?, ?, ?, ?, ?)",
                (customer_id, shop, email, first_name, last_name),
            )

    # --- lifecycle operations for the sandbox hub ------------------------------------------------
    def create_order(self, shop_domain: str, order: Order) -> int:
        """A new (exchange) order, unfulfilled, with its transactions; fires ``orders/create``. Idempotent on the order id."""
        with self._tx():
            existed = self.order_row(shop_domain, order.shopify_id) is not None
            order_id = self._insert_order(shop_domain, order, fulfilled=False)
            if not existed:
                self._emit(shop_domain, "ORDERS_CREATE", ("order", order_id, None))
        return order_id

    def create_refund(
        self,
        shop_domain: str,
        order_id: int,
        *,
        line_items: list[tuple[int, int]],
        transactions: list[tuple[str, Decimal]],
        note: str | None = None,
        restock_type: str = "NO_RESTOCK",
    ) -> int:
        """A refund as another app (Loop) would create it: ``line_items`` are (line item id, quantity),
        ``transactions`` (gateway, amount), each charged to that gateway's payment with money left on it.
        Runs ``refundCreate``'s validation; ``ShopifyUserErrors`` when it refuses."""
        snap = self.order_snapshot(shop_domain, order_id)
        if snap is None:
            return self.refund_create(shop_domain, {"orderId": gid("Order", order_id)})  # raises "Order does not exist"
        available = refundable_by_parent(snap)
        gateways = {t["id"]: t["gateway"] for t in snap["transactions"]}
        txn_inputs = []
        for gateway, amount in transactions:
            amount = Decimal(amount)
            candidates = [pid for pid, left in available.items() if gateways[pid] == gateway]
            parent = next((pid for pid in candidates if available[pid] >= amount), candidates[0] if candidates else None)
            if parent is not None:
                available[parent] -= amount
            txn_inputs.append(
                {
                    "orderId": gid("Order", order_id),
                    "parentId": gid("OrderTransaction", parent) if parent else None,
                    "gateway": gateway,
                    "kind": "REFUND",
                    "amount": amount,
                }
            )
        data = {
            "orderId": gid("Order", order_id),
            "note": note,
            "refundLineItems": [
                {"lineItemId": gid("LineItem", lid), "quantity": qty, "restockType": restock_type} for lid, qty in line_items
            ],
            "transactions": txn_inputs,
        }
        return self.refund_create(shop_domain, data)

    def issue_gift_card(self, shop_domain: str, *, amount: Decimal, order_id: int | None = None, note: str | None = None) -> int:
        """A gift card (Loop's store credit) with ``amount`` as initial value and balance."""
        with self._tx() as conn:
            card_id = self._next_id("gift_card")
            conn.execute(
                "INSERT INTO gift_card (id, shop, initial_value, balance, order_id, note, created_at, last_characters) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (card_id, shop_domain, str(amount), str(amount), order_id, note, iso(self.clock()), secrets.token_hex(2)),
            )
        return card_id

    def debit_gift_card(self, shop_domain: str, card_id: int, *, amount: Decimal, note: str | None = None) -> int:
        """A customer spending ``amount`` of the card at checkout: a debit transaction (stored negative) and a lower balance.

        Shopify refuses a debit above the balance (``giftCardDebit``: INSUFFICIENT_FUNDS); so does this.
        """
        if amount <= 0:
            raise ValueError("a gift card debit must be positive")
        with self._tx() as conn:
            row = self.gift_card_row(shop_domain, card_id)
            if row is None:
                raise KeyError(f"no gift card {card_id}")
            balance = Decimal(row["balance"])
            if amount > balance:
                raise ValueError(f"gift card {card_id} holds {balance}, less than {amount}")
            txn_id = self._next_id("gift_card_transaction")
            conn.execute(
                "INSERT INTO gift_card_transaction (id, gift_card_id, amount, processed_at, note) VALUES (?, ?, ?, ?, ?)",
                (txn_id, card_id, str(-amount), iso(self.clock()), note),
            )
            conn.execute("UPDATE gift_card SET balance = ? WHERE id = ?", (str(balance - amount), card_id))
        return txn_id

    def create_return(
        self, shop_domain: str, order_id: int, *, line_items: list[tuple[int, int]], status: str = "OPEN", reason: str = "UNKNOWN"
    ) -> int:
        """A Shopify-native Return (the sync does not need them; tests of ``Order.returns`` do)."""
        with self._tx() as conn:
            count = conn.execute('SELECT COUNT(*) FROM "return" WHERE order_id = ?', (order_id,)).fetchone()[0]
            order = self.order_row(shop_domain, order_id)
            if order is None:
                raise KeyError(f"no order {order_id}")
            return_id = self._next_id("return")
            conn.execute(
                'INSERT INTO "return" (id, shop, order_id, name, status, created_at) VALUES (?, ?, ?, ?, ?, ?)',
                (return_id, shop_domain, order_id, f"{order['name']}-R{count + 1}", status, iso(self.clock())),
            )
            for line_item_id, quantity in line_items:
                conn.execute(
                    "INSERT INTO return_line_item (id, return_id, line_item_id, quantity, return_reason) VALUES (?, ?, ?, ?, ?)",
                    (self._next_id("return_line_item"), return_id, line_item_id, quantity, reason),
                )
        return return_id
