"""``prefect deploy --all`` from the repo root against a real local Prefect server with the returns-sync work pool."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import fastapi
import pytest
from prefect_server import REPO_ROOT, SCHEDULER_LOOP_SECONDS, PrefectServer, prefect_cli, running_prefect_server

from returns_sync.service.serve import RUN_ALL, SYNCS, schedule_anchor

DEPLOYMENTS = {f"{sync}/{sync.replace('_', '-')}": sync for sync in (*SYNCS, RUN_ALL)}


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


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """A Prefect server, scheduler running, on a free localhost port with its own PREFECT_HOME and SQLite database."""
    with running_prefect_server(tmp_path_factory.mktemp("prefect-home")) as server:
        yield server


@pytest.fixture(scope="module")
def deployed(prefect_server: PrefectServer) -> PrefectServer:
    pool = prefect_cli("work-pool", "create", "returns-sync", "--type", "process", env=prefect_server.env)
    assert pool.returncode == 0, pool.stdout + pool.stderr
    deploy = prefect_cli("--no-prompt", "deploy", "--all", env=prefect_server.env)
    output = deploy.stdout + deploy.stderr
    if deploy.returncode != 0 and "'loc': ['body', 'limit'], 'msg': 'Input should be a valid integer', 'input': None" in output:
        raise NullLimitRejected(output[-2000:])
    assert deploy.returncode == 0, output[-4000:]
    return prefect_server


@pytest.fixture(scope="module")
def deployments(deployed) -> dict[str, object]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: deployed.api_url}), get_client(sync_client=True) as client:
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


def _scheduled_runs(api_url: str, deployment_ids: dict[str, object]) -> dict[str, list[object]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import PREFECT_API_URL, temporary_settings

    runs: dict[str, list[object]] = {}
    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        for name, deployment_id in deployment_ids.items():
            runs[name] = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            )
    return runs


def test_the_scheduler_creates_runs_of_each_sync_every_90_minutes_for_the_store(deployed, deployments):
    """The server's own scheduler (not just the schedule objects) turns each schedule into flow runs.

    Prefect 3.8.8's scheduler fails every loop under SQLAlchemy 2.1 ("Can't evaluate bulk DML
    statement") and creates no run at all; this is the test that notices.
    """
    scheduled = {name: deployment.id for name, deployment in deployments.items() if DEPLOYMENTS[name] != RUN_ALL}
    deadline = time.monotonic() + 2 * SCHEDULER_LOOP_SECONDS + 15  # two loops, and a margin for a busy machine
    while True:
        runs = _scheduled_runs(deployed.api_url, {**scheduled, "run_all/run-all": deployments["run_all/run-all"].id})
        if all(len(runs[name]) >= 2 for name in scheduled) or time.monotonic() > deadline:
            break
        time.sleep(1)
    errors = [line for line in deployed.log_tail(200_000).splitlines() if "ERROR" in line or "Traceback" in line]
    counts = {name: len(found) for name, found in runs.items()}
    assert all(counts[name] >= 2 for name in scheduled), (
        f"scheduled runs per deployment: {counts}; scheduler errors: {errors[:3]}"
    )
    assert runs["run_all/run-all"] == []
    for name in scheduled:
        sync = DEPLOYMENTS[name]
        # Plain datetimes: Prefect hands back pendulum ones, whose interval arithmetic differs.
        starts = [datetime.fromtimestamp(run.expected_start_time.timestamp(), UTC) for run in runs[name]]
        assert {run.parameters["store"] for run in runs[name]} == {"north"}
        assert {run.deployment_id for run in runs[name]} == {scheduled[name]}
        assert all(later - earlier == timedelta(minutes=90) for earlier, later in pairwise(starts))
        assert all((start - schedule_anchor(sync, 5400)) % timedelta(minutes=90) == timedelta(0) for start in starts)


def test_the_servers_services_log_no_errors(deployed, deployments):
    """Every service of the server ran its loops cleanly with the locked dependencies.

    A dependency that drifted past what Prefect 3.8 supports (SQLAlchemy 2.1 was one) shows up here
    as an ERROR from the service that broke, even where no other test looks at that service.
    """
    time.sleep(SCHEDULER_LOOP_SECONDS)  # at least one more loop of every fast service after the deploy
    log = deployed.log_tail(200_000)
    errors = [line for line in log.splitlines() if " ERROR " in line or line.startswith("Traceback")]
    assert errors == [], "\n".join(errors[:10])
