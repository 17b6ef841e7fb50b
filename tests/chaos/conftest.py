"""Chaos fixtures: the Prefect API with flow heartbeats off, and a factory of sandbox worlds, each closed after its test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chaos_world import ChaosWorld
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings


@pytest.fixture(scope="module")
def prefect_harness(prefect_api: None) -> Iterator[None]:
    """The session's temporary Prefect API (``prefect_api``, tests/conftest.py), flow heartbeats off for the module.

    Flow-run heartbeats are switched off: they only serve crash detection by a worker, and the
    engine joins the heartbeat thread at the end of every flow run, which costs up to a second
    per (sub)flow run: most of the time of an idle pass.
    """
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


@pytest.fixture
def make_world(tmp_path: Path, prefect_harness: None) -> Iterator[Any]:
    """Build ``ChaosWorld``s for one test (each in its own directory); all are closed afterwards."""
    worlds: list[ChaosWorld] = []

    def make(**options: Any) -> ChaosWorld:
        directory = tmp_path / f"world{len(worlds)}"
        directory.mkdir()
        worlds.append(ChaosWorld(directory, **options))
        return worlds[-1]

    yield make
    for world in reversed(worlds):
        print(f"run_all passes took {world.pass_seconds} s")  # shown with -s / -rP: where the suite's time goes
        world.close()
