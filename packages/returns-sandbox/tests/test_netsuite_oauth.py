"""The NetSuite emulator's TBA verifier against an independent RFC 5849 signer and oauthlib (the product's signer is tested in its own suite)."""

from __future__ import annotations

import urllib.parse
from typing import ClassVar

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256
from oauthlib.oauth1 import Client as OAuth1Client

from returns_sandbox import rfc5849
from returns_sandbox.netsuite.oauth import (
    MAX_NONCE_LENGTH,
    TbaIdentity,
    TbaReason,
    TbaRejected,
    request_url,
    verify_tba_request,
)

ACCOUNT = "1234567_SB1"
CONSUMER_KEY = "ck-returns-sync-0001"
CONSUMER_SECRET = "cs-Sup3r&Secret+/="
TOKEN_ID = "tk-integration-role-0002"
TOKEN_SECRET = "ts-An0ther %~secret"
NOW = 1_700_000_000
URL = "http://127.0.0.1:8701/services/rest/record/v1/customer/5?limit=1"


class Keyring:
    """The emulator's side: known integrations and tokens, and the nonces already used."""

    def __init__(self) -> None:
        self.consumers = {CONSUMER_KEY: CONSUMER_SECRET}
        self.tokens = {TOKEN_ID: TOKEN_SECRET}
        self.nonces: set[tuple[str, str, str]] = set()

    def nonce_seen(self, consumer_key: str, token_id: str, nonce: str) -> bool:
        key = (consumer_key, token_id, nonce)
        seen = key in self.nonces
        self.nonces.add(key)
        return seen

    def verify(self, authorization: str | None, *, method: str = "GET", url: str = URL, now: float = NOW) -> TbaIdentity:
        return verify_tba_request(
            method=method,
            url=url,
            authorization=authorization,
            account_id=ACCOUNT,
            consumer_secret_for=self.consumers.get,
            token_secret_for=self.tokens.get,
            nonce_seen=self.nonce_seen,
            now=now,
        )


@pytest.fixture
def keyring() -> Keyring:
    return Keyring()


def signed(*, method: str = "GET", url: str = URL, **overrides: object) -> str:
    """An Authorization header from the independent signer; keyword overrides change any input."""
    args: dict[str, object] = {
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
        "token_id": TOKEN_ID,
        "token_secret": TOKEN_SECRET,
        "realm": ACCOUNT,
        "timestamp": NOW,
        "nonce": "nonce-0001",
    }
    args.update(overrides)
    return rfc5849.authorization_header(method=method, url=url, **args)  # type: ignore[arg-type]


def rejected(keyring: Keyring, authorization: str | None, **kwargs: object) -> TbaRejected:
    with pytest.raises(TbaRejected) as info:
        keyring.verify(authorization, **kwargs)  # type: ignore[arg-type]
    return info.value


class TestAccepted:
    def test_independent_signer(self, keyring: Keyring) -> None:
        assert keyring.verify(signed()) == TbaIdentity(consumer_key=CONSUMER_KEY, token_id=TOKEN_ID)

    @pytest.mark.parametrize("skew", [-300, 0, 300])
    def test_timestamp_within_five_minutes(self, keyring: Keyring, skew: int) -> None:
        assert keyring.verify(signed(timestamp=NOW + skew)).token_id == TOKEN_ID

    def test_oauth_version_is_optional(self, keyring: Keyring) -> None:
        assert keyring.verify(signed(version=None)).consumer_key == CONSUMER_KEY

    def test_nonce_of_max_length(self, keyring: Keyring) -> None:
        assert keyring.verify(signed(nonce="n" * MAX_NONCE_LENGTH)).token_id == TOKEN_ID

    def test_base_uri_is_normalised(self, keyring: Keyring) -> None:
        """Scheme and host case and the default port do not change the signature (RFC 5849 §3.4.1.2)."""
        header = signed(url="HTTPS://1234567-SB1.SuiteTalk.api.netsuite.com:443/services/rest/record/v1/customer/5?limit=1")
        assert keyring.verify(
            header, url="https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/customer/5?limit=1"
        )

    def test_query_parameter_order_does_not_matter(self, keyring: Keyring) -> None:
        header = signed(url="http://127.0.0.1:8701/services/rest/record/v1/customer?limit=5&offset=10")
        assert keyring.verify(header, url="http://127.0.0.1:8701/services/rest/record/v1/customer?offset=10&limit=5")

    def test_percent_encoded_keys_in_header(self, keyring: Keyring) -> None:
        keyring.consumers["ck+/= é"] = "secret"
        assert keyring.verify(signed(consumer_key="ck+/= é", consumer_secret="secret")).consumer_key == "ck+/= é"

    def test_scheme_name_is_case_insensitive(self, keyring: Keyring) -> None:
        assert keyring.verify("oauth" + signed()[len("OAuth") :]).token_id == TOKEN_ID


