"""DEPLOY.md's production setup end to end, run by docs/deploy-local.sh itself against a local PostgreSQL.

A Prefect server on a fresh PostgreSQL database, the ledger on another, the process work pool, the seven
deployments of prefect.yaml, the per-account NetSuite limit and two workers; two stores of one NetSuite
account served by the sandbox. Through the Prefect API, as the UI does: the scheduler has queued runs of
every scheduled deployment; a run of ``ra_sync`` started like the Run button posts its RAs; a sandbox fault
fails a task, whose failed run and error the API shows; the UI's Retry completes the run without posting
anything twice; and with both stores running at once NetSuite never sees more requests in flight than the
account's limit (the sandbox's own count).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from production_setup import Databases, deploy_local, fresh_databases, prefect_client, wait_for_final_state

from returns_sync.blocks.account_limit import account_limit_name
from returns_sync.service.serve import RUN_ALL, SYNCS

ADMIN_PG = os.environ.get("RETURNS_SYNC_TEST_PG")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not ADMIN_PG, reason="RETURNS_SYNC_TEST_PG is unset: the production setup needs the PostgreSQL that .ci/run starts"
    ),
]

ACCOUNT_LIMIT = 2  # the shared limit: below what one store alone would use (STORE_CONCURRENCY)
STORE_CONCURRENCY = 4  # each store's max_netsuite_concurrency, per process
# The sandbox itself refuses nothing (its own limit is far above), so max_in_flight counts what the clients sent;
# each request takes a quarter second, as a loaded account does, so requests of the two stores overlap.
SANDBOX_FAULTS = {"netsuite": {"concurrency_limit": 50, "latency_ms": 250}}
DEPLOYMENTS = {sync: f"{sync}/{sync.replace('_', '-')}" for sync in (*SYNCS, RUN_ALL)}


@pytest.fixture
def databases() -> Iterator[Databases]:
    assert ADMIN_PG is not None
    with fresh_databases(ADMIN_PG) as databases:
        yield databases


@pytest.fixture
def sandbox() -> Iterator[Any]:
    from returns_sandbox.testing import Sandbox

    sandbox = Sandbox(faults=SANDBOX_FAULTS)
    sandbox.seed_demo(seed=5, returns=12)
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.close()


def _save_store_blocks(api_url: str, sandbox: Any, stores: tuple[str, ...]) -> None:
    """The stores' blocks, as `configure` would save them: both on the sandbox's one NetSuite account, limited across workers."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from returns_sync.blocks.connection_info import store_settings_from_connection_info

    info = sandbox.connection_info()
    with temporary_settings({PREFECT_API_URL: api_url}):
        for store in stores:
            settings = store_settings_from_connection_info(info, store, max_netsuite_concurrency=STORE_CONCURRENCY)
            shared = settings.netsuite_credentials.model_copy(update={"limit_across_workers": True})
            settings = settings.model_copy(update={"netsuite_credentials": shared})
            settings.save(settings.block_name, overwrite=True)


def _deployments(client: Any) -> dict[str, Any]:
    return {sync: client.read_deployment_by_name(name) for sync, name in DEPLOYMENTS.items()}


def _assert_the_scheduler_queued_every_scheduled_deployment(client: Any, deployments: dict[str, Any]) -> dict[str, int]:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId, FlowRunFilter, FlowRunFilterStateType
    from prefect.client.schemas.filters import FlowRunFilterState as StateFilter
    from prefect.client.schemas.objects import StateType

    def scheduled_runs() -> dict[str, int]:
        counts = {}
        for sync, deployment in deployments.items():
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
                flow_run_filter=FlowRunFilter(state=StateFilter(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))),
            )
            counts[sync] = sum(1 for run in runs if run.auto_scheduled)
        return counts

    deadline = time.monotonic() + 45  # the scheduler loops every 10 s here
    while not all((counts := scheduled_runs())[sync] for sync in SYNCS) and time.monotonic() < deadline:
        time.sleep(2)
    assert all(counts[sync] >= 1 for sync in SYNCS), f"scheduled runs per deployment: {counts}"
    assert counts[RUN_ALL] == 0
    return counts


def _pause_schedules(client: Any, deployments: dict[str, Any]) -> None:
    """`prefect deployment schedule pause` and drop the runs already queued, so none of the placeholder store
    (prefect.yaml's "north") holds a deployment's one-at-a-time slot while the runs below wait for it."""
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId, FlowRunFilter, FlowRunFilterStateType
    from prefect.client.schemas.filters import FlowRunFilterState as StateFilter
    from prefect.client.schemas.objects import StateType

    for deployment in deployments.values():
        for schedule in deployment.schedules:
            client.update_deployment_schedule(deployment.id, schedule.id, active=False)
    queued = client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[d.id for d in deployments.values()])),
        flow_run_filter=FlowRunFilter(state=StateFilter(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))),
    )
    for run in queued:
        client.delete_flow_run(run.id)


def _run(client: Any, deployment: Any, **parameters: Any) -> Any:
    """What the UI's Run button does: POST /deployments/{id}/create_flow_run with the parameters."""
    return client.create_flow_run_from_deployment(deployment.id, parameters=parameters).id


def _ra_counts(sandbox: Any, return_ids: list[str]) -> dict[str, int]:
    netsuite = sandbox.netsuite
    return {rid: len(netsuite.find_by_body_field("returnAuthorization", "custbody_loop_return_id", rid)) for rid in return_ids}


