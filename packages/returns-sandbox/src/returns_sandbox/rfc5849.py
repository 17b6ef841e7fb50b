"""An OAuth 1.0a signer written from RFC 5849 §3.4-3.6 with the standard library only: the oracle for TBA tests.

It shares no code with oauthlib or with the emulator's verifier (``netsuite/oauth.py``): the
verifier and any client's signer are each checked against this third implementation, so a bug
common to both cannot pass unnoticed. It ships with the sandbox so that every test suite driving the
NetSuite emulator can sign requests the same independent way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import string
import urllib.parse

__all__ = ["authorization_header", "base_string_uri", "normalized_parameters", "percent_encode", "sign", "signature_base_string"]

_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HASHES = {"HMAC-SHA256": hashlib.sha256, "HMAC-SHA1": hashlib.sha1}


def percent_encode(value: str) -> str:
    """§3.6: UTF-8 octets, every octet outside the unreserved set as ``%XX`` with upper-case hex."""
    return "".join(chr(octet) if chr(octet) in _UNRESERVED else f"%{octet:02X}" for octet in value.encode("utf-8"))


def base_string_uri(url: str) -> str:
    """§3.4.1.2: lower-case scheme and host, the port only when not the scheme's default, the path, no query."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    authority = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{authority}{parts.path or '/'}"


def normalized_parameters(pairs: list[tuple[str, str]]) -> str:
    """§3.4.1.3.2: encode names and values, sort by encoded name then encoded value, join ``k=v`` with ``&``."""
    encoded = sorted((percent_encode(name), percent_encode(value)) for name, value in pairs)
    return "&".join(f"{name}={value}" for name, value in encoded)


def signature_base_string(method: str, url: str, oauth_params: dict[str, str], form_body: str | None = None) -> str:
    """§3.4.1: ``METHOD&enc(base URI)&enc(normalized parameters)``.

    Parameters are the query (decoded as ``application/x-www-form-urlencoded``), the protocol parameters
    except ``realm`` and ``oauth_signature``, and a form-encoded body when one is given (§3.4.1.3.1).
    """
    pairs = urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True)
    pairs += [(name, value) for name, value in oauth_params.items() if name not in ("realm", "oauth_signature")]
    if form_body:
        pairs += urllib.parse.parse_qsl(form_body, keep_blank_values=True)
    return "&".join(
        [percent_encode(method.upper()), percent_encode(base_string_uri(url)), percent_encode(normalized_parameters(pairs))]
    )


def sign(base_string: str, consumer_secret: str, token_secret: str, method: str = "HMAC-SHA256") -> str:
    """§3.4.2: base64 of HMAC over the base string, keyed ``enc(consumer secret)&enc(token secret)``."""
    key = f"{percent_encode(consumer_secret)}&{percent_encode(token_secret)}"
    digest = hmac.new(key.encode("utf-8"), base_string.encode("utf-8"), _HASHES[method]).digest()
    return base64.b64encode(digest).decode("ascii")


def authorization_header(
    *,
    method: str,
    url: str,
    consumer_key: str,
    consumer_secret: str,
    token_id: str,
    token_secret: str,
    realm: str | None,
    timestamp: int | str,
    nonce: str,
    signature_method: str = "HMAC-SHA256",
    version: str | None = "1.0",
) -> str:
    """§3.5.1: the ``Authorization: OAuth …`` value for one request.

    Args:
        method: HTTP method.
        url: full URL including the query string.
        consumer_key: integration consumer key.
        consumer_secret: integration consumer secret.
        token_id: access token id.
        token_secret: access token secret.
        realm: NetSuite account id, or ``None`` to leave it out.
        timestamp: Unix seconds.
        nonce: the nonce.
        signature_method: ``HMAC-SHA256`` (NetSuite) or ``HMAC-SHA1`` (refused by NetSuite since 2023.1).
        version: ``oauth_version``; ``None`` leaves it out.
    """
    params = {
        "oauth_consumer_key": consumer_key,
        "oauth_token": token_id,
        "oauth_signature_method": signature_method,
        "oauth_timestamp": str(timestamp),
        "oauth_nonce": nonce,
    }
    if version is not None:
        params["oauth_version"] = version
    params["oauth_signature"] = sign(signature_base_string(method, url, params), consumer_secret, token_secret, signature_method)
    parts = [f'realm="{realm}"'] if realm is not None else []
    parts += [f'{percent_encode(name)}="{percent_encode(value)}"' for name, value in params.items()]
    return "OAuth " + ", ".join(parts)
