"""The connector's TBA signer (``NetSuiteTBAAuth``) against the NetSuite emulator's verifier and an independent RFC 5849 signer."""

from __future__ import annotations

import time
import urllib.parse
from unittest import mock

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from returns_sandbox import rfc5849
from returns_sandbox.netsuite.oauth import TbaIdentity, TbaRejected, verify_tba_request
from returns_sync.connectors.auth import NetSuiteTBAAuth

ACCOUNT = "1234567_SB1"
CONSUMER_KEY = "ck-returns-sync-0001"
CONSUMER_SECRET = "cs-Sup3r&Secret+/="
TOKEN_ID = "tk-integration-role-0002"
TOKEN_SECRET = "ts-An0ther %~secret"
NOW = 1_700_000_000
# A fixed request whose signature RFC 5849 pins (the sandbox's tests check the independent signer and the verifier on it).
NS_URL = (
    "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/returnAuthorization/42"
    "?expandSubResources=true&fields=tranId,status"
)
NS_SIGNATURE = "Q3aBAKef7XyX68LrUw62N9XL+5ipA1CiUjcRG7MOjIU="
NS_INPUTS = {"consumer_key": "ck-0123", "consumer_secret": "cs&secret+/=", "token_id": "tk-4567", "token_secret": "ts %~secret"}


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

    def verify(self, authorization: str | None, *, method: str = "GET", url: str, now: float = NOW) -> TbaIdentity:
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


class TestConnectorSigner:
    """``NetSuiteTBAAuth`` (oauthlib underneath) against the verifier, through httpx as the connector sends."""

    @staticmethod
    def client(keyring: Keyring) -> httpx.Client:
        def handler(request: httpx.Request) -> httpx.Response:
            try:
                identity = keyring.verify(
                    request.headers.get("Authorization"), method=request.method, url=str(request.url), now=time.time()
                )
            except TbaRejected as exc:
                return httpx.Response(401, json={"reason": str(exc.reason)})
            return httpx.Response(200, json={"token": identity.token_id, "authorization": request.headers["Authorization"]})

        auth = NetSuiteTBAAuth(
            account_id=ACCOUNT,
            consumer_key=CONSUMER_KEY,
            consumer_secret=CONSUMER_SECRET,
            token_id=TOKEN_ID,
            token_secret=TOKEN_SECRET,
        )
        return httpx.Client(base_url="http://127.0.0.1:8701", auth=auth, transport=httpx.MockTransport(handler))

    @pytest.mark.parametrize(
        ("method", "path", "params", "body"),
        [
            ("GET", "/services/rest/record/v1/customer/5", {"expandSubResources": "true", "fields": "email,entityId"}, None),
            (
                "GET",
                "/services/rest/record/v1/customer",
                {"q": 'email START_WITH "o\'brien+x"', "limit": 1000, "offset": 0},
                None,
            ),
            ("GET", "/services/rest/record/v1/returnAuthorization/eid:loop-main-123-ra", None, None),
            (
                "POST",
                "/services/rest/query/v1/suiteql",
                {"limit": 2, "offset": 4},
                {"q": "SELECT id FROM transaction ORDER BY id"},
            ),
            (
                "POST",
                "/services/rest/record/v1/salesOrder/7/!transform/returnAuthorization",
                {"replace": "item"},
                {"item": {"items": []}},
            ),
            ("PATCH", "/services/rest/record/v1/returnAuthorization/9", None, {"memo": "é ü"}),
            ("DELETE", "/services/rest/record/v1/customer/5", None, None),
        ],
    )
    def test_requests_are_accepted(
        self, keyring: Keyring, method: str, path: str, params: dict | None, body: dict | None
    ) -> None:
        with self.client(keyring) as http:
            response = http.request(method, path, params=params, json=body)
        assert response.status_code == 200, response.json()
        assert "oauth_body_hash" not in response.json()["authorization"]

    def test_every_attempt_gets_a_fresh_nonce(self, keyring: Keyring) -> None:
        with self.client(keyring) as http:
            first = http.get("/services/rest/record/v1/customer/5").json()["authorization"]
            second = http.get("/services/rest/record/v1/customer/5").json()["authorization"]

        def nonce(header: str) -> str:
            return urllib.parse.parse_qs(header.replace(", ", "&").replace('"', ""))["oauth_nonce"][0]

        assert nonce(first) != nonce(second)

    def test_realm_is_sent_uppercase(self, keyring: Keyring) -> None:
        with self.client(keyring) as http:
            header = http.get("/services/rest/record/v1/customer/5").json()["authorization"]
        assert header.startswith('OAuth realm="1234567_SB1", ')
        assert 'oauth_signature_method="HMAC-SHA256"' in header

    def test_repr_hides_credentials(self) -> None:
        auth = NetSuiteTBAAuth(
            account_id=ACCOUNT,
            consumer_key=CONSUMER_KEY,
            consumer_secret=CONSUMER_SECRET,
            token_id=TOKEN_ID,
            token_secret=TOKEN_SECRET,
        )
        text = repr(auth)
        assert ACCOUNT in text
        for secret in (CONSUMER_KEY, CONSUMER_SECRET, TOKEN_ID, TOKEN_SECRET):
            assert secret not in text


def test_netsuite_vector_connector_signer() -> None:
    """The RFC-pinned NetSuite vector: the connector signs it to the same signature."""
    seen: list[str] = []
    auth = NetSuiteTBAAuth(account_id=ACCOUNT, **NS_INPUTS)
    transport = httpx.MockTransport(lambda request: seen.append(request.headers["Authorization"]) or httpx.Response(204))
    with (
        mock.patch("oauthlib.oauth1.rfc5849.generate_nonce", return_value="n0nce4Vector"),
        mock.patch("oauthlib.oauth1.rfc5849.generate_timestamp", return_value="1700000000"),
        httpx.Client(auth=auth, transport=transport) as http,
    ):
        http.get(NS_URL)
    assert f'oauth_signature="{urllib.parse.quote(NS_SIGNATURE, safe="")}"' in seen[0]


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
def test_all_three_implementations_agree(
    query: list[tuple[str, str]], consumer_secret: str, token_secret: str, method: str
) -> None:
    """Whatever the query and secrets, the connector's header equals the independent one and the verifier takes both."""
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
    seen: list[httpx.Request] = []
    auth = NetSuiteTBAAuth(
        account_id=ACCOUNT,
        consumer_key=CONSUMER_KEY,
        consumer_secret=consumer_secret,
        token_id=TOKEN_ID,
        token_secret=token_secret,
    )
    transport = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(204))
    with (
        mock.patch("oauthlib.oauth1.rfc5849.generate_nonce", return_value="prop-nonce"),
        mock.patch("oauthlib.oauth1.rfc5849.generate_timestamp", return_value=str(NOW)),
        httpx.Client(auth=auth, transport=transport) as http,
    ):
        http.request(method, url)
    ours = seen[0].headers["Authorization"]
    assert ours.split("oauth_signature=")[1] == independent.split("oauth_signature=")[1]
    assert keyring.verify(independent, method=method, url=str(seen[0].url)) == TbaIdentity(CONSUMER_KEY, TOKEN_ID)
    keyring.nonces.clear()
    assert keyring.verify(ours, method=method, url=str(seen[0].url)) == TbaIdentity(CONSUMER_KEY, TOKEN_ID)
