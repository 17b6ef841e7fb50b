"""Block fixtures: valid credentials and settings, fake connector factories, an ephemeral Prefect API."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from returns_sync.blocks import LoopCredentials, NetSuiteCredentials, ShopifyCredentials, StoreSettings

# Distinctive values, so a test can search any output for them.
LOOP_KEY = "loop-key-SECRET-1"
LOOP_WEBHOOK_SECRET = "loop-webhook-SECRET-2"
NS_SECRETS = {
    "consumer_key": "ns-ck-SECRET-3",
    "consumer_secret": "ns-cs-SECRET-4",
    "token_id": "ns-ti-SECRET-5",
    "token_secret": "ns-ts-SECRET-6",
}
SHOPIFY_TOKEN = "shpat_SECRET7"
ALL_SECRETS = [LOOP_KEY, LOOP_WEBHOOK_SECRET, *NS_SECRETS.values(), SHOPIFY_TOKEN]


@pytest.fixture
def all_secrets() -> list[str]:
    return list(ALL_SECRETS)


@pytest.fixture
def loop_credentials() -> LoopCredentials:
    return LoopCredentials(api_key=LOOP_KEY, webhook_secret=LOOP_WEBHOOK_SECRET)


@pytest.fixture
def netsuite_credentials() -> NetSuiteCredentials:
    return NetSuiteCredentials(account_id="1234567_SB1", **NS_SECRETS)


@pytest.fixture
def shopify_credentials() -> ShopifyCredentials:
    return ShopifyCredentials(shop_domain="acme.myshopify.com", access_token=SHOPIFY_TOKEN)


@pytest.fixture
def settings_kwargs(loop_credentials, netsuite_credentials, shopify_credentials) -> dict[str, Any]:
    return {
        "store": "acme",
        "shop_domain": "acme.myshopify.com",
        "loop_credentials": loop_credentials,
        "netsuite_credentials": netsuite_credentials,
        "shopify_credentials": shopify_credentials,
        "main_location_id": 1,
        "damaged_location_id": 7,
    }


@pytest.fixture
def store_settings(settings_kwargs) -> StoreSettings:
    return StoreSettings(**settings_kwargs)


class FactoryCalls:
    """Records the keyword arguments each fake ``from_credentials`` received."""

    def __init__(self) -> None:
        self.calls: dict[str, dict[str, Any]] = {}

    def module(self, module_name: str, class_name: str) -> types.ModuleType:
        calls = self.calls

        class FakeClient:
            @classmethod
            def from_credentials(cls, **kwargs: Any) -> FakeClient:
                calls[class_name] = kwargs
                return cls()

        FakeClient.__name__ = class_name
        module = types.ModuleType(module_name)
        setattr(module, class_name, FakeClient)
        return module


@pytest.fixture
def fake_connectors(monkeypatch: pytest.MonkeyPatch) -> FactoryCalls:
    """Replace the three connector modules with fakes whose factories record their arguments."""
    recorder = FactoryCalls()
    for module_name, class_name in [
        ("returns_sync.connectors.loop", "LoopClient"),
        ("returns_sync.connectors.netsuite", "NetSuiteClient"),
        ("returns_sync.connectors.shopify", "ShopifyClient"),
    ]:
        monkeypatch.setitem(sys.modules, module_name, recorder.module(module_name, class_name))
    return recorder
