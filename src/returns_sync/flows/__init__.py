"""The six Prefect flows (one module each, orchestration only) and run_all."""

from __future__ import annotations

__all__ = ["FLOWS", "get_flow"]

FLOWS = ("ra_sync", "item_receipt_to_loop", "item_receipt_to_netsuite", "refund_sync", "return_cancellation", "ra_cancellation", "run_all")


def get_flow(name: str):
    """The flow object by name (imports Prefect only when asked)."""
    if name not in FLOWS:
        raise KeyError(f"unknown sync {name!r}; choose one of {', '.join(FLOWS)}")
    import importlib

    return getattr(importlib.import_module(f"returns_sync.flows.{name}"), name)
