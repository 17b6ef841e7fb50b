"""The NetSuite emulator over real localhost sockets: TBA signed by an independent RFC 5849 signer, and our connector."""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from returns_sandbox import rfc5849
from returns_sandbox.faults import FaultInjector
from returns_sandbox.netsuite.app import create_netsuite_app
from returns_sandbox.netsuite.models import NetSuiteBackend
from returns_sandbox.testing import SAMPLE_ACCOUNT_ID, RunningServer, netsuite_sample_world, serve_in_thread
from returns_sync.connectors import errors
from returns_sync.connectors.auth import NetSuiteTBAAuth
from returns_sync.connectors.netsuite import NetSuiteClient, suiteql_literal
from returns_sync.connectors.retry import RetryPolicy

pytestmark = pytest.mark.contract

CREDENTIALS = {
    "consumer_key": "consumer-key",
    "consumer_secret": "consumer-secret",
    "token_id": "token-north",
    "token_secret": "token-secret-north",
}
INVALID_LOGIN = {
    "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2",
    "title": "Unauthorized",
    "status": 401,
    "o:errorDetails": [
        {
            "detail": "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
            "Setup > Users/Roles > User Management > View Login Audit Trail.",
            "o:errorCode": "INVALID_LOGIN",
        }
    ],
}
WWW_AUTHENTICATE = 'OAuth realm="1234567_SB1", error="token_rejected", error_description="Invalid login attempt."'


@pytest.fixture
def backend() -> Iterator[NetSuiteBackend]:
    backend = NetSuiteBackend()
    backend.load_world(netsuite_sample_world())
    yield backend
    backend.close()


@pytest.fixture
def app(backend: NetSuiteBackend) -> FaultInjector:
    return create_netsuite_app(backend)


@pytest.fixture
def server(app: FaultInjector) -> Iterator[RunningServer]:
    running = serve_in_thread({"netsuite": app})
    yield running
    running.stop()


def connector(server: RunningServer, **overrides: Any) -> NetSuiteClient:
    return NetSuiteClient.from_credentials(base_url=server.url, account_id=SAMPLE_ACCOUNT_ID, **{**CREDENTIALS, **overrides})


