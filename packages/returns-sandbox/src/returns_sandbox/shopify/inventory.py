"""Inventory side of the Shopify backend: ``inventoryAdjustQuantities`` and the stock moves refunds and seeding make.

Quantities live per (inventory item, location) as named states (``available``, ``on_hand``, ``damaged``...).
Validation follows Shopify's typed ``InventoryAdjustQuantitiesUserError`` codes; a refused adjustment writes
nothing. What 2026-04 added at the GraphQL edge (``@idempotent``, ``changeFromQuantity``) is in ``mutations``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from returns_sandbox.shopify.constants import ADJUSTABLE_QUANTITY_NAMES, INVENTORY_REASONS, parse_gid
from returns_sandbox.shopify.db import iso
from returns_sandbox.shopify.errors import ShopifyUserErrors, UserError
from returns_sandbox.shopify.host import BackendHost

__all__ = ["InventoryMixin", "is_uri"]

# Quantity states that are part of on_hand: moving one of them moves on_hand too.
_PART_OF_ON_HAND = ("available", "damaged", "quality_control", "reserved", "safety_stock")


class InventoryMixin(BackendHost):
    """Stock operations; ShopifyBackend supplies _tx, _next_id, clock, _replayed/_remember and the ReadsMixin lookups."""

    def inventory_adjust(self, shop: str, data: dict[str, Any], *, idempotency_key: str | None = None) -> int:
        """``inventoryAdjustQuantities``: apply deltas per item and location; returns the adjustment group id."""
        with self._tx() as conn:
            if idempotency_key and (done := self._replayed(shop, idempotency_key, "inventoryAdjustQuantities", data)) is not None:
                return done
            name, reason, reference = data.get("name"), data.get("reason"), data.get("referenceDocumentUri")
            errors: list[UserError] = []
            if reason not in INVENTORY_REASONS:
                errors.append(UserError("The specified reason is invalid.", ["input", "reason"], "INVALID_REASON"))
            if name not in ADJUSTABLE_QUANTITY_NAMES:
                errors.append(UserError("The specified quantity name is invalid.", ["input", "name"], "INVALID_QUANTITY_NAME"))
            if reference is not None and not is_uri(reference):
                errors.append(
                    UserError(
                        "The specified reference document is invalid.",
                        ["input", "referenceDocumentUri"],
                        "INVALID_REFERENCE_DOCUMENT",
                    )
                )
            changes_in = (
                (data.get("changes") or []) if name in ADJUSTABLE_QUANTITY_NAMES else []
            )  # ledger rules depend on a valid name
            planned = [p for i, ch in enumerate(changes_in) if (p := self._plan_change(shop, name, i, ch, errors))]
            if errors:
                raise ShopifyUserErrors(errors)
            assert name is not None  # one of ADJUSTABLE_QUANTITY_NAMES, or errors were raised above
            changes: list[dict[str, Any]] = []
            for item_id, location_id, delta, ledger in planned:
                deltas = {name: delta}
                if name in _PART_OF_ON_HAND:
                    deltas["on_hand"] = delta
                elif name == "on_hand":
                    deltas["available"] = delta
                after = self._move_stock(shop, item_id, location_id, deltas)
                for quantity_name, change in deltas.items():
                    changes.append(
                        {
                            "name": quantity_name,
                            "delta": change,
                            "quantityAfterChange": after[quantity_name],
                            "inventoryItemId": item_id,
                            "locationId": location_id,
                            "ledgerDocumentUri": ledger if quantity_name == name else None,
                        }
                    )
            group_id = self._next_id("inventory_adjustment_group")
            conn.execute(
                "INSERT INTO inventory_adjustment_group (id, shop, created_at, reason, reference_document_uri, changes) VALUES (?, ?, ?, ?, ?, ?)",
                (group_id, shop, iso(self.clock()), reason, reference, json.dumps(changes)),
            )
            if idempotency_key:
                self._remember(shop, idempotency_key, "inventoryAdjustQuantities", group_id, data)
        return group_id

    def _plan_change(
        self, shop: str, name: str | None, index: int, change: dict[str, Any], errors: list[UserError]
    ) -> tuple | None:
        path = ["input", "changes", str(index)]
        item_id = parse_gid(change.get("inventoryItemId"), "InventoryItem")
        item = self.inventory_item_row(shop, item_id) if item_id is not None else None
        if item is None:
            errors.append(
                UserError(
                    "The specified inventory item could not be found.", path + ["inventoryItemId"], "INVALID_INVENTORY_ITEM"
                )
            )
            return None
        if not item["tracked"]:
            errors.append(
                UserError(
                    "The specified inventory item is not allowed to be adjusted via API.",
                    path + ["inventoryItemId"],
                    "NON_MUTABLE_INVENTORY_ITEM",
                )
            )
            return None
        location_id = parse_gid(change.get("locationId"), "Location")
        if location_id is None or self.location_row(shop, location_id) is None:
            errors.append(UserError("The specified location could not be found.", path + ["locationId"], "INVALID_LOCATION"))
            return None
        assert item_id is not None  # the item was found above
        level = self.inventory_level_row(shop, item_id, location_id)
        if level is None:
            errors.append(
                UserError(
                    "The specified inventory item is not stocked at the location.",
                    path + ["locationId"],
                    "ITEM_NOT_STOCKED_AT_LOCATION",
                )
            )
            return None
        ledger = change.get("ledgerDocumentUri")
        ledger_path = path + ["ledgerDocumentUri"]
        if name == "available" and ledger:
            errors.append(
                UserError(
                    "A ledger document URI is not allowed when adjusting available.", ledger_path, "INVALID_AVAILABLE_DOCUMENT"
                )
            )
            return None
        if name != "available" and not ledger:
            errors.append(
                UserError(
                    "A ledger document URI is required except when adjusting available.", ledger_path, "INVALID_QUANTITY_DOCUMENT"
                )
            )
            return None
        if ledger and ledger.startswith("gid://shopify/"):
            errors.append(
                UserError(
                    "Internal (gid://shopify/) ledger documents are not allowed to be adjusted via API.",
                    ledger_path,
                    "INTERNAL_LEDGER_DOCUMENT",
                )
            )
            return None
        if ledger and not is_uri(ledger):
            errors.append(UserError("The specified ledger document is invalid.", ledger_path, "INVALID_LEDGER_DOCUMENT"))
            return None
        delta = int(change.get("delta") or 0)
        current = int(level["quantities"].get(name or "", 0))
        expected = change.get("changeFromQuantity")
        if expected is not None and int(expected) != current:
            errors.append(
                UserError("The specified compare quantity is stale.", path + ["changeFromQuantity"], "CHANGE_FROM_QUANTITY_STALE")
            )
            return None
        if current + delta > 2_000_000_000:
            errors.append(
                UserError("The quantity can't be higher than 2,000,000,000.", path + ["delta"], "INVALID_QUANTITY_TOO_HIGH")
            )
            return None
        if current + delta < -2_000_000_000:
            errors.append(
                UserError("The quantity can't be lower than -2,000,000,000.", path + ["delta"], "INVALID_QUANTITY_TOO_LOW")
            )
            return None
        return item_id, location_id, delta, ledger

    def _move_stock(self, shop: str, item_id: int, location_id: int, deltas: dict[str, int]) -> dict[str, int]:
        assert item_id is not None  # the item was found above
        level = self.inventory_level_row(shop, item_id, location_id)
        quantities: dict[str, int] = dict(level["quantities"]) if level else {}
        for name, delta in deltas.items():
            quantities[name] = int(quantities.get(name, 0)) + delta
        now = iso(self.clock())
        if level:
            self._conn.execute(
                "UPDATE inventory_level SET quantities = ?, updated_at = ? WHERE id = ?",
                (json.dumps(quantities), now, level["id"]),
            )
        else:
            self._conn.execute(
                "INSERT INTO inventory_level (id, shop, inventory_item_id, location_id, quantities, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (self._next_id("inventory_level"), shop, item_id, location_id, json.dumps(quantities), now),
            )
        return quantities


def is_uri(value: str) -> bool:
    """A URI with a scheme and something after it (reference and ledger documents must be one)."""
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path)
