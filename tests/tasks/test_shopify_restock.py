"""Restock in the Shopify emulator after inspection: only units Loop dispositioned to stock, once each, across reruns and lost answers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conftest import STORE

from returns_sandbox.loop.app import create_loop_app
from returns_sandbox.loop.factory import make_return
from returns_sandbox.loop.models import LoopBackend
from returns_sandbox.shopify import ShopifyBackend, create_shopify_app
from returns_sandbox.testing import NORTH, ManualClock, order_id, shopify_sample_world
from returns_sync.connectors.auth import LoopApiKeyAuth, ShopifyAccessTokenAuth
from returns_sync.connectors.loop import LoopClient
from returns_sync.connectors.retry import RetryPolicy
from returns_sync.connectors.shopify import ShopifyClient
from returns_sync.domain.netsuite import RecordRole, RecordType
from returns_sync.domain.shopify import parse_gid
from returns_sync.domain.syncs import SyncName
from returns_sync.ledger import Ledger
from returns_sync.tasks.results import BatchResult
from returns_sync.tasks.runtime import SyncRuntime
from returns_sync.tasks.shopify_restock import restock_received_units

ORDER = f"gid://shopify/Order/{order_id('north', 0)}"
SHOP, KEY, LOOP_SHOP = NORTH.shop_domain, "key-north", 101
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TEE, HOODIE = 50001, 50002  # the sample order's lines: 2 x TEE-RED-M, 1 x HOODIE-BLK-L


class AsgiTransport(httpx.BaseTransport):
    """An emulator in-process; ``lose_next_adjustment`` drops the answer of one inventory adjustment after it was applied."""

    def __init__(self, app) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self.lose_next_adjustment = False
        self.adjustments = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            response = await self._inner.handle_async_request(request)
            return httpx.Response(response.status_code, headers=response.headers, content=await response.aread(), request=request)

        response = asyncio.run(send())
        if request.method == "POST" and "inventoryAdjustQuantities(" in json.loads(request.content or b"{}").get("query", ""):
            self.adjustments += 1
            if self.lose_next_adjustment:
                self.lose_next_adjustment = False
                raise httpx.ReadTimeout("the answer was lost after Shopify applied it", request=request)
        return response


@pytest.fixture
def shop() -> Iterator[ShopifyBackend]:
    backend = ShopifyBackend(clock=ManualClock())
    backend.load_world(shopify_sample_world())
    yield backend
    backend.close()


@pytest.fixture
def shopify_transport(shop: ShopifyBackend) -> AsgiTransport:
    return AsgiTransport(create_shopify_app(shop))


@pytest.fixture
def restock_runtime(
    runtime: SyncRuntime, shop: ShopifyBackend, shopify_transport: AsgiTransport, ledger: Ledger
) -> Iterator[SyncRuntime]:
    shopify = ShopifyClient(
        httpx.Client(
            base_url=f"https://{SHOP}", transport=shopify_transport, auth=ShopifyAccessTokenAuth(NORTH.shopify_access_token)
        ),
        retry=RetryPolicy(sleep=lambda _: None),
    )
    order = shopify.get_order(ORDER)
    assert order is not None
    by_sku = {line.sku: str(parse_gid(line.id)[1]) for line in order.line_items}
    tee, hoodie = by_sku["TEE-RED-M"], by_sku["HOODIE-BLK-L"]
    # Three units back: one tee to stock, one tee to dispose, the hoodie not yet dispositioned.
    loop_return = make_return(7001, created_at=NOW - timedelta(days=1), lines=3)
    for unit, (shopify_line, disposition) in zip(
        loop_return["line_items"], [(tee, "restock"), (tee, "dispose"), (hoodie, None)], strict=True
    ):
        unit["provider_line_item_id"] = shopify_line
        unit["returned_at"] = "2024-05-01T10:00:00.000Z"
        unit["disposition"] = {"disposition_outcome": disposition} if disposition else None
    loop_backend = LoopBackend(clock=lambda: NOW)
    loop_backend.add_shop(LOOP_SHOP, name="North", shop_domain=SHOP, api_keys=[KEY], webhook_secret="whsec")
    loop_backend.add_return(LOOP_SHOP, loop_return, emit=False)
    loop = LoopClient(
        httpx.Client(
            transport=AsgiTransport(create_loop_app(loop_backend)), base_url="http://loop.test", auth=LoopApiKeyAuth(KEY)
        ),
        retry=RetryPolicy(sleep=lambda _: None),
    )
    runtime._clients.update(shopify=shopify, loop=loop)
    runtime.settings = runtime.settings.model_copy(
        update={"restock_in_shopify": True, "shopify_location_id": NORTH.shopify_location_id}
    )
    with ledger.session() as repo:
        repo.upsert_link(STORE, "7001", shopify_order_id=str(order_id("north", 0)))
        repo.record_netsuite_record(
            store=STORE,
            loop_return_id="7001",
            role=RecordRole.IR,
            record_type=RecordType.ITEM_RECEIPT,
            ns_id="813",
            tranid="IR501",
        )
    yield runtime
    shopify.close()
    loop.close()
    loop_backend.close()


def _available(shop: ShopifyBackend, item: int) -> int:
    row = shop.inventory_level_row(SHOP, item, NORTH.shopify_location_id)
    assert row is not None
    return row["quantities"]["available"]


def _run(runtime: SyncRuntime) -> BatchResult:
    result = BatchResult(sync=SyncName.ITEM_RECEIPT_TO_NETSUITE, store=STORE)
    restock_received_units(runtime, ["7001"], result)
    return result


class TestRestockInShopify:
    def test_only_the_unit_back_to_stock_is_added_once_across_two_runs(
        self, restock_runtime: SyncRuntime, shop: ShopifyBackend, shopify_transport: AsgiTransport
    ) -> None:
        before = _available(shop, TEE), _available(shop, HOODIE)
        first, second = _run(restock_runtime), _run(restock_runtime)
        assert (_available(shop, TEE), _available(shop, HOODIE)) == (before[0] + 1, before[1])
        assert first.counts["unit restocked in Shopify"] == 1 and not second.counts
        assert shopify_transport.adjustments == 1

    def test_a_lost_answer_is_resent_under_the_same_key_and_counted_once(
        self, restock_runtime: SyncRuntime, shop: ShopifyBackend, shopify_transport: AsgiTransport
    ) -> None:
        before = _available(shop, TEE)
        shopify_transport.lose_next_adjustment = True
        _run(restock_runtime)
        _run(restock_runtime)
        assert shopify_transport.adjustments == 2  # sent again after the lost answer ...
        assert _available(shop, TEE) == before + 1  # ... and Shopify's idempotency key applied it once

    def test_nothing_with_the_toggle_off(self, restock_runtime: SyncRuntime, shop: ShopifyBackend) -> None:
        before = _available(shop, TEE)
        restock_runtime.settings = restock_runtime.settings.model_copy(update={"restock_in_shopify": False})
        assert not _run(restock_runtime).counts
        assert _available(shop, TEE) == before

    def test_nothing_before_netsuite_holds_the_receipt(
        self, restock_runtime: SyncRuntime, shopify_transport: AsgiTransport, ledger: Ledger
    ) -> None:
        with ledger.session() as repo:
            repo.upsert_link(STORE, "7002", shopify_order_id=str(order_id("north", 0)))
        result = BatchResult(sync=SyncName.ITEM_RECEIPT_TO_NETSUITE, store=STORE)
        restock_received_units(restock_runtime, ["7002"], result)
        assert not result.counts and shopify_transport.adjustments == 0
