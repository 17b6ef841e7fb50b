"""One TLS context per process for every API client (building one loads the CA bundle: ~25 ms each)."""

from __future__ import annotations

import ssl
import threading

import httpx

__all__ = ["shared_ssl_context"]

_context: ssl.SSLContext | None = None
_lock = threading.Lock()


def shared_ssl_context() -> ssl.SSLContext:
    """The default verifying context, built once; contexts are safe to share between clients and threads."""
    global _context
    with _lock:
        if _context is None:
            _context = httpx.create_ssl_context()
        return _context
