"""Verify OAuth 1.0a Token-Based Authentication headers the way NetSuite's REST web services do (RFC 5849)."""

from __future__ import annotations

import hmac
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from oauthlib.common import urldecode
from oauthlib.oauth1.rfc5849 import signature as rfc5849_signature
from oauthlib.oauth1.rfc5849 import utils as rfc5849_utils

__all__ = [
    "DEFAULT_MAX_SKEW_SECONDS",
    "MAX_NONCE_LENGTH",
    "TbaIdentity",
    "TbaReason",
    "TbaRejected",
    "request_url",
    "verify_tba_request",
]

DEFAULT_MAX_SKEW_SECONDS = 300
# NetSuite does not publish these two limits; 64 characters and five minutes are the commonly cited values.
MAX_NONCE_LENGTH = 64

_REQUIRED = ("oauth_consumer_key", "oauth_token", "oauth_signature_method", "oauth_timestamp", "oauth_nonce", "oauth_signature")
_ALLOWED = frozenset((*_REQUIRED, "oauth_version", "oauth_body_hash", "realm"))


class TbaReason(StrEnum):
    """Why a request was refused: what NetSuite writes in the Login Audit Trail, never what it tells the client."""

    MISSING_HEADER = "missing_header"
    MALFORMED_HEADER = "malformed_header"
    MALFORMED_REQUEST = "malformed_request"
    BAD_REALM = "bad_realm"
    UNSUPPORTED_SIGNATURE_METHOD = "unsupported_signature_method"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNKNOWN_CONSUMER = "unknown_consumer"
    UNKNOWN_TOKEN = "unknown_token"
    STALE_TIMESTAMP = "stale_timestamp"
    INVALID_NONCE = "invalid_nonce"
    REPLAYED_NONCE = "replayed_nonce"
    BAD_SIGNATURE = "bad_signature"


@dataclass(frozen=True)
class TbaIdentity:
    """Who a verified request speaks for: the integration (consumer) and the access token (user + role)."""

    consumer_key: str
    token_id: str


class TbaRejected(Exception):
    """A request failed TBA verification.

    ``reason`` (a ``TbaReason``) and ``detail`` are for the emulator's login audit trail only; the HTTP
    answer is always NetSuite's uniform ``INVALID_LOGIN``, which says nothing about the cause.
    """

    def __init__(self, reason: TbaReason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.detail = detail


class _Secrets:
    """The two attributes oauthlib's ``sign_*_with_client`` functions read from a client."""

    def __init__(self, client_secret: str, resource_owner_secret: str) -> None:
        self.client_secret = client_secret
        self.resource_owner_secret = resource_owner_secret

    def __repr__(self) -> str:
        return "_Secrets(***)"


def request_url(scope: dict[str, Any]) -> str:
    """Rebuild the URL a client signed from an ASGI scope: Host header, raw (still percent-encoded) path and query.

    Starlette's ``request.url`` decodes the path, which would break signatures over escaped characters.

    Args:
        scope: the ASGI HTTP scope.

    Returns:
        ``scheme://host[:port]/raw/path[?raw-query]``.
    """
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("localhost", None)
        host = server[0] if server[1] is None else f"{server[0]}:{server[1]}"
    raw_path = scope.get("raw_path") or urllib.parse.quote(scope.get("path", "/")).encode("ascii")
    url = f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}{raw_path.decode('latin-1')}"
    query = scope.get("query_string", b"")
    return f"{url}?{query.decode('latin-1')}" if query else url


def _parse_header(authorization: str | None) -> dict[str, str]:
    """Split ``OAuth k="v", ...`` into a dict (values unescaped), refusing repeats and unquoted values."""
    if authorization is None or not authorization.strip():
        raise TbaRejected(TbaReason.MISSING_HEADER)
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme.lower() != "oauth" or not rest.strip():
        raise TbaRejected(TbaReason.MALFORMED_HEADER, "not an OAuth authorization header")
    params: dict[str, str] = {}
    for item in rfc5849_utils.parse_http_list(rest):
        name, sep, value = item.strip().partition("=")
        name = name.strip()
        value = value.strip()
        if not sep or not name or len(value) < 2 or value[0] != '"' or value[-1] != '"':
            raise TbaRejected(TbaReason.MALFORMED_HEADER, f'parameter {name!r} is not name="value"')
        if name in params:
            raise TbaRejected(TbaReason.MALFORMED_HEADER, f"parameter {name!r} repeated")
        if name not in _ALLOWED:
            raise TbaRejected(TbaReason.MALFORMED_HEADER, f"unexpected parameter {name!r}")
        value = value[1:-1]
        # realm is an RFC 2617 quoted-string; only the oauth_* values are percent-encoded (RFC 5849 §3.5.1).
        params[name] = value if name == "realm" else rfc5849_utils.unescape(value)
    missing = [name for name in _REQUIRED if name not in params]
    if missing:
        raise TbaRejected(TbaReason.MALFORMED_HEADER, f"missing {', '.join(missing)}")
    return params


