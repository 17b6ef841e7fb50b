"""Turn recorded flow spans into the bench's figures: ideal vs measured time, requests per return, where time went."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from returns_bench.probes import CATEGORIES, PREFECT_CATEGORIES, FlowSpan, HttpCall, busy_time, max_overlap, time_at_level
from returns_sync.domain.syncs import SyncName

__all__ = [
    "APIS",
    "REFERENCE_LIMITS",
    "SYNCS",
    "ApiLatency",
    "ApiLimit",
    "derive_notes",
    "elapsed",
    "endpoint_kind",
    "per_return_endpoints",
    "summarise_spans",
    "time_at_limit",
]

APIS = ("loop", "netsuite", "shopify")
SYNCS = SyncName.syncs()


@dataclass(frozen=True)
class ApiLatency:
    """Injected latency of one API as mean ± jitter (uniform), in milliseconds."""

    mean_ms: float = 0.0
    jitter_ms: float = 0.0

    def __post_init__(self) -> None:
        if self.mean_ms < 0 or self.jitter_ms < 0 or self.jitter_ms > self.mean_ms:
            raise ValueError(f"latency {self.mean_ms} ± {self.jitter_ms} ms: need 0 <= jitter <= mean")

    def fault_settings(self) -> dict[str, float]:
        """The sandbox's knobs: it adds uniform(0, jitter_ms) to latency_ms, so shift the floor down by the jitter."""
        return {"latency_ms": self.mean_ms - self.jitter_ms, "jitter_ms": 2 * self.jitter_ms}


@dataclass(frozen=True)
class ApiLimit:
    """How hard an API lets one client push: requests in flight at once, and/or a budget restored per second per key.

    ``budget_per_s`` is in requests (Loop: 300 a minute per API key) or in cost points (Shopify's
    GraphQL bucket restores points per second per shop); ``None`` means the API sets no such limit.
    """

    concurrency: int | None = None
    budget_per_s: float | None = None
    budget_unit: str = "requests"


# The limits the sandbox enforces by default, as the vendors document them (packages/returns-sandbox/docs):
# NetSuite 5 concurrent requests per account on the base tier
# (https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_0827103226.html), Loop 300 requests a
# minute per API key (https://docs.loopreturns.com/api-reference/rate-limit), Shopify's GraphQL bucket restores
# 100 cost points a second per app and store on the Standard plan
# (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits). NetSuite's is capped by the stores' setting.
REFERENCE_LIMITS = {
    "netsuite": ApiLimit(concurrency=5),
    "loop": ApiLimit(budget_per_s=300 / 60),
    "shopify": ApiLimit(budget_per_s=100.0, budget_unit="cost points"),
}


