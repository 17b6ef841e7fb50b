"""Run the bench: the main lifecycle, the same lifecycle at several N, a traced-memory run; derive ratios; save JSON.

Each scenario runs in its own Python process by default (fresh Prefect server, ledger, sandbox
and peak RSS), so one N never pays for another's state. ``isolate=False`` runs them here, which
the smoke test uses.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from returns_bench.metrics import APIS, ApiLatency, derive_notes
from returns_bench.scenarios import BENCH_ENV, ScenarioSpec, run_scenario

__all__ = [
    "DEFAULT_LATENCY",
    "DEFAULT_NETSUITE_CONCURRENCY",
    "DEFAULT_RETURNS",
    "REPO_ROOT",
    "RESULTS_DIR",
    "BenchConfig",
    "headline",
    "run_bench",
    "run_one",
    "save_report",
    "scaling_summary",
]

# bench/src/returns_bench/harness.py: the bench is a dev-only workspace member, installed editable from a checkout.
REPO_ROOT = Path(__file__).resolve().parents[3]
RESULTS_DIR = REPO_ROOT / "bench" / "results"
# The reference run: real-world latencies as issue 12 sets them (NetSuite's SuiteQL and REST answers take
# hundreds of ms; Loop's and Shopify's less), with each API's own limit enforced by the sandbox.
DEFAULT_LATENCY = {"loop": ApiLatency(150.0, 50.0), "netsuite": ApiLatency(400.0, 150.0), "shopify": ApiLatency(120.0, 40.0)}
DEFAULT_RETURNS = 1000
IDLE_CYCLE_GOAL = 12  # requests per store for six syncs with nothing new, past the cursor overlap
DEFAULT_NETSUITE_CONCURRENCY = 5


@dataclass
class BenchConfig:
    """Everything ``returns-sync bench`` can change. ``scale`` empty skips scaling; ``memory`` adds a traced run."""

    returns: int = DEFAULT_RETURNS
    scale: tuple[int, ...] = (100, 300, 1000)
    latency: dict[str, ApiLatency] = field(default_factory=lambda: dict(DEFAULT_LATENCY))
    netsuite_concurrency: int = DEFAULT_NETSUITE_CONCURRENCY
    seed: int = 7
    idle: bool = True
    memory: bool = True
    isolate: bool = True
    stores: tuple[str, ...] | None = None
    stores_at_once: bool = True
    account_limit: bool = False

    def spec(self, returns: int, **changes: Any) -> ScenarioSpec:
        base = ScenarioSpec(
            returns=returns,
            seed=self.seed,
            latency=dict(self.latency),
            netsuite_concurrency=self.netsuite_concurrency,
            idle=False,
            stores=self.stores,
            stores_at_once=self.stores_at_once,
            account_limit=self.account_limit,
        )
        return replace(base, **changes)


def run_one(spec: ScenarioSpec, *, isolate: bool = True, log_dir: Path | None = None) -> dict[str, Any]:
    """One scenario, in a fresh process (``isolate``) or here."""
    if not isolate:
        return run_scenario(spec)
    with tempfile.TemporaryDirectory(prefix="returns-sync-bench-") as tmp:
        spec_path, out_path = Path(tmp) / "spec.json", Path(tmp) / "result.json"
        spec_path.write_text(json.dumps(spec.to_json()))
        env = {**os.environ, **BENCH_ENV, "PREFECT_HOME": str(Path(tmp) / "prefect-home")}
        log_path = (log_dir or Path(tmp)) / f"bench-{spec.label}-n{spec.returns}.log"
        with log_path.open("w") as log:
            completed = subprocess.run(
                [sys.executable, "-m", "returns_bench.scenarios", str(spec_path), str(out_path)],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if completed.returncode != 0 or not out_path.exists():
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
            raise RuntimeError(
                f"bench scenario {spec.label} (N={spec.returns}) failed with exit code {completed.returncode}:\n{tail}"
            )
        return json.loads(out_path.read_text())


def _scaling_row(result: dict[str, Any]) -> dict[str, Any]:
    life = result["lifecycle"]
    return {
        "returns": result["returns"],
        "wall_s": life["wall_s"],
        "time_per_return_ms": life["time_per_return_ms"],
        "requests_per_return": life["requests_per_return"]["total"],
        "efficiency": life["efficiency"],
        "prefect_share": life["prefect_share"],
        "http_share": life["http_share"],
        "emulator_s": round(sum(result["server"][api]["emulator_s"] for api in APIS), 2),
        "breakdown_s": life["breakdown_s"],
        "peak_rss_mb": result["memory"]["peak_rss_mb"],
        "rss_before_runs_mb": result["memory"]["rss_before_runs_mb"],
        "verified": _verified(result),
    }


def _verified(result: dict[str, Any]) -> str | None:
    v = result.get("verification")
    return f"{v['matching_expectations']}/{v['returns_checked']}" if v else None


def scaling_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Time per return at each N relative to the smallest N (1.0 = perfectly flat)."""
    rows = sorted(rows, key=lambda r: r["returns"])
    if not rows:
        return {"rows": []}
    base = rows[0]["time_per_return_ms"]
    for row in rows:
        row["time_per_return_vs_smallest"] = round(row["time_per_return_ms"] / base, 3) if base else None
    steps = [
        {
            "from": a["returns"],
            "to": b["returns"],
            "time_per_return_ratio": round(b["time_per_return_ms"] / a["time_per_return_ms"], 3)
            if a["time_per_return_ms"]
            else None,
        }
        for a, b in pairwise(rows)
    ]
    return {"rows": rows, "steps": steps, "largest_vs_smallest": rows[-1]["time_per_return_vs_smallest"]}


