"""What tests of a client need from the sandbox, in one public module: small worlds, sample data, servers, a seeded hub.

Tests outside this package import from here rather than from the emulators' modules, so the
emulators can be reorganised without breaking them. Example:

    from returns_sandbox.testing import demo_sandbox

    with demo_sandbox(returns=24) as sandbox:
        info = sandbox.connection_info()  # base URLs and credentials per store
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from returns_sandbox.hub import Sandbox
from returns_sandbox.loop.factory import make_return, make_returns
from returns_sandbox.netsuite.sample import SAMPLE_ACCOUNT_ID
from returns_sandbox.netsuite.sample import sample_world as netsuite_sample_world
from returns_sandbox.seed import World, build_world
from returns_sandbox.server import RunningServer, free_port, serve_in_thread
from returns_sandbox.shopify.sample import BASE_TIME, NORTH, SOUTH, ManualClock, line_id, order_id, transaction_id
from returns_sandbox.shopify.sample import sample_world as shopify_sample_world
from returns_sandbox.verify import VerificationReport, verify_world

__all__ = [
    "BASE_TIME",
    "NORTH",
    "SAMPLE_ACCOUNT_ID",
    "SOUTH",
    "ManualClock",
    "RunningServer",
    "Sandbox",
    "VerificationReport",
    "World",
    "build_world",
    "demo_sandbox",
    "free_port",
    "line_id",
    "make_return",
    "make_returns",
    "netsuite_sample_world",
    "order_id",
    "serve_in_thread",
    "shopify_sample_world",
    "transaction_id",
    "verify_world",
]


@contextmanager
def demo_sandbox(
    *, returns: int = 24, seed: int = 7, data_dir: Path | str | None = None, faults: dict[str, dict[str, Any]] | None = None
) -> Iterator[Sandbox]:
    """All three emulators seeded with the demo world of ``returns`` returns, serving on free localhost ports until exit."""
    sandbox = Sandbox(data_dir=data_dir, faults=faults)
    try:
        sandbox.seed_demo(seed=seed, returns=returns)
        sandbox.start()
        yield sandbox
    finally:
        sandbox.close()
