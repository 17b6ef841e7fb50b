"""Return labels in the Loop emulator: label.created / label.updated deliveries with the documented payload, signed
like every Loop webhook, and the return's flat label fields (https://docs.loopreturns.com/reference/label-webhook)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime

import httpx
import pytest

from returns_sandbox.loop.app import create_loop_app
from returns_sandbox.loop.factory import make_return
from returns_sandbox.loop.models import LoopBackend

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SECRET = "whsec-north"
RECEIVER = "https://receiver.example/loop"
LABEL_FIELDS = {
    "topic",
    "trigger",
    "shop_id",
    "id",
    "order_id",
    "provider_order_id",
    "carrier",
    "tracking_number",
    "label_status",
    "label_updated_at",
    "shipment_id",
}


class Receiver:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        return httpx.Response(200)

    def bodies(self, trigger: str) -> list[dict]:
        return [json.loads(r.content) for r in self.requests if json.loads(r.content)["trigger"] == trigger]


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def backend(receiver: Receiver):
    backend = LoopBackend(clock=lambda: NOW, webhook_transport=httpx.MockTransport(receiver))
    backend.add_shop(101, name="North", shop_domain="north.myshopify.com", api_keys=["key-north"], webhook_secret=SECRET)
    loop_return = make_return(1001, created_at=NOW)
    loop_return.pop("tracking_number", None)
    backend.add_return(101, loop_return, emit=False)
    for trigger in ("label.created", "label.updated", "return.updated"):
        topic = trigger.split(".")[0]
        backend.create_webhook(101, topic=topic, trigger=trigger, url=RECEIVER, status="active")
    yield backend
    backend.close()


def test_a_bought_label_then_a_scan_send_label_created_then_label_updated(backend: LoopBackend, receiver: Receiver) -> None:
    assert backend.update_label(1001, "pre_transit", tracking_number="9400111899223344556677", carrier="USPS") == "label.created"
    assert backend.update_label(1001, "in_transit") == "label.updated"
    assert backend.wait_for_deliveries(10)
    created, updated = receiver.bodies("label.created"), receiver.bodies("label.updated")
    assert len(created) == len(updated) == 1
    assert set(created[0]) == LABEL_FIELDS == set(updated[0])
    assert created[0]["topic"] == "label" and created[0]["id"] == 1001 and created[0]["shop_id"] == 101
    assert (updated[0]["tracking_number"], updated[0]["label_status"], updated[0]["carrier"]) == (
        "9400111899223344556677",
        "in_transit",
        "USPS",
    )
    assert updated[0]["label_updated_at"] == "2024-05-01T12:00:00.000Z"
    assert created[0]["shipment_id"] == updated[0]["shipment_id"]  # one parcel
    # A label change is a change of the return: return.updated goes out too, carrying the flat label fields.
    assert [b["label_status"] for b in receiver.bodies("return.updated")] == ["pre_transit", "in_transit"]


def test_label_deliveries_are_signed_with_the_shops_secret(backend: LoopBackend, receiver: Receiver) -> None:
    backend.update_label(1001, "in_transit", tracking_number="1Z999AA10123456784", carrier="UPS")
    assert backend.wait_for_deliveries(10)
    request = next(r for r in receiver.requests if b'"label.created"' in r.content)
    expected = base64.b64encode(hmac.new(SECRET.encode(), request.content, hashlib.sha256).digest()).decode()
    assert request.headers["X-Loop-Signature"] == expected


def test_the_return_carries_the_label_and_its_updated_at_moves(backend: LoopBackend) -> None:
    backend.update_label(1001, "out_for_delivery", tracking_number="9400111899223344556677", carrier="USPS")
    stored = backend.get_return(1001)
    assert stored is not None
    assert (stored["tracking_number"], stored["label_status"], stored["label_updated_at"]) == (
        "9400111899223344556677",
        "out_for_delivery",
        "2024-05-01T12:00:00.000Z",
    )
    assert stored["labels"][0]["status"] == "out_for_delivery" and stored["updated_at"] == "2024-05-01T12:00:00.000Z"


@pytest.mark.parametrize(
    ("status", "number"), [("shipped", "9400111899223344556677"), ("in_transit", None)], ids=["undocumented-status", "no-number"]
)
def test_an_undocumented_status_or_a_label_without_a_number_is_refused(
    backend: LoopBackend, status: str, number: str | None
) -> None:
    before = backend.get_return(1001)
    with pytest.raises(ValueError):
        backend.update_label(1001, status, tracking_number=number)
    assert backend.get_return(1001) == before


async def test_the_admin_route_moves_the_label(backend: LoopBackend) -> None:
    transport = httpx.ASGITransport(app=create_loop_app(backend))
    async with httpx.AsyncClient(transport=transport, base_url="http://loop.test") as client:
        ok = await client.post("/_sandbox/loop/returns/1001/label", json={"status": "in_transit", "tracking_number": "TRK1"})
        bad = await client.post("/_sandbox/loop/returns/1001/label", json={"status": "teleported"})
    assert ok.status_code == 200 and ok.json()["return"]["tracking_number"] == "TRK1"
    assert bad.status_code == 400
