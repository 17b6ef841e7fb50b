"""One TLS context per process for every API client (building one loads the CA bundle: ~25 ms each)."""

from __future__ import annotations

import ssl

import httpx

from returns_sync.connectors.process_cache import ProcessCache

__all__ = ["SSL_CONTEXT_CACHE", "shared_ssl_context"]

# Contexts are safe to share between clients and threads; reset() makes the next client load the CA bundle again.
SSL_CONTEXT_CACHE = ProcessCache[str, ssl.SSLContext]("verifying TLS context")


def shared_ssl_context() -> ssl.SSLContext:
    """The default verifying context, built once per process."""
    return SSL_CONTEXT_CACHE.get_or_create("default", httpx.create_ssl_context)
