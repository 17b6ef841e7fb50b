"""The six Prefect flows (one module each, orchestration only) and run_all."""

from __future__ import annotations

from typing import TYPE_CHECKING

from returns_sync.domain.syncs import SyncName

if TYPE_CHECKING:
    from prefect import Flow

__all__ = ["FLOWS", "get_flow"]

# Every flow by name, in lifecycle order, run_all last; module and function carry the same name.
FLOWS: tuple[SyncName, ...] = tuple(SyncName)


def get_flow(name: SyncName | str) -> Flow[..., object]:
    """The flow object by name (imports Prefect only when asked).

    Raises:
        KeyError: no flow has that name.
    """
    try:
        sync = SyncName(name)
    except ValueError:
        raise KeyError(f"unknown sync {name!r}; choose one of {', '.join(FLOWS)}") from None
    import importlib

    return getattr(importlib.import_module(f"returns_sync.flows.{sync}"), sync)
