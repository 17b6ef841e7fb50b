"""The bench's memory run: the product in a process of its own, its RSS per pass, and the growth figure.

No assertion here depends on how much memory anything took: the tiny real run proves the figures are
produced and that the lifecycle ran to the seed's expectations in the product's own process.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from returns_bench import memory_run
from returns_bench.cli import main as bench_main
from returns_bench.memory_run import MEMORY_GOAL_MB, memory_report, memory_row
from returns_bench.prefect_server import PREFECT_DATABASE_ENV

PG_ENV = "RETURNS_SYNC_TEST_PG"


def _row(returns: int, peak: float) -> dict[str, Any]:
    return {"returns": returns, "peak_rss_mb": peak}


class TestGrowth:
    def test_growth_is_the_largest_n_peak_less_the_smallest_n_peak(self, monkeypatch: pytest.MonkeyPatch) -> None:
        peaks = {1000: 400.0, 20000: 470.5, 5000: 900.0}
        monkeypatch.setattr(memory_run, "memory_row", lambda n, **kw: _row(n, peaks[n]))
        report = memory_report((20000, 1000, 5000))
        assert [row["returns"] for row in report["rows"]] == [1000, 5000, 20000]
        assert report["peak_rss_growth_mb"] == 70.5
        assert report["goal_met"] is False

    def test_within_the_goal_is_met_and_one_size_has_no_growth(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(memory_run, "memory_row", lambda n, **kw: _row(n, 400.0 + (MEMORY_GOAL_MB if n > 1 else 0)))
        assert memory_report((1, 2))["goal_met"] is True
        single = memory_report((1,))
        assert single["peak_rss_growth_mb"] is None and single["goal_met"] is False


def test_a_saved_memory_report_renders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    verification = {"returns_checked": 8, "matching_expectations": 8, "failures": []}
    row = {
        "returns": 8,
        "passes": [{"phase": "pass-1"}],
        "lifecycle_s": 3.2,
        "rss_ready_mb": 160.0,
        "peak_rss_mb": 300.0,
        "peak_over_ready_mb": 140.0,
        "flow_runs": 28,
        "task_runs": 120,
        "task_runs_per_store_cycle": 30.0,
        "verification": verification,
    }
    saved = tmp_path / "memory.json"
    saved.write_text(json.dumps({"meta": {}, "memory_run": {"rows": [row], "peak_rss_growth_mb": None, "goal_mb": 50}}))
    with pytest.raises(SystemExit) as ended:
        bench_main(["--show", str(saved)])
    assert ended.value.code == 0
    out = capsys.readouterr().out
    assert "Memory run" in out and "8/8" in out and "28 / 120" in out


@pytest.mark.flow
@pytest.mark.slow
@pytest.mark.postgres
def test_a_tiny_memory_run_runs_the_lifecycle_in_its_own_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server_url = os.environ.get(PG_ENV)
    if not server_url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {PG_ENV} is not set")
        pytest.skip(f"{PG_ENV} names no PostgreSQL server")
    monkeypatch.setenv(PREFECT_DATABASE_ENV, server_url)
    row = memory_row(12, log_dir=tmp_path)
    assert row["verification"]["matching_expectations"] == row["verification"]["returns_checked"] == 12
    assert row["all_runs_completed"] and len(row["passes"]) >= 2
    assert row["passes"][-1]["events_after"] == {}  # the world came to rest
    # The worker's own process: it measured itself, apart from this one (which holds the sandbox).
    assert 0 < row["rss_ready_mb"] <= row["peak_rss_mb"]
    assert all(p["rss_mb"] <= p["peak_rss_mb"] for p in row["passes"])
    # The sampler saw the pass: the worker's modules alone are hundreds of thousands of blocks; one thread per store ran.
    assert row["python_blocks_highest"] > 100_000 and row["threads_highest"] > len(row["stores"])
    # ...and named the product's frames running at the highest RSS it sampled (the first pass grows as it runs).
    first = row["passes"][0]
    # (The kernel's high-water mark lags the RSS it reports now by a little: 328.6 sampled, 328.5 peak, seen.)
    assert 0 < first["rss_highest_sampled_mb"] <= first["peak_rss_mb"] + 5
    assert any("flows/" in frame or "tasks/" in frame for frame in first["running_at_rss_highest"])
    # Every pass ran run_all and its six syncs for each store, each a flow run on the bench's Prefect server.
    assert row["flow_runs"] >= 7 * len(row["stores"]) * len(row["passes"])
    assert row["task_runs"] > row["flow_runs"]
    assert (tmp_path / "memory-run-n12.log").exists()


def test_the_census_counts_live_objects_by_type() -> None:
    from returns_bench.memory_worker import _census

    class Marker:
        pass

    held = [Marker() for _ in range(300_000)]  # more than any kind of object the test process holds otherwise
    census = dict(_census(limit=3))
    assert census[f"{Marker.__module__}.{Marker.__qualname__}"] >= len(held)
