"""``verify_shopify_webhook``: base64 HMAC-SHA256 of the raw body under the app secret, any of several during rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac

from returns_sync.connectors.shopify import verify_shopify_webhook


class TestWebhookVerification:
    BODY = b'{"id":1,"order_id":5001}'

    def sign(self, secret: str) -> str:
        return base64.b64encode(hmac.new(secret.encode(), self.BODY, hashlib.sha256).digest()).decode()

    def test_valid_and_invalid(self):
        assert verify_shopify_webhook(self.BODY, self.sign("s1"), "s1")
        assert not verify_shopify_webhook(self.BODY, self.sign("s1"), "s2")
        assert not verify_shopify_webhook(self.BODY + b" ", self.sign("s1"), "s1")
        assert not verify_shopify_webhook(self.BODY, None, "s1")
        assert not verify_shopify_webhook(self.BODY, "ünïcode", "s1")

    def test_any_secret_during_rotation(self):
        assert verify_shopify_webhook(self.BODY, self.sign("old"), ["new", "old"])
        assert not verify_shopify_webhook(self.BODY, self.sign("older"), ["new", "old"])