def _meta(config: BenchConfig) -> dict[str, Any]:
    import importlib.metadata as md

    versions: dict[str, str | None] = {}
    for package in ("prefect", "httpx", "sqlalchemy", "great-expectations", "returns-sync", "returns-sandbox"):
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            versions[package] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "versions": versions,
        "git_commit": commit or None,
        # Which Prefect server the runs reported to: the test harness's (SQLite) or one on PostgreSQL.
        "prefect_server_database": "postgresql" if os.environ.get("RETURNS_BENCH_PREFECT_DATABASE") else "sqlite (test harness)",
        "config": {
            "returns": config.returns,
            "scale": list(config.scale),
            "seed": config.seed,
            "netsuite_concurrency": config.netsuite_concurrency,
            "latency_ms": {api: {"mean": config.latency[api].mean_ms, "jitter": config.latency[api].jitter_ms} for api in APIS},
            "idle": config.idle,
            "memory": config.memory,
            "isolate": config.isolate,
            "stores": list(config.stores) if config.stores else None,
            "stores_at_once": config.stores_at_once,
            "account_limit": config.account_limit,
        },
    }


def run_bench(
    config: BenchConfig, *, progress: Callable[[str], None] | None = None, log_dir: Path | None = None
) -> dict[str, Any]:
    """Run every scenario of ``config`` and return the report (see bench/README.md for each figure)."""
    say = progress or (lambda message: None)
    report: dict[str, Any] = {"meta": _meta(config)}
    started = time.perf_counter()
    say(f"main lifecycle, N={config.returns}, with idle runs")
    main = run_one(config.spec(config.returns, idle=config.idle, label="main"), isolate=config.isolate, log_dir=log_dir)
    report["main"] = main
    rows = []
    for n in sorted(set(config.scale)):
        if n == config.returns:
            rows.append(_scaling_row(main))
            continue
        say(f"scaling lifecycle, N={n}")
        rows.append(_scaling_row(run_one(config.spec(n, label="scale"), isolate=config.isolate, log_dir=log_dir)))
    report["scaling"] = scaling_summary(rows)
    if config.memory:
        say(f"memory lifecycle, N={config.returns}, tracemalloc on, no injected latency")
        quiet = {api: ApiLatency() for api in APIS}
        traced = run_one(
            config.spec(config.returns, latency=quiet, verify=False, trace_memory=True, label="memory"),
            isolate=config.isolate,
            log_dir=log_dir,
        )
        report["memory"] = {
            "returns": traced["returns"],
            **traced["memory"],
            "main_run_peak_rss_mb": main["memory"]["peak_rss_mb"],
            "wall_s_with_tracemalloc": traced["lifecycle"]["wall_s"],
            "verification": traced.get("verification"),
        }
    report["notes"] = derive_notes(main, report["scaling"])
    report.update(headline(main))
    report["meta"]["bench_wall_s"] = round(time.perf_counter() - started, 1)
    return report


def headline(main: dict[str, Any]) -> dict[str, Any]:
    """The report's top-level figures: efficiency of the whole lifecycle against the busiest API at its limit."""
    life = main["lifecycle"]
    steady = main.get("idle", {}).get("idle (steady)")
    idle_cycle = None
    if steady:
        # Issue 12's goal: at most 12 requests per store, all APIs together, and no quality suite (no GX import).
        idle_cycle = {
            "requests_per_store": steady["requests_per_store"],
            "goal_requests_per_store": IDLE_CYCLE_GOAL,
            "quality_suite_runs": steady["breakdown_calls"]["quality"],
        }
    return {
        "efficiency": life["efficiency"],
        "ideal_s": life["ideal_s"],
        "wall_s": life["wall_s"],
        "busiest_api": life["busiest_api"],
        "time_at_limit_s": life["time_at_limit_s"],
        "prefect_share": life["prefect_share"],
        "limits": main["limits"],
        "idle_cycle": idle_cycle,
    }


def save_report(report: dict[str, Any], directory: Path = RESULTS_DIR, *, path: Path | None = None) -> Path:
    """Write ``report`` to ``path``, or as ``bench-<UTC time>-n<N>.json`` under ``directory``; returns the path."""
    if path is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = directory / f"bench-{stamp}-n{report['main']['returns']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path
