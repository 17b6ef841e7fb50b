"""``prefect deploy --all`` from the repo root against a real local Prefect server with the returns-sync work pool."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import fastapi
import httpx
import pytest

from returns_sandbox.testing import free_port
from returns_sync.cli.serve import RUN_ALL, SYNCS, schedule_anchor

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENTS = {f"{sync}/{sync.replace('_', '-')}": sync for sync in (*SYNCS, RUN_ALL)}
STARTUP_TIMEOUT = 90


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2])


class NullLimitRejected(AssertionError):
    """The server answered the client's ``"limit": null`` with 422 (the known FastAPI incompatibility)."""


# Prefect 3.8's server declares `limit: int = Body(None)` and its client sends `"limit": null`; FastAPI
# 0.151 and later answer that with 422, so `prefect deploy` fails once it looks for workers of the pool.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.xfail(
        _version(fastapi.__version__) >= (0, 151),
        reason=f"FastAPI {fastapi.__version__} rejects the Prefect client's null limits (422); needs fastapi<0.151",
        raises=NullLimitRejected,
        strict=True,
    ),
]


def _prefect(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False,
    )


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A Prefect server on a free localhost port with its own PREFECT_HOME and SQLite database."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_UI_ENABLED="false",
        DO_NOT_TRACK="1",
    )
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-services"],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    api_url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Prefect server did not start:\n{(home / 'server.log').read_text()[-3000:]}")
            time.sleep(0.25)
        yield {**env, "PREFECT_API_URL": api_url}
    finally:
        # The server was started in its own session: stop it and anything it spawned.
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)
        log.close()


@pytest.fixture(scope="module")
def deployed(prefect_server) -> dict[str, str]:
    pool = _prefect("work-pool", "create", "returns-sync", "--type", "process", env=prefect_server)
    assert pool.returncode == 0, pool.stdout + pool.stderr
    deploy = _prefect("--no-prompt", "deploy", "--all", env=prefect_server)
    output = deploy.stdout + deploy.stderr
    if deploy.returncode != 0 and "'loc': ['body', 'limit'], 'msg': 'Input should be a valid integer', 'input': None" in output:
        raise NullLimitRejected(output[-2000:])
    assert deploy.returncode == 0, output[-4000:]
    return prefect_server


@pytest.fixture(scope="module")
def deployments(deployed) -> dict[str, object]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: deployed["PREFECT_API_URL"]}), get_client(sync_client=True) as client:
        return {name: client.read_deployment_by_name(name) for name in DEPLOYMENTS}


def test_all_seven_deployments_exist_in_the_pool(deployments):
    assert set(deployments) == set(DEPLOYMENTS)
    for name, deployment in deployments.items():
        flow = DEPLOYMENTS[name]
        assert deployment.work_pool_name == "returns-sync"
        assert deployment.entrypoint == f"src/returns_sync/flows/{flow}.py:{flow}"
        assert deployment.parameters == {"store": "north", "return_ids": None, "dry_run": False}
        assert deployment.pull_steps == [{"prefect.deployments.steps.set_working_directory": {"directory": str(REPO_ROOT)}}]


def test_six_run_every_90_minutes_and_run_all_on_demand(deployments):
    for name, deployment in deployments.items():
        sync = DEPLOYMENTS[name]
        if sync == RUN_ALL:
            assert deployment.schedules == []
            continue
        [schedule] = deployment.schedules
        assert schedule.active is True
        assert schedule.schedule.interval == timedelta(seconds=5400)
        assert schedule.schedule.anchor_date == schedule_anchor(sync, 5400)


def test_each_allows_one_run_at_a_time_and_queues_the_next(deployments):
    for deployment in deployments.values():
        assert deployment.global_concurrency_limit is not None
        assert deployment.global_concurrency_limit.limit == 1
        assert deployment.concurrency_options.collision_strategy.value == "ENQUEUE"
