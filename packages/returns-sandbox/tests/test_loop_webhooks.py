"""The Loop emulator's webhook subscriptions (§2.3) and deliveries (§4: signature, payload, retries, Retry-After)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from returns_sandbox.loop.app import create_loop_app
from returns_sandbox.loop.factory import make_return
from returns_sandbox.loop.models import LoopBackend

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
KEY, OTHER_KEY = "key-north", "key-south"
SECRET = "whsec-north"
HOOKS = "/api/v1/webhooks"
RECEIVER = "https://receiver.example/loop"
TOPIC_MESSAGE = "Must be one of the following values:return,label,restock"


class Receiver:
    """A webhook endpoint behind MockTransport: answers from a script, then 200; records every request."""

    def __init__(self, *statuses: int, headers: dict[str, str] | None = None) -> None:
        self.script = list(statuses)
        self.headers = headers or {}
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            status = self.script.pop(0) if self.script else 200
        return httpx.Response(status, headers=self.headers if status != 200 else {})


@pytest.fixture
def receiver():
    return Receiver()


@pytest.fixture
def backend(receiver):
    backend = LoopBackend(
        clock=lambda: NOW,
        webhook_retry_base_seconds=0.01,
        webhook_transport=httpx.MockTransport(lambda request: receiver(request)),
    )
    backend.add_shop(101, name="North", shop_domain="north.myshopify.com", api_keys=[KEY], webhook_secret=SECRET)
    backend.add_shop(202, name="South", shop_domain="south.myshopify.com", api_keys=[OTHER_KEY], webhook_secret="other")
    yield backend
    backend.close()


@pytest.fixture
async def client(backend):
    transport = httpx.ASGITransport(app=create_loop_app(backend))
    async with httpx.AsyncClient(transport=transport, base_url="http://loop.test", headers={"X-Authorization": KEY}) as client:
        yield client


def subscribe(backend: LoopBackend, trigger: str, *, status: str = "active", topic: str | None = None, shop_id: int = 101) -> int:
    topic = topic or ("return.processing" if trigger == "return.processing.failed" else trigger.split(".")[0])
    return backend.create_webhook(shop_id, topic=topic, trigger=trigger, url=RECEIVER, status=status)["id"]


def signature(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class TestSubscriptions:
    async def test_create_defaults_to_inactive_and_returns_the_webhook(self, client):
        response = await client.post(HOOKS, json={"topic": "return", "trigger": "return.updated", "url": RECEIVER})
        assert response.status_code == 200
        body = response.json()
        assert body == {
            "id": body["id"],
            "shop_id": 101,
            "topic": "return",
            "trigger": "return.updated",
            "url": RECEIVER,
            "status": "inactive",
        }

    async def test_list_shows_only_the_keys_shop(self, backend, client):
        subscribe(backend, "return.closed")
        subscribe(backend, "return.closed", shop_id=202)
        hooks = (await client.get(HOOKS)).json()["webhooks"]
        assert [(h["shop_id"], h["trigger"], h["status"]) for h in hooks] == [(101, "return.closed", "active")]

    async def test_unknown_topic_uses_the_documented_message(self, client):
        response = await client.post(HOOKS, json={"topic": "refund", "trigger": "return.updated", "url": RECEIVER})
        assert (response.status_code, response.json()) == (422, {"message": TOPIC_MESSAGE, "errors": {"topic": [TOPIC_MESSAGE]}})

    async def test_required_fields(self, client):
        response = await client.post(HOOKS, json={"status": "paused"})
        assert response.status_code == 422
        errors = response.json()["errors"]
        assert errors["topic"] == ["The topic field is required."]
        assert errors["trigger"] == ["The trigger field is required."]
        assert errors["url"] == ["The url field is required."]
        assert errors["status"] == ["Must be one of the following values:active,inactive"]
        bad_url = await client.post(HOOKS, json={"topic": "return", "trigger": "return.updated", "url": "not a url"})
        assert bad_url.json()["errors"] == {"url": ["The url field must be a valid URL."]}

    async def test_put_updates_and_keeps_status_when_omitted(self, backend, client):
        hook_id = subscribe(backend, "return.closed")
        response = await client.put(
            f"{HOOKS}/{hook_id}", json={"topic": "return", "trigger": "return.updated", "url": RECEIVER + "/2"}
        )
        assert (response.status_code, response.content) == (204, b"")
        assert (await client.get(HOOKS)).json()["webhooks"][0] == {
            "id": hook_id,
            "shop_id": 101,
            "topic": "return",
            "trigger": "return.updated",
            "url": RECEIVER + "/2",
            "status": "active",
        }
        invalid = await client.put(f"{HOOKS}/{hook_id}", json={"topic": "nope", "trigger": "return.updated", "url": RECEIVER})
        assert invalid.status_code == 422

    async def test_delete_then_404(self, backend, client):
        hook_id = subscribe(backend, "return.closed")
        assert (await client.delete(f"{HOOKS}/{hook_id}")).status_code == 204
        again = await client.delete(f"{HOOKS}/{hook_id}")
        assert (again.status_code, again.json()) == (404, {"errors": {"code": "NOT_FOUND"}})
        missing_put = await client.put(
            f"{HOOKS}/{hook_id}", json={"topic": "return", "trigger": "return.updated", "url": RECEIVER}
        )
        assert (missing_put.status_code, missing_put.json()) == (404, {"errors": {"code": "NOT_FOUND"}})

    async def test_another_shops_webhook_is_not_found(self, backend, client):
        hook_id = subscribe(backend, "return.closed", shop_id=202)
        assert (await client.delete(f"{HOOKS}/{hook_id}")).status_code == 404
        assert len(backend.list_webhooks(202)["webhooks"]) == 1


class TestDelivery:
    async def test_signed_compact_payload_to_active_matching_subscriptions_only(self, backend, client, receiver):
        subscribe(backend, "return.closed")
        subscribe(backend, "return.closed", status="inactive")
        subscribe(backend, "return.created")
        subscribe(backend, "return.closed", shop_id=202)
        body = make_return(11, created_at=NOW - timedelta(hours=1)) | {
            "label_url": "https://labels.example/l.pdf",
            "customer": "zoë@example.com",
        }
        backend.add_return(101, body, emit=False)
        assert (await client.post("/api/v1/warehouse/return/11/process")).text == "true"
        assert backend.wait_for_deliveries(5)
        assert len(receiver.requests) == 1
        request = receiver.requests[0]
        raw = request.content
        assert request.headers["X-Loop-Signature"] == signature(raw)
        assert request.headers["Content-Type"] == "application/json"
        payload = json.loads(raw)
        assert (payload["topic"], payload["trigger"], payload["shop_id"], payload["id"], payload["state"]) == (
            "return",
            "return.closed",
            101,
            "11",
            "closed",
        )
        assert b": " not in raw and b", " not in raw  # compact
        payload_with_slash = json.dumps(payload, separators=(",", ":")).replace("/", "\\/").encode()
        assert raw == payload_with_slash  # PHP-style escaped slashes, as Loop signs them
        assert b"https:\\/\\/labels.example\\/l.pdf" in raw and b"zo\\u00eb" in raw

    async def test_updates_fire_return_updated_and_closing_fires_both(self, backend, client, receiver):
        subscribe(backend, "return.updated")
        subscribe(backend, "return.closed")
        backend.add_return(101, make_return(11, created_at=NOW), emit=False)
        await client.post("/api/v1/warehouse/return/11/flag")
        await client.post("/api/v1/warehouse/return/11/close")
        assert backend.wait_for_deliveries(5)
        triggers = [json.loads(r.content)["trigger"] for r in receiver.requests]
        assert sorted(triggers) == ["return.closed", "return.updated", "return.updated"]

    def test_adding_a_return_fires_return_created(self, backend, receiver):
        subscribe(backend, "return.created")
        backend.add_return(101, make_return(11, created_at=NOW))
        assert backend.wait_for_deliveries(5)
        assert [json.loads(r.content)["trigger"] for r in receiver.requests] == ["return.created"]

    async def test_5xx_is_retried_with_the_same_body_until_it_succeeds(self, backend, receiver):
        receiver.script = [500, 500]
        subscribe(backend, "return.created")
        backend.add_return(101, make_return(11, created_at=NOW))
        assert backend.wait_for_deliveries(5)
        assert len(receiver.requests) == 3
        assert len({r.content for r in receiver.requests}) == 1
        [delivery] = backend.deliveries()
        assert delivery["status"] == "delivered"
        assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 200]

    def test_six_attempts_then_the_delivery_fails(self, backend, receiver):
        receiver.script = [503] * 10
        subscribe(backend, "return.created")
        backend.add_return(101, make_return(11, created_at=NOW))
        assert backend.wait_for_deliveries(10)
        [delivery] = backend.deliveries()
        assert (delivery["status"], len(delivery["attempts"])) == ("failed", 6)
        assert len(receiver.requests) == 6

    def test_a_4xx_other_than_408_or_429_is_not_retried(self, backend, receiver):
        receiver.script = [410]
        subscribe(backend, "return.created")
        backend.add_return(101, make_return(11, created_at=NOW))
        assert backend.wait_for_deliveries(5)
        assert backend.deliveries()[0]["status"] == "failed" and len(receiver.requests) == 1

    def test_retry_after_is_honoured(self, backend, receiver):
        receiver.script = [429]
        receiver.headers = {"Retry-After": "0.3"}
        subscribe(backend, "return.created")
        backend.add_return(101, make_return(11, created_at=NOW))
        assert backend.wait_for_deliveries(5)
        [delivery] = backend.deliveries()
        assert delivery["status"] == "delivered"
        assert delivery["attempts"][0]["next_retry_in"] == 0.3
        first, second = (datetime.fromisoformat(a["at"]) for a in delivery["attempts"])
        assert second - first >= timedelta(seconds=0.25)

    def test_retry_after_above_30_minutes_fails_the_delivery(self, backend, receiver):
        receiver.script = [503]
        receiver.headers = {"Retry-After": "1801"}
        subscribe(backend, "return.created")
        backend.add_return(101, make_return(11, created_at=NOW))
        assert backend.wait_for_deliveries(5)
        [delivery] = backend.deliveries()
        assert delivery["status"] == "failed" and "Retry-After" in delivery["failure"]
        assert len(receiver.requests) == 1

    async def test_processing_failure_sends_the_documented_payload(self, backend, client, receiver):
        subscribe(backend, "return.processing.failed")
        backend.add_return(101, make_return(11, created_at=NOW), emit=False)
        backend.on_processed = lambda shop_id, ret: 1 / 0
        assert (await client.post("/api/v1/warehouse/return/11/process")).text == "true"
        assert backend.wait_for_deliveries(5)
        payload = json.loads(receiver.requests[0].content)
        assert payload == {
            "topic": "return.processing",
            "trigger": "return.processing.failed",
            "return_id": 11,
            "return_state": "open",
            "message": "Return failed to process",
            "source": "api",
            "shop_id": 101,
        }

    async def test_the_delivery_log_is_visible_over_http(self, backend, client):
        subscribe(backend, "return.created")
        backend.add_return(101, make_return(11, created_at=NOW))
        assert backend.wait_for_deliveries(5)
        log = (await client.get("/_sandbox/loop/deliveries", headers={"X-Authorization": ""})).json()["deliveries"]
        assert [(d["trigger"], d["return_id"], d["status"], len(d["attempts"])) for d in log] == [
            ("return.created", "11", "delivered", 1)
        ]
        assert SECRET not in json.dumps(log)

    def test_close_stops_the_worker(self, receiver):
        backend = LoopBackend(clock=lambda: NOW, webhook_transport=httpx.MockTransport(receiver))
        backend.add_shop(1, name="x", shop_domain="x", api_keys=["k"], webhook_secret="s")
        backend.create_webhook(1, topic="return", trigger="return.created", url=RECEIVER, status="active")
        backend.add_return(1, make_return(1, created_at=NOW))
        assert backend.wait_for_deliveries(5)
        worker = backend.dispatcher._thread
        assert worker is not None and worker.is_alive()
        backend.close()
        assert not worker.is_alive()
