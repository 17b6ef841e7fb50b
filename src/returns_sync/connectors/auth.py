"""One ``httpx.Auth`` per scheme: Loop's API key header, Shopify's access token header, NetSuite's OAuth 1.0a TBA."""

from __future__ import annotations

from collections.abc import Generator

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256
from oauthlib.oauth1 import Client as OAuth1Client

__all__ = ["LoopApiKeyAuth", "NetSuiteTBAAuth", "ShopifyAccessTokenAuth"]


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


_FORM = "application/x-www-form-urlencoded"


class NetSuiteTBAAuth(httpx.Auth):
    """NetSuite Token-Based Authentication: OAuth 1.0a, HMAC-SHA256, ``realm`` = account id.

    Signs the method and the full URL including its query string. JSON bodies are not part of an
    OAuth 1.0a signature (only form-encoded ones are). Every call of ``auth_flow`` draws a fresh nonce
    and timestamp, so a retried request is never a replay.

    Args:
        account_id: ``1234567`` or ``1234567_SB1``; sent as the realm exactly as given (uppercase ``_SB1``).
        consumer_key: the integration record's consumer key.
        consumer_secret: the integration record's consumer secret.
        token_id: the access token id.
        token_secret: the access token secret.
    """

    def __init__(self, *, account_id: str, consumer_key: str, consumer_secret: str, token_id: str, token_secret: str) -> None:
        self.account_id = account_id
        self._client = OAuth1Client(
            consumer_key,
            client_secret=consumer_secret,
            resource_owner_key=token_id,
            resource_owner_secret=token_secret,
            signature_method=SIGNATURE_HMAC_SHA256,
            realm=account_id,
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        body: str | None = None
        headers: dict[str, str] = {}
        content_type = request.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() == _FORM:
            # RFC 5849 §3.4.1.3.1: form-encoded body parameters are signed; any other body is not.
            body = request.read().decode("utf-8")
            headers["Content-Type"] = _FORM
        _, signed, _ = self._client.sign(str(request.url), http_method=request.method, body=body or None, headers=headers)
        request.headers["Authorization"] = signed["Authorization"]
        yield request

    def __repr__(self) -> str:  # consumer key, token id and both secrets stay out of reprs
        return f"{type(self).__name__}(account_id={self.account_id!r}, credentials=***)"
