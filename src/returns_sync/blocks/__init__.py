"""Prefect blocks of returns-sync (register with ``prefect block register -m returns_sync.blocks``)."""

from __future__ import annotations

from returns_sync.blocks.loop import LoopCredentials
from returns_sync.blocks.netsuite import NetSuiteCredentials
from returns_sync.blocks.shopify import ShopifyCredentials
from returns_sync.blocks.store import StoreSettings

__all__ = ["LoopCredentials", "NetSuiteCredentials", "ShopifyCredentials", "StoreSettings"]