def _query_params(url: str) -> list[tuple[str, str]]:
    query = urllib.parse.urlsplit(url).query
    try:
        pairs = urldecode(query) if query else []
    except ValueError as exc:
        raise TbaRejected(TbaReason.MALFORMED_REQUEST, "query string is not form-encoded") from exc
    if any(name.startswith("oauth_") for name, _ in pairs):
        # RFC 5849 §3.5: protocol parameters travel in exactly one place; NetSuite takes the header.
        raise TbaRejected(TbaReason.MALFORMED_REQUEST, "oauth_* parameters in the query string")
    return list(pairs)


def verify_tba_request(
    *,
    method: str,
    url: str,
    authorization: str | None,
    account_id: str,
    consumer_secret_for: Callable[[str], str | None],
    token_secret_for: Callable[[str], str | None],
    nonce_seen: Callable[[str, str, str], bool],
    now: float,
    max_skew_seconds: int = DEFAULT_MAX_SKEW_SECONDS,
) -> TbaIdentity:
    """Check one request's OAuth 1.0a HMAC-SHA256 signature and NetSuite's TBA rules.

    The signature base string is ``METHOD & pct(base URI) & pct(normalised parameters)``: the base URI
    has a lower-case host, the port only when not the scheme's default and no query; the parameters are
    every ``oauth_*`` header parameter except ``oauth_signature`` and ``realm``, plus every query
    parameter. A JSON body does not contribute. The nonce is checked for replay only once the signature
    is proven, so forged requests cannot burn nonces.

    Args:
        method: the HTTP method as received.
        url: the full URL as received, raw path and query (see ``request_url``).
        authorization: the ``Authorization`` header, or ``None`` when absent.
        account_id: the account the emulator serves; ``realm`` must equal it exactly (``1234567_SB1``).
        consumer_secret_for: consumer key -> consumer secret, ``None`` for an unknown integration.
        token_secret_for: token id -> token secret, ``None`` for an unknown or revoked token.
        nonce_seen: ``(consumer_key, token_id, nonce) -> bool``; True if already used. The callee records it.
        now: the server clock, Unix seconds.
        max_skew_seconds: how far ``oauth_timestamp`` may be from ``now`` either way.

    Returns:
        The verified ``TbaIdentity``.

    Raises:
        TbaRejected: with the specific ``TbaReason``.
    """
    params = _parse_header(authorization)
    if params.get("realm") != account_id:
        raise TbaRejected(TbaReason.BAD_REALM, f"realm {params.get('realm')!r} is not the account id")
    if params["oauth_signature_method"] != "HMAC-SHA256":
        raise TbaRejected(TbaReason.UNSUPPORTED_SIGNATURE_METHOD, params["oauth_signature_method"])
    if params.get("oauth_version", "1.0") != "1.0":
        raise TbaRejected(TbaReason.UNSUPPORTED_VERSION, params["oauth_version"])
    timestamp = params["oauth_timestamp"]
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise TbaRejected(TbaReason.MALFORMED_HEADER, "oauth_timestamp is not a number of seconds")
    consumer_key, token_id, nonce = params["oauth_consumer_key"], params["oauth_token"], params["oauth_nonce"]
    consumer_secret = consumer_secret_for(consumer_key)
    if consumer_secret is None:
        raise TbaRejected(TbaReason.UNKNOWN_CONSUMER)
    token_secret = token_secret_for(token_id)
    if token_secret is None:
        raise TbaRejected(TbaReason.UNKNOWN_TOKEN)
    skew = int(timestamp) - now
    if abs(skew) > max_skew_seconds:
        raise TbaRejected(TbaReason.STALE_TIMESTAMP, f"{skew:+.0f} s from server time")
    if not nonce or len(nonce) > MAX_NONCE_LENGTH:
        raise TbaRejected(TbaReason.INVALID_NONCE, f"nonce length {len(nonce)}")

    signed_params = [(name, value) for name, value in params.items() if name not in ("realm", "oauth_signature")]
    signed_params.extend(_query_params(url))
    try:
        base_uri = rfc5849_signature.base_string_uri(url)
    except ValueError as exc:
        raise TbaRejected(TbaReason.MALFORMED_REQUEST, "URL has no scheme or host") from exc
    base_string = rfc5849_signature.signature_base_string(method, base_uri, rfc5849_signature.normalize_parameters(signed_params))
    expected = rfc5849_signature.sign_hmac_sha256_with_client(base_string, _Secrets(consumer_secret, token_secret))
    if not hmac.compare_digest(expected.encode("utf-8"), params["oauth_signature"].encode("utf-8")):
        raise TbaRejected(TbaReason.BAD_SIGNATURE, f"base string {base_string}")
    if nonce_seen(consumer_key, token_id, nonce):
        raise TbaRejected(TbaReason.REPLAYED_NONCE)
    return TbaIdentity(consumer_key=consumer_key, token_id=token_id)