class TestRejected:
    def test_tampered_query_parameter(self, keyring: Keyring) -> None:
        header = signed(url=URL)
        assert rejected(keyring, header, url=URL.replace("limit=1", "limit=2")).reason is TbaReason.BAD_SIGNATURE

    def test_added_query_parameter(self, keyring: Keyring) -> None:
        assert rejected(keyring, signed(), url=URL + "&offset=5").reason is TbaReason.BAD_SIGNATURE

    def test_other_method(self, keyring: Keyring) -> None:
        assert rejected(keyring, signed(method="GET"), method="DELETE").reason is TbaReason.BAD_SIGNATURE

    def test_other_path(self, keyring: Keyring) -> None:
        assert rejected(keyring, signed(), url=URL.replace("customer/5", "customer/6")).reason is TbaReason.BAD_SIGNATURE

    def test_other_port(self, keyring: Keyring) -> None:
        assert rejected(keyring, signed(), url=URL.replace(":8701", ":8702")).reason is TbaReason.BAD_SIGNATURE

    def test_wrong_consumer_secret(self, keyring: Keyring) -> None:
        assert rejected(keyring, signed(consumer_secret="not-it")).reason is TbaReason.BAD_SIGNATURE

    def test_wrong_token_secret(self, keyring: Keyring) -> None:
        assert rejected(keyring, signed(token_secret="not-it")).reason is TbaReason.BAD_SIGNATURE

    def test_unknown_token(self, keyring: Keyring) -> None:
        assert rejected(keyring, signed(token_id="tk-revoked")).reason is TbaReason.UNKNOWN_TOKEN

    def test_unknown_consumer(self, keyring: Keyring) -> None:
        assert rejected(keyring, signed(consumer_key="ck-other")).reason is TbaReason.UNKNOWN_CONSUMER

    @pytest.mark.parametrize("skew", [-301, 301, -86_400])
    def test_stale_timestamp(self, keyring: Keyring, skew: int) -> None:
        assert rejected(keyring, signed(timestamp=NOW + skew)).reason is TbaReason.STALE_TIMESTAMP

    def test_replayed_nonce(self, keyring: Keyring) -> None:
        header = signed()
        keyring.verify(header)
        assert rejected(keyring, header).reason is TbaReason.REPLAYED_NONCE

    def test_same_nonce_with_another_timestamp_is_still_a_replay(self, keyring: Keyring) -> None:
        keyring.verify(signed(nonce="once"))
        assert rejected(keyring, signed(nonce="once", timestamp=NOW + 1)).reason is TbaReason.REPLAYED_NONCE

    def test_forged_request_does_not_burn_the_nonce(self, keyring: Keyring) -> None:
        assert rejected(keyring, signed(nonce="shared", token_secret="forged")).reason is TbaReason.BAD_SIGNATURE
        assert keyring.verify(signed(nonce="shared")).token_id == TOKEN_ID

    @pytest.mark.parametrize("nonce", ["", "n" * (MAX_NONCE_LENGTH + 1)])
    def test_bad_nonce(self, keyring: Keyring, nonce: str) -> None:
        assert rejected(keyring, signed(nonce=nonce)).reason is TbaReason.INVALID_NONCE

    @pytest.mark.parametrize("realm", ["1234567_sb1", "1234567-SB1", "1234567", "", None])
    def test_realm_must_be_the_account_id(self, keyring: Keyring, realm: str | None) -> None:
        assert rejected(keyring, signed(realm=realm)).reason is TbaReason.BAD_REALM

    @pytest.mark.parametrize("method", ["HMAC-SHA1", "PLAINTEXT", "RSA-SHA256", "hmac-sha256"])
    def test_signature_method_must_be_hmac_sha256(self, keyring: Keyring, method: str) -> None:
        header = signed(signature_method="HMAC-SHA1") if method == "HMAC-SHA1" else signed().replace("HMAC-SHA256", method)
        assert rejected(keyring, header).reason is TbaReason.UNSUPPORTED_SIGNATURE_METHOD

    def test_oauth_version_other_than_1_0(self, keyring: Keyring) -> None:
        assert rejected(keyring, signed(version="2.0")).reason is TbaReason.UNSUPPORTED_VERSION

    @pytest.mark.parametrize("header", [None, "", "   "])
    def test_missing_header(self, keyring: Keyring, header: str | None) -> None:
        assert rejected(keyring, header).reason is TbaReason.MISSING_HEADER

    @pytest.mark.parametrize(
        "header",
        [
            "Bearer eyJhbGciOiJQUzI1NiJ9.e30.sig",
            "Basic dXNlcjpwYXNz",
            "OAuth",
            "OAuth garbage",
            "OAuth ,,,",
            "\x00\x01 binary",
        ],
    )
    def test_garbage_header(self, keyring: Keyring, header: str) -> None:
        assert rejected(keyring, header).reason is TbaReason.MALFORMED_HEADER

    def test_unquoted_values(self, keyring: Keyring) -> None:
        header = signed().replace('"', "")
        assert rejected(keyring, header).reason is TbaReason.MALFORMED_HEADER

    def test_repeated_parameter(self, keyring: Keyring) -> None:
        header = signed() + ', oauth_nonce="another"'
        assert rejected(keyring, header).reason is TbaReason.MALFORMED_HEADER

    def test_missing_signature(self, keyring: Keyring) -> None:
        header = ", ".join(part for part in signed().split(", ") if not part.startswith("oauth_signature="))
        error = rejected(keyring, header)
        assert error.reason is TbaReason.MALFORMED_HEADER
        assert "oauth_signature" in error.detail

    def test_unexpected_parameter(self, keyring: Keyring) -> None:
        assert rejected(keyring, signed() + ', foo="bar"').reason is TbaReason.MALFORMED_HEADER

    def test_non_numeric_timestamp(self, keyring: Keyring) -> None:
        assert rejected(keyring, signed(timestamp="17e8")).reason is TbaReason.MALFORMED_HEADER

    def test_protocol_parameters_in_the_query(self, keyring: Keyring) -> None:
        url = URL + "&oauth_token=" + TOKEN_ID
        assert rejected(keyring, signed(url=url), url=url).reason is TbaReason.MALFORMED_REQUEST

    def test_rejections_never_carry_secrets(self, keyring: Keyring) -> None:
        for header in (signed(consumer_secret="wrong"), signed(timestamp=NOW - 999), signed(realm="x")):
            error = rejected(keyring, header)
            for secret in (CONSUMER_SECRET, TOKEN_SECRET):
                assert secret not in str(error) and secret not in error.detail


