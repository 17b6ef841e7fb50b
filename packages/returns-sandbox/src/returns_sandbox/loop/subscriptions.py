"""Programmatic webhook subscriptions (§2.3): Loop's validation messages, CRUD, and fanning events out to deliveries."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any
from urllib.parse import urlsplit

from returns_sandbox.loop.constants import WEBHOOK_STATUSES, WEBHOOK_TOPICS, WEBHOOK_TRIGGERS
from returns_sandbox.loop.errors import NotFound, ValidationFailed
from returns_sandbox.loop.webhooks import WebhookDispatcher, encode_payload

__all__ = ["TOPIC_MESSAGE", "WebhookSubscriptions", "subscription_json", "validate_subscription"]

# The spec's message names only the first three topics although the enum has more; kept verbatim.
TOPIC_MESSAGE = "Must be one of the following values:return,label,restock"
_TRIGGER_MESSAGE = "Must be one of the following values:" + ",".join(WEBHOOK_TRIGGERS)
_STATUS_MESSAGE = "Must be one of the following values:" + ",".join(WEBHOOK_STATUSES)


def _valid_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def validate_subscription(topic: Any, trigger: Any, url: Any, status: Any) -> dict[str, str | None]:
    """Check the fields of a POST/PUT ``/webhooks`` body; ``status`` may be ``None`` (caller's default).

    Raises:
        ValidationFailed: 422 ``{"message": ..., "errors": {field: [...]}}``.
    """
    errors: dict[str, list[str]] = {}
    for name, value, allowed, message in (
        ("topic", topic, WEBHOOK_TOPICS, TOPIC_MESSAGE),
        ("trigger", trigger, WEBHOOK_TRIGGERS, _TRIGGER_MESSAGE),
    ):
        if value is None or value == "":
            errors[name] = [f"The {name} field is required."]
        elif value not in allowed:
            errors[name] = [message]
    if url is None or url == "":
        errors["url"] = ["The url field is required."]
    elif not isinstance(url, str) or not _valid_url(url):
        errors["url"] = ["The url field must be a valid URL."]
    if status is not None and status not in WEBHOOK_STATUSES:
        errors["status"] = [_STATUS_MESSAGE]
    if errors:
        raise ValidationFailed(errors)
    return {"topic": topic, "trigger": trigger, "url": url, "status": status}


def subscription_json(row: Any) -> dict[str, Any]:
    """A stored subscription as the API renders it: ``{"id","shop_id","topic","trigger","url","status"}``."""
    return {
        "id": row["id"],
        "shop_id": row["shop_id"],
        "topic": row["topic"],
        "trigger": row["trigger"],
        "url": row["url"],
        "status": row["status"],
    }


class WebhookSubscriptions:
    """Programmatic webhooks of ``LoopBackend`` (a mixin over its lock, database and dispatcher)."""

    _lock: threading.RLock
    _db: sqlite3.Connection
    dispatcher: WebhookDispatcher

    def list_webhooks(self, shop_id: int) -> dict[str, Any]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM webhooks WHERE shop_id = ? ORDER BY id", (shop_id,)).fetchall()
        return {"webhooks": [subscription_json(row) for row in rows]}

    def create_webhook(
        self, shop_id: int, *, topic: Any = None, trigger: Any = None, url: Any = None, status: Any = None
    ) -> dict[str, Any]:
        """Create Webhook; ``status`` defaults to ``inactive`` as Loop's does."""
        fields = validate_subscription(topic, trigger, url, status)
        with self._lock, self._db:
            cur = self._db.execute(
                'INSERT INTO webhooks (shop_id, topic, "trigger", url, status) VALUES (?, ?, ?, ?, ?)',
                (shop_id, fields["topic"], fields["trigger"], fields["url"], fields["status"] or "inactive"),
            )
            row = self._db.execute("SELECT * FROM webhooks WHERE id = ?", (cur.lastrowid,)).fetchone()
        return subscription_json(row)

    def _webhook_row(self, shop_id: int, webhook_id: int | str) -> sqlite3.Row:
        try:
            wid = int(str(webhook_id))
        except ValueError:
            raise NotFound.webhook() from None
        row = self._db.execute("SELECT * FROM webhooks WHERE id = ? AND shop_id = ?", (wid, shop_id)).fetchone()
        if row is None:
            raise NotFound.webhook()
        return row

    def update_webhook(
        self, shop_id: int, webhook_id: int | str, *, topic: Any = None, trigger: Any = None, url: Any = None, status: Any = None
    ) -> None:
        """Update Webhook (topic, trigger, url required; status kept when omitted); unknown id -> 404."""
        with self._lock:
            row = self._webhook_row(shop_id, webhook_id)
            fields = validate_subscription(topic, trigger, url, status)
            with self._db:
                self._db.execute(
                    'UPDATE webhooks SET topic = ?, "trigger" = ?, url = ?, status = ? WHERE id = ?',
                    (fields["topic"], fields["trigger"], fields["url"], fields["status"] or row["status"], row["id"]),
                )

    def delete_webhook(self, shop_id: int, webhook_id: int | str) -> None:
        with self._lock:
            row = self._webhook_row(shop_id, webhook_id)
            with self._db:
                self._db.execute("DELETE FROM webhooks WHERE id = ?", (row["id"],))

    def _emit(self, shop_id: int, trigger: str, body: dict[str, Any], *, raw: bool = False) -> None:
        """Queue ``trigger`` for every active subscription of the shop with the matching topic and trigger."""
        topic = "return.processing" if trigger == "return.processing.failed" else trigger.split(".")[0]
        with self._lock:
            subs = self._db.execute(
                'SELECT * FROM webhooks WHERE shop_id = ? AND topic = ? AND "trigger" = ? AND status = ?',
                (shop_id, topic, trigger, "active"),
            ).fetchall()
            if not subs:
                return
            shop = self._db.execute("SELECT webhook_secret FROM shops WHERE id = ?", (shop_id,)).fetchone()
        if shop is None:
            return
        payload = dict(body) if raw else {"topic": topic, "trigger": trigger, "shop_id": shop_id, **body}
        payload.setdefault("shop_id", shop_id)
        raw_body = encode_payload(payload)
        # return.processing names the return in ``return_id``, the label topic in ``id``.
        return_id = str(body.get("return_id", body.get("id")) if raw else body.get("id"))
        for sub in subs:
            self.dispatcher.enqueue(
                webhook_id=sub["id"],
                shop_id=shop_id,
                url=sub["url"],
                topic=topic,
                trigger=trigger,
                return_id=return_id,
                body=raw_body,
                secret=shop["webhook_secret"],
            )

    def deliveries(self) -> list[dict[str, Any]]:
        """The webhook delivery log (attempts and outcome per delivery)."""
        return self.dispatcher.deliveries()

    def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        """Block until every queued webhook delivery finished (delivered or failed)."""
        return self.dispatcher.wait_idle(timeout)
