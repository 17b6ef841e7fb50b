"""The NetSuite emulator's backend: one SQLite account with its records, credentials and the hub's lifecycle operations."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from returns_sandbox.money import quantize
from returns_sandbox.netsuite.approval import PENDING_APPROVAL
from returns_sandbox.netsuite.constants import DEFAULT_ACCOUNT_ID, NONCE_WINDOW_SECONDS, RECORD_SPECS
from returns_sandbox.netsuite.loader import build_sales_order, load_world, sales_order_external_id, special_item
from returns_sandbox.netsuite.preferences import UserPreferences
from returns_sandbox.netsuite.records import STORAGE_DDL, RecordStore, dec
from returns_sandbox.netsuite.schema import create_schema
from returns_sandbox.netsuite.service import RecordService
from returns_sandbox.netsuite.tax import SUITETAX_META
from returns_sandbox.seed.world import Order, World

__all__ = ["NetSuiteBackend"]

Clock = Callable[[], Any]


def _as_utc(value: Any) -> datetime:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class NetSuiteBackend:
    """State and operations of one emulated NetSuite account (moto-style: no HTTP here).

    Args:
        db_path: SQLite file, or None for an in-memory account.
        clock: returns the business "now" (a datetime, naive = UTC, or Unix seconds) used for
            ``createdDate``/``lastModifiedDate``/``tranDate``; defaults to the wall clock. TBA timestamps
            and nonces always use the wall clock, since clients sign with real time.
        suitetax: the account has the SuiteTax feature: tax comes as ``taxDetails`` rows, lines carry no
            tax code (tax.py). Off by default, as legacy tax is what most Shopify merchants' accounts run.
    """

    def __init__(
        self,
        db_path: str | None = None,
        *,
        clock: Clock | None = None,
        preferences: UserPreferences | None = None,
        suitetax: bool = False,
    ) -> None:
        self.db_path = db_path or ":memory:"
        # The integration user's time zone and date format: SuiteQL shows and reads dates with them.
        self.preferences = preferences or UserPreferences()
        self.conn = sqlite3.connect(self.db_path, check_same_thread=False)
        self.lock = threading.RLock()
        self._clock = clock
        self._frozen: datetime | None = None
        self.world: World | None = None
        self.login_audit: deque[dict[str, Any]] = deque(maxlen=200)
        self._create_tables()
        self.store = RecordStore(self.conn, lambda: self.now().strftime("%Y-%m-%d %H:%M:%S"))
        if suitetax:
            self.store.set_meta(SUITETAX_META, "1")
            self.conn.commit()
        self.service = RecordService(self.store, self.now)

    def _create_tables(self) -> None:
        create_schema(self.conn)
        self.conn.executescript(STORAGE_DDL)
        self.conn.commit()

    def __repr__(self) -> str:
        return f"NetSuiteBackend(db_path={self.db_path!r}, account_id={self.account_id!r})"

    # ---- time and transactions ----------------------------------------------------------------------
    def now(self) -> datetime:
        """The business clock (UTC, second precision)."""
        if self._frozen is not None:
            return self._frozen
        value = self._clock() if self._clock is not None else datetime.now(UTC)
        return _as_utc(value).replace(microsecond=0)

    @contextmanager
    def clock_at(self, moment: datetime) -> Iterator[None]:
        """Within the block, records are dated ``moment`` (used when loading historical orders)."""
        previous, self._frozen = self._frozen, _as_utc(moment).replace(microsecond=0)
        try:
            yield
        finally:
            self._frozen = previous

    @contextmanager
    def transaction(self) -> Iterator[RecordService]:
        """Hold the account lock; commit on success, roll everything back on any error."""
        with self.lock:
            try:
                yield self.service
            except BaseException:
                self.conn.rollback()
                raise
            self.conn.commit()

    @property
    def account_id(self) -> str:
        with self.lock:
            return self.store.meta("account_id") or DEFAULT_ACCOUNT_ID

    # ---- record service -----------------------------------------------------------------------------
    def get_record(self, record_type: str, key: str | int) -> dict[str, Any]:
        """The canonical record (ids as ints, amounts as decimal strings) — for tests and the hub."""
        with self.transaction() as svc:
            return svc.get(svc.spec(record_type), key)

    def create_record(self, record_type: str, body: dict[str, Any], *, strict: bool = True) -> int:
        with self.transaction() as svc:
            return svc.create(svc.spec(record_type), body, strict=strict)

    def update_record(
        self, record_type: str, key: str | int, body: dict[str, Any], *, strict: bool = True, replace: Iterable[str] = ()
    ) -> int:
        with self.transaction() as svc:
            return svc.update(svc.spec(record_type), key, body, strict=strict, replace=replace)

    def transform_record(
        self,
        from_type: str,
        key: str | int,
        to_type: str,
        body: dict[str, Any] | None = None,
        *,
        strict: bool = True,
        replace: Iterable[str] = (),
    ) -> int:
        with self.transaction() as svc:
            return svc.transform(svc.spec(from_type), key, to_type, body or {}, strict=strict, replace=replace)

    def delete_record(self, record_type: str, key: str | int) -> None:
        with self.transaction() as svc:
            svc.delete(svc.spec(record_type), key)

    def gl_lines(self, transaction_id: int) -> list[tuple[int, int, Decimal, Decimal]]:
        """``(line, account, debit, credit)`` GL rows of a transaction."""
        with self.lock:
            rows = self.store.rows(
                "SELECT transactionline, account, debit, credit FROM transactionaccountingline "
                'WHERE "transaction" = ? ORDER BY rowid',
                (transaction_id,),
            )
        return [(int(r["transactionline"]), int(r["account"]), dec(r["debit"]), dec(r["credit"])) for r in rows]

    def account_for(self, role: str) -> int:
        """The GL account id of a role (``sales_returns``, ``tax_payable``, ``ar``, ...)."""
        with self.lock:
            return self.store.account_for(role)

    # ---- credentials (TBA) ---------------------------------------------------------------------------
    def add_consumer(self, key: str, secret: str) -> None:
        """Register an integration record (consumer key + secret)."""
        with self.transaction():
            self.conn.execute("INSERT OR REPLACE INTO _tba_consumer (consumer_key, secret) VALUES (?, ?)", (key, secret))

    def add_token(self, token_id: str, secret: str, *, label: str) -> None:
        """Register an access token (user + role) for TBA."""
        with self.transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO _tba_token (token_id, secret, label, revoked) VALUES (?, ?, ?, 'F')",
                (token_id, secret, label),
            )

    def revoke_token(self, token_id: str) -> None:
        """Revoke the token: inactive forever (Oracle, "Revoking TBA Tokens in the NetSuite UI")."""
        with self.transaction():
            self.conn.execute("UPDATE _tba_token SET revoked = 'T' WHERE token_id = ?", (token_id,))

    def set_token_inactive(self, token_id: str, inactive: bool) -> bool:
        """Tick or clear the token's Inactive box; unlike a revoke it can be undone. False for an unknown token.

        Source: https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/bridgehead_4249078810.html
        ("Revoke and Inactive Statuses"). Either way a request signed with it gets the uniform INVALID_LOGIN.
        """
        with self.transaction():
            changed = self.conn.execute(
                "UPDATE _tba_token SET inactive = ? WHERE token_id = ?", ("T" if inactive else "F", token_id)
            ).rowcount
        return bool(changed)

    def consumer_secret_for(self, key: str) -> str | None:
        with self.lock:
            found = self.store.row("SELECT secret FROM _tba_consumer WHERE consumer_key = ?", (key,))
        return None if found is None else found["secret"]

    def token_secret_for(self, token_id: str) -> str | None:
        with self.lock:
            found = self.store.row(
                "SELECT secret FROM _tba_token WHERE token_id = ? AND revoked = 'F' AND inactive = 'F'", (token_id,)
            )
        return None if found is None else found["secret"]

    def nonce_seen(self, consumer_key: str, token_id: str, nonce: str) -> bool:
        """Record ``nonce``; True when this consumer+token already used it within the last 10 minutes."""
        now = time.time()
        with self.transaction():
            self.conn.execute("DELETE FROM _tba_nonce WHERE seen_at < ?", (now - NONCE_WINDOW_SECONDS,))
            found = self.store.row(
                "SELECT 1 FROM _tba_nonce WHERE consumer_key = ? AND token_id = ? AND nonce = ?", (consumer_key, token_id, nonce)
            )
            if found is None:
                self.conn.execute(
                    "INSERT INTO _tba_nonce (consumer_key, token_id, nonce, seen_at) VALUES (?, ?, ?, ?)",
                    (consumer_key, token_id, nonce, now),
                )
        return found is not None

    def record_login(self, *, accepted: bool, reason: str | None, token_id: str | None = None) -> None:
        """Append to the login audit trail (the only place the real cause of an INVALID_LOGIN is visible)."""
        self.login_audit.append({"at": time.time(), "accepted": accepted, "reason": reason, "token_id": token_id})

    # ---- seeding --------------------------------------------------------------------------------------
    def load_world(self, world: World) -> None:
        """Load the seeded world (setup, items, customers, billed Sales Orders); see ``loader.load_world``."""
        with self.transaction():
            load_world(self, world)
        self.world = world

    def is_seeded(self) -> bool:
        with self.lock:
            return self.store.meta("seeded") == "1"

    def reset(self) -> None:
        """Drop every record (credentials stay) and load the world again if one was loaded."""
        with self.lock:
            tables = [r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                if table not in ("_tba_consumer", "_tba_token"):
                    self.conn.execute(f'DROP TABLE IF EXISTS "{table}"')
            self.conn.commit()
            self._create_tables()
            if self.world is not None:
                self.load_world(self.world)

    def counts(self) -> dict[str, int]:
        """Number of records per transaction type code plus customers and items (for ``/_sandbox/stats``)."""
        with self.lock:
            out = {r["type"]: int(r["n"]) for r in self.store.rows('SELECT type, COUNT(*) AS n FROM "transaction" GROUP BY type')}
            out["customer"] = int(self.store.row("SELECT COUNT(*) AS n FROM customer")["n"])  # type: ignore[index]
            out["item"] = int(self.store.row("SELECT COUNT(*) AS n FROM item")["n"])  # type: ignore[index]
        return out

    # ---- lifecycle operations for the sandbox hub ----------------------------------------------------
    def receive_return(self, ra_id: int, *, quantity: int | None = None, location_id: int | None = None) -> int:
        """A warehouse clerk receives returned goods: RA -> Item Receipt through the transform; returns the IR id.

        Args:
            ra_id: the Return Authorization.
            quantity: units to receive in total, taken line by line in line order; None = everything outstanding.
            location_id: where the goods go; None = each RA line's location.
        """
        if quantity is not None and quantity <= 0:
            raise ValueError("quantity must be positive")
        with self.transaction() as svc:
            spec = RECORD_SPECS["returnAuthorization"]
            ra = svc.get(spec, ra_id)
            lines, budget = [], None if quantity is None else Decimal(quantity)
            for line in ra.get("item") or []:
                left = dec(line.get("quantity")) - dec(line.get("quantityReceived"))
                if line.get("isClosed") or left <= 0:
                    continue
                take = left if budget is None else min(left, budget)
                if take <= 0:
                    break
                entry: dict[str, Any] = {"orderLine": line["line"], "itemReceive": True, "quantity": str(take)}
                if location_id is not None:
                    entry["location"] = {"id": location_id}
                lines.append(entry)
                if budget is not None:
                    budget -= take
            return svc.transform(
                spec, ra_id, "itemReceipt", {"memo": "Received at the warehouse", "item": {"items": lines}}, replace=["item"]
            )

    def approve_return_authorization(self, ra_id: int) -> bool:
        """An accountant approves a Pending Approval RA (``orderStatus`` B); False when it was not pending."""
        with self.transaction() as svc:
            spec = RECORD_SPECS["returnAuthorization"]
            if svc.get(spec, ra_id).get("status") != PENDING_APPROVAL:
                return False
            svc.update(spec, ra_id, {"orderStatus": "B"})
            return True

    def is_pending_approval(self, ra_id: int) -> bool:
        """Is the RA still waiting for someone to approve it?"""
        with self.transaction() as svc:
            return svc.get(RECORD_SPECS["returnAuthorization"], ra_id).get("status") == PENDING_APPROVAL

    def close_return_authorization(self, ra_id: int) -> None:
        """An accountant closes every open line of the RA (status becomes H)."""
        with self.transaction() as svc:
            spec = RECORD_SPECS["returnAuthorization"]
            ra = svc.get(spec, ra_id)
            lines = [{"line": line["line"], "isClosed": True} for line in ra.get("item") or [] if not line.get("isClosed")]
            svc.update(spec, ra_id, {"item": {"items": lines}})

    def set_body_field(self, record_type: str, id: int, field: str, value: Any) -> None:
        """Someone edits one body field in the UI (e.g. ``custbody_loop_flag`` = True on an RA)."""
        with self.transaction() as svc:
            svc.update(svc.spec(record_type), id, {field: value})

    def create_exchange_sales_order(self, order: Order) -> int:
        """The Shopify connector syncs an exchange order as its own Sales Order (pending fulfilment); idempotent."""
        with self.transaction():
            spec = RECORD_SPECS["salesOrder"]
            existing = self.store.find_external(spec, sales_order_external_id(order))
            if existing is not None:
                return existing
            so = build_sales_order(self, self.world, order, so_id=order.ns_so_id or self.store.next_id(spec), fulfilled=False)
            now_text = self.now().strftime("%Y-%m-%d %H:%M:%S")
            so.update(createdDate=now_text, lastModifiedDate=now_text, tranDate=self.now().date().isoformat())
            self.store.save(so)
            return int(so["id"])

    def bill_exchange_order_in_full(self, order: Order) -> int:
        """A credit-mode store's Shopify connector: the exchange order at its full price, shipped and invoiced; idempotent.

        Loop's exchange order carries the return credit as a discount; a merchant in ``exchange_mode = credit``
        books it at full value instead, so the return's credit memo can pay its invoice (POSTING.md). An upsell the
        customer paid in Shopify arrives as a customer payment on the invoice. Returns the invoice id.
        """
        with self.transaction() as svc:
            spec = RECORD_SPECS["salesOrder"]
            so_id = self.store.find_external(spec, sales_order_external_id(order))
            if so_id is None:
                full = replace(
                    order,
                    lines=tuple(
                        replace(
                            line,
                            unit_discount=Decimal("0.00"),
                            unit_tax=quantize(line.unit_price * line.tax_rate, order.currency),
                        )
                        for line in order.lines
                    ),
                )
                so = build_sales_order(self, self.world, full, so_id=order.ns_so_id or self.store.next_id(spec), fulfilled=True)
                now_text = self.now().strftime("%Y-%m-%d %H:%M:%S")
                so.update(createdDate=now_text, lastModifiedDate=now_text, tranDate=self.now().date().isoformat())
                self.store.save(so)
                so_id = int(so["id"])
            linked = self.store.row(
                'SELECT t.id FROM "transaction" t JOIN transactionline tl ON tl."transaction" = t.id '
                "WHERE t.type = 'CustInvc' AND tl.createdfrom = ?",
                (so_id,),
            )
            if linked is not None:
                return int(linked["id"])
            invoice_id = svc.transform(spec, so_id, "invoice", {"memo": f"Shopify order {order.name}"})
            paid = sum((t.amount for t in order.transactions if t.kind == "SALE"), Decimal(0))
            if paid > 0:
                invoice = self.store.require(RECORD_SPECS["invoice"], invoice_id)
                svc.create(
                    RECORD_SPECS["customerPayment"],
                    {
                        "customer": {"id": invoice["entity"]},
                        "payment": str(paid),
                        "memo": f"Shopify payment {order.name}",
                        "apply": {"items": [{"doc": {"id": invoice_id}, "apply": True, "amount": str(paid)}]},
                    },
                )
            return invoice_id

    def post_connector_refund(
        self, *, order: Order, shopify_refund_id: str, amount: Decimal, kind: Literal["cashRefund", "creditMemo"]
    ) -> int:
        """The Shopify connector's own refund sync posts a standalone refund (not linked to any RA).

        It carries ``custbody_shopify_refund_id`` and one line of ``amount`` on the price-adjustment item
        (the connector does not know which units came back).
        """
        if kind not in ("cashRefund", "creditMemo"):
            raise ValueError("kind must be 'cashRefund' or 'creditMemo'")
        with self.transaction() as svc:
            so_id = self.store.find_external(RECORD_SPECS["salesOrder"], sales_order_external_id(order))
            so = self.store.load(RECORD_SPECS["salesOrder"], so_id) if so_id is not None else None
            item = special_item(self, "price_adjustment") or (so["item"][0]["item"] if so and so.get("item") else None)
            if item is None:
                raise ValueError("no item to carry the connector's refund line")
            body: dict[str, Any] = {
                "entity": {"id": so["entity"]} if so else None,
                "otherRefNum": order.name,
                "externalId": f"shopify-refund-{order.store}-{shopify_refund_id}",
                "memo": f"Shopify refund {shopify_refund_id}",
                "item": {"items": [{"item": {"id": item}, "quantity": 1, "rate": str(amount), "description": "Shopify refund"}]},
            }
            if so is not None:
                body.update(
                    currency={"id": so["currency"]},
                    subsidiary={"id": so["subsidiary"]},
                    location={"id": so["location"]} if so.get("location") else None,
                )
            custom = self.store.custom_fields("transaction", "custbody_")
            for name, value in (
                ("custbody_shopify_refund_id", str(shopify_refund_id)),
                ("custbody_shopify_order_id", str(order.shopify_id)),
            ):
                if name in custom:
                    body[name] = value
            return svc.create(RECORD_SPECS[kind], {k: v for k, v in body.items() if v is not None})

    def find_by_body_field(self, type: str, field: str, value: Any) -> list[int]:
        """Ids of ``type`` records whose body ``field`` equals ``value`` (custom fields included)."""
        with self.transaction() as svc:
            return svc.find_by_field(svc.spec(type), field, value)

    def close(self) -> None:
        with self.lock:
            self.conn.close()