class TestVectors:
    """Fixed inputs -> known signatures. The RFC's own examples pin the independent signer; the NetSuite
    vector then pins oauthlib and the verifier to it (and, in the product's tests, the connector's signer)."""

    NS_URL = (
        "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/returnAuthorization/42"
        "?expandSubResources=true&fields=tranId,status"
    )
    NS_SIGNATURE = "Q3aBAKef7XyX68LrUw62N9XL+5ipA1CiUjcRG7MOjIU="
    NS_BASE_STRING = (
        "GET&https%3A%2F%2F1234567-sb1.suitetalk.api.netsuite.com%2Fservices%2Frest%2Frecord%2Fv1%2FreturnAuthorization%2F42&"
        "expandSubResources%3Dtrue%26fields%3DtranId%252Cstatus%26oauth_consumer_key%3Dck-0123%26oauth_nonce%3Dn0nce4Vector"
        "%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1700000000%26oauth_token%3Dtk-4567%26oauth_version%3D1.0"
    )
    NS_INPUTS: ClassVar[dict[str, str]] = {
        "consumer_key": "ck-0123",
        "consumer_secret": "cs&secret+/=",
        "token_id": "tk-4567",
        "token_secret": "ts %~secret",
    }

    def test_rfc5849_section_1_2_photos_request(self) -> None:
        params = {
            "oauth_consumer_key": "dpf43f3p2l4k3l03",
            "oauth_token": "nnch734d00sl2jdk",
            "oauth_signature_method": "HMAC-SHA1",
            "oauth_timestamp": "137131202",
            "oauth_nonce": "chapoH",
        }
        base = rfc5849.signature_base_string("GET", "http://photos.example.net/photos?file=vacation.jpg&size=original", params)
        assert rfc5849.sign(base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00", "HMAC-SHA1") == "MdpQcU8iPSUjWoN/UDMsK2sui9I="

    def test_rfc5849_section_3_4_1_base_string(self) -> None:
        params = {
            "oauth_consumer_key": "9djdj82h48djs9d2",
            "oauth_token": "kkk9d7dh3k39sjv7",
            "oauth_signature_method": "HMAC-SHA1",
            "oauth_timestamp": "137131201",
            "oauth_nonce": "7d8f3e4a",
            "oauth_signature": "ignored",
            "realm": "Example",
        }
        base = rfc5849.signature_base_string(
            "POST", "http://EXAMPLE.COM:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", params, "c2&a3=2+q"
        )
        assert base == (
            "POST&http%3A%2F%2Fexample.com%2Frequest&"
            "a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26"
            "oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26"
            "oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
        )

    def test_percent_encoding_is_rfc3986_unreserved_only(self) -> None:
        assert rfc5849.percent_encode("Aa0-._~ +*/=%é") == "Aa0-._~%20%2B%2A%2F%3D%25%C3%A9"

    def test_netsuite_vector_independent_signer(self) -> None:
        params = {
            "oauth_consumer_key": "ck-0123",
            "oauth_token": "tk-4567",
            "oauth_signature_method": "HMAC-SHA256",
            "oauth_timestamp": "1700000000",
            "oauth_nonce": "n0nce4Vector",
            "oauth_version": "1.0",
        }
        base = rfc5849.signature_base_string("GET", self.NS_URL, params)
        assert base == self.NS_BASE_STRING
        assert rfc5849.sign(base, "cs&secret+/=", "ts %~secret") == self.NS_SIGNATURE

    def test_netsuite_vector_oauthlib(self) -> None:
        client = OAuth1Client(
            "ck-0123",
            client_secret="cs&secret+/=",
            resource_owner_key="tk-4567",
            resource_owner_secret="ts %~secret",
            signature_method=SIGNATURE_HMAC_SHA256,
            realm=ACCOUNT,
            nonce="n0nce4Vector",
            timestamp="1700000000",
        )
        header = client.sign(self.NS_URL, "GET")[1]["Authorization"]
        assert f'oauth_signature="{urllib.parse.quote(self.NS_SIGNATURE, safe="")}"' in header

    def test_netsuite_vector_verifier(self) -> None:
        header = rfc5849.authorization_header(
            method="GET", url=self.NS_URL, realm=ACCOUNT, timestamp=1_700_000_000, nonce="n0nce4Vector", **self.NS_INPUTS
        )
        assert f'oauth_signature="{urllib.parse.quote(self.NS_SIGNATURE, safe="")}"' in header
        keyring = Keyring()
        keyring.consumers = {"ck-0123": "cs&secret+/="}
        keyring.tokens = {"tk-4567": "ts %~secret"}
        assert keyring.verify(header, url=self.NS_URL, now=1_700_000_000) == TbaIdentity("ck-0123", "tk-4567")

    def test_sha1_signatures_differ_from_sha256(self) -> None:
        client = OAuth1Client(
            "ck",
            client_secret="cs",
            resource_owner_key="t",
            resource_owner_secret="ts",
            signature_method=SIGNATURE_HMAC_SHA1,
            nonce="n",
            timestamp="1",
        )
        sha1 = client.sign("https://example.com/a")[1]["Authorization"]
        ours = rfc5849.authorization_header(
            method="GET",
            url="https://example.com/a",
            consumer_key="ck",
            consumer_secret="cs",
            token_id="t",
            token_secret="ts",
            realm=None,
            timestamp=1,
            nonce="n",
            signature_method="HMAC-SHA1",
        )
        assert sha1.split("oauth_signature=")[1] == ours.split("oauth_signature=")[1]


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    query=st.lists(
        st.tuples(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8), _text),
        max_size=4,
    ),
    consumer_secret=_text,
    token_secret=_text,
    method=st.sampled_from(["GET", "POST", "PATCH", "PUT", "DELETE"]),
)
def test_independent_signer_oauthlib_and_verifier_agree(
    query: list[tuple[str, str]], consumer_secret: str, token_secret: str, method: str
) -> None:
    """Whatever the query and secrets, oauthlib's header equals the independent one and the verifier takes both."""
    query = [(name, value) for name, value in query if not name.startswith("oauth_")]
    url = str(httpx.URL("http://127.0.0.1:8701/services/rest/record/v1/customer", params=query))
    keyring = Keyring()
    keyring.consumers = {CONSUMER_KEY: consumer_secret}
    keyring.tokens = {TOKEN_ID: token_secret}
    independent = rfc5849.authorization_header(
        method=method,
        url=url,
        consumer_key=CONSUMER_KEY,
        consumer_secret=consumer_secret,
        token_id=TOKEN_ID,
        token_secret=token_secret,
        realm=ACCOUNT,
        timestamp=NOW,
        nonce="prop-nonce",
    )
    client = OAuth1Client(
        CONSUMER_KEY,
        client_secret=consumer_secret,
        resource_owner_key=TOKEN_ID,
        resource_owner_secret=token_secret,
        signature_method=SIGNATURE_HMAC_SHA256,
        realm=ACCOUNT,
        nonce="prop-nonce",
        timestamp=str(NOW),
    )
    oauthlib_header = client.sign(url, http_method=method)[1]["Authorization"]
    assert oauthlib_header.split("oauth_signature=")[1] == independent.split("oauth_signature=")[1]
    assert keyring.verify(independent, method=method, url=url) == TbaIdentity(CONSUMER_KEY, TOKEN_ID)
    keyring.nonces.clear()
    assert keyring.verify(oauthlib_header, method=method, url=url) == TbaIdentity(CONSUMER_KEY, TOKEN_ID)


