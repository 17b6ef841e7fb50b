"""Deployment fixtures: two stores' settings, a file ledger, a recording trigger."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy_helpers import NORTH_SECRET, SOUTH_SECRET, RecordingTrigger, make_settings

from returns_sync.blocks import StoreSettings
from returns_sync.ledger import Ledger


@pytest.fixture
def stores() -> dict[str, StoreSettings]:
    return {"north": make_settings("north", NORTH_SECRET), "south": make_settings("south", SOUTH_SECRET)}


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.migrate()
    yield ledger
    ledger.dispose()


@pytest.fixture
def trigger() -> RecordingTrigger:
    return RecordingTrigger()
