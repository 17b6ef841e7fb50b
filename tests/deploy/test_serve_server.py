"""``returns-sync serve`` against a real Prefect server: the scheduler creates runs from its schedules and the runner starts them.

The test shortens the interval with ``--interval 60`` (the documented override; the syncs are then
staggered ten seconds apart) and lets the six syncs of one store run against a small seeded sandbox.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect_server import REPO_ROOT, PrefectServer, running_prefect_server

from returns_sync.service.serve import SYNCS, deployment_name

pytestmark = [pytest.mark.slow]

STORE = "north"
INTERVAL = 60
# One interval for the last sync's first slot, then a flow-run process per sync starting (and, unless the
# machine is very busy, finishing) on two cores.
DEADLINE_SECONDS = INTERVAL + 480


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    with running_prefect_server(tmp_path_factory.mktemp("serve-prefect-home")) as server:
        yield server


@pytest.fixture(scope="module")
def sandbox_with_blocks(prefect_server: PrefectServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A small seeded sandbox on real sockets, and the store's settings saved as blocks on the server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from returns_sandbox.testing import Sandbox
    from returns_sync.blocks.connection_info import store_settings_from_connection_info

    sandbox = Sandbox(data_dir=Path(tmp_path_factory.mktemp("serve-sandbox")))
    sandbox.seed_demo(seed=5, returns=40)
    sandbox.start()
    try:
        with temporary_settings({PREFECT_API_URL: prefect_server.api_url}):
            settings = store_settings_from_connection_info(sandbox.connection_info(), STORE)
            settings.save(settings.block_name, overwrite=True)
        yield sandbox
    finally:
        sandbox.close()


def _started_runs_by_deployment(api_url: str) -> dict[str, list[object]]:
    """Per deployment name, its flow runs past SCHEDULED (a scheduler makes ~50 ahead per deployment)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType
    from prefect.settings import PREFECT_API_URL, temporary_settings

    started = [
        StateType.PENDING,
        StateType.RUNNING,
        StateType.COMPLETED,
        StateType.FAILED,
        StateType.CRASHED,
        StateType.CANCELLED,
    ]
    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        names = {deployment.id: deployment.name for deployment in client.read_deployments()}
        runs: dict[str, list[object]] = {name: [] for name in names.values()}
        state_filter = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=started)))
        for run in client.read_flow_runs(flow_run_filter=state_filter, limit=200):
            if run.deployment_id in names:
                runs[names[run.deployment_id]].append(run)
    return runs


def test_serve_creates_and_starts_runs_of_every_sync_from_its_schedules(prefect_server, sandbox_with_blocks, tmp_path):
    env = {
        **prefect_server.env,
        "RETURNS_SYNC_LEDGER_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        serve = subprocess.Popen(
            [sys.executable, "-m", "returns_sync.cli.app", "serve", "--store", STORE, "--interval", str(INTERVAL)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            expected = {deployment_name(sync, STORE) for sync in SYNCS}
            deadline = time.monotonic() + DEADLINE_SECONDS
            while True:
                runs = _started_runs_by_deployment(prefect_server.api_url)
                started = {name for name in expected if any(run.start_time is not None for run in runs.get(name, []))}
                completed = {name for name in expected if any(run.state_type.value == "COMPLETED" for run in runs.get(name, []))}
                failed = [
                    (name, run.state_name, run.state.message if run.state else "")
                    for name in expected
                    for run in runs.get(name, [])
                    if run.state_type.value in ("FAILED", "CRASHED")
                ]
                if completed == expected or failed or serve.poll() is not None or time.monotonic() > deadline:
                    break
                time.sleep(3)
        finally:
            os.killpg(serve.pid, signal.SIGINT)
            try:
                serve.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(serve.pid, signal.SIGKILL)
                serve.wait(5)
    output = log_path.read_text(errors="replace")
    assert failed == [], f"{failed}\n{output[-3000:]}"
    states = {name: [run.state_name for run in found] for name, found in runs.items()}
    # Every sync's run started; on a busy machine the last may still be running when the wait ends,
    # but those that ended all completed: the runs did their work against the sandbox.
    assert started == expected, f"started: {sorted(started)}; runs: {states}\n{output[-3000:]}"
    assert completed, f"no run completed; runs: {states}\n{output[-3000:]}"
    for name in expected:
        scheduled = [run for run in runs[name] if run.auto_scheduled]
        assert scheduled, f"{name}: no run came from the schedule"
        assert {run.parameters["store"] for run in runs[name]} == {STORE}
    assert runs[deployment_name("run_all", STORE)] == []  # unscheduled: only webhooks and reruns start it
