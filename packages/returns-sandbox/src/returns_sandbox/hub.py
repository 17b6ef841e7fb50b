"""The three emulators as one world: shared seed, cross-system effects, lifecycle transitions, servers.

Each emulator stays a separate app with its own state. The hub plays the parts no API does:
Loop executing outcomes in Shopify when it processes a return (refunds, gift cards, exchange
orders), the merchant's Shopify connector copying exchange orders and its own refunds into
NetSuite, and the people in the story (a warehouse clerk receiving goods in NetSuite, a support
agent processing or cancelling in Loop, an accountant closing or flagging an RA). ``advance()``
applies those people's actions once, between two sync runs.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, Literal

from returns_sandbox.faults import FaultSettings
from returns_sandbox.loop.app import create_loop_app
from returns_sandbox.loop.models import LoopBackend
from returns_sandbox.netsuite.app import create_netsuite_app
from returns_sandbox.netsuite.models import NetSuiteBackend
from returns_sandbox.netsuite.preferences import UserPreferences
from returns_sandbox.netsuite.tax import is_suitetax
from returns_sandbox.seed import build_world
from returns_sandbox.seed.world import ReturnCase, StoreSpec, World
from returns_sandbox.server import RunningServer, serve_in_thread
from returns_sandbox.shopify.app import create_shopify_app
from returns_sandbox.shopify.constants import API_VERSIONS, LATEST_STABLE_VERSION, RELEASE_CANDIDATE
from returns_sandbox.shopify.models import ShopifyBackend

__all__ = ["APIS", "Sandbox"]

APIS = ("loop", "netsuite", "shopify")
_META_FILE = "sandbox.json"


class Sandbox:
    """Loop, NetSuite and Shopify emulators with their state in ``data_dir`` (in memory when None)."""

    def __init__(
        self,
        data_dir: Path | str | None = None,
        *,
        faults: dict[str, dict[str, Any]] | None = None,
        clock: Callable[[], datetime] | None = None,
        netsuite_preferences: UserPreferences | None = None,
        netsuite_suitetax: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir) if data_dir else None
        if self.data_dir:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.loop = LoopBackend(self._db("loop"), clock=self.clock)
        self.netsuite = NetSuiteBackend(
            self._db("netsuite"), clock=self.clock, preferences=netsuite_preferences, suitetax=netsuite_suitetax
        )
        self.shopify = ShopifyBackend(self._db("shopify"), clock=self.clock)
        self.loop.on_processed = self._loop_processed
        self.faults = {api: FaultSettings() for api in APIS}
        for api, changes in (faults or {}).items():
            self.faults[api].update(**changes)
        self.world: World | None = None
        self._cases: dict[str, ReturnCase] = {}
        self._events = sqlite3.connect(self._db("hub") or ":memory:", check_same_thread=False)
        self._events.execute(
            "CREATE TABLE IF NOT EXISTS applied (return_id TEXT, event TEXT, at TEXT, PRIMARY KEY (return_id, event))"
        )
        self._lock = threading.RLock()
        self._apps: dict[str, Any] | None = None
        self.server: RunningServer | None = None

    def _db(self, name: str) -> str | None:
        return str(self.data_dir / f"{name}.db") if self.data_dir else None

    # -- seeding -------------------------------------------------------------------------------

    def seed_demo(self, *, seed: int = 7, returns: int = 300, now: datetime | None = None) -> World:
        """Load the demo world once; later calls (same data dir) rebuild the same World without reloading."""
        meta_path = self.data_dir / _META_FILE if self.data_dir else None
        if meta_path and meta_path.exists() and self.loop.is_seeded():
            meta = json.loads(meta_path.read_text())
            world = build_world(seed=meta["seed"], returns=meta["returns"], now=datetime.fromisoformat(meta["now"]))
            self._adopt(world)
            return world
        world = build_world(seed=seed, returns=returns, now=now or self.clock())
        self.load(world)
        if meta_path:
            meta_path.write_text(json.dumps({"seed": seed, "returns": returns, "now": world.now.isoformat()}))
        return world

    def load(self, world: World) -> None:
        """Load ``world`` into all three emulators and play what happened before the first sync."""
        self._adopt(world)
        self.netsuite.load_world(world)
        self.shopify.load_world(world)
        self.loop.load_world(world)
        for case in world.returns:
            if case.lifecycle.shopify_connector_posts_refund and case.loop_return.get("was_processed"):
                self._post_connector_refund(case, self._refund_id(case.loop_return))

    def _adopt(self, world: World) -> None:
        self.world = world
        self._cases = {case.return_id: case for case in world.returns}
        # Exchange orders are created in Shopify only when Loop processes them, with ids the seed chose:
        # keep the emulator's own ids (refunds, their transactions) clear of them.
        orders = list(world.orders) + [case.exchange_order for case in world.returns if case.exchange_order]
        self.shopify.reserve_ids(
            max(
                [o.shopify_id for o in orders]
                + [line.shopify_line_id for o in orders for line in o.lines]
                + [t.shopify_id for o in orders for t in o.transactions],
                default=0,
            )
        )

    # -- what Loop does in Shopify (and the Shopify connector in NetSuite) when it processes ------

    def _store_for_shop(self, shop_id: int) -> StoreSpec:
        assert self.world is not None, "the sandbox has no world loaded"
        return next(s for s in self.world.stores if s.loop_shop_id == int(shop_id))

    def _loop_processed(self, shop_id: int, loop_return: dict[str, Any]) -> dict[str, Any]:
        store = self._store_for_shop(shop_id)
        case = self._cases.get(str(loop_return["id"]))
        updates: dict[str, Any] = {}
        order_id = int(loop_return["provider_order_id"])
        refund = Decimal(str(loop_return.get("refund") or "0"))
        if refund > 0 and not self._refund_id(loop_return):
            units = Counter(
                int(line["provider_line_item_id"])
                for line in loop_return.get("line_items", [])
                if line.get("outcome") != "exchange" and line.get("provider_line_item_id")
            )
            parts = loop_return.get("refunds") or [
                {"gateway": "shopify_payments", "amount": str(refund), "currency": loop_return.get("currency")}
            ]
            refund_id = self.shopify.create_refund(
                store.shop_domain,
                order_id,
                line_items=sorted(units.items()),
                transactions=[(part["gateway"], Decimal(str(part["amount"]))) for part in parts],
                note=f"Loop return {loop_return['id']}",
            )
            updates["refunds"] = [{**part, "provider_refund_id": str(refund_id)} for part in parts]
            if case and case.lifecycle.shopify_connector_posts_refund:
                self._post_connector_refund(case, str(refund_id))
        gift_card = Decimal(str(loop_return.get("gift_card") or "0"))
        if gift_card > 0 and not loop_return.get("gift_card_order_id"):
            card_id = self.shopify.issue_gift_card(
                store.shop_domain, amount=gift_card, order_id=order_id, note=f"Loop return {loop_return['id']}"
            )
            # Loop issues store credit through Shopify's Gift Card API; the return names the card it issued
            # (docs/loop.md, "gift_card_id": an assumption, Loop documents no such return field publicly).
            updates["gift_card_id"] = str(card_id)
            updates["gift_card_order_id"] = str(order_id)
            updates["gift_card_order_name"] = loop_return.get("order_name")
        exchanges = loop_return.get("exchanges") or []
        if exchanges and any(not ex.get("exchange_order_id") for ex in exchanges):
            if case is None or case.exchange_order is None:
                raise RuntimeError(f"Loop return {loop_return['id']} has an exchange but the seed has no exchange order for it")
            exchange_order = replace(case.exchange_order, created_at=self.clock())
            exchange_id = self.shopify.create_order(store.shop_domain, exchange_order)
            if store.exchange_mode == "credit":
                self.netsuite.bill_exchange_order_in_full(exchange_order)
            elif not self.netsuite.find_by_body_field("salesOrder", "custbody_shopify_order_id", str(exchange_order.shopify_id)):
                self.netsuite.create_exchange_sales_order(exchange_order)
            updates["exchanges"] = [
                {
                    **ex,
                    "exchange_order_id": ex.get("exchange_order_id") or str(exchange_id),
                    "exchange_order_name": ex.get("exchange_order_name") or exchange_order.name,
                }
                for ex in exchanges
            ]
        return updates

    @staticmethod
    def _refund_id(loop_return: dict[str, Any]) -> str | None:
        return next((str(p["provider_refund_id"]) for p in loop_return.get("refunds") or [] if p.get("provider_refund_id")), None)

    def _post_connector_refund(self, case: ReturnCase, shopify_refund_id: str | None) -> None:
        """The merchant's Shopify connector syncing the same refund into NetSuite on its own."""
        assert self.world is not None
        if (
            not shopify_refund_id
            or self.netsuite.find_by_body_field("cashRefund", "custbody_shopify_refund_id", shopify_refund_id)
            or self.netsuite.find_by_body_field("creditMemo", "custbody_shopify_refund_id", shopify_refund_id)
        ):
            return
        order = next(o for o in self.world.orders if o.shopify_id == int(case.loop_return["provider_order_id"]))
        kind: Literal["cashRefund", "creditMemo"] = "cashRefund" if order.billing == "cash_sale" else "creditMemo"
        amount = Decimal(str(case.loop_return.get("refund") or "0"))
        self.netsuite.post_connector_refund(order=order, shopify_refund_id=shopify_refund_id, amount=amount, kind=kind)

    # -- the people in the story ----------------------------------------------------------------

    def return_authorization_id(self, return_id: str) -> int | None:
        ids = self.netsuite.find_by_body_field("returnAuthorization", "custbody_loop_return_id", str(return_id))
        return ids[0] if ids else None

    def _once(self, return_id: str, event: str, action: Callable[[], Any]) -> bool:
        with self._lock:
            if self._events.execute("SELECT 1 FROM applied WHERE return_id = ? AND event = ?", (return_id, event)).fetchone():
                return False
            action()
            self._events.execute("INSERT INTO applied VALUES (?, ?, ?)", (return_id, event, self.clock().isoformat()))
            self._events.commit()
            return True

    def _process_in_loop(self, return_id: str) -> None:
        """A support agent processes the return in Loop; if Loop's processing failed, the event did not happen."""
        self.loop.process_in_admin(return_id)
        if self.loop.process_delay_seconds <= 0 and (self.loop.get_return(return_id) or {}).get("state") != "closed":
            raise RuntimeError(f"Loop could not process return {return_id} (see its return.processing.failed webhook)")

    def _process_after_review(self, store: StoreSpec, return_id: str) -> None:
        """Support clears the review and processes through Loop's Process Return: lines keep their ``returned_at``."""
        if (self.loop.get_return(return_id) or {}).get("state") == "review":
            self.loop.review_done(return_id)
        self.loop.process_return(store.loop_shop_id, return_id)

    def _remove_unreceived(self, store: StoreSpec, return_id: str, received: int) -> None:
        """Support clears the review and removes the units that never arrived (Loop's Remove Line Items, which then
        processes the return): NetSuite received the first units in line order, so the rest go.

        https://docs.loopreturns.com/integration-guides/return-actions ("Remove Line Items").
        """
        if (self.loop.get_return(return_id) or {}).get("state") == "review":
            self.loop.review_done(return_id)
        lines = (self.loop.get_return(return_id) or {}).get("line_items") or []
        missing = [str(line["line_item_id"]) for line in lines[received:]]
        self.loop.remove_line_items(store.loop_shop_id, return_id, missing)

    def _applied(self, return_id: str, event: str) -> bool:
        with self._lock:
            return (
                self._events.execute("SELECT 1 FROM applied WHERE return_id = ? AND event = ?", (return_id, event)).fetchone()
                is not None
            )

    def advance(self) -> dict[str, int]:
        """Apply, once each, the lifecycle events of returns whose RA now exists; returns counts per event."""
        assert self.world is not None, "seed the sandbox first"
        done: Counter[str] = Counter()
        for case in self.world.returns:
            life, rid = case.lifecycle, case.return_id
            ra_id = self.return_authorization_id(rid)
            if ra_id is None:
                continue
            store = self.world.store(case.store)
            state = (self.loop.get_return(rid) or {}).get("state")
            # Goods on their way back are scanned by the carrier first: Loop's label.updated (new/pre_transit -> in_transit).
            label = (self.loop.get_return(rid) or {}).get("label_status")
            if life.warehouse is not None and state == "open" and label in ("new", "N/A", "pre_transit"):
                if self._once(rid, "label_in_transit", partial(self.loop.update_label, rid, "in_transit")):
                    done["label scanned in transit (Loop)"] += 1
            # A store whose sync does not approve its RAs relies on an accountant; one whose sync does is left to it.
            if not store.approve_return_authorizations and self.netsuite.is_pending_approval(ra_id):
                if self._once(rid, "approve_in_netsuite", partial(self.netsuite.approve_return_authorization, ra_id)):
                    done["RA approved in NetSuite"] += 1
            # A warehouse cannot receive against an unapproved RA (the transform is refused): it waits.
            approved = not self.netsuite.is_pending_approval(ra_id)
            if life.warehouse == "netsuite" and state == "open" and approved:
                if self._once(
                    rid,
                    "receive_in_netsuite",
                    partial(
                        self.netsuite.receive_return, ra_id, quantity=life.received_quantity, location_id=store.ns_location_id
                    ),
                ):
                    done["received in NetSuite"] += 1
            if life.warehouse == "loop" and state == "open":
                if self._once(rid, "process_in_loop", partial(self._process_in_loop, rid)):
                    done["processed in Loop"] += 1
            # After the partial receipt (same advance), support processes it anyway; a review is cleared first.
            if life.process_after_review and state in ("open", "review") and self._applied(rid, "receive_in_netsuite"):
                if self._once(rid, "process_after_review", partial(self._process_after_review, store, rid)):
                    done["processed in Loop after review"] += 1
            if life.remove_unreceived_after_review and state in ("open", "review") and self._applied(rid, "receive_in_netsuite"):
                remove = partial(self._remove_unreceived, store, rid, life.received_quantity or 0)
                if self._once(rid, "remove_unreceived_in_loop", remove):
                    done["unreceived units removed in Loop"] += 1
            if life.cancel_in_loop and state in ("open", "review"):
                if self._once(rid, "cancel_in_loop", partial(self.loop.cancel_in_admin, rid)):
                    done["cancelled in Loop"] += 1
            # The return window passes with nothing sent back: Loop expires the instant exchange and charges the card.
            if life.expires_in_loop and state in ("open", "review"):
                if self._once(rid, "expire_in_loop", partial(self.loop.expire, rid)):
                    done["instant exchange expired in Loop (card charged)"] += 1
            if life.close_ra_in_netsuite:
                if self._once(rid, "close_ra_in_netsuite", partial(self.netsuite.close_return_authorization, ra_id)):
                    done["RA closed in NetSuite"] += 1
            if life.flag_in_netsuite and store.ra_flag_field:
                if self._once(
                    rid,
                    "flag_in_netsuite",
                    partial(self.netsuite.set_body_field, "returnAuthorization", ra_id, store.ra_flag_field, True),
                ):
                    done["RA flagged in NetSuite"] += 1
        return dict(done)

    # -- serving ---------------------------------------------------------------------------------

    def apps(self) -> dict[str, Any]:
        """The three ASGI apps (fault injectors outermost), built once."""
        if self._apps is None:
            self._apps = {
                "loop": create_loop_app(self.loop, faults=self.faults["loop"]),
                "netsuite": create_netsuite_app(self.netsuite, faults=self.faults["netsuite"]),
                "shopify": create_shopify_app(self.shopify, faults=self.faults["shopify"]),
            }
        return self._apps

    def start(self, *, host: str = "127.0.0.1", port_base: int = 0) -> RunningServer:
        """Serve Loop on P, NetSuite on P+1, Shopify on P+2 (free ports when ``port_base`` is 0)."""
        ports = {api: port_base + i for i, api in enumerate(APIS)} if port_base else None
        self.server = serve_in_thread(self.apps(), host=host, ports=ports)
        return self.server

    def connection_info(self) -> dict[str, Any]:
        """Everything a client needs to use this sandbox as a merchant's accounts, as plain JSON data.

        This is the sandbox's contract with its users (``sandbox up`` prints it and writes it to
        ``--info-file``): base URLs; per store the credentials, the store's NetSuite corner
        (subsidiary, locations, the SKU and RA-flag fields) and the sync settings its seed expects;
        for the NetSuite account, the special items and GL accounts by role. Keys are only ever
        added, never renamed. An unseeded sandbox has no stores yet.
        """
        urls = self.server.urls if self.server else {}
        world = self.world
        account = world.account if world else None
        return {
            "loop": {"base_url": urls.get("loop")},
            "netsuite": {
                "base_url": urls.get("netsuite"),
                "account_id": account.account_id if account else None,
                # The integration user's preferences: the connector needs the time zone to read SuiteQL dates.
                "time_zone": self.netsuite.preferences.time_zone,
                "date_format": self.netsuite.preferences.date_format,
                # How the account computes tax: "legacy" (tax codes on lines) or "suitetax" (the SuiteTax feature).
                "tax_engine": self._tax_engine(),
                "special_items": dict(world.special_items) if world else {},
                "accounts": dict(world.accounts) if world else {},
            },
            # api_version: the newest stable version, what a merchant should pin; api_versions: every one served.
            "shopify": {
                "base_url": urls.get("shopify"),
                "api_version": LATEST_STABLE_VERSION,
                "api_versions": list(API_VERSIONS),
                "release_candidate": RELEASE_CANDIDATE,
            },
            "stores": {s.key: self._store_connection_info(s) for s in world.stores} if world else {},
        }

    def _store_connection_info(self, s: StoreSpec) -> dict[str, Any]:
        assert self.world is not None
        account = self.world.account
        return {
            "name": s.name,
            "currency": s.currency,
            "loop": {"api_key": s.loop_api_key, "webhook_secret": s.loop_webhook_secret},
            "netsuite": {
                "account_id": account.account_id,
                "consumer_key": account.consumer_key,
                "consumer_secret": account.consumer_secret,
                "token_id": s.ns_token_id,
                "token_secret": s.ns_token_secret,
                "subsidiary_id": s.ns_subsidiary_id,
                "location_id": s.ns_location_id,
                "damaged_location_id": s.ns_damaged_location_id,
                "sku_field": s.sku_field,
                "ra_flag_field": s.ra_flag_field,
                "ra_tracking_number_field": s.ra_tracking_number_field,
                "ra_expected_date_field": s.ra_expected_date_field,
                # The account's RA approval preference as it applies to this store's subsidiary.
                "ra_approval_required": s.ns_ra_approval_required,
            },
            "shopify": {
                "shop_domain": s.shop_domain,
                "access_token": s.shopify_access_token,
                "app_secret": s.shopify_app_secret,
                "access_scopes": sorted(self.shopify.access_grant(s.shopify_access_token).scopes),
            },
            # How the seed expects this store's sync to be configured (its expected outcomes assume these).
            "settings": {
                "refund_mode": s.refund_mode,
                "create_ra_and_ir_on_refund": s.create_ra_and_ir_on_refund,
                "close_ra_on_loop_cancel": s.close_ra_on_loop_cancel,
                "cancel_loop_on_ra_close": s.cancel_loop_on_ra_close,
                "approve_return_authorizations": s.approve_return_authorizations,
                "unbooked_refund_days": s.unbooked_refund_days,
                "netsuite_tax_engine": self._tax_engine(),
                "exchange_mode": s.exchange_mode,
                **({"upsell_fee_rate": str(s.upsell_fee_rate)} if s.upsell_fee_rate is not None else {}),
                **({"upsell_fee_fixed": str(s.upsell_fee_fixed)} if s.upsell_fee_fixed is not None else {}),
            },
            # The GL account roles (top-level "accounts") this store's money leaves from; absent: NetSuite's defaults.
            "accounts": {"refunds": s.refund_account} if s.refund_account else {},
        }

    def _tax_engine(self) -> str:
        return "suitetax" if is_suitetax(self.netsuite.store) else "legacy"

    def close(self) -> None:
        if self.server:
            self.server.stop()
            self.server = None
        for backend in (self.loop, self.netsuite, self.shopify):
            close = getattr(backend, "close", None)
            if close:
                close()
        self._events.close()
