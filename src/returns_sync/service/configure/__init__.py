"""``returns-sync configure``: a store's credentials and settings blocks from flags, environment, a TOML file or a sandbox."""

from __future__ import annotations

from returns_sync.service.configure.build import build_store_settings, save_store_blocks
from returns_sync.service.configure.keys import KEYS, ConfigKey
from returns_sync.service.configure.plan import ConfigurePlan, plan_configuration
from returns_sync.service.configure.sources import ConfigurationProblems, Source

__all__ = [
    "KEYS",
    "ConfigKey",
    "ConfigurationProblems",
    "ConfigurePlan",
    "Source",
    "build_store_settings",
    "plan_configuration",
    "save_store_blocks",
]
