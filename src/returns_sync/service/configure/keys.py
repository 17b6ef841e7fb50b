"""The names a store's configuration is given by: ``sku_field``, ``netsuite.token_secret``, and their environment variables.

Every key is derived from the blocks' own fields, so a field added to a block can be configured at once
and the two can never disagree. Settings fields are bare (``main_location_id``); credential fields carry
their vendor (``loop.api_key``), as in the TOML file's ``[loop]`` table.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from returns_sync.blocks import LoopCredentials, NetSuiteCredentials, ShopifyCredentials, StoreSettings
from returns_sync.blocks.store import CredentialsVendor

__all__ = ["CREDENTIALS_BLOCKS", "ENV_PREFIX", "KEYS", "ConfigKey", "key_named"]

ENV_PREFIX = "RETURNS_SYNC_"

CREDENTIALS_BLOCKS: dict[CredentialsVendor, type[LoopCredentials | NetSuiteCredentials | ShopifyCredentials]] = {
    CredentialsVendor.LOOP: LoopCredentials,
    CredentialsVendor.NETSUITE: NetSuiteCredentials,
    CredentialsVendor.SHOPIFY: ShopifyCredentials,
}
# Not configurable as settings: the store comes from --store, the credentials from their own keys.
_NOT_SETTINGS = {"store", *(vendor.settings_field for vendor in CredentialsVendor)}


@dataclass(frozen=True)
class ConfigKey:
    """One configurable field: where it lives, what it is called in each input, whether it is a secret."""

    vendor: CredentialsVendor | None  # None: a StoreSettings field
    field: str
    info: FieldInfo

    @property
    def name(self) -> str:
        """``sku_field`` or ``netsuite.token_secret``: the --set key, and the row name in the printed table."""
        return f"{self.vendor.value}.{self.field}" if self.vendor else self.field

    @property
    def env_var(self) -> str:
        """``RETURNS_SYNC_STORE_SKU_FIELD`` or ``RETURNS_SYNC_NETSUITE_TOKEN_SECRET``."""
        group = self.vendor.value if self.vendor else "store"
        return f"{ENV_PREFIX}{group}_{self.field}".upper()

    @property
    def secret(self) -> bool:
        annotation = self.info.annotation
        return annotation is SecretStr or SecretStr in typing.get_args(annotation)

    @property
    def required(self) -> bool:
        return self.info.is_required()

    @property
    def optional(self) -> bool:
        """True when the field accepts "not set" (None): an empty value clears it."""
        return type(None) in typing.get_args(self.info.annotation)

    @property
    def is_mapping(self) -> bool:
        annotation = self.info.annotation
        return typing.get_origin(annotation) is dict

    def how_to_set(self) -> str:
        """Where an operator can give this value; a secret is never suggested on the command line."""
        in_file = f"{self.field} under [{self.vendor.value}]" if self.vendor else self.field
        places = [f"the environment variable {self.env_var}", f"{in_file} in the TOML file"]
        if not self.secret:
            places.insert(0, f"--set {self.name}=…")
        return f"{', '.join(places[:-1])} or {places[-1]}"


def _keys() -> dict[str, ConfigKey]:
    keys = [ConfigKey(None, name, info) for name, info in StoreSettings.model_fields.items() if name not in _NOT_SETTINGS]
    for vendor, block in CREDENTIALS_BLOCKS.items():
        keys += [ConfigKey(vendor, name, info) for name, info in block.model_fields.items()]
    return {key.name: key for key in keys}


KEYS: dict[str, ConfigKey] = _keys()


def key_named(name: str) -> ConfigKey | None:
    return KEYS.get(name.strip().lower())
