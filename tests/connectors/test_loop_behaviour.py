"""LoopClient against the Loop emulator in-process (httpx.ASGITransport): paging, lookups, actions, notes, webhooks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from returns_sandbox.loop.app import create_loop_app
from returns_sandbox.loop.models import LoopBackend
from returns_sandbox.testing import make_return, make_returns
from returns_sync.connectors.auth import LoopApiKeyAuth
from returns_sync.connectors.errors import AuthenticationError, PermanentApiError
from returns_sync.connectors.loop import LoopActionError, LoopClient
from returns_sync.connectors.retry import RetryPolicy
from returns_sync.domain.loop import ReturnState

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
KEY = "key-north"


class SyncASGITransport(httpx.BaseTransport):
    """``httpx.ASGITransport`` for a sync ``httpx.Client``: each request runs on its own event loop."""

    def __init__(self, app) -> None:
        self._inner = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            response = await self._inner.handle_async_request(request)
            return httpx.Response(response.status_code, headers=response.headers, content=await response.aread(), request=request)

        return asyncio.run(send())


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def backend():
    backend = LoopBackend(clock=Clock(NOW))
    backend.add_shop(101, name="North", shop_domain="north.myshopify.com", api_keys=[KEY], webhook_secret="whsec")
    yield backend
    backend.close()


def connect(backend: LoopBackend, key: str = KEY) -> LoopClient:
    http = httpx.Client(
        transport=SyncASGITransport(create_loop_app(backend)), base_url="http://loop.test", auth=LoopApiKeyAuth(key)
    )
    return LoopClient(http, retry=RetryPolicy(sleep=lambda _: None))


@pytest.fixture
def loop(backend):
    with connect(backend) as client:
        yield client


def add(backend: LoopBackend, rid: int, **kwargs) -> None:
    kwargs.setdefault("created_at", NOW - timedelta(days=1))
    backend.add_return(101, make_return(rid, **kwargs))


class TestPaging:
    def test_every_state_is_read_across_pages(self, backend, loop):
        states = [s.value for s in ReturnState]
        for item in make_returns(37, start=NOW - timedelta(days=3), step=timedelta(minutes=13), first_id=100, states=states):
            backend.add_return(101, item)
        pages = list(loop.iter_return_pages(updated_from=NOW - timedelta(days=4), updated_to=NOW, page_size=5))
        returned = [r.id for p in pages for r in p]
        assert sorted(returned) == [str(100 + n) for n in range(37)]
        assert max(len(p) for p in pages) == 5
        assert {r.state for p in pages for r in p} == set(ReturnState)

    def test_the_window_applies_to_updated_at(self, backend, loop):
        add(backend, 1, created_at=NOW - timedelta(days=400), updated_at=NOW - timedelta(hours=2))
        add(backend, 2, created_at=NOW - timedelta(hours=3), updated_at=NOW - timedelta(hours=3))
        add(backend, 3, created_at=NOW - timedelta(days=9))
        pages = list(loop.iter_return_pages(updated_from=NOW - timedelta(days=1), updated_to=NOW))
        assert sorted(r.id for p in pages for r in p) == ["1", "2"]

    def test_a_year_is_read_in_several_windows(self, backend, loop):
        for n, days in enumerate((350, 200, 100, 5)):
            add(backend, n + 1, created_at=NOW - timedelta(days=days))
        pages = list(loop.iter_return_pages(updated_from=NOW - timedelta(days=365), updated_to=NOW, states=["open"]))
        assert sorted(r.id for p in pages for r in p) == ["1", "2", "3", "4"]

    def test_a_wrong_key_stops_with_an_authentication_error(self, backend):
        with connect(backend, "wrong") as client, pytest.raises(AuthenticationError) as info:
            list(client.iter_return_pages(updated_from=NOW - timedelta(days=1), updated_to=NOW))
        assert (info.value.code, info.value.status_code) == ("GEN-UNAUTHORIZED", 401)


class TestLookups:
    def test_get_return_parses_the_details(self, backend, loop):
        add(backend, 11, lines=2)
        ret = loop.get_return(11)
        assert (ret.id, ret.state, len(ret.line_items), str(ret.refund)) == ("11", ReturnState.OPEN, 2, "84.60")

    def test_a_return_read_by_id_kept_small_reads_back_as_the_details(self, backend, loop):
        add(backend, 11, lines=2)
        listed = loop.get_listed_return(11)
        assert listed.read() == loop.get_return(11)
        assert (listed.id, listed.state, listed.updated_at) == ("11", ReturnState.OPEN, loop.get_return(11).updated_at)

    def test_unknown_return_is_a_permanent_not_found(self, loop):
        with pytest.raises(PermanentApiError) as info:
            loop.get_return(404)
        assert (info.value.status_code, info.value.code, info.value.message) == (404, "NOT_FOUND", "Return not found.")

    def test_find_return_for_order(self, backend, loop):
        add(backend, 11, order_name="#1042", provider_order_id="777")
        assert loop.find_return_for_order(order_name="#1042").id == "11"
        assert loop.find_return_for_order(order_id=777).id == "11"
        assert loop.find_return_for_order(order_name="9999") is None


class TestActions:
    def test_process_then_process_again_is_already_done(self, backend, loop):
        add(backend, 11)
        loop.process_return(11, {"netsuite_item_receipt": "IR42"})
        assert backend.get_return(11)["state"] == "closed"
        with pytest.raises(LoopActionError) as info:
            loop.process_return(11)
        assert (info.value.code, info.value.state, info.value.already_done) == ("UNPROCESSABLE_RETURN", "closed", True)

    def test_a_flagged_return_refuses_processing_and_reflagging_is_already_done(self, backend, loop):
        add(backend, 11)
        loop.flag_return(11)
        with pytest.raises(LoopActionError) as refused:
            loop.process_return(11)
        assert (refused.value.code, refused.value.already_done) == ("UNPROCESSABLE_FLAGGED_RETURN", False)
        with pytest.raises(LoopActionError) as again:
            loop.flag_return(11)
        assert again.value.already_done is True

    def test_cancel_of_an_expired_return(self, backend, loop):
        add(backend, 11, state="expired")
        with pytest.raises(LoopActionError) as info:
            loop.cancel_return(11)
        assert (info.value.message, info.value.state, info.value.code) == (
            "Return is expired and cannot be processed.",
            "expired",
            None,
        )

    def test_cancel_and_close(self, backend, loop):
        add(backend, 11)
        add(backend, 12)
        loop.cancel_return(11)
        loop.close_return(12)
        assert (backend.get_return(11)["state"], backend.get_return(12)["state"]) == ("cancelled", "closed")
        with pytest.raises(LoopActionError) as info:
            loop.close_return(12)
        assert info.value.already_done

    def test_remove_line_items(self, backend, loop):
        add(backend, 11, line_outcomes=["refund", "refund", "exchange"])
        with pytest.raises(LoopActionError, match="Not all line items qualify"):
            loop.remove_line_items(11, ["1102", "1103"])
        loop.remove_line_items(11, ["1102"])
        assert [line["line_item_id"] for line in backend.get_return(11)["line_items"]] == ["1101", "1103"]

    def test_notes(self, backend, loop):
        add(backend, 11)
        assert loop.list_notes(11) == []
        loop.create_note(11, "2 of 3 units received in NetSuite on IR123")
        assert [n["content"] for n in loop.list_notes(11)] == ["2 of 3 units received in NetSuite on IR123"]
        with pytest.raises(LoopActionError, match="less than 255 characters") as info:
            loop.create_note(11, "x" * 255)
        assert info.value.status_code == 422


class TestWebhooks:
    def test_crud(self, loop):
        created = loop.create_webhook(topic="return", trigger="return.closed", url="https://sync.example/loop")
        assert (created["status"], created["shop_id"]) == ("active", 101)
        loop.update_webhook(
            created["id"], topic="return", trigger="return.updated", url="https://sync.example/loop", status="inactive"
        )
        assert [(h["trigger"], h["status"]) for h in loop.list_webhooks()] == [("return.updated", "inactive")]
        loop.delete_webhook(created["id"])
        assert loop.list_webhooks() == []
        with pytest.raises(PermanentApiError) as info:
            loop.delete_webhook(created["id"])
        assert (info.value.status_code, info.value.code) == (404, "NOT_FOUND")

    def test_invalid_topic_is_permanent_with_loops_message(self, loop):
        with pytest.raises(PermanentApiError) as info:
            loop.create_webhook(topic="refund", trigger="return.closed", url="https://sync.example/loop")
        assert (info.value.status_code, info.value.message) == (422, "Must be one of the following values:return,label,restock")
