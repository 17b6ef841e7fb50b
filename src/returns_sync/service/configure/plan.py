"""One configure run: read every source in precedence order, validate, and describe what would be saved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from returns_sync.blocks.store import StoreSettings, store_block_name
from returns_sync.service.configure.build import build_store_settings
from returns_sync.service.configure.keys import KEYS
from returns_sync.service.configure.sources import (
    ConfigurationProblems,
    Layer,
    Source,
    from_environment,
    from_flags,
    from_sandbox_info,
    from_saved_block,
    from_toml,
    merge,
)

__all__ = ["MASK", "ConfigurePlan", "SavedValue", "plan_configuration"]

MASK = "•••••• (secret)"


@dataclass(frozen=True)
class SavedValue:
    """One row of the printed table: a key, its value as shown (secrets masked), where it came from."""

    key: str
    shown: str
    source: str


@dataclass(frozen=True)
class ConfigurePlan:
    settings: StoreSettings
    sources: dict[str, Source]

    def rows(self) -> list[SavedValue]:
        """Every field as it will be saved; a secret shows only that it is set, never any part of it."""
        rows = []
        for name, key in KEYS.items():
            vendor, _, field = name.rpartition(".")
            block = getattr(self.settings, f"{vendor}_credentials") if vendor else self.settings
            value = getattr(block, field)
            if value is None:
                shown = "—"
            elif key.secret:
                shown = MASK
            else:
                shown = str(value)
            rows.append(SavedValue(name, shown, self.sources.get(name, "default")))
        return rows


def plan_configuration(
    *,
    store: str,
    assignments: list[str],
    toml_file: Path | None,
    sandbox_info: Path | None,
    environ: Mapping[str, str] | None = None,
    keep_saved: bool = True,
) -> ConfigurePlan:
    """Merge the sources (flags > environment > file > the block saved now) and validate the result.

    Raises:
        ConfigurationProblems: every problem found, each naming its key.
    """
    try:
        store_block_name(store)
    except ValueError as exc:
        raise ConfigurationProblems([f"--store: {exc}"]) from None
    if toml_file is not None and sandbox_info is not None:
        raise ConfigurationProblems(["give either --from-toml or --from-sandbox-info, not both"])
    layers: list[Layer] = []
    problems: list[str] = []
    readers: list[Any] = []
    if keep_saved:
        readers.append(lambda: from_saved_block(store))
    if toml_file is not None:
        readers.append(lambda: from_toml(toml_file, store))
    if sandbox_info is not None:
        readers.append(lambda: from_sandbox_info(sandbox_info, store))
    readers += [lambda: from_environment(environ), lambda: from_flags(assignments)]
    for read in readers:
        try:
            layers.append(read())
        except ConfigurationProblems as exc:
            problems += exc.problems
    if problems:
        raise ConfigurationProblems(problems)
    values, sources = merge(layers)
    # One shop domain fills both fields when only one is given (build_store_settings); show where it came from.
    for name, twin in (("shop_domain", "shopify.shop_domain"), ("shopify.shop_domain", "shop_domain")):
        if name in sources and twin not in sources:
            sources[twin] = sources[name]
    return ConfigurePlan(settings=build_store_settings(store, values), sources=sources)
