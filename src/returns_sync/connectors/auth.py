"""One ``httpx.Auth`` per scheme: Loop's API key header, Shopify's access token header, NetSuite's OAuth 1.0a TBA."""

from __future__ import annotations

from typing import Generator

import httpx

__all__ = ["LoopApiKeyAuth", "ShopifyAccessTokenAuth"]


class _HeaderAuth(httpx.Auth):
    header = ""

    def __init__(self, secret: str) -> None:
        self._secret = secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self.header] = self._secret
        yield request

    def __repr__(self) -> str:  # never show the secret
        return f"{type(self).__name__}(***)"


class LoopApiKeyAuth(_HeaderAuth):
    header = "X-Authorization"


class ShopifyAccessTokenAuth(_HeaderAuth):
    header = "X-Shopify-Access-Token"
