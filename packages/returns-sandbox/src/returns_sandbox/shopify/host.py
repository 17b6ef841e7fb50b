"""What ``ShopifyBackend`` supplies to its mixins, declared once so the mixins type-check on their own."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from returns_sandbox.shopify.constants import DEFAULT_BUCKET_SIZE, DEFAULT_RESTORE_RATE, DEFAULT_STOCK
from returns_sandbox.shopify.queries import ReadsMixin

if TYPE_CHECKING:
    from returns_sandbox.seed.world import World
    from returns_sandbox.shopify.models import ShopInfo

__all__ = ["BackendHost"]


class BackendHost(ReadsMixin):
    """The lookups (``ReadsMixin``) plus the members ``ShopifyBackend`` (models.py) defines; no behaviour of its own."""

    clock: Callable[[], datetime]
    _world: World | None

    if TYPE_CHECKING:  # defined by ShopifyBackend; declared here for the mixins' type checking only

        def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def _next_id(self, table: str) -> int: ...

        def _emit(self, shop: str, topic: str, ref: tuple[Any, ...]) -> None: ...

        # idempotent mutations (operations.py) and stock moves (inventory.py), used across the mixins
        def _replayed(self, shop: str, key: str, operation: str, data: dict[str, Any]) -> int | None: ...

        def _remember(self, shop: str, key: str, operation: str, result_id: int, data: dict[str, Any]) -> None: ...

        def _move_stock(self, shop: str, item_id: int, location_id: int, deltas: dict[str, int]) -> dict[str, int]: ...

        def shop(self, domain: str) -> ShopInfo: ...

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
        ) -> ShopInfo: ...

        def add_location(self, shop: str, location_id: int, name: str) -> None: ...

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
        ) -> None: ...

        def add_customer(
            self, shop: str, *, customer_id: int, email: str, first_name: str | None = None, last_name: str | None = None
        ) -> None: ...
