"""Credentials blocks: validators, derived endpoints, and clients built with explicit timeouts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util

import pytest
from pydantic import ValidationError

from returns_sync.blocks import LoopCredentials, NetSuiteCredentials, ShopifyCredentials

NS_KEYS = {"consumer_key": "ck", "consumer_secret": "cs", "token_id": "ti", "token_secret": "ts"}


def connector_available(name: str) -> bool:
    return importlib.util.find_spec(f"returns_sync.connectors.{name}") is not None


class TestLoopCredentials:
    def test_defaults_to_the_production_api(self) -> None:
        block = LoopCredentials(api_key="k")
        assert (block.base_url, block.timeout) == ("https://api.loopreturns.com", 30.0)

    @pytest.mark.parametrize(
        ("base_url", "expected"),
        [("http://127.0.0.1:8101/", "http://127.0.0.1:8101"), ("https://loop.sandbox.example/", "https://loop.sandbox.example")],
    )
    def test_base_url_override(self, base_url: str, expected: str) -> None:
        assert LoopCredentials(api_key="k", base_url=base_url).base_url == expected

    @pytest.mark.parametrize(
        ("base_url", "message"),
        [
            ("http://api.example.com", "must use https unless it points at this machine"),
            ("api.loopreturns.com", "absolute http\\(s\\) URL"),
            ("https://user:pw@api.loopreturns.com", "must not carry credentials"),
            ("https://api.loopreturns.com/?x=1", "must not carry a query"),
        ],
    )
    def test_bad_base_url_is_refused(self, base_url: str, message: str) -> None:
        with pytest.raises(ValidationError, match=message):
            LoopCredentials(api_key="k", base_url=base_url)

    def test_empty_key_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="api_key must not be empty"):
            LoopCredentials(api_key="  ")

    def test_get_client_passes_url_key_timeout_and_page_size(self, fake_connectors) -> None:
        LoopCredentials(api_key="key-1", base_url="http://127.0.0.1:9", timeout=12.5, page_size=40).get_client()
        assert fake_connectors.calls["LoopClient"] == {
            "base_url": "http://127.0.0.1:9",
            "api_key": "key-1",
            "timeout": 12.5,
            "page_size": 40,
        }

    @pytest.mark.parametrize("page_size", [0, 751])
    def test_page_size_stays_within_loops_limits(self, page_size: int) -> None:
        with pytest.raises(ValidationError, match="page_size"):
            LoopCredentials(api_key="k", page_size=page_size)

    @pytest.mark.skipif(not connector_available("loop_webhooks"), reason="connectors/loop_webhooks.py not written yet")
    def test_verify_webhook(self) -> None:
        body = b'{"topic":"return","trigger":"return.closed"}'
        signature = base64.b64encode(hmac.new(b"whsec", body, hashlib.sha256).digest()).decode()
        block = LoopCredentials(api_key="k", webhook_secret="whsec")
        assert block.verify_webhook(body, signature)
        assert not block.verify_webhook(body + b" ", signature)
        assert not block.verify_webhook(body, None)
        assert not LoopCredentials(api_key="k").verify_webhook(body, signature)

    @pytest.mark.skipif(not connector_available("loop"), reason="connectors/loop.py not written yet")
    def test_get_client_builds_the_real_connector(self) -> None:
        from returns_sync.connectors.loop import LoopClient

        with LoopCredentials(api_key="k", base_url="http://127.0.0.1:9").get_client() as client:
            assert isinstance(client, LoopClient)


class TestNetSuiteCredentials:
    @pytest.mark.parametrize(
        ("given", "realm", "host"),
        [
            ("1234567", "1234567", "https://1234567.suitetalk.api.netsuite.com"),
            ("1234567_SB1", "1234567_SB1", "https://1234567-sb1.suitetalk.api.netsuite.com"),
            ("1234567_sb1", "1234567_SB1", "https://1234567-sb1.suitetalk.api.netsuite.com"),
            ("1234567-sb2", "1234567_SB2", "https://1234567-sb2.suitetalk.api.netsuite.com"),
            (" 1234567_RP ", "1234567_RP", "https://1234567-rp.suitetalk.api.netsuite.com"),
        ],
    )
    def test_realm_is_upper_case_and_host_is_derived(self, given: str, realm: str, host: str) -> None:
        block = NetSuiteCredentials(account_id=given, **NS_KEYS)
        assert (block.account_id, block.realm, block.api_base_url) == (realm, realm, host)

    @pytest.mark.parametrize("account_id", ["demo123", "TSTDRV123", "1234567_XX1", "1234567_SB1_2", "", "12 34"])
    def test_malformed_account_id_is_refused(self, account_id: str) -> None:
        with pytest.raises(ValidationError, match="is not a NetSuite account id"):
            NetSuiteCredentials(account_id=account_id, **NS_KEYS)

    def test_base_url_override_for_the_sandbox(self) -> None:
        block = NetSuiteCredentials(account_id="1234567_SB1", base_url="http://127.0.0.1:8102/", **NS_KEYS)
        assert block.api_base_url == "http://127.0.0.1:8102"

    def test_all_four_keys_are_required(self) -> None:
        with pytest.raises(ValidationError, match="needs all four keys; empty: token_secret"):
            NetSuiteCredentials(account_id="1234567", **{**NS_KEYS, "token_secret": ""})

    def test_get_client_passes_realm_keys_timeout_and_concurrency(self, fake_connectors) -> None:
        NetSuiteCredentials(account_id="1234567_sb1", timeout=45, **NS_KEYS).get_client(max_concurrency=3)
        assert fake_connectors.calls["NetSuiteClient"] == {
            "base_url": "https://1234567-sb1.suitetalk.api.netsuite.com",
            "account_id": "1234567_SB1",
            "consumer_key": "ck",
            "consumer_secret": "cs",
            "token_id": "ti",
            "token_secret": "ts",
            "timeout": 45.0,
            "max_concurrency": 3,
            "account_slot": None,  # the limit stays per process unless limit_across_workers is on
        }

    @pytest.mark.skipif(not connector_available("netsuite"), reason="connectors/netsuite.py not written yet")
    def test_get_client_builds_the_real_connector(self) -> None:
        from returns_sync.connectors.netsuite import NetSuiteClient

        block = NetSuiteCredentials(account_id="1234567_SB1", base_url="http://127.0.0.1:9", **NS_KEYS)
        with block.get_client() as client:
            assert isinstance(client, NetSuiteClient)


class TestShopifyCredentials:
    @pytest.mark.parametrize("given", ["acme.myshopify.com", "https://Acme.myshopify.com/", "ACME.myshopify.com/admin"])
    def test_domain_is_normalised_and_base_url_derived(self, given: str) -> None:
        block = ShopifyCredentials(shop_domain=given, access_token="shpat_x")
        assert (block.shop_domain, block.api_base_url, block.api_version) == (
            "acme.myshopify.com",
            "https://acme.myshopify.com",
            "2026-10",
        )

    def test_a_storefront_domain_is_refused(self) -> None:
        with pytest.raises(ValidationError, match=r"must be the shop's <name>\.myshopify\.com domain, got 'shop\.acme\.com'"):
            ShopifyCredentials(shop_domain="shop.acme.com", access_token="shpat_x")

    def test_any_domain_is_accepted_with_a_base_url_override(self) -> None:
        block = ShopifyCredentials(shop_domain="acme", access_token="shpat_x", base_url="http://localhost:8103")
        assert block.api_base_url == "http://localhost:8103"

    @pytest.mark.parametrize("version", ["2026-11", "latest", "26-10", "unstable"])
    def test_api_version_must_be_a_quarterly_release(self, version: str) -> None:
        with pytest.raises(ValidationError, match="api_version must be a quarterly release like 2026-10"):
            ShopifyCredentials(shop_domain="acme.myshopify.com", access_token="shpat_x", api_version=version)

    @pytest.mark.parametrize("version", ["2025-10", "2024-01"])
    def test_a_version_older_than_the_connector_supports_is_refused(self, version: str) -> None:
        with pytest.raises(ValidationError, match=f"api_version {version} is older than 2026-01"):
            ShopifyCredentials(shop_domain="acme.myshopify.com", access_token="shpat_x", api_version=version)

    @pytest.mark.parametrize("version", ["2026-01", "2026-04", "2027-01"])
    def test_supported_and_release_candidate_versions_are_accepted(self, version: str) -> None:
        assert (
            ShopifyCredentials(shop_domain="acme.myshopify.com", access_token="shpat_x", api_version=version).api_version
            == version
        )

    def test_empty_token_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="access_token must not be empty"):
            ShopifyCredentials(shop_domain="acme.myshopify.com", access_token="")

    def test_get_client_passes_url_token_version_and_timeout(self, fake_connectors) -> None:
        ShopifyCredentials(
            shop_domain="acme.myshopify.com", access_token="shpat_x", api_version="2026-07", timeout=9
        ).get_client()
        assert fake_connectors.calls["ShopifyClient"] == {
            "base_url": "https://acme.myshopify.com",
            "access_token": "shpat_x",
            "api_version": "2026-07",
            "timeout": 9.0,
        }

    @pytest.mark.skipif(not connector_available("shopify"), reason="connectors/shopify.py not written yet")
    def test_get_client_builds_the_real_connector(self) -> None:
        from returns_sync.connectors.shopify import ShopifyClient

        block = ShopifyCredentials(shop_domain="acme.myshopify.com", access_token="shpat_x", base_url="http://127.0.0.1:9")
        with block.get_client() as client:
            assert isinstance(client, ShopifyClient)
