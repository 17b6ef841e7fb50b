"""The Loop emulator's state and operations (no HTTP): shops, returns, notes, webhooks, in SQLite.

One ``LoopBackend`` per app; every operation takes the backend's lock, so the ASGI app may call it
from worker threads. Operations are named after Loop's endpoints and raise ``errors.py`` exceptions
carrying Loop's exact bodies. Admin-side operations (``process_in_admin`` ...) stand in for people
working in Loop Admin and are not part of Loop's API.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import httpx

from returns_sandbox.loop import rules
from returns_sandbox.loop.clock import Clock, parse_loop_datetime, to_api, to_index, utc_now
from returns_sandbox.loop.constants import API_KEY_SCOPES, NOTE_MAX_CHARS
from returns_sandbox.loop.errors import NotFound, ProcessingFailed, UnprocessableRequest
from returns_sandbox.loop.labels import LabelEvents
from returns_sandbox.loop.processing import AsyncProcessing
from returns_sandbox.loop.queries import ReturnQueries, order_key
from returns_sandbox.loop.subscriptions import WebhookSubscriptions
from returns_sandbox.loop.webhooks import WebhookDispatcher

__all__ = ["LoopBackend", "ProcessedHook"]

ProcessedHook = Callable[[int, dict[str, Any]], "dict[str, Any] | None"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS shops (id INTEGER PRIMARY KEY, name TEXT, shop_domain TEXT, webhook_secret TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    key TEXT PRIMARY KEY, shop_id INTEGER NOT NULL REFERENCES shops(id), scopes TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS returns (
    id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, state TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, order_name TEXT, provider_order_id TEXT,
    flagged INTEGER NOT NULL DEFAULT 0, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS returns_created ON returns (shop_id, state, created_at, id);
CREATE INDEX IF NOT EXISTS returns_updated ON returns (shop_id, state, updated_at, id);
CREATE INDEX IF NOT EXISTS returns_order_name ON returns (shop_id, order_name);
CREATE INDEX IF NOT EXISTS returns_provider_order ON returns (shop_id, provider_order_id);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, return_id INTEGER NOT NULL, content TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS additional_details (
    id INTEGER PRIMARY KEY AUTOINCREMENT, return_id INTEGER NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, shop_id INTEGER NOT NULL,
    topic TEXT NOT NULL, "trigger" TEXT NOT NULL, url TEXT NOT NULL, status TEXT NOT NULL);
"""


