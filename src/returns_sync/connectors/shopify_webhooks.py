"""Shopify webhook signatures: ``X-Shopify-Hmac-Sha256`` is base64(HMAC-SHA256(app secret, raw body))."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

__all__ = ["verify_shopify_webhook"]


def verify_shopify_webhook(raw_body: bytes, hmac_header: str | None, secret: str | Sequence[str]) -> bool:
    """True when ``X-Shopify-Hmac-Sha256`` matches the raw body under ``secret`` (or any of several, during rotation).

    Every secret is checked with ``hmac.compare_digest``, so timing says nothing about which one matched.
    """
    if not hmac_header:
        return False
    try:
        given = hmac_header.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    secrets = [secret] if isinstance(secret, str) else list(secret)
    valid = False
    for key in secrets:
        digest = base64.b64encode(hmac.new(key.encode(), raw_body, hashlib.sha256).digest())
        valid = hmac.compare_digest(digest, given) or valid
    return valid