def time_at_limit(calls: int, mean_latency_ms: float, limit: ApiLimit, spent: float | None = None) -> float:
    """Seconds one API needs for ``calls`` if a client kept it as busy as it allows (the larger of two floors).

    The latency floor is calls × mean latency ÷ allowed concurrency (only when the API caps requests in
    flight); the budget floor is what was spent (``spent``, default one unit per call) ÷ the budget per second.
    """
    floors = [0.0]
    if limit.concurrency:
        floors.append(calls * mean_latency_ms / 1000 / limit.concurrency)
    if limit.budget_per_s:
        floors.append((calls if spent is None else spent) / limit.budget_per_s)
    return max(floors)


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def summarise_spans(
    spans: Iterable[FlowSpan],
    *,
    returns: int,
    latency: dict[str, ApiLatency],
    concurrency: dict[str, int],
    records: int | None = None,
    limits: dict[str, ApiLimit] | None = None,
    spent: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Figures for a group of flow calls (e.g. every ``ra_sync`` of a lifecycle), one after another or at once.

    ``wall_s`` is the time during which at least one of them ran (the sum when they ran one after another);
    ``run_s`` is the sum of their durations, the time their threads spent in them. Shares of *where time went*
    (Prefect's, the attributed categories) are of ``run_s``: those categories are summed over threads.

    ``ideal_s`` is the busiest API's time at its limit (``time_at_limit`` per API, the largest of them):
    the best any program could do keeping every API as busy as it allows, overlapping the others.
    A per-key budget (Loop's rate, Shopify's bucket) is counted per store, each store having its own key.
    ``summed_ideal_s`` is Σ over APIs of requests × mean latency ÷ ``concurrency`` (APIs one after
    another), and ``serial_ideal_s`` the same with one request at a time: the floor for code that never
    overlaps requests. ``spent`` gives an API's budget spent (Shopify cost points) when it is not one per call.
    """
    spans = list(spans)
    run = sum(s.wall for s in spans)
    wall = elapsed(spans) if all(s.start is not None for s in spans) else run
    requests: Counter[str] = Counter()
    exclusive: dict[str, float] = defaultdict(float)
    calls: list[HttpCall] = []
    frames: Counter[str] = Counter()
    task_runs = 0
    for span in spans:
        requests.update(span.requests)
        frames.update(span.calls)
        task_runs += span.task_runs
        for name, seconds in span.exclusive.items():
            exclusive[name] += seconds
        calls.extend(span.http_calls)
    limits = limits or REFERENCE_LIMITS
    at_limit = _times_at_limit(spans, requests, latency, limits, spent or {})
    ideal = max(at_limit.values())
    summed = sum(requests[api] * latency[api].mean_ms / 1000 / max(concurrency.get(api, 1), 1) for api in APIS)
    serial = sum(requests[api] * latency[api].mean_ms / 1000 for api in APIS)
    total_requests = sum(requests[api] for api in APIS)
    http_busy = busy_time(calls)
    attributed = sum(exclusive.values())
    prefect = sum(exclusive.get(name, 0.0) for name in PREFECT_CATEGORIES)
    breakdown = {name: round(exclusive.get(name, 0.0), 3) for name in CATEGORIES}
    summary: dict[str, Any] = {
        "flow_runs": len(spans),
        "wall_s": round(wall, 3),
        "run_s": round(run, 3),
        "requests": {api: requests[api] for api in APIS} | {"total": total_requests},
        "client_requests": len(calls),
        "requests_per_return": {api: _ratio(requests[api], returns) for api in APIS} | {"total": _ratio(total_requests, returns)},
        "ideal_s": round(ideal, 3),
        "busiest_api": max(at_limit, key=lambda api: at_limit[api]) if ideal else None,
        "time_at_limit_s": {api: round(at_limit[api], 3) for api in APIS},
        "summed_ideal_s": round(summed, 3),
        "serial_ideal_s": round(serial, 3),
        "efficiency": _ratio(ideal, wall),
        "summed_efficiency": _ratio(summed, wall),
        "serial_efficiency": _ratio(serial, wall),
        "http_busy_s": round(http_busy, 3),
        "http_share": _ratio(http_busy, wall),
        "prefect_s": round(prefect, 3),
        "prefect_share": _ratio(prefect, run),
        "non_http_share": _ratio(wall - http_busy, wall),
        "breakdown_s": breakdown,
        "breakdown_calls": {name: frames.get(name, 0) for name in CATEGORIES},
        "task_runs": task_runs,
        "attributed_share": _ratio(attributed, run),
        "client_max_concurrent": {api: max_overlap([c for c in calls if c.api == api]) for api in APIS},
        "netsuite_seconds_in_flight": {
            str(level): round(seconds, 3) for level, seconds in time_at_level([c for c in calls if c.api == "netsuite"]).items()
        },
    }
    if records is not None:
        summary["records"] = records
        summary["records_per_s"] = round(records / wall, 2) if wall else None
    return summary


def elapsed(spans: list[FlowSpan]) -> float:
    """Wall time during which at least one span ran (union of their intervals)."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted((s.start, s.start + s.wall) for s in spans if s.start is not None):
        if end <= reach:
            continue
        total += end - max(start, reach)
        reach = end
    return total


def _times_at_limit(
    spans: list[FlowSpan],
    requests: Counter[str],
    latency: dict[str, ApiLatency],
    limits: dict[str, ApiLimit],
    spent: dict[str, float],
) -> dict[str, float]:
    """Each API's time at its limit; a per-key budget is spent per store, so the busiest store's share counts."""
    times = {}
    for api in APIS:
        limit = limits[api]
        per_store: Counter[str | None] = Counter()
        for span in spans:
            per_store[span.store] += span.requests.get(api, 0)
        # Budget spent in units other than calls (cost points) is spread over the stores by their calls.
        unit = spent[api] / requests[api] if api in spent and requests[api] else 1.0
        busiest_key = max(per_store.values(), default=0) if limit.budget_per_s else requests[api]
        budget_floor = time_at_limit(busiest_key, 0.0, ApiLimit(budget_per_s=limit.budget_per_s), busiest_key * unit)
        latency_floor = time_at_limit(requests[api], latency[api].mean_ms, ApiLimit(concurrency=limit.concurrency))
        times[api] = max(budget_floor, latency_floor)
    return times


def endpoint_kind(endpoint: str) -> str:
    """``read`` for GET, SuiteQL and GraphQL queries; ``write`` for everything else."""
    if endpoint.startswith(("GET ", "SuiteQL", "GraphQL query")):
        return "read"
    return "write"


def per_return_endpoints(
    calls: Iterable[HttpCall], returns: int, *, threshold: float = 0.2, top: int = 8
) -> list[dict[str, Any]]:
    """The endpoints hit most, with requests per return; ``flag`` marks reads at or above ``threshold`` per return.

    A read hit about once per return (or more) inside a batch sync is the N+1 smell: batch reads
    should cost a handful of requests per batch of 100, not one per record. Writes are one per
    record created by nature and are never flagged.
    """
    counts = Counter((c.api, c.endpoint) for c in calls)
    rows = []
    for (api, endpoint), count in counts.most_common(top):
        per = count / returns if returns else 0.0
        kind = endpoint_kind(endpoint)
        rows.append(
            {
                "api": api,
                "endpoint": endpoint,
                "kind": kind,
                "requests": count,
                "per_return": round(per, 3),
                "flag": kind == "read" and per >= threshold,
            }
        )
    return rows


def derive_notes(main: dict[str, Any], scaling: dict[str, Any] | None = None) -> list[str]:
    """Plain-language observations a reader should not have to work out from the tables."""
    notes: list[str] = []
    life, conc = main["lifecycle"], main["netsuite_concurrency"]
    if conc["server_max_in_flight"] < conc["limit"]:
        notes.append(
            f"NetSuite requests never overlapped (at most {conc['server_max_in_flight']} in flight of {conc['limit']} allowed): "
            f"the serial ideal ({life['serial_ideal_s']} s) is the floor for the code as it is, not the ideal ({life['ideal_s']} s)."
        )
    unit = life.get("unit_costs", {})
    if unit.get("heartbeat_join_per_flow_run_s"):
        notes.append(
            f"Prefect takes {_share(life['prefect_share'])} of the runs' time; joining the flow-run heartbeat thread alone costs "
            f"{unit['heartbeat_join_per_flow_run_s']:.2f} s per flow run × {life['flow_runs_total']} flow runs."
        )
    for sync in SYNCS:
        for row in main["syncs"][sync]["top_endpoints"]:
            if row["flag"]:
                notes.append(
                    f"{sync}: {row['api']} {row['endpoint']} — {row['per_return']:.2f} reads per return ({row['requests']} in all)."
                )
    steady = main.get("idle", {}).get("idle (steady)")
    if steady:
        per = steady["requests_per_store"]
        notes.append(
            f"A scheduled run with nothing new costs {per['total']:g} requests per store (Loop {per['loop']:g}, NetSuite "
            f"{per['netsuite']:g}, Shopify {per['shopify']:g}) across the six syncs; DESIGN §4 asks for one list call per system."
        )
        for sync in SYNCS:
            for key, count in steady["per_sync"][sync]["endpoints"].items():
                api, _, endpoint = key.partition(": ")
                if endpoint_kind(endpoint) == "read" and count >= 5 * steady["stores"]:
                    notes.append(
                        f"Idle {sync}: {count} × {api} {endpoint} with nothing new to do "
                        f"({count / steady['stores']:g} per store; grows with the returns it keeps revisiting)."
                    )
    v = main.get("verification")
    if v and v["matching_expectations"] != v["returns_checked"]:
        ids = ", ".join(f"{f['return_id']} ({f['scenario']})" for f in v["failures"])
        notes.append(
            f"Only {v['matching_expectations']} of {v['returns_checked']} returns match the seed's expected outcome: {ids}."
        )
    if scaling and scaling.get("steps"):
        steps = "; ".join(f"N {s['from']}→{s['to']}: ×{s['time_per_return_ratio']:.2f}" for s in scaling["steps"])
        notes.append(
            f"Time per return between scaling runs: {steps} (below 1: fixed per-run costs spread over more returns; "
            "above 1: something grows faster than N)."
        )
    return notes


def _share(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"
