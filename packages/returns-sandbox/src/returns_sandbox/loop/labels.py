"""Return labels in the Loop emulator: a label bought or scanned by the carrier, and the ``label`` webhooks it fires.

Loop's label topic has the triggers ``label.created`` ("a shipping label has been created via EasyPost (or other
shipping service)") and ``label.updated`` ("status has changed from new to in transit")
(https://docs.loopreturns.com/reference/setting-up-webhooks-legacy). Its payload is not the return but
``topic, trigger, shop_id, id`` (the Loop return id), ``order_id, provider_order_id, carrier, tracking_number,
label_status, label_updated_at, shipment_id``, with ``label_status`` one of ``N/A``, ``pre_transit``,
``in_transit``, ``out_for_delivery``, ``delivered``, ``error``, ``failure``
(https://docs.loopreturns.com/reference/label-webhook). The return keeps a flat copy of its main label
(``carrier``, ``tracking_number``, ``label_status``, ``label_updated_at``) and a ``labels[]`` list, and a label
change is a change of the return: ``updated_at`` moves and ``return.updated`` fires too.
No estimated delivery date is documented, so none is served.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from returns_sandbox.loop.clock import to_api

__all__ = ["LABEL_STATUSES", "LabelEvents"]

# The webhook's documented statuses, plus ``new``: what ``labels[].status`` shows for a label not yet scanned.
LABEL_STATUSES = frozenset({"new", "N/A", "pre_transit", "in_transit", "out_for_delivery", "delivered", "error", "failure"})


class LabelEvents:
    """Mixin of ``LoopBackend``: ``update_label`` (a carrier event) and the label webhooks it sends."""

    _lock: threading.RLock
    _load: Callable[..., sqlite3.Row]
    _save: Callable[..., None]
    _emit: Callable[..., None]
    _now: Callable[[], datetime]

    def update_label(
        self, return_id: int | str, status: str, *, tracking_number: str | None = None, carrier: str | None = None
    ) -> str:
        """The return's label is bought (no label yet, or a new tracking number) or scanned; returns the trigger fired.

        Raises:
            ValueError: ``status`` is not a documented label status, or a new label comes without a tracking number.
        """
        if status not in LABEL_STATUSES:
            raise ValueError(f"not a Loop label status: {status!r}")
        with self._lock:
            row = self._load(return_id)
            body = json.loads(row["body"])
            number = tracking_number or body.get("tracking_number")
            if not number:
                raise ValueError("a label needs a tracking number")
            created = not body.get("tracking_number") or number != body.get("tracking_number")
            stamp = to_api(self._now())
            body.update(
                carrier=carrier or body.get("carrier") or "USPS",
                tracking_number=number,
                label_status=status,
                label_updated_at=stamp,
            )
            label = {"status": status, "updated_at": stamp, "carrier": body["carrier"], "tracking_number": number}
            labels = body.get("labels") or []
            body["labels"] = [{**(labels[0] if labels and not created else {}), **label}, *labels[1:]]
            trigger = "label.created" if created else "label.updated"
            self._save(row, body, triggers=("return.updated",))
            self._emit(row["shop_id"], trigger, _label_payload(row["shop_id"], trigger, body), raw=True)
        return trigger


def _label_payload(shop_id: int, trigger: str, body: dict[str, Any]) -> dict[str, Any]:
    """The documented label webhook body (ids as the docs' example types them: integers)."""
    # Loop assigns the shipment id; the emulator derives a stable one from the tracking number.
    shipment_id = str(int(hashlib.sha256(body["tracking_number"].encode()).hexdigest()[:12], 16))
    return {
        "topic": "label",
        "trigger": trigger,
        "shop_id": shop_id,
        "id": int(body["id"]),
        "order_id": _int_or_none(body.get("order_id")),
        "provider_order_id": _int_or_none(body.get("provider_order_id")),
        "carrier": body["carrier"],
        "tracking_number": body["tracking_number"],
        "label_status": body["label_status"],
        "label_updated_at": body["label_updated_at"],
        "shipment_id": shipment_id,
    }


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None
