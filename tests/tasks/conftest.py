"""Task-test fixtures: a migrated SQLite ledger per test, a store's settings, and a runtime whose clients are fakes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import FakeNetSuite, FakeShopify

from returns_sync.blocks import LoopCredentials, NetSuiteCredentials, ShopifyCredentials, StoreSettings
from returns_sync.ledger import Ledger
from returns_sync.tasks.runtime import SyncRuntime

STORE = "north"
MAIN, DAMAGED = 1, 7
SHIRT, HAT = 812, 555
STORE_CREDIT_ITEM = 902


@pytest.fixture(scope="session")
def migrated_ledger_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ledger-template") / "ledger.db"
    ledger = Ledger(f"sqlite:///{path}")
    ledger.migrate()
    ledger.dispose()
    return path


@pytest.fixture
def ledger(migrated_ledger_file: Path, tmp_path: Path) -> Iterator[Ledger]:
    """An empty, migrated ledger of this test's own (a copy of one migrated file: migrating per test is slow)."""
    path = tmp_path / "ledger.db"
    shutil.copyfile(migrated_ledger_file, path)
    instance = Ledger(f"sqlite:///{path}")
    yield instance
    instance.dispose()


@pytest.fixture
def store_settings() -> StoreSettings:
    return StoreSettings(
        store=STORE,
        shop_domain="north.myshopify.com",
        loop_credentials=LoopCredentials(api_key="loop-key", webhook_secret="loop-webhook-secret"),
        netsuite_credentials=NetSuiteCredentials(
            account_id="1234567_SB1", consumer_key="ck", consumer_secret="cs", token_id="ti", token_secret="ts"
        ),
        shopify_credentials=ShopifyCredentials(shop_domain="north.myshopify.com", access_token="shpat_x"),
        main_location_id=MAIN,
        damaged_location_id=DAMAGED,
        store_credit_item=STORE_CREDIT_ITEM,
        max_netsuite_concurrency=2,
    )


@pytest.fixture
def netsuite() -> FakeNetSuite:
    return FakeNetSuite()


@pytest.fixture
def shopify() -> FakeShopify:
    return FakeShopify()


@pytest.fixture
def runtime(store_settings: StoreSettings, ledger: Ledger, netsuite: FakeNetSuite, shopify: FakeShopify) -> Iterator[SyncRuntime]:
    """A store's runtime as a task opens it, with the fakes in place of the API clients."""
    instance = SyncRuntime(
        store=STORE, settings=store_settings, ledger=ledger, _clients={"netsuite": netsuite, "shopify": shopify}
    )
    yield instance
    instance.close()
