"""The Loop emulator over real localhost sockets: our connector, a urllib-only third-party client, webhooks, fault knobs."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from returns_sandbox.loop.app import create_loop_app
from returns_sandbox.loop.models import LoopBackend
from returns_sandbox.testing import make_return, make_returns, serve_in_thread
from returns_sync.connectors.errors import RateLimitedError, TransientApiError
from returns_sync.connectors.loop import LoopClient, verify_loop_signature
from returns_sync.connectors.retry import RetryPolicy

pytestmark = pytest.mark.contract

KEY = "contract-key"
SECRET = "contract-webhook-secret"
STATES = ("open", "closed", "cancelled", "expired", "review")


@pytest.fixture
def backend():
    backend = LoopBackend(webhook_retry_base_seconds=0.01)
    backend.add_shop(4242, name="Contract", shop_domain="contract.myshopify.com", api_keys=[KEY], webhook_secret=SECRET)
    yield backend
    backend.close()


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def server(backend):
    running = serve_in_thread({"loop": create_loop_app(backend)})
    yield running
    running.stop()


def set_faults(base_url: str, **settings) -> dict:
    response = httpx.post(f"{base_url}/_sandbox/faults", json=settings)
    response.raise_for_status()
    return response.json()


def stats(base_url: str) -> dict:
    return httpx.get(f"{base_url}/_sandbox/faults").json()["stats"]


def test_the_connector_pages_through_a_few_hundred_returns(backend, server, now):
    for item in make_returns(320, start=now - timedelta(days=2), step=timedelta(minutes=7), first_id=70000, states=STATES):
        backend.add_return(4242, item, emit=False)
    with LoopClient.from_credentials(base_url=server.url, api_key=KEY) as loop:
        pages = list(
            loop.iter_return_pages(updated_from=now - timedelta(days=3), updated_to=now + timedelta(minutes=1), page_size=40)
        )
    ids = [r.id for p in pages for r in p]
    assert sorted(ids) == [str(70000 + n) for n in range(320)]
    assert len(pages) == 10  # 64 per state -> pages of 40 + 24, for each of the five states


def test_webhooks_are_signed_and_retried_until_the_receiver_accepts(backend, now):
    attempts: list[tuple[bytes, bool]] = []

    async def hook(request: Request) -> Response:
        body = await request.body()
        attempts.append((body, verify_loop_signature(body, request.headers.get("X-Loop-Signature"), SECRET)))
        return Response(status_code=500 if len(attempts) <= 2 else 200)

    receiver = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    with serve_in_thread({"loop": create_loop_app(backend), "receiver": receiver}) as running:
        backend.add_return(4242, make_return(501, created_at=now - timedelta(hours=1)), emit=False)
        with LoopClient.from_credentials(base_url=running.urls["loop"], api_key=KEY) as loop:
            loop.create_webhook(topic="return", trigger="return.closed", url=running.urls["receiver"] + "/hook")
            loop.process_return(501)
        assert backend.wait_for_deliveries(15)
        log = httpx.get(running.urls["loop"] + "/_sandbox/loop/deliveries").json()["deliveries"]
    assert len(attempts) == 3
    assert all(ok for _, ok in attempts)
    assert len({body for body, _ in attempts}) == 1
    payload = json.loads(attempts[0][0])
    assert (payload["trigger"], payload["id"], payload["state"], payload["shop_id"]) == ("return.closed", "501", "closed", 4242)
    assert [(d["status"], [a["status_code"] for a in d["attempts"]]) for d in log] == [("delivered", [500, 500, 200])]


def _urllib_get(url: str, key: str | None = KEY) -> tuple[int, object]:
    headers = {"Accept": "application/json"} | ({"X-Authorization": key} if key else {})
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_third_party_urllib_client_follows_the_documented_protocol(backend, server, now):
    for item in make_returns(
        60, start=now - timedelta(hours=20), step=timedelta(minutes=10), first_id=900, states=("open", "closed")
    ):
        backend.add_return(4242, item, emit=False)
    query = {
        "from": (now - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S"),
        "to": now.strftime("%Y-%m-%d %H:%M:%S"),
        "filter": "updated_at",
        "paginate": "true",
        "pageSize": "25",
        "state": "open",
    }
    url: str | None = f"{server.url}/api/v1/warehouse/return/list?{urlencode(query)}"
    seen: list[str] = []
    while url:
        status, body = _urllib_get(url)
        assert status == 200 and isinstance(body, dict)
        seen += [r["id"] for r in body["returns"]]
        url = body["nextPageUrl"]
        assert url is None or url.startswith(server.url)
    assert seen == [str(900 + n) for n in range(0, 60, 2)]
    assert _urllib_get(f"{server.url}/api/v1/warehouse/return/details?return_id=902")[1]["id"] == "902"
    assert _urllib_get(f"{server.url}/api/v1/warehouse/return/list", key=None) == (
        401,
        {"error": {"code": "401", "http_code": "GEN-UNAUTHORIZED", "message": "Unauthorized."}},
    )


class TestFaultKnobs:
    def test_latency(self, backend, server, now):
        set_faults(server.url, latency_ms=300)
        with LoopClient.from_credentials(base_url=server.url, api_key=KEY) as loop:
            started = time.perf_counter()
            loop.list_webhooks()
            assert time.perf_counter() - started >= 0.3
        set_faults(server.url, latency_ms=0)
        started = time.perf_counter()
        httpx.get(f"{server.url}/_sandbox/faults")
        assert time.perf_counter() - started < 0.3

    def test_p_429_looks_like_loops_rate_limit_and_is_retried(self, backend, server):
        set_faults(server.url, p_429=1.0)
        assert _urllib_get(f"{server.url}/api/v1/webhooks") == (429, {"message": "Too Many Attempts."})
        http = httpx.Client(base_url=server.url, headers={"X-Authorization": KEY})
        with (
            LoopClient(http, retry=RetryPolicy(max_attempts=3, sleep=lambda _: None)) as loop,
            pytest.raises(RateLimitedError) as info,
        ):
            loop.list_webhooks()
        assert (info.value.status_code, info.value.message, info.value.retry_after) == (429, "Too Many Attempts.", None)
        assert stats(server.url)["injected"]["p_429"] == 4

    def test_p_503_is_retried_on_reads_but_not_on_actions(self, backend, server, now):
        backend.add_return(4242, make_return(601, created_at=now - timedelta(hours=1)), emit=False)
        set_faults(server.url, p_503=1.0)
        http = httpx.Client(base_url=server.url, headers={"X-Authorization": KEY})
        with LoopClient(http, retry=RetryPolicy(max_attempts=3, sleep=lambda _: None)) as loop:
            with pytest.raises(TransientApiError) as read:
                loop.get_return(601)
            with pytest.raises(TransientApiError) as write:
                loop.process_return(601)
        assert (read.value.status_code, read.value.message) == (503, "Service Unavailable")
        assert write.value.maybe_committed is True  # a 5xx says nothing about whether Loop ran the action
        assert stats(server.url)["injected"]["p_503"] == 4
        assert backend.get_return(601)["state"] == "open"

    def test_timeout_after_commit_applies_the_action_although_the_client_gave_up(self, backend, server, now):
        backend.add_return(4242, make_return(701, created_at=now - timedelta(hours=1)), emit=False)
        set_faults(server.url, p_timeout_after_commit=1.0, hang_seconds=5)
        with LoopClient.from_credentials(base_url=server.url, api_key=KEY, timeout=0.5) as loop:
            assert loop.get_return(701).state == "open"  # reads are never hung
            with pytest.raises(TransientApiError) as info:
                loop.process_return(701)
        assert info.value.maybe_committed is True
        assert backend.get_return(701)["state"] == "closed"
        assert stats(server.url)["injected"]["timeout_after_commit"] == 1

    def test_concurrency_limit(self, backend, server):
        set_faults(server.url, concurrency_limit=1, latency_ms=400)
        statuses: list[int] = []

        def call() -> None:
            statuses.append(httpx.get(f"{server.url}/api/v1/webhooks", headers={"X-Authorization": KEY}).status_code)

        threads = [threading.Thread(target=call) for _ in range(2)]
        for thread in threads:
            thread.start()
            time.sleep(0.1)
        for thread in threads:
            thread.join(10)
        assert sorted(statuses) == [200, 429]

    def test_bad_settings_are_rejected(self, server):
        response = httpx.post(f"{server.url}/_sandbox/faults", json={"p_429": 2})
        assert response.status_code == 400 and "between 0 and 1" in response.json()["error"]
        assert httpx.post(f"{server.url}/_sandbox/reset").json() == {"ok": True}