def _states(runs: dict[Any, Any]) -> list[tuple[str, str, str | None]]:
    return [(run.name, run.state_name, run.state.message if run.state else None) for run in runs.values()]


def test_deploy_local_runs_two_stores_on_two_workers_under_one_netsuite_limit(tmp_path, databases, sandbox) -> None:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.states import Scheduled

    started = time.monotonic()
    world = sandbox.world
    # ra_sync's steps use south: a scheduled run of prefect.yaml's placeholder store (north) that started
    # before the schedules were paused can then only post what run_all posts for north anyway.
    south = [case.return_id for case in world.returns if case.store == "south" and case.expected.ra_lines]
    north = [case.return_id for case in world.returns if case.store == "north" and case.expected.ra_lines]
    everyone = [case.return_id for case in world.returns]
    assert len(south) >= 4 and len(north) >= 3, "the seed's stores are too small for this test"
    first_batch = south[:2]
    phases: dict[str, float] = {}

    with deploy_local(tmp_path, databases, account_id=world.account.account_id, limit=ACCOUNT_LIMIT) as setup:
        _save_store_blocks(setup.api_url, sandbox, ("north", "south"))
        with prefect_client(setup.api_url) as client:
            deployments = _deployments(client)
            assert {d.work_pool_name for d in deployments.values()} == {"returns-sync"}
            limit = client.read_global_concurrency_limit_by_name(account_limit_name(world.account.account_id))
            assert limit.limit == ACCOUNT_LIMIT
            scheduled = _assert_the_scheduler_queued_every_scheduled_deployment(client, deployments)
            _pause_schedules(client, deployments)

            # 1. ra_sync for one store, two of its returns, started as the UI's Run button does.
            phases["setup"] = time.monotonic() - started
            first = _run(client, deployments["ra_sync"], store="south", return_ids=first_batch)
            runs = wait_for_final_state(setup.api_url, [first])
            assert [run.state_type.value for run in runs.values()] == ["COMPLETED"], f"{_states(runs)}\n{setup.logs()}"
            assert _ra_counts(sandbox, south) == {rid: int(rid in first_batch) for rid in south}
            phases["ra_sync"] = time.monotonic() - started - sum(phases.values())

            # 2. NetSuite refuses every login (a sandbox fault): the run fails, and the API shows the failed task and why.
            sandbox.faults["netsuite"].update(concurrency_limit=0, p_invalid_login_on_overflow=1.0)
            faulted = _run(client, deployments["ra_sync"], store="south")
            runs = wait_for_final_state(setup.api_url, [faulted])
            sandbox.faults["netsuite"].update(**SANDBOX_FAULTS["netsuite"], p_invalid_login_on_overflow=0.0)
            [failed_run] = runs.values()
            assert failed_run.state_type.value == "FAILED", f"{_states(runs)}\n{setup.logs()}"
            task_runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[faulted])))
            failed_tasks = [task for task in task_runs if task.state_type and task.state_type.value == "FAILED"]
            assert failed_tasks, [(task.name, task.state_name) for task in task_runs]
            task_errors = [task.state.message or "" for task in failed_tasks if task.state]
            assert any("INVALID_LOGIN" in message or "401" in message for message in task_errors), task_errors
            assert failed_run.state.message, "the run's header shows no cause"
            phases["fault"] = time.monotonic() - started - sum(phases.values())

            # 3. The fault cleared, the UI's Retry while the other store runs all. The UI sets the state Scheduled
            # "AwaitingRetry" with force (ui-v2/src/components/flow-runs/flow-run-actions/retry-flow-run-dialog.tsx,
            # https://github.com/PrefectHQ/prefect).
            sandbox.apps()["netsuite"].reset_stats()
            client.set_flow_run_state(faulted, Scheduled(name="AwaitingRetry", message="Retry from the UI"), force=True)
            other = _run(client, deployments[RUN_ALL], store="north")
            runs = wait_for_final_state(setup.api_url, [faulted, other], timeout=180)
            assert {run.state_type.value for run in runs.values()} == {"COMPLETED"}, f"{_states(runs)}\n{setup.logs()}"
            assert client.read_flow_run(faulted).run_count >= 2
            phases["retry with both stores"] = time.monotonic() - started - sum(phases.values())

    stats = sandbox.apps()["netsuite"].stats
    counts = _ra_counts(sandbox, everyone)
    assert {rid: counts[rid] for rid in south} == dict.fromkeys(south, 1)  # the retry posted the rest, none twice
    assert {rid: counts[rid] for rid in north} == dict.fromkeys(north, 1)
    assert max(counts.values()) == 1
    # Two stores' runs, each allowed 4 requests by its own process, together never above the account's 2.
    assert 1 <= stats.max_in_flight <= ACCOUNT_LIMIT, stats.as_dict()
    assert "concurrency_limit" not in stats.injected
    wall = time.monotonic() - started
    print(
        f"\nend-to-end: {', '.join(f'{name} {seconds:.0f} s' for name, seconds in phases.items())}, total {wall:.0f} s; "
        f"scheduled runs per deployment { ({str(sync): count for sync, count in scheduled.items()}) }; "
        f"NetSuite requests {stats.requests}, max in flight {stats.max_in_flight} (limit {ACCOUNT_LIMIT})"
    )