class LoopBackend(ReturnQueries, AsyncProcessing, WebhookSubscriptions, LabelEvents):
    """State and operations of one emulated Loop account (any number of shops).

    Args:
        db_path: SQLite file; ``None`` keeps everything in memory.
        clock: returns aware UTC datetimes; drives ``created_at``/``updated_at`` and the default list window.
        process_delay_seconds: 0 applies processing before the response; more applies it later on a timer.
        webhook_retry_base_seconds: first backoff of webhook retries (doubles per attempt, plus jitter).
        on_processed: ``(shop_id, return_json) -> dict | None``, called when processing runs; the dict is
            merged into the stored return. Raising makes the processing fail (``return.processing.failed``).
    """

    def __init__(
        self,
        db_path: str | None = None,
        *,
        clock: Clock | None = None,
        process_delay_seconds: float = 0.0,
        webhook_retry_base_seconds: float = 1.0,
        on_processed: ProcessedHook | None = None,
        webhook_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._db = sqlite3.connect(db_path or ":memory:", check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self.clock: Clock = clock or utc_now
        self.process_delay_seconds = process_delay_seconds
        self.on_processed = on_processed
        self.dispatcher = WebhookDispatcher(retry_base_seconds=webhook_retry_base_seconds, transport=webhook_transport)
        self._timers: set[threading.Timer] = set()
        with self._lock, self._db:
            self._db.executescript(_SCHEMA)

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def webhook_retry_base_seconds(self) -> float:
        return self.dispatcher.retry_base_seconds

    @webhook_retry_base_seconds.setter
    def webhook_retry_base_seconds(self, value: float) -> None:
        self.dispatcher.retry_base_seconds = value

    def close(self) -> None:
        """Cancel pending delayed processing, stop the webhook worker and close the database."""
        with self._lock:
            timers, self._timers = list(self._timers), set()
        for timer in timers:
            timer.cancel()
        self.dispatcher.close()
        with self._lock:
            self._db.close()

    def _now(self) -> datetime:
        # Loop keeps whole seconds: every timestamp in its docs ends ".000Z" and its cursor example is
        # "2022-06-27 16:25:01". Stamping whole seconds makes same-second ties as common as they are there.
        return self.clock().replace(microsecond=0)

    # -- seeding -----------------------------------------------------------------------------------

    def add_shop(
        self,
        shop_id: int,
        *,
        name: str,
        shop_domain: str,
        api_keys: list[str],
        webhook_secret: str,
        scopes: Iterable[str] = API_KEY_SCOPES,
    ) -> None:
        """Create (or replace) a shop and the API keys that see its returns, each granted ``scopes``."""
        granted = ",".join(sorted(set(scopes)))
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO shops VALUES (?, ?, ?, ?)", (shop_id, name, shop_domain, webhook_secret))
            self._db.executemany(
                "INSERT OR REPLACE INTO api_keys (key, shop_id, scopes) VALUES (?, ?, ?)",
                [(key, shop_id, granted) for key in api_keys],
            )

    def key_has_scope(self, api_key: str | None, scope: str) -> bool:
        """True when the key exists and was granted ``scope`` (Loop's keys carry scopes chosen in Developer tools)."""
        if not api_key:
            return False
        with self._lock:
            row = self._db.execute("SELECT scopes FROM api_keys WHERE key = ?", (api_key,)).fetchone()
        return row is not None and scope in row["scopes"].split(",")

    def shop_for_key(self, api_key: str | None) -> int | None:
        """The shop an ``X-Authorization`` key belongs to, or ``None`` for a missing/unknown key."""
        if not api_key:
            return None
        with self._lock:
            row = self._db.execute("SELECT shop_id FROM api_keys WHERE key = ?", (api_key,)).fetchone()
        return None if row is None else int(row["shop_id"])

    def add_return(self, shop_id: int, loop_return: dict[str, Any], *, emit: bool = True) -> str:
        """Store a return given in Loop's list/details JSON shape (as is); fills missing timestamps from the clock."""
        body = json.loads(json.dumps(loop_return))
        now = self._now()
        created = parse_loop_datetime(body["created_at"]) if body.get("created_at") else now
        updated = parse_loop_datetime(body["updated_at"]) if body.get("updated_at") else created
        body.setdefault("created_at", to_api(created))
        body.setdefault("updated_at", to_api(updated))
        return_id = int(str(body["id"]))
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO returns VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
                (
                    return_id,
                    shop_id,
                    body["state"],
                    to_index(created),
                    to_index(updated),
                    order_key(body.get("order_name")),
                    None if body.get("provider_order_id") is None else str(body["provider_order_id"]),
                    json.dumps(body),
                ),
            )
            if emit:
                self._emit(shop_id, "return.created", body)
        return str(return_id)

    def plant_return(self, shop_id: int, body: dict[str, Any], *, listed_at: datetime, listed_state: str = "open") -> str:
        """Store ``body`` exactly as given (no field is read but ``id``), listed under ``listed_state`` at ``listed_at``.

        For bad data Loop itself could hand out (a null list, a ``"NaN"`` price, an unreadable date): the
        list filters and cursors use the indexed columns, so such a return is served like any other.
        Fires ``return.created`` as a new return does.
        """
        return_id = int(str(body["id"]))
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO returns VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
                (
                    return_id,
                    shop_id,
                    listed_state,
                    to_index(listed_at),
                    to_index(listed_at),
                    order_key(body.get("order_name")),
                    None if body.get("provider_order_id") is None else str(body["provider_order_id"]),
                    json.dumps(body),
                ),
            )
            self._emit(shop_id, "return.created", body)
        return str(return_id)

    def load_world(self, world: Any) -> None:
        """Load a ``sandbox.seed.world.World``: one shop per store and every ``ReturnCase.loop_return``."""
        shop_of: dict[str, int] = {}
        for store in world.stores:
            self.add_shop(
                store.loop_shop_id,
                name=store.name,
                shop_domain=store.shop_domain,
                api_keys=[store.loop_api_key],
                webhook_secret=store.loop_webhook_secret,
            )
            shop_of[store.key] = store.loop_shop_id
        for case in world.returns:
            self.add_return(shop_of[case.store], case.loop_return, emit=False)

    def is_seeded(self) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM shops LIMIT 1").fetchone() is not None

    def get_return(self, return_id: int | str) -> dict[str, Any] | None:
        """The stored return, whatever its shop (sandbox-side view), or ``None``."""
        with self._lock:
            row = self._db.execute("SELECT body FROM returns WHERE id = ?", (int(return_id),)).fetchone()
        return None if row is None else json.loads(row["body"])

    def shop_returns(self, shop_id: int) -> list[dict[str, Any]]:
        """Every stored return of one shop, whatever its state (sandbox-side view, for tests' independent sums)."""
        with self._lock:
            rows = self._db.execute("SELECT body FROM returns WHERE shop_id = ? ORDER BY id", (shop_id,)).fetchall()
        return [json.loads(row["body"]) for row in rows]

    def is_flagged(self, return_id: int | str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT flagged FROM returns WHERE id = ?", (int(return_id),)).fetchone()
        return bool(row and row["flagged"])

    # -- return actions ----------------------------------------------------------------------------

    def _load(self, return_id: int | str, shop_id: int | None = None) -> sqlite3.Row:
        try:
            rid = int(str(return_id))
        except ValueError:
            raise NotFound.return_() from None
        sql, args = "SELECT * FROM returns WHERE id = ?", [rid]
        if shop_id is not None:
            sql, args = sql + " AND shop_id = ?", [rid, shop_id]
        row = self._db.execute(sql, args).fetchone()
        if row is None:
            raise NotFound.return_()
        return row

    def _save(
        self,
        row: sqlite3.Row,
        body: dict[str, Any],
        *,
        flagged: bool | None = None,
        triggers: Iterable[str] = ("return.updated",),
    ) -> None:
        """Write ``body`` with a fresh ``updated_at`` and emit ``triggers`` (caller holds the lock)."""
        now = self._now()
        body["updated_at"] = to_api(now)
        with self._db:
            self._db.execute(
                "UPDATE returns SET state = ?, updated_at = ?, flagged = ?, body = ? WHERE id = ?",
                (body["state"], to_index(now), int(row["flagged"] if flagged is None else flagged), json.dumps(body), row["id"]),
            )
        for trigger in triggers:
            self._emit(row["shop_id"], trigger, body)

    def _transition(
        self,
        shop_id: int | None,
        return_id: int | str,
        check: Callable[[str, bool], None],
        state: str,
        *,
        flagged: bool | None = None,
        triggers: Iterable[str] = ("return.updated",),
    ) -> bool:
        with self._lock:
            row = self._load(return_id, shop_id)
            check(row["state"], bool(row["flagged"]))
            body = json.loads(row["body"])
            body["state"] = state
            self._save(row, body, flagged=flagged, triggers=triggers)
        return True

    def cancel_return(self, shop_id: int, return_id: int | str) -> bool:
        """Cancel Return: open or unflagged review -> cancelled."""
        return self._transition(shop_id, return_id, rules.check_cancel, "cancelled")

    def flag_return(self, shop_id: int, return_id: int | str) -> bool:
        """Flag Return: open -> review, flagged (blocks processing until reviewed in Loop Admin)."""
        return self._transition(shop_id, return_id, rules.check_flag, "review", flagged=True)

    def close_return(self, shop_id: int, return_id: int | str) -> bool:
        """Close Return: open/review -> closed without executing outcomes (``was_processed`` unchanged)."""
        return self._transition(
            shop_id, return_id, rules.check_close, "closed", flagged=False, triggers=("return.updated", "return.closed")
        )

    def process_return(self, shop_id: int, return_id: int | str, details: dict[str, Any] | None = None) -> bool:
        """Process Return (queued; applied now or after ``process_delay_seconds``). Lines keep their ``returned_at``.

        ``details`` (Loop's "Additional Details") is recorded as a timeline note and in ``additional_details``.
        """
        with self._lock:
            row = self._load(return_id, shop_id)
            rules.check_process(row["state"], bool(row["flagged"]))
            if details:
                now = to_api(self._now())
                with self._db:
                    self._db.execute(
                        "INSERT INTO additional_details (return_id, body, created_at) VALUES (?, ?, ?)",
                        (row["id"], json.dumps(details), now),
                    )
                    note = "Additional details: " + ", ".join(f"{k}: {v}" for k, v in details.items())
                    self._db.execute(
                        "INSERT INTO notes (return_id, content, created_at) VALUES (?, ?, ?)", (row["id"], note, now)
                    )
        self._queue_processing(row["id"], source="api", allowed=("open",), set_returned_at=False)
        return True

    def remove_line_items(self, shop_id: int, return_id: int | str, line_item_ids: str | list[Any] | None) -> bool:
        """Remove Line Items, then process the return. With immediate processing a failure is a 500."""
        ids = rules.parse_line_item_ids(line_item_ids)
        with self._lock:
            row = self._load(return_id, shop_id)
            if not ids:
                raise UnprocessableRequest.line_item_required()
            rules.check_remove(row["state"], bool(row["flagged"]))
            rules.remove_lines(json.loads(row["body"]), ids)  # validate now: the 422s are synchronous
        transform = lambda body: rules.remove_lines(body, ids)  # noqa: E731
        if not self._queue_processing(row["id"], source="api", allowed=("open",), set_returned_at=False, transform=transform):
            raise ProcessingFailed()
        return True

    def additional_details(self, return_id: int | str) -> list[dict[str, Any]]:
        """Every ``details`` body sent with Process Return for this return, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM additional_details WHERE return_id = ? ORDER BY id", (int(return_id),)
            ).fetchall()
        return [json.loads(row["body"]) for row in rows]

    # -- admin side (Loop Admin, not the API) ------------------------------------------------------

    def process_in_admin(self, return_id: int | str) -> bool:
        """A person processes the return in Loop Admin: as Process Return, and every line gets ``returned_at``."""
        with self._lock:
            row = self._load(return_id)
            rules.check_admin(row["state"], ("open", "review"))
        return self._queue_processing(row["id"], source="admin", allowed=("open", "review"), set_returned_at=True)

    def cancel_in_admin(self, return_id: int | str) -> bool:
        """A person cancels the return in Loop Admin (flagged ones too)."""
        return self._transition(
            None, return_id, lambda s, f: rules.check_admin(s, ("open", "review")), "cancelled", flagged=False
        )

    def expire(self, return_id: int | str) -> bool:
        """The return window ends with nothing sent back: open/review -> ``expired`` (Loop's state list,
        https://docs.loopreturns.com/webhook-reference/topics/return). For an instant exchange Loop then charges the
        held card "the full cost" (https://help.loopreturns.com/article/163-instant-exchanges); Loop's API shows no
        field for that charge, so the return JSON changes only its state."""
        return self._transition(None, return_id, lambda s, f: rules.check_admin(s, ("open", "review")), "expired", flagged=False)

    def review_done(self, return_id: int | str) -> bool:
        """A person finishes the manual review: review -> open, flag cleared."""
        return self._transition(None, return_id, lambda s, f: rules.check_admin(s, ("review",)), "open", flagged=False)

    def mark_received(self, return_id: int | str, line_item_ids: list[str] | None = None) -> bool:
        """The warehouse receives lines in Loop: ``returned_at`` on the given lines (all when ``None``)."""
        with self._lock:
            row = self._load(return_id)
            body = rules.mark_lines_received(json.loads(row["body"]), to_api(self._now()), line_item_ids)
            self._save(row, body)
        return True

    def render_fields(self, return_id: int | str, fields: dict[str, Any]) -> bool:
        """From now on Loop renders these top-level fields of the return exactly as given (a bad-data knob).

        For testing how a client copes with a record it cannot read: ``refunds: null``, a ``"NaN"`` price
        inside ``line_items``, a date that is no date, a state Loop never documented. Only the rendered body
        changes, with a fresh ``updated_at``; the return keeps its place in the state and date indexes, as a
        record Loop stores correctly but serialises oddly would.
        """
        with self._lock:
            row = self._load(return_id)
            body = json.loads(row["body"])
            body.update(json.loads(json.dumps(fields)))
            now = self._now()
            body["updated_at"] = to_api(now)
            with self._db:
                self._db.execute(
                    "UPDATE returns SET updated_at = ?, body = ? WHERE id = ?", (to_index(now), json.dumps(body), row["id"])
                )
        return True

    # -- notes -------------------------------------------------------------------------------------

    def list_notes(self, shop_id: int, return_id: int | str) -> dict[str, Any]:
        """Get Return Notes: ``{"notes": [...]}``; none -> 422 ``false``."""
        with self._lock:
            row = self._load(return_id, shop_id)
            notes = self._db.execute(
                "SELECT id, content, created_at FROM notes WHERE return_id = ? ORDER BY id", (row["id"],)
            ).fetchall()
        if not notes:
            raise UnprocessableRequest.no_notes()
        return {"notes": [dict(note) for note in notes]}

    def create_note(self, shop_id: int, return_id: int | str, content: Any) -> bool:
        """Create Return Note: ``content`` required, a string shorter than 255 characters. Notes do not touch ``updated_at``."""
        with self._lock:
            row = self._load(return_id, shop_id)
            if not isinstance(content, str) or not content.strip() or len(content) >= NOTE_MAX_CHARS:
                raise UnprocessableRequest.invalid_note()
            with self._db:
                self._db.execute(
                    "INSERT INTO notes (return_id, content, created_at) VALUES (?, ?, ?)",
                    (row["id"], content, to_api(self._now())),
                )
        return True
