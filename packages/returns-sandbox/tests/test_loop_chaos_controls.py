"""Chaos controls of the Loop emulator: malformed returns served as stored, and every webhook event sent several times."""

from __future__ import annotations

import json

import httpx
import pytest
from test_loop_webhooks import KEY, NOW, Receiver, subscribe

from returns_sandbox.loop.app import create_loop_app
from returns_sandbox.loop.factory import make_return
from returns_sandbox.loop.models import LoopBackend
from returns_sandbox.seed.malformed import MalformedKind, malformed_return

LIST = "/api/v1/warehouse/return/list"


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
    backend.add_shop(101, name="North", shop_domain="north.myshopify.com", api_keys=[KEY], webhook_secret="whsec-north")
    yield backend
    backend.close()


@pytest.fixture
async def client(backend):
    transport = httpx.ASGITransport(app=create_loop_app(backend))
    async with httpx.AsyncClient(transport=transport, base_url="http://loop.test", headers={"X-Authorization": KEY}) as client:
        yield client


class TestMalformedReturns:
    @pytest.mark.parametrize("kind", list(MalformedKind))
    def test_each_kind_breaks_one_field_and_keeps_the_rest(self, kind):
        template = make_return(11, created_at=NOW)
        body = malformed_return(template, 9_000_001, kind)
        assert body["id"] == "9000001" and template["id"] != body["id"]
        broken = {key for key in template if body.get(key) != template.get(key)} - {"id", "line_items"}
        assert broken <= {"refunds", "exchanges", "created_at"}
        if kind is MalformedKind.NAN_PRICE:
            assert {line["price"] for line in body["line_items"]} == {"NaN"}
        if kind is MalformedKind.NULL_LINE_ITEMS:
            assert body["line_items"] is None

    async def test_a_planted_return_is_listed_exactly_as_stored(self, backend, client):
        body = malformed_return(make_return(11, created_at=NOW), 9_000_002, MalformedKind.UNREADABLE_DATE)
        answer = await client.post("/_sandbox/loop/shops/101/returns", json={"return": body, "listed_at": "2024-05-01T11:00:00Z"})
        assert answer.status_code == 200, answer.text
        listed = await client.get(LIST, params={"from": "2024-05-01 00:00:00", "to": "2024-05-02 00:00:00", "state": "open"})
        assert listed.status_code == 200, listed.text
        [served] = [r for r in listed.json() if str(r["id"]) == "9000002"]
        assert served["created_at"] == "31/13/2026 25:61"

    async def test_planting_without_a_return_is_refused(self, client):
        answer = await client.post("/_sandbox/loop/shops/101/returns", json={"listed_at": "2024-05-01T11:00:00Z"})
        assert answer.status_code == 400


class TestDuplicateDeliveries:
    async def test_every_event_goes_out_as_many_times_as_asked(self, backend, client, receiver):
        subscribe(backend, "return.created")
        answer = await client.post("/_sandbox/loop/webhook-copies", json={"copies_per_event": 3})
        assert answer.status_code == 200
        backend.add_return(101, make_return(12, created_at=NOW))
        assert backend.wait_for_deliveries(5)
        bodies = [r.content for r in receiver.requests]
        assert len(bodies) == 3 and len(set(bodies)) == 1
        assert json.loads(bodies[0])["trigger"] == "return.created"

    async def test_a_copy_count_below_one_is_refused(self, client):
        answer = await client.post("/_sandbox/loop/webhook-copies", json={"copies_per_event": 0})
        assert answer.status_code == 400