class TestRequestUrl:
    def test_uses_host_header_raw_path_and_query(self) -> None:
        scope = {
            "type": "http",
            "scheme": "http",
            "server": ("127.0.0.1", 8701),
            "path": "/services/rest/record/v1/customer/eid:a b",
            "raw_path": b"/services/rest/record/v1/customer/eid:a%20b",
            "query_string": b"fields=a%2Cb&limit=1",
            "headers": [(b"host", b"127.0.0.1:8701")],
        }
        assert request_url(scope) == "http://127.0.0.1:8701/services/rest/record/v1/customer/eid:a%20b?fields=a%2Cb&limit=1"

    def test_falls_back_to_server_address(self) -> None:
        scope = {
            "type": "http",
            "scheme": "http",
            "server": ("127.0.0.1", 9000),
            "path": "/x",
            "query_string": b"",
            "headers": [],
        }
        assert request_url(scope) == "http://127.0.0.1:9000/x"

    def test_escaped_path_round_trips_through_the_verifier(self, keyring: Keyring) -> None:
        url = "http://127.0.0.1:8701/services/rest/record/v1/customer/eid:a%20b"
        scope = {
            "scheme": "http",
            "path": "/services/rest/record/v1/customer/eid:a b",
            "raw_path": b"/services/rest/record/v1/customer/eid:a%20b",
            "query_string": b"",
            "headers": [(b"host", b"127.0.0.1:8701")],
        }
        assert keyring.verify(signed(url=url), url=request_url(scope)).token_id == TOKEN_ID
