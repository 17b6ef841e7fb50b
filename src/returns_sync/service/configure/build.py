"""Merged input -> validated blocks, with every problem named by its key; and saving them under the store's names.

The blocks validate themselves (pydantic, ``hide_input_in_errors``): this module only says which key a
problem belongs to and how to set it, so an error never echoes a value, secret or not.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from returns_sync.blocks.store import CredentialsVendor, StoreSettings, credentials_block_name, store_block_name
from returns_sync.service.configure.keys import CREDENTIALS_BLOCKS, KEYS
from returns_sync.service.configure.sources import ConfigurationProblems

__all__ = ["build_store_settings", "save_store_blocks"]


def _problems(error: ValidationError, vendor: CredentialsVendor | None) -> list[str]:
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        field = str(item["loc"][0]) if item["loc"] else None
        name = f"{vendor.value}.{field}" if vendor and field else field
        message = item["msg"].removeprefix("Value error, ")
        if name and item["type"] == "missing" and name in KEYS:
            problems.append(f"{name} is required: give it with {KEYS[name].how_to_set()}")
        elif name:
            problems.append(f"{name}: {message}")
        else:
            problems.append(f"{vendor.value if vendor else 'settings'}: {message}")
    return problems


def _split(values: dict[str, Any]) -> tuple[dict[str, Any], dict[CredentialsVendor, dict[str, Any]]]:
    settings: dict[str, Any] = {}
    credentials: dict[CredentialsVendor, dict[str, Any]] = {vendor: {} for vendor in CredentialsVendor}
    for name, value in values.items():
        vendor, _, field = name.rpartition(".")
        if value is None and not KEYS[name].required:
            continue  # "not set": the field's default (None for every optional field)
        (credentials[CredentialsVendor(vendor)] if vendor else settings)[field] = value
    # One shop domain serves both the settings and the Shopify credentials (StoreSettings checks they agree).
    shopify = credentials[CredentialsVendor.SHOPIFY]
    if "shop_domain" in settings and "shop_domain" not in shopify:
        shopify["shop_domain"] = settings["shop_domain"]
    elif "shop_domain" in shopify and "shop_domain" not in settings:
        settings["shop_domain"] = shopify["shop_domain"]
    return settings, credentials


def build_store_settings(store: str, values: dict[str, Any]) -> StoreSettings:
    """The store's StoreSettings with its three credentials blocks, validated.

    Raises:
        ConfigurationProblems: one sentence per problem, each naming its key (``sku_field``, ``netsuite.token_id``).
    """
    try:
        store_block_name(store)
    except ValueError as exc:
        raise ConfigurationProblems([f"--store: {exc}"]) from None
    settings_values, credentials_values = _split(values)
    # Every missing field at once (pydantic would stop at the first block that lacks one).
    problems = [
        f"{key.name} is required: give it with {key.how_to_set()}"
        for key in KEYS.values()
        if key.required and key.field not in (credentials_values[key.vendor] if key.vendor else settings_values)
    ]
    if problems:
        raise ConfigurationProblems(problems)
    blocks: dict[CredentialsVendor, BaseModel] = {}
    for vendor, block_type in CREDENTIALS_BLOCKS.items():
        try:
            blocks[vendor] = block_type(**credentials_values[vendor])
        except ValidationError as exc:
            problems += _problems(exc, vendor)
    if problems:
        raise ConfigurationProblems(problems)
    try:
        return StoreSettings(store=store, **settings_values, **{vendor.settings_field: block for vendor, block in blocks.items()})
    except ValidationError as exc:
        raise ConfigurationProblems(_problems(exc, None)) from None


def save_store_blocks(settings: StoreSettings) -> list[str]:
    """Save the three credentials blocks and the settings block of ``settings.store``, replacing what was there.

    Saved under ``<vendor>-<store>`` and ``store-<store>`` with ``overwrite=True``: running it again updates the
    same four block documents, it never adds any (a block document's name is unique per block type:
    https://docs.prefect.io/v3/concepts/blocks). The settings block refers to the saved credentials blocks.

    Returns:
        The names of the blocks saved.
    """
    from returns_sync.blocks import LoopCredentials, NetSuiteCredentials, ShopifyCredentials

    for block_type in (LoopCredentials, NetSuiteCredentials, ShopifyCredentials, StoreSettings):
        block_type.register_type_and_schema()
    names = []
    for vendor in CredentialsVendor:
        name = credentials_block_name(vendor, settings.store)
        getattr(settings, vendor.settings_field).save(name, overwrite=True)
        names.append(name)
    settings.save(settings.block_name, overwrite=True)
    return [*names, settings.block_name]
