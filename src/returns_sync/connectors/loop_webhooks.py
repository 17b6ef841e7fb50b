"""Loop webhook receipt: constant-time ``X-Loop-Signature`` check and parsing of the verified body."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from returns_sync.domain.loop import LoopWebhook

__all__ = ["SIGNATURE_HEADER", "parse_loop_webhook", "verify_loop_signature"]

SIGNATURE_HEADER = "X-Loop-Signature"


def verify_loop_signature(raw_body: bytes, signature_header: str | None, secret: str) -> bool:
    """Whether ``signature_header`` is base64(HMAC-SHA256(secret, raw_body)), compared in constant time.

    Hash the raw bytes as received: Loop signs PHP-style JSON (escaped slashes), so re-serialising breaks it.

    Example:
        >>> signature = base64.b64encode(hmac.new(b"s3cret", b"{}", hashlib.sha256).digest()).decode()
        >>> verify_loop_signature(b"{}", signature, "s3cret"), verify_loop_signature(b"{ }", signature, "s3cret")
        (True, False)
    """
    if not signature_header or not secret:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature_header.strip().encode())


def parse_loop_webhook(raw_body: bytes) -> LoopWebhook:
    """The delivery as a ``LoopWebhook`` (``topic``, ``trigger``, ``shop_id`` and the return's fields).

    Raises:
        ValueError: the body is not a JSON object with ``topic`` and ``trigger``.
    """
    data = json.loads(raw_body)
    if not isinstance(data, dict):
        raise ValueError("a Loop webhook body is a JSON object")
    return LoopWebhook.model_validate(data)
