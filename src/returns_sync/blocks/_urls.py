"""Checks shared by the blocks: an API base URL override must be absolute, and HTTPS off the local machine."""

from __future__ import annotations

import urllib.parse

__all__ = ["LOOPBACK_HOSTS", "check_base_url"]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def check_base_url(value: str) -> str:
    """Validate a base URL override and return it without a trailing slash.

    Plain ``http`` is accepted only for loopback hosts (the sandbox), so credentials never travel in
    clear text across a network.

    Raises:
        ValueError: Not an absolute http(s) URL, plain http to a remote host, or a query/fragment.
    """
    url = value.strip().rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.username or parts.password:
        # Checked first, and without echoing the value, because the value then holds a secret.
        raise ValueError("base_url must not carry credentials; use the block's secret fields")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base_url must be an absolute http(s) URL such as https://host, got {value!r}")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"base_url must use https unless it points at this machine (sandbox), got {value!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"base_url must not carry a query or a fragment, got {value!r}")
    return url
