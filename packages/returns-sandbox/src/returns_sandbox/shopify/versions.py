"""Which API version answers a request: the versions the sandbox serves and Shopify's fall-forward rule.

Shopify: "If your app targets an inaccessible version, Shopify falls forward and responds using the
oldest accessible stable version", and the ``X-Shopify-API-Version`` response header names the version
that actually answered (https://shopify.dev/docs/api/usage/versioning). Nothing in the body says so,
which is why a client must read that header. A retired quarterly version (``2025-10`` on 2026-12-03)
is therefore served as ``2026-01``; the answer also carries ``X-Shopify-API-Deprecated-Reason``, the
header Shopify uses to flag deprecated use (https://shopify.dev/changelog/graphql-return-actual-deprecation-reasons).

A handle that never was a release (``2026-05``, ``taco``), one past the release candidate (``2027-04``)
and ``unstable`` are answered 404 ``{"errors":"Not Found"}``: the docs describe falling forward only for
versions that became inaccessible, and the sandbox does not emulate ``unstable``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from returns_sandbox.shopify.constants import API_VERSIONS, OLDEST_SUPPORTED_VERSION

__all__ = ["DEPRECATED_VERSION_REASON", "ServedVersion", "serve_version"]

_QUARTERLY = re.compile(r"^\d{4}-(01|04|07|10)$")
# Before 2025-04 Shopify put this generic link in the header; since then it lists deprecated fields. A retired
# version is no field, so the link is the honest reason (the exact text for this case is not published).
DEPRECATED_VERSION_REASON = "https://shopify.dev/api/usage/versioning#deprecation-practices"


@dataclass(frozen=True)
class ServedVersion:
    """The version a request asked for and the one that answers it."""

    requested: str
    served: str

    @property
    def fell_forward(self) -> bool:
        return self.requested != self.served

    def headers(self) -> dict[str, str]:
        """``X-Shopify-API-Version`` always; the deprecation header when the request fell forward."""
        headers = {"X-Shopify-API-Version": self.served}
        if self.fell_forward:
            headers["X-Shopify-API-Deprecated-Reason"] = DEPRECATED_VERSION_REASON
        return headers


def serve_version(requested: str) -> ServedVersion | None:
    """The version that answers ``requested``; ``None`` when Shopify would answer 404."""
    if requested in API_VERSIONS:
        return ServedVersion(requested, requested)
    if _QUARTERLY.match(requested) and requested < OLDEST_SUPPORTED_VERSION:
        return ServedVersion(requested, OLDEST_SUPPORTED_VERSION)
    return None
