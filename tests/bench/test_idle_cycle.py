"""An idle cycle costs almost nothing: six syncs, one store, nothing new, past the cursor overlap (issue 12).

The bench's ``idle (steady)`` phase is that cycle: after the whole lifecycle and a run within the
overlap, ``run_all`` once more with ``cursor_overlap_minutes=0``. The sandbox's fault injectors count
the requests each API received. No timing is asserted. The world holds returns that wait on a refund (closed in
Loop, goods never received), which an idle cycle must leave alone until something about them changes.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from returns_bench.metrics import APIS, SYNCS, ApiLatency
from returns_bench.scenarios import ScenarioSpec, run_scenario

IDLE_CYCLE_REQUEST_BUDGET = 12  # all APIs together, one store


@pytest.mark.flow
@pytest.mark.slow
def test_an_idle_cycle_costs_at_most_twelve_requests_and_runs_no_quality_suite():
    spec = ScenarioSpec(
        # The seed's every scenario (its minimum is 31); at 60, south holds 28 returns, two of them closed in Loop
        # with goods that never arrive, so refund_sync waits on them: what an idle cycle must not re-read.
        returns=60,
        stores=("south",),
        latency={api: ApiLatency() for api in APIS},
        netsuite_concurrency=5,
        idle=True,
    )
    result = run_scenario(spec)

    assert result["verification"]["matching_expectations"] == result["verification"]["returns_checked"]
    idle = result["idle"]["idle (steady)"]
    per_sync = {sync: idle["per_sync"][sync]["requests"] for sync in SYNCS}
    assert idle["requests"]["total"] <= IDLE_CYCLE_REQUEST_BUDGET, (idle["requests"], per_sync)
    assert idle["client_requests"] == idle["requests"]["total"]
    # Nothing to check, so no Great Expectations suite runs (and nothing imports it: see below).
    assert idle["breakdown_calls"]["quality"] == 0


def test_the_flows_import_no_great_expectations_until_a_batch_needs_checking():
    code = "import sys, returns_sync.flows.run_all, returns_sync.cli.app; print('great_expectations' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"
