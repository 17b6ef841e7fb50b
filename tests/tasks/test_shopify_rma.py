"""The RA number on the Shopify emulator's order: one tag and one note line, the old note kept, across reruns and lost answers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conftest import STORE

from returns_sandbox.shopify import ShopifyBackend, create_shopify_app
from returns_sandbox.testing import NORTH, ManualClock, order_id, shopify_sample_world
from returns_sync.connectors.auth import ShopifyAccessTokenAuth
from returns_sync.connectors.errors import AuthenticationError
from returns_sync.connectors.retry import RetryPolicy
from returns_sync.connectors.shopify import ShopifyClient
from returns_sync.domain.netsuite import RecordRole, RecordType
from returns_sync.domain.syncs import SyncName
from returns_sync.ledger import Ledger, WriteBackTarget
from returns_sync.tasks.results import BatchResult
from returns_sync.tasks.runtime import SyncRuntime
from returns_sync.tasks.shopify_rma import rma_writes_left_undone, write_rma_to_shopify_orders

ORDER = f"gid://shopify/Order/{order_id('north', 0)}"
OLD_NOTE = "Gift wrap, please"
TAG = "NetSuite RMA1042"
LINE = "NetSuite Return Authorization RMA1042 for Loop return 7001"


class ShopifyTransport(httpx.BaseTransport):
    """The Shopify emulator in-process; ``lose_next`` drops the answer of the next mutation of that name after it ran."""

    def __init__(self, backend: ShopifyBackend) -> None:
        self._inner = httpx.ASGITransport(app=create_shopify_app(backend))
        self.lose_next: str | None = None
        self.mutations: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            response = await self._inner.handle_async_request(request)
            return httpx.Response(response.status_code, headers=response.headers, content=await response.aread(), request=request)

        response = asyncio.run(send())
        query = json.loads(request.content or b"{}").get("query", "")
        for name in ("tagsAdd", "orderUpdate"):
            if f"{name}(" in query:
                self.mutations.append(name)
                if self.lose_next == name:
                    self.lose_next = None
                    raise httpx.ReadTimeout("the answer was lost after Shopify applied it", request=request)
        return response


@pytest.fixture
def shop() -> Iterator[ShopifyBackend]:
    clock = ManualClock()
    backend = ShopifyBackend(clock=clock)
    backend.load_world(shopify_sample_world())
    yield backend
    backend.close()


@pytest.fixture
def transport(shop: ShopifyBackend) -> ShopifyTransport:
    return ShopifyTransport(shop)


@pytest.fixture
def shopify_runtime(runtime: SyncRuntime, transport: ShopifyTransport, ledger: Ledger) -> Iterator[SyncRuntime]:
    http = httpx.Client(
        base_url="https://north-outfitters.myshopify.com",
        transport=transport,
        auth=ShopifyAccessTokenAuth(NORTH.shopify_access_token),
    )
    client = ShopifyClient(http, retry=RetryPolicy(sleep=lambda _: None))
    client.append_order_note(ORDER, OLD_NOTE)  # the merchant's own note, to be kept
    transport.mutations.clear()
    runtime._clients["shopify"] = client
    runtime.settings = runtime.settings.model_copy(update={"rma_on_shopify_order": True})
    with ledger.session() as repo:
        repo.upsert_link(STORE, "7001", shopify_order_id=str(order_id("north", 0)))
        repo.record_netsuite_record(
            store=STORE,
            loop_return_id="7001",
            role=RecordRole.RA,
            record_type=RecordType.RETURN_AUTHORIZATION,
            ns_id="812",
            tranid="RMA1042",
        )
    yield runtime
    client.close()


def _run(runtime: SyncRuntime) -> BatchResult:
    result = BatchResult(sync=SyncName.RA_SYNC, store=STORE)
    write_rma_to_shopify_orders(runtime, ["7001"], result)
    return result


def _order(runtime: SyncRuntime) -> tuple[list[str], str | None]:
    order = runtime.shopify.get_order(ORDER)
    assert order is not None
    return order.tags, order.note


class TestRmaOnShopifyOrder:
    def test_off_by_default_nothing_is_written(
        self, runtime: SyncRuntime, shopify_runtime: SyncRuntime, transport: ShopifyTransport
    ) -> None:
        shopify_runtime.settings = shopify_runtime.settings.model_copy(update={"rma_on_shopify_order": False})
        assert not _run(shopify_runtime).counts
        assert transport.mutations == []

    def test_one_tag_and_one_note_line_after_two_runs_and_the_old_note_is_kept(
        self, shopify_runtime: SyncRuntime, transport: ShopifyTransport
    ) -> None:
        first, second = _run(shopify_runtime), _run(shopify_runtime)
        tags, note = _order(shopify_runtime)
        assert tags.count(TAG) == 1 and note == f"{OLD_NOTE}\n{LINE}"
        assert first.counts["RMA written to the Shopify order"] == 1 and not second.counts
        assert transport.mutations == ["tagsAdd", "orderUpdate"]  # the rerun asked Shopify nothing

    @pytest.mark.parametrize("lost", ["tagsAdd", "orderUpdate"])
    def test_a_lost_answer_is_sent_again_without_a_second_tag_or_line(
        self, shopify_runtime: SyncRuntime, transport: ShopifyTransport, ledger: Ledger, lost: str
    ) -> None:
        transport.lose_next = lost
        result = _run(shopify_runtime)
        # Both writes are safe to repeat, so the client resends at once; the order still shows each once.
        assert transport.mutations.count(lost) == 2
        assert result.counts["RMA written to the Shopify order"] == 1 and not result.transient
        tags, note = _order(shopify_runtime)
        assert tags.count(TAG) == 1 and note == f"{OLD_NOTE}\n{LINE}"
        with ledger.session() as repo:
            assert repo.pending_write_backs(STORE, WriteBackTarget.SHOPIFY_ORDER_TAG) == []
        assert not _run(shopify_runtime).counts

    def test_a_token_without_write_orders_stops_the_run(self, shopify_runtime: SyncRuntime, shop: ShopifyBackend) -> None:
        shop.set_access(NORTH.shopify_access_token, scopes=["read_orders", "read_products"])
        with pytest.raises(AuthenticationError) as info:
            _run(shopify_runtime)
        assert info.value.code == "ACCESS_DENIED" and "write_orders" in info.value.message


def test_an_rma_no_run_wrote_is_left_undone_until_it_is_written(
    shopify_runtime: SyncRuntime, transport: ShopifyTransport, ledger: Ledger
) -> None:
    """A run posted 7001's RA and died before writing back: a scheduled run's catch-up finds it; once written, not."""
    week = datetime.now(UTC) - timedelta(days=7)
    assert rma_writes_left_undone(shopify_runtime, since=week) == ["7001"]
    assert rma_writes_left_undone(shopify_runtime, since=datetime.now(UTC) + timedelta(minutes=1)) == []
    with ledger.session() as repo:  # begun by a run that died before Shopify answered: still undone
        repo.begin_write_back(store=STORE, target=WriteBackTarget.SHOPIFY_ORDER_TAG, record_key="returnAuthorization:812",
                              loop_return_id="7001", content=LINE)  # fmt: skip
        repo.mark_attempted(STORE, WriteBackTarget.SHOPIFY_ORDER_TAG, "returnAuthorization:812")
    assert rma_writes_left_undone(shopify_runtime, since=week) == ["7001"]
    _run(shopify_runtime)
    assert rma_writes_left_undone(shopify_runtime, since=week) == []
    assert transport.mutations == ["tagsAdd", "orderUpdate"]
    shopify_runtime.settings = shopify_runtime.settings.model_copy(update={"rma_on_shopify_order": False})
    assert rma_writes_left_undone(shopify_runtime, since=week) == []
