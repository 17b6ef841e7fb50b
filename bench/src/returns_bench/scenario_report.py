"""Turn one scenario's recorded flow spans and counters into its report (see bench/README.md for each figure)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from returns_bench.metrics import APIS, SYNCS, elapsed, per_return_endpoints, summarise_spans

if TYPE_CHECKING:
    from returns_bench.scenarios import ScenarioSpec

__all__ = ["scenario_report"]


def _records(results: list[dict[str, Any]], phases: set[str], sync: str | None = None) -> int:
    total = 0
    for run in results:
        if run["phase"] not in phases:
            continue
        for name, counts in run["counts"].items():
            if sync is None or name == sync:
                total += counts.get("Loop returns read", 0) + counts.get("changed RAs read", 0)
    return total


def scenario_report(
    spec: ScenarioSpec,
    instr: Any,
    results: list[dict[str, Any]],
    idle_results: list[dict[str, Any]],
    lifecycle_phases: set[str],
    passes: list[dict[str, Any]],
    timings: dict[str, float],
    netsuite_stats: dict[str, Any],
    server: dict[str, Any],
    memory: dict[str, Any],
    verification: dict[str, Any] | None,
    spent: dict[str, float],
) -> dict[str, Any]:
    """The scenario's figures from its recorded spans: lifecycle, per sync, idle runs, NetSuite concurrency."""
    n, latency, concurrency, limits = spec.returns, spec.latency, spec.concurrency(), spec.limits()
    lifecycle_roots = [s for s in instr.spans if s.depth == 0 and s.phase in lifecycle_phases]
    lifecycle = summarise_spans(
        lifecycle_roots,
        returns=n,
        latency=latency,
        concurrency=concurrency,
        records=n,
        limits=limits,
        spent={"shopify": spent["lifecycle"]},
    )
    shopify_calls = lifecycle["requests"]["shopify"]
    points_per_call = spent["lifecycle"] / shopify_calls if shopify_calls else 0.0
    lifecycle["shopify_cost_points"] = round(spent["lifecycle"], 1)
    lifecycle["time_per_return_ms"] = round(1000 * lifecycle["wall_s"] / n, 2)
    lifecycle["returns_per_s"] = round(n / lifecycle["wall_s"], 2) if lifecycle["wall_s"] else None
    # A run_all's syncs run in two lanes at once: its time inside them is their union, not their sum.
    subflows = sum(elapsed(_children(instr.spans, root)) for root in lifecycle_roots)
    lifecycle["run_all_overhead_s"] = round(lifecycle["run_s"] - subflows, 3)
    lifecycle["flow_runs_total"] = sum(1 for s in instr.spans if s.phase in lifecycle_phases)
    lifecycle["unit_costs"] = _unit_costs(lifecycle)
    # Each store's run_all per pass, with its syncs: which store's chain sets a pass's end, and where it spends it.
    lifecycle["store_runs"] = [
        {
            "store": root.store,
            "phase": root.phase,
            "wall_s": round(root.wall, 3),
            "syncs_s": _sync_walls(_children(instr.spans, root)),
        }
        for root in sorted(lifecycle_roots, key=lambda r: (r.phase, r.store or ""))
    ]
    syncs = {}
    for sync in SYNCS:
        spans = [s for s in instr.spans if s.depth == 1 and s.name == sync and s.phase in lifecycle_phases]
        sync_calls = sum(s.requests.get("shopify", 0) for s in spans)
        syncs[sync] = summarise_spans(
            spans,
            returns=n,
            latency=latency,
            concurrency=concurrency,
            records=_records(results, lifecycle_phases, sync),
            limits=limits,
            spent={"shopify": sync_calls * points_per_call},  # the lifecycle's mean cost per call
        )
        syncs[sync]["top_endpoints"] = per_return_endpoints([c for s in spans for c in s.http_calls], n)
    idle = {}
    for phase in ("idle (overlap)", "idle (steady)"):
        roots = [s for s in instr.spans if s.depth == 0 and s.phase == phase]
        if not roots:
            continue
        block = summarise_spans(
            roots,
            returns=n,
            latency=latency,
            concurrency=concurrency,
            records=_records(idle_results, {phase}),
            limits=limits,
            spent={"shopify": spent.get(phase, 0.0)},
        )
        block["per_sync"] = {}
        for sync in SYNCS:
            spans = [s for s in instr.spans if s.depth == 1 and s.name == sync and s.phase == phase]
            calls = [c for s in spans for c in s.http_calls]
            endpoints: dict[str, int] = {}
            for c in calls:
                key = f"{c.api}: {c.endpoint}"
                endpoints[key] = endpoints.get(key, 0) + 1
            block["per_sync"][sync] = {
                "requests": {api: sum(s.requests.get(api, 0) for s in spans) for api in APIS},
                "wall_s": round(sum(s.wall for s in spans), 3),
                "endpoints": endpoints,
            }
        block["stores"] = len({s.store for s in roots})
        block["requests_per_store"] = {api: round(block["requests"][api] / block["stores"], 1) for api in (*APIS, "total")}
        idle[phase] = block
    failed_runs = [r for r in results + idle_results if r["state"] != "COMPLETED"]
    return {
        "spec": spec.to_json(),
        "limits": {api: asdict(limit) for api, limit in limits.items()},
        "returns": n,
        "stores": sorted({s.store for s in lifecycle_roots}),
        "passes": passes,
        "lifecycle": lifecycle,
        "syncs": syncs,
        "idle": idle,
        "netsuite_concurrency": {
            "limit": spec.netsuite_concurrency,
            "server_max_in_flight": netsuite_stats["max_in_flight"],
            "client_max_concurrent": lifecycle["client_max_concurrent"]["netsuite"],
            "injected_faults": netsuite_stats["injected"],
        },
        "server": server,
        "memory": memory,
        "verification": verification,
        "failed_runs": [{k: r[k] for k in ("phase", "store", "state", "message")} for r in failed_runs],
        "timings": timings,
    }


def _unit_costs(life: dict[str, Any]) -> dict[str, float | None]:
    """Seconds per occurrence of the fixed costs: per flow run, per Prefect run, per suite run, per HTTP client built."""
    breakdown, calls = life["breakdown_s"], life["breakdown_calls"]
    runs = life["flow_runs_total"] + life["task_runs"]

    def per(seconds: float, count: int) -> float | None:
        return round(seconds / count, 4) if count else None

    return {
        "heartbeat_join_per_flow_run_s": per(breakdown["prefect heartbeat"], life["flow_runs_total"]),
        "prefect_engine_per_flow_or_task_run_s": per(breakdown["prefect"], runs),
        "artifact_per_flow_run_s": per(breakdown["prefect artifacts"], calls["prefect artifacts"]),
        "quality_per_suite_run_s": per(breakdown["quality"], calls["quality"]),
        "client_setup_per_http_client_s": per(breakdown["client setup"], calls["client setup"]),
        "ledger_per_session_s": per(breakdown["ledger"] + breakdown["ledger sql"], calls["ledger"]),
    }


def _children(spans: list[Any], root: Any) -> list[Any]:
    """The sync subflows of one run_all (a store's, in one phase)."""
    return [s for s in spans if s.depth == 1 and s.store == root.store and s.phase == root.phase]


def _sync_walls(spans: list[Any]) -> dict[str, float]:
    """Seconds per sync of one run_all: summed when a sync ran twice (refund_sync after item_receipt_to_loop)."""
    walls: dict[str, float] = {}
    for span in spans:
        walls[span.name] = walls.get(span.name, 0.0) + span.wall
    return {name: round(wall, 3) for name, wall in walls.items()}
