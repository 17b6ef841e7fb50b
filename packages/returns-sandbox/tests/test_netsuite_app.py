"""The NetSuite emulator's HTTP edges: TBA, SuiteQL envelope, concurrency limit and fault knobs, and the /_sandbox routes."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256
from oauthlib.oauth1 import Client as OAuth1Client

from returns_sandbox.faults import FaultSettings
from returns_sandbox.netsuite.app import create_netsuite_app
from returns_sandbox.netsuite.models import NetSuiteBackend
from returns_sandbox.netsuite.sample import SAMPLE_ACCOUNT_ID, sample_world
from returns_sandbox.server import serve_in_thread

BASE = "https://1234567-sb1.suitetalk.api.netsuite.com"
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
CONCURRENCY = {
    "type": "https://www.rfc-editor.org/rfc/rfc6585.html#section-4",
    "title": "Too Many Requests",
    "status": 429,
    "o:errorDetails": [
        {"detail": "Concurrent request limit exceeded. Request blocked.", "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED"}
    ],
}
SUITEQL = "/services/rest/query/v1/suiteql"


@pytest.fixture
def backend() -> Iterator[NetSuiteBackend]:
    backend = NetSuiteBackend()
    backend.load_world(sample_world())
    yield backend
    backend.close()


def asgi_client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


@pytest.fixture
async def client(backend: NetSuiteBackend) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(create_netsuite_app(backend, auth_required=False)) as client:
        yield client


def signed(
    method: str, url: str, *, token: str = "token-north", token_secret: str = "token-secret-north", realm: str = SAMPLE_ACCOUNT_ID
) -> dict[str, str]:
    signer = OAuth1Client(
        "consumer-key",
        client_secret="consumer-secret",
        resource_owner_key=token,
        resource_owner_secret=token_secret,
        signature_method=SIGNATURE_HMAC_SHA256,
        realm=realm,
    )
    _, headers, _ = signer.sign(url, http_method=method)
    return {"Authorization": headers["Authorization"]}


class TestTokenBasedAuth:
    @pytest.fixture
    async def secured(self, backend: NetSuiteBackend) -> AsyncIterator[httpx.AsyncClient]:
        async with asgi_client(create_netsuite_app(backend)) as client:
            yield client

    async def test_missing_header_gets_invalid_login(self, secured: httpx.AsyncClient, backend: NetSuiteBackend) -> None:
        response = await secured.get("/services/rest/record/v1/customer/401")
        assert response.status_code == 401
        assert response.json() == INVALID_LOGIN
        assert response.headers["www-authenticate"] == (
            'OAuth realm="1234567_SB1", error="token_rejected", error_description="Invalid login attempt."'
        )
        assert backend.login_audit[-1]["reason"] == "missing_header"

    async def test_signed_request_passes(self, secured: httpx.AsyncClient) -> None:
        url = f"{BASE}/services/rest/record/v1/customer/401?fields=email,entityId"
        response = await secured.get(url, headers=signed("GET", url))
        assert response.status_code == 200, response.text
        assert response.json()["email"] == "ann@example.com"

    async def test_signed_post_with_json_body(self, secured: httpx.AsyncClient) -> None:
        url = f"{BASE}/services/rest/record/v1/customer"
        response = await secured.post(
            url, json={"firstName": "Cy"}, headers=signed("POST", url, token="token-south", token_secret="token-secret-south")
        )
        assert response.status_code == 204

    async def test_replayed_nonce_is_refused(self, secured: httpx.AsyncClient, backend: NetSuiteBackend) -> None:
        url = f"{BASE}/services/rest/record/v1/customer/401"
        headers = signed("GET", url)
        assert (await secured.get(url, headers=headers)).status_code == 200
        again = await secured.get(url, headers=headers)
        assert again.status_code == 401 and again.json() == INVALID_LOGIN
        assert backend.login_audit[-1]["reason"] == "replayed_nonce"

    @pytest.mark.parametrize(
        ("kwargs", "reason"),
        [
            ({"realm": "1234567_sb1"}, "bad_realm"),
            ({"token_secret": "wrong"}, "bad_signature"),
            ({"token": "ghost"}, "unknown_token"),
        ],
    )
    async def test_bad_credentials(
        self, secured: httpx.AsyncClient, backend: NetSuiteBackend, kwargs: dict[str, str], reason: str
    ) -> None:
        url = f"{BASE}/services/rest/record/v1/customer/401"
        response = await secured.get(url, headers=signed("GET", url, **kwargs))
        assert response.status_code == 401 and response.json() == INVALID_LOGIN
        assert backend.login_audit[-1]["reason"] == reason

    async def test_revoked_token(self, secured: httpx.AsyncClient, backend: NetSuiteBackend) -> None:
        backend.revoke_token("token-north")
        url = f"{BASE}/services/rest/record/v1/customer/401"
        assert (await secured.get(url, headers=signed("GET", url))).status_code == 401

    async def test_an_inactive_token_is_refused_until_inactive_is_cleared(
        self, secured: httpx.AsyncClient, backend: NetSuiteBackend
    ) -> None:
        url = f"{BASE}/services/rest/record/v1/customer/401"
        inactive = await secured.post("/_sandbox/netsuite/tokens/token-north/inactive", json={"inactive": True})
        assert inactive.status_code == 200
        refused = await secured.get(url, headers=signed("GET", url))
        assert refused.status_code == 401 and refused.json() == INVALID_LOGIN
        await secured.post("/_sandbox/netsuite/tokens/token-north/inactive", json={"inactive": False})
        assert (await secured.get(url, headers=signed("GET", url))).status_code != 401
        assert (await secured.post("/_sandbox/netsuite/tokens/ghost/inactive", json={})).status_code == 404

    async def test_a_revoked_token_stays_refused_when_inactive_is_cleared(
        self, secured: httpx.AsyncClient, backend: NetSuiteBackend
    ) -> None:
        backend.revoke_token("token-north")
        backend.set_token_inactive("token-north", False)
        url = f"{BASE}/services/rest/record/v1/customer/401"
        assert (await secured.get(url, headers=signed("GET", url))).status_code == 401

    async def test_sandbox_routes_need_no_signature(self, secured: httpx.AsyncClient) -> None:
        assert (await secured.get("/_sandbox/faults")).status_code == 200


class TestSuiteQL:
    async def test_prefer_transient_is_required(self, client: httpx.AsyncClient) -> None:
        response = await client.post(SUITEQL, json={"q": "SELECT id FROM transaction"})
        assert response.status_code == 400
        assert response.json()["o:errorDetails"] == [
            {
                "detail": "The request header 'Prefer: transient' is required for SuiteQL queries.",
                "o:errorCode": "INVALID_PARAMETER",
                "o:errorHeader": "Prefer",
            }
        ]

    async def test_envelope_and_paging_links(self, client: httpx.AsyncClient) -> None:
        query = {"q": "SELECT id, tranid FROM transaction WHERE type = 'SalesOrd' ORDER BY id"}
        response = await client.post(SUITEQL, params={"limit": 1}, json=query, headers={"Prefer": "transient"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["items"] == [{"links": [], "id": "7001", "tranid": "SO1001"}]
        assert (body["count"], body["hasMore"], body["offset"], body["totalResults"]) == (1, True, 0, 2)
        links = {link["rel"]: link["href"] for link in body["links"]}
        assert links["next"] == f"{BASE}{SUITEQL}?limit=1&offset=1"
        assert links["self"] == f"{BASE}{SUITEQL}?limit=1&offset=0"
        second = (await client.post(links["next"], json=query, headers={"Prefer": "transient"})).json()
        assert second["items"][0]["id"] == "7002" and second["hasMore"] is False

    async def test_sees_records_written_by_the_record_service(self, client: httpx.AsyncClient, backend: NetSuiteBackend) -> None:
        ra = backend.transform_record("salesOrder", 7001, "returnAuthorization", {"externalId": "loop-north-1-ra"})
        query = {
            "q": "SELECT id, tranid, status, BUILTIN.DF(status) AS status_text FROM transaction "
            "WHERE type = 'RtnAuth' AND externalid = 'loop-north-1-ra'"
        }
        body = (await client.post(SUITEQL, json=query, headers={"Prefer": "transient"})).json()
        assert body["items"] == [
            {
                "links": [],
                "id": str(ra),
                "tranid": "RMA1001",
                "status": "B",
                "status_text": "Return Authorization : Pending Receipt",
            }
        ]

    async def test_engine_errors_keep_their_code(self, client: httpx.AsyncClient) -> None:
        response = await client.post(SUITEQL, json={"q": "SELECT nope FROM transaction"}, headers={"Prefer": "transient"})
        assert response.status_code == 400
        assert response.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_PARAMETER"

    async def test_header_location_is_refused_as_netsuite_refuses_it(self, client: httpx.AsyncClient) -> None:
        # The whole problem body, as a real account answers ``transaction.location`` (docs/sandbox/FIDELITY.md).
        response = await client.post(SUITEQL, json={"q": "SELECT t.location FROM transaction t"}, headers={"Prefer": "transient"})
        assert response.status_code == 400
        body = response.json()
        assert (body["title"], body["status"]) == ("Bad Request", 400)
        assert body["o:errorDetails"] == [
            {
                "detail": "Invalid search query. Detailed unprocessed description follows. Search error occurred: "
                "Field 'location' for record 'transaction' was not found. Reason: REMOVED - Field is removed",
                "o:errorCode": "INVALID_PARAMETER",
            }
        ]

    @pytest.mark.parametrize(
        ("params", "body", "code"),
        [
            ({"limit": 0}, {"q": "SELECT id FROM transaction"}, "INVALID_PARAMETER"),
            ({"limit": 1001}, {"q": "SELECT id FROM transaction"}, "INVALID_PARAMETER"),
            ({"offset": "x"}, {"q": "SELECT id FROM transaction"}, "INVALID_PARAMETER"),
            ({}, {"query": "SELECT 1"}, "INVALID_CONTENT"),
        ],
    )
    async def test_bad_requests(self, client: httpx.AsyncClient, params: dict[str, Any], body: dict[str, Any], code: str) -> None:
        response = await client.post(SUITEQL, params=params, json=body, headers={"Prefer": "transient"})
        assert response.status_code == 400
        assert response.json()["o:errorDetails"][0]["o:errorCode"] == code


class TestFaults:
    async def test_503(self, backend: NetSuiteBackend) -> None:
        async with asgi_client(create_netsuite_app(backend, faults=FaultSettings(p_503=1.0), auth_required=False)) as client:
            response = await client.get("/services/rest/record/v1/customer/401")
        assert response.status_code == 503
        assert response.json() == {
            "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.4",
            "title": "Service Unavailable",
            "status": 503,
            "o:errorDetails": [
                {
                    "detail": "The service is temporarily unavailable. Please try again later.",
                    "o:errorCode": "SERVICE_UNAVAILABLE",
                }
            ],
        }

    async def test_429(self, backend: NetSuiteBackend) -> None:
        async with asgi_client(create_netsuite_app(backend, faults=FaultSettings(p_429=1.0), auth_required=False)) as client:
            response = await client.get("/services/rest/record/v1/customer/401")
        assert (response.status_code, response.json()) == (429, CONCURRENCY)

    async def test_latency(self, backend: NetSuiteBackend) -> None:
        async with asgi_client(create_netsuite_app(backend, faults=FaultSettings(latency_ms=150), auth_required=False)) as client:
            started = time.monotonic()
            assert (await client.get("/services/rest/record/v1/customer/401")).status_code == 200
        assert time.monotonic() - started >= 0.15

    async def test_concurrency_limit_over_a_real_socket(self, backend: NetSuiteBackend) -> None:
        app = create_netsuite_app(backend, faults=FaultSettings(latency_ms=1500), auth_required=False)
        with serve_in_thread({"netsuite": app}) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=httpx.Limits(max_connections=40)) as client:
                responses = await asyncio.gather(*(client.get("/services/rest/record/v1/customer/401") for _ in range(20)))
        statuses = Counter(response.status_code for response in responses)
        assert statuses == {200: 5, 429: 15}
        assert all(r.json() == CONCURRENCY for r in responses if r.status_code == 429)
        assert app.stats.max_in_flight == 5
        assert app.stats.injected["concurrency_limit"] == 15

    async def test_timeout_after_commit_still_creates_the_record(self, backend: NetSuiteBackend) -> None:
        app = create_netsuite_app(backend, faults=FaultSettings(p_timeout_after_commit=1.0, hang_seconds=5), auth_required=False)
        with serve_in_thread({"netsuite": app}) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=0.5) as client:
                with pytest.raises(httpx.ReadTimeout):
                    await client.post(
                        "/services/rest/record/v1/customer", json={"firstName": "Lost", "externalId": "lost-answer"}
                    )
                await client.post("/_sandbox/faults", json={"p_timeout_after_commit": 0})
                found = await client.get("/services/rest/record/v1/customer/eid:lost-answer")
        assert found.status_code == 200 and found.json()["firstName"] == "Lost"
        assert app.stats.injected["timeout_after_commit"] == 1


class TestSandboxRoutes:
    async def test_faults_get_and_post(self, client: httpx.AsyncClient) -> None:
        changed = (await client.post("/_sandbox/faults", json={"latency_ms": 5, "concurrency_limit": 7})).json()
        assert (changed["latency_ms"], changed["concurrency_limit"]) == (5.0, 7)
        assert (await client.get("/_sandbox/faults")).json() == changed
        bad = await client.post("/_sandbox/faults", json={"nope": 1})
        assert bad.status_code == 400 and "unknown fault setting" in bad.json()["error"]

    async def test_stats_and_reset(self, client: httpx.AsyncClient) -> None:
        await client.post("/services/rest/record/v1/customer", json={"firstName": "Tmp", "externalId": "tmp"})
        stats = (await client.get("/_sandbox/stats")).json()
        assert stats["faults"]["requests"] == 1 and stats["records"]["customer"] == 3
        assert (await client.post("/_sandbox/reset")).json() == {"ok": True}
        assert (await client.get("/services/rest/record/v1/customer/eid:tmp")).status_code == 404
        assert (await client.get("/_sandbox/stats")).json()["records"]["customer"] == 2

    async def test_lifecycle_routes(self, client: httpx.AsyncClient, backend: NetSuiteBackend) -> None:
        ra = backend.transform_record(
            "salesOrder", 7001, "returnAuthorization", {"item": {"items": [{"orderLine": 1, "quantity": 2}]}}, replace=["item"]
        )
        ir = (
            await client.post(f"/_sandbox/netsuite/returnAuthorization/{ra}/receive", json={"quantity": 1, "location_id": 21})
        ).json()
        assert backend.get_record("itemReceipt", ir["id"])["item"][0]["location"] == 21
        assert (
            await client.post(
                f"/_sandbox/netsuite/records/returnAuthorization/{ra}/fields", json={"field": "custbody_loop_flag", "value": True}
            )
        ).json() == {"id": ra}
        found = (
            await client.get(
                "/_sandbox/netsuite/find", params={"type": "returnAuthorization", "field": "custbody_loop_flag", "value": "true"}
            )
        ).json()
        assert found == {"ids": [ra]}
        assert (await client.post(f"/_sandbox/netsuite/returnAuthorization/{ra}/close")).json() == {"id": ra}
        assert backend.get_record("returnAuthorization", ra)["status"] == "H"
        so = (await client.post("/_sandbox/netsuite/exchange-orders", json={"shopify_order_id": 1002})).json()["id"]
        assert backend.get_record("salesOrder", so)["otherRefNum"] == "#1002"
        refund = (
            await client.post(
                "/_sandbox/netsuite/connector-refunds",
                json={"shopify_order_id": 1001, "shopify_refund_id": "r-1", "amount": "10.00", "kind": "creditMemo"},
            )
        ).json()
        assert backend.get_record("creditMemo", refund["id"])["total"] == "10.00"

    async def test_lifecycle_route_errors(self, client: httpx.AsyncClient) -> None:
        missing = await client.post("/_sandbox/netsuite/returnAuthorization/999999/receive", json={})
        assert missing.status_code == 404 and missing.json()["o:errorDetails"][0]["o:errorCode"] == "NONEXISTENT_ID"
        unknown = await client.post("/_sandbox/netsuite/exchange-orders", json={"shopify_order_id": 42})
        assert unknown.status_code == 400 and "no order with Shopify id 42" in unknown.json()["error"]