def urllib_call(method: str, url: str, *, body: Any = None, **signing: Any) -> tuple[int, dict[str, str], Any]:
    """One request from a client that shares nothing with ours: urllib + the independent signer."""
    values = {**CREDENTIALS, "realm": SAMPLE_ACCOUNT_ID, "timestamp": int(time.time()), "nonce": secrets.token_hex(16), **signing}
    headers = {"Authorization": rfc5849.authorization_header(method=method, url=url, **values), "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
        if "suiteql" in url:
            headers["Prefer"] = "transient"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, dict(response.headers), json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


class TestTokenBasedAuth:
    def test_independent_signer_is_accepted(self, server: RunningServer, backend: NetSuiteBackend) -> None:
        status, _, body = urllib_call("GET", f"{server.url}/services/rest/record/v1/customer/401?fields=email,entityId")
        assert status == 200, body
        assert body["email"] == "ann@example.com"
        assert backend.login_audit[-1] == {**backend.login_audit[-1], "accepted": True, "token_id": "token-north"}

    def test_independent_signer_suiteql_with_signed_paging(self, server: RunningServer) -> None:
        url = f"{server.url}/services/rest/query/v1/suiteql?limit=1&offset=1"
        status, _, body = urllib_call("POST", url, body={"q": "SELECT id, email FROM customer ORDER BY id"})
        assert status == 200, body
        assert (body["offset"], body["count"], body["hasMore"]) == (1, 1, False)
        assert [(row["id"], row["email"]) for row in body["items"]] == [("402", "bob@example.com")]

    @pytest.mark.parametrize(
        ("signing", "reason"),
        [
            ({"consumer_secret": "wrong"}, "bad_signature"),
            ({"token_secret": "wrong"}, "bad_signature"),
            ({"token_id": "token-nobody"}, "unknown_token"),
            ({"consumer_key": "other-integration"}, "unknown_consumer"),
            ({"realm": "1234567_sb1"}, "bad_realm"),
            ({"timestamp": int(time.time()) - 3600}, "stale_timestamp"),
            ({"signature_method": "HMAC-SHA1"}, "unsupported_signature_method"),
        ],
    )
    def test_refusals_look_like_netsuite(
        self, server: RunningServer, backend: NetSuiteBackend, signing: dict, reason: str
    ) -> None:
        status, headers, body = urllib_call("GET", f"{server.url}/services/rest/record/v1/customer/401", **signing)
        assert status == 401
        assert body == INVALID_LOGIN
        assert {k.lower(): v for k, v in headers.items()}["www-authenticate"] == WWW_AUTHENTICATE
        assert backend.login_audit[-1]["accepted"] is False
        assert backend.login_audit[-1]["reason"] == reason  # the cause is only in the audit trail

    def test_tampered_query_is_refused(self, server: RunningServer, backend: NetSuiteBackend) -> None:
        url = f"{server.url}/services/rest/record/v1/customer?limit=1"
        header = rfc5849.authorization_header(
            method="GET", url=url, realm=SAMPLE_ACCOUNT_ID, timestamp=int(time.time()), nonce="tamper-1", **CREDENTIALS
        )
        response = httpx.get(url.replace("limit=1", "limit=2"), headers={"Authorization": header})
        assert (response.status_code, response.json()) == (401, INVALID_LOGIN)
        assert backend.login_audit[-1]["reason"] == "bad_signature"

    def test_replayed_nonce_is_refused(self, server: RunningServer, backend: NetSuiteBackend) -> None:
        url = f"{server.url}/services/rest/record/v1/customer/401"
        header = rfc5849.authorization_header(
            method="GET", url=url, realm=SAMPLE_ACCOUNT_ID, timestamp=int(time.time()), nonce="once-only", **CREDENTIALS
        )
        assert httpx.get(url, headers={"Authorization": header}).status_code == 200
        replay = httpx.get(url, headers={"Authorization": header})
        assert (replay.status_code, replay.json()) == (401, INVALID_LOGIN)
        assert backend.login_audit[-1]["reason"] == "replayed_nonce"

    def test_connector_with_a_wrong_secret_raises_authentication_error(self, server: RunningServer) -> None:
        with connector(server, token_secret="not-the-secret") as client, pytest.raises(errors.AuthenticationError) as info:
            client.get_record("customer", 401)
        assert (info.value.status_code, info.value.code) == (401, "INVALID_LOGIN")
        assert info.value.message == INVALID_LOGIN["o:errorDetails"][0]["detail"]
        assert "not-the-secret" not in str(info.value)


class TestConnector:
    def test_create_read_back_by_external_id_and_upsert(self, server: RunningServer) -> None:
        with connector(server) as client:
            body = {"externalId": "c-contract-1", "companyName": "Acme", "email": "acme@example.com", "subsidiary": {"id": "1"}}
            new_id = client.create_record("customer", body)
            found = client.get_record_by_external_id("customer", "c-contract-1")
            assert found is not None and found["id"] == new_id and found["companyName"] == "Acme"
            assert client.get_record_by_external_id("customer", "c-nobody") is None
            assert client.upsert_by_external_id("customer", "c-contract-1", {"companyName": "Acme Corp"}) == new_id
            assert client.get_record("customer", new_id, fields=["companyName"])["companyName"] == "Acme Corp"
            with pytest.raises(errors.PermanentApiError) as info:
                client.create_record("customer", body)
        # REST answers a taken externalId with USER_ERROR "This entity already exists" (DUP_RCRD is SOAP's).
        assert info.value.code == "USER_ERROR"
        assert "This entity already exists" in info.value.message

    def test_suiteql_across_pages_with_an_escaped_literal(self, server: RunningServer) -> None:
        emails = [f"o'hara.{n}@example.com" for n in range(5)]
        with connector(server) as client:
            for n, email in enumerate(emails):
                client.create_record(
                    "customer",
                    {"externalId": f"c-page-{n}", "companyName": f"O'Hara {n}", "email": email, "subsidiary": {"id": "1"}},
                )
            rows = list(
                client.suiteql("SELECT id, email, externalid FROM customer WHERE email LIKE 'o''hara.%' ORDER BY id", page_size=2)
            )
            one = client.suiteql_one(f"SELECT id, companyname FROM customer WHERE email = {suiteql_literal(emails[3])}")
        assert [row["email"] for row in rows] == emails
        assert all(set(row) == {"id", "email", "externalid"} and all(isinstance(v, str) for v in row.values()) for row in rows)
        assert one is not None and one["companyname"] == "O'Hara 3"

    def test_list_records_pages_through_the_collection(self, server: RunningServer) -> None:
        with connector(server) as client:
            ids = [item["id"] for item in client.list_records("customer", limit=1)]
        assert ids == ["401", "402"]

    def test_transform_sales_order_to_ra_then_item_receipt(self, server: RunningServer) -> None:
        with connector(server) as client:
            ra_id = client.transform(
                "salesOrder",
                7001,
                "returnAuthorization",
                {"externalId": "loop-north-1-ra", "item": {"items": [{"orderLine": 1, "quantity": 1}]}},
            )
            ra = client.get_record("returnAuthorization", ra_id)
            ir_id = client.transform("returnAuthorization", ra_id, "itemReceipt", {"externalId": "loop-north-1-ir-1"})
            status = client.suiteql_one(f"SELECT status FROM transaction WHERE id = {suiteql_literal(int(ra_id))}")
        assert ra["status"]["id"] == "B" and [line["quantity"] for line in ra["item"]["items"]] == [1]
        assert ir_id != ra_id and status is not None and status["status"] != "B"

    def test_lost_answer_on_a_write_is_maybe_committed_and_found_by_external_id(
        self, app: FaultInjector, server: RunningServer
    ) -> None:
        app.settings.update(p_timeout_after_commit=1.0, hang_seconds=5)
        client = NetSuiteClient.from_credentials(base_url=server.url, account_id=SAMPLE_ACCOUNT_ID, timeout=0.5, **CREDENTIALS)
        with client, pytest.raises(errors.TransientApiError) as info:
            client.create_record("customer", {"externalId": "c-lost", "companyName": "Lost Answer", "subsidiary": {"id": "1"}})
        assert info.value.maybe_committed is True
        app.settings.update(p_timeout_after_commit=0.0)
        with connector(server) as client:
            found = client.get_record_by_external_id("customer", "c-lost")
        assert found is not None and found["companyName"] == "Lost Answer"


class TestConcurrency:
    @staticmethod
    def run_parallel(calls: list[Any]) -> tuple[list[Any], list[Exception]]:
        results: list[Any] = []
        failures: list[Exception] = []
        lock = threading.Lock()

        def run(call: Any) -> None:
            try:
                value = call()
            except Exception as exc:
                with lock:
                    failures.append(exc)
            else:
                with lock:
                    results.append(value)

        threads = [threading.Thread(target=run, args=(call,)) for call in calls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return results, failures

    def test_twenty_parallel_calls_stay_under_the_limit(self, app: FaultInjector, server: RunningServer) -> None:
        app.settings.update(latency_ms=80)
        app.reset_stats()
        with connector(server) as client:  # max_concurrency=4 against the account's 5
            results, failures = self.run_parallel(
                [lambda n=n: client.get_record("customer", 401 + n % 2, fields=["email"]) for n in range(20)]
            )
        assert failures == [] and len(results) == 20
        assert app.stats.max_in_flight == 4
        assert app.stats.injected.get("concurrency_limit", 0) == 0

    def test_two_clients_over_the_limit_recover_by_retrying(self, app: FaultInjector, server: RunningServer) -> None:
        """Two workers with 4 slots each (8 > 5): NetSuite refuses some with 429, the retries get them all through."""
        app.settings.update(latency_ms=80)
        app.reset_stats()

        def make() -> NetSuiteClient:
            auth = NetSuiteTBAAuth(account_id=SAMPLE_ACCOUNT_ID, **CREDENTIALS)
            http = httpx.Client(base_url=server.url, auth=auth, timeout=httpx.Timeout(10.0))
            return NetSuiteClient(http, max_concurrency=4, retry=RetryPolicy(max_attempts=10, backoff_base=0.05))

        with make() as first, make() as second:
            calls = [
                lambda c=c: list(c.suiteql("SELECT id FROM customer ORDER BY id")) for c in (first, second) for _ in range(10)
            ]
            results, failures = self.run_parallel(calls)
        assert failures == []
        assert results == [[{"id": "401"}, {"id": "402"}]] * 20
        assert app.stats.max_in_flight <= 5
        assert app.stats.injected["concurrency_limit"] > 0  # the limit was really hit, and retried through


class TestInvalidLoginOnOverflow:
    """NetSuite sometimes answers a concurrency overflow with its uniform 401: one spurious 401 is survived."""

    def make(self, server: RunningServer, sleep: Any) -> NetSuiteClient:
        auth = NetSuiteTBAAuth(account_id=SAMPLE_ACCOUNT_ID, **CREDENTIALS)
        http = httpx.Client(base_url=server.url, auth=auth, timeout=httpx.Timeout(10.0))
        return NetSuiteClient(http, max_concurrency=4, retry=RetryPolicy(backoff_base=0.01, sleep=sleep))

    def test_a_spurious_overflow_401_is_tried_once_more_and_gets_through(self, app: FaultInjector, server: RunningServer) -> None:
        app.settings.update(concurrency_limit=0, p_invalid_login_on_overflow=1.0)  # every request over the limit
        app.reset_stats()

        def the_others_finish(_: float) -> None:
            app.settings.update(concurrency_limit=None)  # the account's default limit again

        with self.make(server, the_others_finish) as client:
            assert client.get_record("customer", 401, fields=["email"])["id"] == "401"
        assert app.stats.injected == {"invalid_login_on_overflow": 1} and app.stats.requests == 2

    def test_a_401_that_persists_is_a_credentials_failure(self, app: FaultInjector, server: RunningServer) -> None:
        app.settings.update(concurrency_limit=0, p_invalid_login_on_overflow=1.0)
        app.reset_stats()
        with self.make(server, lambda _: None) as client, pytest.raises(errors.AuthenticationError) as info:
            client.get_record("customer", 401)
        assert (info.value.status_code, info.value.code) == (401, "INVALID_LOGIN")
        assert app.stats.requests == 2
