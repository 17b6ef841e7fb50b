"""The domain's LoopReturn model parses every return the sandbox seeds: the emulator's Loop payloads and our model agree."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from returns_sandbox.testing import build_world
from returns_sync.domain.loop import LoopReturn

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("seed", "returns"), [(7, 300), (11, 300)])
def test_every_seeded_return_parses_as_the_domain_model(seed: int, returns: int) -> None:
    world = build_world(seed=seed, returns=returns, now=NOW)
    for case in world.returns:
        parsed = LoopReturn.model_validate(case.loop_return)
        assert parsed.id == case.return_id and len(parsed.line_items) >= 1
