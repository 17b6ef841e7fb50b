"""prefect.yaml: six scheduled syncs plus run-all, as Prefect 3 reads them, matching the flows and ``serve``."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from returns_sync.service.serve import RUN_ALL, SYNCS, schedule_anchor

REPO_ROOT = Path(__file__).resolve().parents[2]
PREFECT_YAML = REPO_ROOT / "prefect.yaml"
SCHEDULED = {sync.replace("_", "-"): sync for sync in SYNCS}
EXPECTED = {**SCHEDULED, "run-all": RUN_ALL}
SYNC_DEPLOYMENTS = dict(EXPECTED)
EXPECTED["reconciliation-report"] = "reconciliation_report"


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return yaml.safe_load(PREFECT_YAML.read_text())


@pytest.fixture(scope="module")
def deployments(config) -> dict[str, dict[str, Any]]:
    return {d["name"]: d for d in config["deployments"]}


@pytest.fixture
def in_repo_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(REPO_ROOT)
    return REPO_ROOT


class TestDeployments:
    def test_one_deployment_per_sync_run_all_and_the_daily_report(self, deployments):
        assert len(deployments) == 8
        assert set(deployments) == set(EXPECTED)

    def test_the_reconciliation_report_runs_daily_at_six_utc(self, deployments):
        deployment = deployments["reconciliation-report"]
        [schedule] = deployment["schedules"]
        assert (schedule["interval"], schedule["anchor_date"], schedule["timezone"]) == (86400, "2024-01-01T06:00:00Z", "UTC")
        assert deployment["parameters"] == {"store": "north", "since": None}

    @pytest.mark.parametrize("name", sorted(SCHEDULED))
    def test_each_sync_runs_every_90_minutes_staggered_like_serve(self, deployments, name):
        [schedule] = deployments[name]["schedules"]
        assert schedule["interval"] == 5400
        assert schedule["timezone"] == "UTC"
        # Same anchors as `returns-sync serve`, so both setups run the syncs in lifecycle order.
        assert datetime.fromisoformat(schedule["anchor_date"]) == schedule_anchor(SCHEDULED[name], 5400)

    def test_run_all_has_no_schedule(self, deployments):
        assert deployments["run-all"]["schedules"] == []

    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_parameters_concurrency_pool_and_entrypoint(self, deployments, name):
        deployment = deployments[name]
        flow = EXPECTED[name]
        if name in SYNC_DEPLOYMENTS:
            assert deployment["parameters"] == {"store": "north", "return_ids": None, "dry_run": False}
        assert deployment["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}
        assert deployment["work_pool"]["name"] == "returns-sync"
        assert deployment["entrypoint"] == f"src/returns_sync/flows/{flow}.py:{flow}"

    def test_the_store_to_change_is_explained_where_it_is_set(self):
        text = PREFECT_YAML.read_text()
        assert "store: north        # <- your store key" in text
        assert "STORE:" in text.split("deployments:")[0]


class TestAsPrefectReadsIt:
    def test_the_file_validates_against_prefects_project_model(self, config):
        from prefect.cli.deploy._models import PrefectYamlModel

        model = PrefectYamlModel.model_validate(config)
        assert [d.name for d in model.deployments] == [d["name"] for d in config["deployments"]]
        assert {d.concurrency_limit.limit for d in model.deployments} == {1}
        assert {d.concurrency_limit.collision_strategy for d in model.deployments} == {"ENQUEUE"}

    @pytest.mark.parametrize("name", sorted(SCHEDULED))
    def test_schedules_become_interval_schedules(self, deployments, name):
        from prefect.cli.deploy._schedules import _schedule_config_to_deployment_schedule

        [schedule] = [_schedule_config_to_deployment_schedule(s)["schedule"] for s in deployments[name]["schedules"]]
        assert schedule.interval == timedelta(seconds=5400)
        assert schedule.anchor_date == schedule_anchor(SCHEDULED[name], 5400)

    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_entrypoints_load_the_flow_of_that_name_and_accept_the_parameters(self, deployments, in_repo_root, name):
        from prefect.flows import load_flow_from_entrypoint

        deployment = deployments[name]
        flow = load_flow_from_entrypoint(deployment["entrypoint"])
        assert flow.name == EXPECTED[name]
        validated = flow.validate_parameters(dict(deployment["parameters"]))
        if name == "run-all":  # the webhook receiver also names the syncs a burst needs
            assert validated == {"store": "north", "return_ids": None, "since": None, "dry_run": False, "syncs": None}
        elif name in SYNC_DEPLOYMENTS:
            assert validated == {"store": "north", "return_ids": None, "since": None, "dry_run": False}
        else:
            assert validated == {"store": "north", "since": None}

    async def test_the_pull_step_changes_into_the_clone_deployed_from(self, config, in_repo_root):
        from prefect.deployments.steps.utility import run_shell_script
        from prefect.utilities.templating import apply_values

        # The build step as `prefect deploy` runs it (called directly: run_steps would reach for an API).
        [build] = config["build"]
        inputs = dict(build["prefect.deployments.steps.run_shell_script"])
        step_id = inputs.pop("id")
        outputs = {step_id: await run_shell_script(**inputs)}
        [pull] = apply_values(config["pull"], outputs, remove_notset=False)
        assert pull == {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO_ROOT)}}
        assert Path(pull["prefect.deployments.steps.set_working_directory"]["directory"], "src/returns_sync/flows").is_dir()
