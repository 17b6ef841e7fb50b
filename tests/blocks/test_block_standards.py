"""Block standards, in the spirit of the Prefect integrations' suite, plus our secret-handling rules."""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest
from prefect.blocks.abstract import CredentialsBlock
from prefect.blocks.core import Block
from prefect.testing.standard_test_suites import BlockStandardTestSuite
from prefect.utilities.dispatch import get_registry_for_type
from prefect.utilities.importtools import to_qualified_name
from pydantic import SecretStr

import returns_sync.blocks as blocks_package
from returns_sync.blocks import LoopCredentials, NetSuiteCredentials, ShopifyCredentials, StoreSettings

OUR_BLOCKS = [LoopCredentials, NetSuiteCredentials, ShopifyCredentials, StoreSettings]
CREDENTIALS = [LoopCredentials, NetSuiteCredentials, ShopifyCredentials]
SECRET_FIELDS = {
    LoopCredentials: {"api_key", "webhook_secret"},
    NetSuiteCredentials: {"consumer_key", "consumer_secret", "token_id", "token_secret"},
    ShopifyCredentials: {"access_token"},
    StoreSettings: set(),
}


def find_module_blocks() -> list[type[Block]]:
    registry = get_registry_for_type(Block) or {}
    return sorted(
        (block for block in registry.values() if to_qualified_name(block).startswith("returns_sync.")),
        key=lambda block: block.__name__,
    )


def test_every_block_in_the_package_is_exported() -> None:
    assert find_module_blocks() == sorted(OUR_BLOCKS, key=lambda block: block.__name__)
    assert sorted(blocks_package.__all__) == sorted(block.__name__ for block in OUR_BLOCKS)


@pytest.mark.parametrize("block", find_module_blocks())
class TestAllBlocksAdhereToStandards(BlockStandardTestSuite):
    @pytest.fixture
    def block(self, block: type[Block]) -> type[Block]:
        return block

    def test_has_a_documentation_url(self, block: type[Block]) -> None:
        if block is StoreSettings:
            # No vendor page describes our settings; the description and field descriptions do.
            assert block._documentation_url is None and block.get_description()
            return
        super().test_has_a_documentation_url(block)

    def test_has_a_valid_image(self, block: type[Block]) -> None:
        # The standard test downloads the logo; tests never leave localhost and our blocks carry none.
        assert block._logo_url is None


@pytest.mark.parametrize("block", OUR_BLOCKS, ids=lambda b: b.__name__)
class TestOurRules:
    def test_block_type_name_and_description(self, block: type[Block]) -> None:
        assert block._block_type_name
        assert block.get_block_type_slug().startswith("returns-sync-")
        assert block._description and block._description.endswith(".")

    def test_docstring_has_an_example_loading_the_block(self, block: type[Block]) -> None:
        assert "Example:" in (block.__doc__ or "")
        example = block.get_code_example()
        assert f"from returns_sync.blocks import {block.__name__}" in example
        assert f'{block.__name__}.load("BLOCK_NAME")' in example

    def test_secret_fields_are_secret_str(self, block: type[Block]) -> None:
        secret = {name for name, field in block.model_fields.items() if SecretStr in _types_in(field.annotation)}
        assert secret == SECRET_FIELDS[block]
        for name in block.model_fields:
            if any(word in name for word in ("key", "secret", "token", "password")):
                assert name in secret, f"{block.__name__}.{name} looks secret but is not a SecretStr"

    def test_secrets_are_unwrapped_in_exactly_one_method(self, block: type[Block]) -> None:
        tree = ast.parse(textwrap.dedent(inspect.getsource(block)))
        unwrapping = sorted(
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef)
            and any(isinstance(n, ast.Attribute) and n.attr == "get_secret_value" for n in ast.walk(node))
        )
        has_secrets = any(SecretStr in _types_in(f.annotation) for f in block.model_fields.values())
        assert unwrapping == (["_reveal"] if has_secrets else [])


@pytest.mark.parametrize("block", CREDENTIALS, ids=lambda b: b.__name__)
def test_credentials_blocks_build_clients(block: type[Block]) -> None:
    assert issubclass(block, CredentialsBlock)
    assert callable(block.get_client)
    assert "get_client" in block.__dict__


class TestNoSecretLeaks:
    def test_repr_str_and_json_never_show_a_secret(self, store_settings: StoreSettings, all_secrets: list[str]) -> None:
        rendered = [
            repr(store_settings),
            str(store_settings),
            store_settings.model_dump_json(),
            str(store_settings.model_dump(mode="json")),
            repr(store_settings.netsuite_credentials._reveal()),
        ]
        for text in rendered:
            for secret in all_secrets:
                assert secret not in text

    def test_secrets_are_only_visible_when_explicitly_unwrapped(self, store_settings: StoreSettings) -> None:
        dumped = store_settings.model_dump(mode="json", context={"include_secrets": True})
        assert dumped["netsuite_credentials"]["token_secret"] == "ns-ts-SECRET-6"

    @pytest.mark.parametrize(
        ("block", "kwargs"),
        [
            (
                NetSuiteCredentials,
                {
                    "account_id": "123",
                    "consumer_key": "ns-ck-SECRET-3",
                    "consumer_secret": " ",
                    "token_id": "y",
                    "token_secret": "z",
                },
            ),
            (
                NetSuiteCredentials,
                {
                    "account_id": "not-an-account",
                    "consumer_key": "ns-ck-SECRET-3",
                    "consumer_secret": "x",
                    "token_id": "y",
                    "token_secret": "z",
                },
            ),
            (ShopifyCredentials, {"shop_domain": "acme.com", "access_token": "shpat_SECRET7"}),
            (LoopCredentials, {"api_key": "loop-key-SECRET-1", "base_url": "http://api.example.com"}),
        ],
    )
    def test_validation_errors_do_not_echo_secrets(self, block: type[Block], kwargs: dict, all_secrets: list[str]) -> None:
        with pytest.raises(ValueError) as caught:
            block(**kwargs)
        for secret in all_secrets:
            assert secret not in str(caught.value)


def _types_in(annotation: object) -> set[object]:
    found = {annotation}
    for argument in getattr(annotation, "__args__", ()):
        found |= _types_in(argument)
    return found
