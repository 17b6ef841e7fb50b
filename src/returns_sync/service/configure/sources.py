"""Where a store's configuration comes from, and which wins: flags > environment > file > the block already saved.

Each source yields ``{key name: value}`` (``sku_field``, ``netsuite.token_secret``; see ``keys``). An unknown
key is refused, never ignored: a misspelt ``sku_feild`` would otherwise leave the default in place unnoticed.
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx

from returns_sync.blocks.store import CredentialsVendor, StoreSettings, store_block_name
from returns_sync.service.configure.keys import KEYS, ConfigKey, key_named

__all__ = [
    "ConfigurationProblems",
    "Layer",
    "Source",
    "from_environment",
    "from_flags",
    "from_sandbox_info",
    "from_saved_block",
    "from_toml",
    "merge",
]


class Source(StrEnum):
    """Where a value came from, shown next to it in the printed table."""

    FLAG = "flag"
    ENV = "env"
    TOML = "toml"
    SANDBOX_INFO = "sandbox info"
    SAVED = "saved block"


class ConfigurationProblems(ValueError):
    """Every problem found in the input, one plain sentence each, naming the field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Layer:
    source: Source
    values: dict[str, Any] = field(default_factory=dict)


def _unknown(name: str, where: str) -> str:
    close = difflib.get_close_matches(name, list(KEYS), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"{where}: unknown setting {name!r}{hint}"


def _from_text(key: ConfigKey, text: str) -> Any:
    """A value given as text (flag, environment): empty clears an optional field, a mapping is JSON."""
    if text == "" and key.optional:
        return None
    if key.is_mapping:
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError(f'{key.name} must be a JSON object such as {{"restock": 3}}') from None
        if not isinstance(value, dict):
            raise ValueError(f'{key.name} must be a JSON object such as {{"restock": 3}}')
        return value
    return text


def from_flags(assignments: list[str]) -> Layer:
    """``--set KEY=VALUE`` flags. Secrets are refused here: a command line shows in the shell history and in ``ps``."""
    layer, problems = Layer(Source.FLAG), []
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        key = key_named(name)
        if not sep:
            problems.append(f"--set {assignment!r}: expected KEY=VALUE, e.g. --set sku_field=custitem_shopify_sku")
        elif key is None:
            problems.append(_unknown(name.strip(), "--set"))
        elif key.secret:
            problems.append(
                f"{key.name} is a secret and is not taken from the command line (shell history, process list): "
                f"set {key.env_var} or put it in the TOML file"
            )
        else:
            try:
                layer.values[key.name] = _from_text(key, text.strip())
            except ValueError as exc:
                problems.append(str(exc))
    if problems:
        raise ConfigurationProblems(problems)
    return layer


def from_environment(environ: Mapping[str, str] | None = None) -> Layer:
    """``RETURNS_SYNC_STORE_<FIELD>`` and ``RETURNS_SYNC_<VENDOR>_<FIELD>`` variables (see ``ConfigKey.env_var``)."""
    environ = os.environ if environ is None else environ
    layer, problems = Layer(Source.ENV), []
    for key in KEYS.values():
        if key.env_var in environ:
            try:
                layer.values[key.name] = _from_text(key, environ[key.env_var].strip())
            except ValueError as exc:
                problems.append(f"{key.env_var}: {exc}")
    if problems:
        raise ConfigurationProblems(problems)
    return layer


def from_toml(path: Path, store: str) -> Layer:
    """A TOML file: settings at the top level, credentials in ``[loop]``, ``[netsuite]`` and ``[shopify]`` tables."""
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except OSError as exc:
        raise ConfigurationProblems([f"cannot read {path}: {exc.strerror or exc}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationProblems([f"{path} is not valid TOML: {exc}"]) from None
    layer, problems = Layer(Source.TOML), []
    vendors = {vendor.value for vendor in CredentialsVendor}
    for name, value in document.items():
        if name == "store":
            if value != store:
                problems.append(f"{path}: store = {value!r} but --store is {store!r}")
        elif name in vendors and isinstance(value, dict):
            for field_name, field_value in value.items():
                key = key_named(f"{name}.{field_name}")
                if key is None:
                    problems.append(_unknown(f"{name}.{field_name}", str(path)))
                else:
                    layer.values[key.name] = field_value
        elif (key := key_named(name)) is None or key.vendor is not None:
            problems.append(_unknown(name, str(path)))
        else:
            layer.values[key.name] = value
    if problems:
        raise ConfigurationProblems(problems)
    return layer


def _flatten(settings: StoreSettings, source: Source) -> Layer:
    """Every field of ``settings`` (and its credentials), secrets revealed: the values to save again."""
    layer = Layer(source)
    # One dump per block: a Prefect block's model_dump builds JSON schemas to find its secrets, about a second
    # each on a busy machine, so dumping once per key made `configure` take over a minute.
    dumps: dict[str, dict[str, Any]] = {}
    for name in KEYS:
        vendor, _, field_name = name.rpartition(".")
        if vendor not in dumps:
            block = getattr(settings, CredentialsVendor(vendor).settings_field) if vendor else settings
            # include_secrets: Prefect's serializer reveals SecretStr values only on request.
            dumps[vendor] = block.model_dump(context={"include_secrets": True})
        layer.values[name] = dumps[vendor][field_name]
    return layer


def from_sandbox_info(path: Path, store: str) -> Layer:
    """The connection info ``returns-sync sandbox up --info-file PATH`` wrote, for ``store``."""
    from returns_sync.blocks.connection_info import read_connection_info, store_settings_from_connection_info

    try:
        info = read_connection_info(path)
        settings = store_settings_from_connection_info(info, store)
    except OSError as exc:
        raise ConfigurationProblems([f"cannot read {path}: {exc.strerror or exc}"]) from None
    except json.JSONDecodeError as exc:
        raise ConfigurationProblems([f"{path} is not JSON: {exc}"]) from None
    except KeyError as exc:
        raise ConfigurationProblems([f"{path}: {exc.args[0]}"]) from None
    return _flatten(settings, Source.SANDBOX_INFO)


def from_saved_block(store: str) -> Layer:
    """The store's settings as saved now, so that an update changes only what it is given; empty for a new store."""
    from prefect.exceptions import ObjectNotFound

    try:
        settings = StoreSettings.load_for_store(store)
    except ObjectNotFound:
        return Layer(Source.SAVED)
    except ValueError as exc:
        # Prefect reports a block that does not exist as a ValueError naming it.
        if "Unable to find block document" in str(exc):
            return Layer(Source.SAVED)
        raise ConfigurationProblems([f"the saved block {store_block_name(store)} cannot be read: {exc}"]) from None
    except (RuntimeError, OSError, httpx.HTTPError) as exc:
        raise ConfigurationProblems(
            [f"cannot reach the Prefect API to read or save blocks ({exc}); start one and set PREFECT_API_URL"]
        ) from None
    return _flatten(settings, Source.SAVED)


def merge(layers: list[Layer]) -> tuple[dict[str, Any], dict[str, Source]]:
    """Later layers win; returns the values and where each came from."""
    values: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    for layer in layers:
        values.update(layer.values)
        sources.update(dict.fromkeys(layer.values, layer.source))
    return values, sources
