"""Shopify Admin GraphQL emulator: ``ShopifyBackend`` (state, no HTTP) and ``create_shopify_app`` (the ASGI app)."""

from __future__ import annotations

from returns_sandbox.shopify.app import create_shopify_app
from returns_sandbox.shopify.errors import ShopifyUserErrors, UserError
from returns_sandbox.shopify.models import ShopifyBackend, ShopInfo
from returns_sandbox.shopify.settings import ShopifySandboxSettings
from returns_sandbox.shopify.webhooks import sign

__all__ = ["ShopInfo", "ShopifyBackend", "ShopifySandboxSettings", "ShopifyUserErrors", "UserError", "create_shopify_app", "sign"]
