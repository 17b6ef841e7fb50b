"""Print a bench report as Rich tables (the JSON file holds the same figures and more)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from returns_bench.metrics import APIS, SYNCS
from returns_bench.probes import CATEGORIES

__all__ = ["render_report"]


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _lifecycle_table(main: dict[str, Any]) -> Table:
    life, conc = main["lifecycle"], main["netsuite_concurrency"]
    passes = len(main["passes"])
    table = Table(
        title=f"Whole lifecycle · N={main['returns']} returns · stores {', '.join(main['stores'])} · {passes} pass(es)",
        show_header=False,
        title_justify="left",
    )
    table.add_column("figure", style="bold")
    table.add_column("value", justify="right")
    rpr = life["requests_per_return"]
    rows = [
        ("measured wall time (while any run_all ran)", f"{_num(life['wall_s'])} s"),
        ("the runs' own time (Σ run_all over stores)", f"{_num(life.get('run_s', life['wall_s']))} s"),
        ("ideal = busiest API at its limit", f"{_num(life['ideal_s'])} s  ({life.get('busiest_api') or '–'})"),
        (
            "each API at its limit: " + " · ".join(APIS),
            " · ".join(f"{_num(life.get('time_at_limit_s', {}).get(api))} s" for api in APIS),
        ),
        ("efficiency = ideal / measured", _pct(life["efficiency"])),
        ("summed ideal (APIs one after another)", f"{_num(life.get('summed_ideal_s'))} s"),
        ("serial ideal (one request at a time)", f"{_num(life['serial_ideal_s'])} s  ({_pct(life['serial_efficiency'])})"),
        ("returns per second", _num(life["returns_per_s"])),
        ("time per return", f"{_num(life['time_per_return_ms'], 1)} ms"),
        (
            "requests per return  Loop / NetSuite / Shopify / all",
            f"{_num(rpr['loop'])} / {_num(rpr['netsuite'])} / {_num(rpr['shopify'])} / {_num(rpr['total'])}",
        ),
        ("time waiting on HTTP (client side)", f"{_num(life['http_busy_s'])} s  ({_pct(life['http_share'])})"),
        (
            "Prefect overhead (engine, heartbeat join, artifacts) ÷ runs' time",
            f"{_num(life['prefect_s'])} s  ({_pct(life['prefect_share'])})",
        ),
        ("run_all's own overhead (outside its six subflows)", f"{_num(life['run_all_overhead_s'])} s"),
        ("NetSuite requests in flight: max seen / allowed", f"{conc['server_max_in_flight']} / {conc['limit']}"),
    ]
    if main.get("verification"):
        v = main["verification"]
        rows.append(("returns matching the seed's expected outcome", f"{v['matching_expectations']} / {v['returns_checked']}"))
    if main.get("failed_runs"):
        rows.append(("flow runs not Completed", str(len(main["failed_runs"]))))
    for name, value in rows:
        table.add_row(name, value)
    return table


def _sync_table(main: dict[str, Any]) -> Table:
    table = Table(title="Per sync (all stores and passes of the lifecycle)", title_justify="left")
    for column in (
        "sync",
        "runs",
        "wall s",
        "ideal s",
        "efficiency",
        "serial eff.",
        "req/return L·NS·S",
        "records/s",
        "HTTP",
        "Prefect",
    ):
        table.add_column(column, justify="left" if column == "sync" else "right")
    for sync in SYNCS:
        s = main["syncs"][sync]
        r = s["requests_per_return"]
        table.add_row(
            sync,
            str(s["flow_runs"]),
            _num(s["wall_s"]),
            _num(s["ideal_s"]),
            _pct(s["efficiency"]),
            _pct(s["serial_efficiency"]),
            f"{_num(r['loop'])}·{_num(r['netsuite'])}·{_num(r['shopify'])}",
            _num(s.get("records_per_s")),
            _pct(s["http_share"]),
            _pct(s["prefect_share"]),
        )
    return table


def _breakdown_table(main: dict[str, Any]) -> Table:
    life = main["lifecycle"]
    table = Table(
        title=f"Where the lifecycle's wall time went (exclusive time per category; {life['flow_runs_total']} flow runs, "
        f"{life['task_runs']} task runs)",
        title_justify="left",
    )
    for column in ("category", "seconds", "share", "occurrences", "ms each"):
        table.add_column(column, justify="left" if column == "category" else "right")
    for category in CATEGORIES:
        seconds = life["breakdown_s"].get(category, 0.0)
        count = life["breakdown_calls"].get(category, 0)
        table.add_row(
            category,
            _num(seconds),
            _pct(seconds / life["wall_s"] if life["wall_s"] else None),
            str(count),
            _num(1000 * seconds / count, 1) if count else "–",
        )
    table.add_row("[dim]attributed[/]", "", _pct(life["attributed_share"]), "", "")
    return table


def _endpoint_table(main: dict[str, Any]) -> Table:
    table = Table(
        title="Reads at ≥ 0.2 requests per return (N+1 candidates; writes are one per record by nature)", title_justify="left"
    )
    for column in ("sync", "api", "endpoint", "requests", "per return"):
        table.add_column(column, justify="right" if column in ("requests", "per return") else "left")
    for sync in SYNCS:
        for row in main["syncs"][sync]["top_endpoints"]:
            if row["flag"]:
                table.add_row(sync, row["api"], row["endpoint"], str(row["requests"]), _num(row["per_return"]))
    return table


def _idle_table(main: dict[str, Any]) -> Table:
    table = Table(
        title="Idle cost: a scheduled run with nothing new (requests for all stores; goal past the overlap: ≤ 12 per store)",
        title_justify="left",
    )
    for column in ("run", "sync", "Loop", "NetSuite", "Shopify", "wall s"):
        table.add_column(column, justify="left" if column in ("run", "sync") else "right")
    for phase, block in main.get("idle", {}).items():
        for sync in SYNCS:
            s = block["per_sync"][sync]
            table.add_row(phase, sync, *(str(s["requests"][api]) for api in APIS), _num(s["wall_s"]))
        table.add_row(
            f"[bold]{phase}[/]",
            f"[bold]all ({block['stores']} stores)[/]",
            *(f"[bold]{block['requests'][api]}[/]" for api in APIS),
            f"[bold]{_num(block['wall_s'])}[/]",
        )
        per_store = block["requests_per_store"]
        suites = block.get("breakdown_calls", {}).get("quality", 0)
        table.add_row(
            phase,
            f"per store: {per_store['total']:g} requests, {suites} quality suite runs",
            *(f"{per_store[api]:g}" for api in APIS),
            "",
            end_section=True,
        )
    return table


def _scaling_table(scaling: dict[str, Any]) -> Table:
    table = Table(title="Scaling: the same lifecycle at several N (time per return should stay flat)", title_justify="left")
    for column in (
        "N",
        "wall s",
        "ms/return",
        "vs smallest N",
        "req/return",
        "efficiency",
        "HTTP",
        "Prefect",
        "ledger s",
        "emulator s",
        "peak RSS MB",
        "verified",
    ):
        table.add_column(column, justify="right")
    for row in scaling.get("rows", []):
        breakdown = row.get("breakdown_s") or {}
        ledger = breakdown["ledger"] + breakdown["ledger sql"] if breakdown else None
        table.add_row(
            str(row["returns"]),
            _num(row["wall_s"]),
            _num(row["time_per_return_ms"], 1),
            _num(row.get("time_per_return_vs_smallest"), 3),
            _num(row["requests_per_return"]),
            _pct(row["efficiency"]),
            _pct(row.get("http_share")),
            _pct(row["prefect_share"]),
            _num(ledger),
            _num(row.get("emulator_s")),
            _num(row["peak_rss_mb"], 0),
            row["verified"] or "–",
        )
    return table


def _memory_and_server_table(report: dict[str, Any]) -> Table:
    main = report["main"]
    table = Table(title="Memory and sandbox sanity", show_header=False, title_justify="left")
    table.add_column("figure", style="bold")
    table.add_column("value", justify="right")
    rss = main["memory"]
    table.add_row(
        "RSS before the runs / peak RSS (main run)", f"{_num(rss['rss_before_runs_mb'], 0)} / {_num(rss['peak_rss_mb'], 0)} MB"
    )
    memory = report.get("memory")
    if memory:
        table.add_row(
            f"tracemalloc: peak / still held after the runs (N={memory['returns']})",
            f"{_num(memory['tracemalloc_peak_mb'], 1)} / {_num(memory['tracemalloc_after_mb'], 1)} MB",
        )
        table.add_row("peak RSS of the traced run", f"{_num(memory['peak_rss_mb'], 0)} MB")
        held = memory.get("held_after_by_package_mb") or {}
        if held:
            table.add_row(
                "held after the runs, by allocating package", ", ".join(f"{k} {v:g}" for k, v in list(held.items())[:6]) + " MB"
            )
    for api in APIS:
        s = main["server"][api]
        configured = report["meta"]["config"]["latency_ms"][api]
        latency = f"{_num(s['observed_latency_ms'], 1)} ms ({configured['mean']:g}±{configured['jitter']:g})"
        table.add_row(
            f"{api}: requests · observed latency (configured) · emulator time",
            f"{s['requests']} · {latency} · {_num(s['emulator_s'])} s",
        )
    return table


def render_report(report: dict[str, Any], console: Console | None = None) -> None:
    """Print every table of ``report`` (as returned by ``returns_bench.harness.run_bench``)."""
    console = console or Console()
    main = report["main"]
    for table in (_lifecycle_table(main), _sync_table(main), _breakdown_table(main), _endpoint_table(main)):
        console.print(table)
    if main.get("idle"):
        console.print(_idle_table(main))
    if report.get("scaling", {}).get("rows"):
        console.print(_scaling_table(report["scaling"]))
    console.print(_memory_and_server_table(report))
    if report.get("notes"):
        console.print("[bold]Notes[/]")
        for note in report["notes"]:
            console.print(f"• {note}")


def render_freshness(report: dict[str, Any], console: Console | None = None) -> None:
    """The freshness run's table: per event, delivery -> NetSuite record, against the floor and the goal."""
    console = console or Console()
    fresh = report["freshness"]
    spec = fresh["spec"]
    table = Table(
        title=(
            f"Freshness: {fresh['returns']} returns at {spec['rate_per_s']:g}/s, dispatch {spec['dispatch']} "
            f"(debounce {spec['debounce_s']:g} s), stores {', '.join(fresh['stores'])}"
        ),
        title_justify="left",
    )
    columns = ("p50 s", "p95 s", "max s", "to first read p50 / p95 s", "floor p50 s", "floor p95 s", "goal p95 s")
    for column in ("event", "measured", *columns, "meets goal"):
        table.add_column(column, justify="left" if column == "event" else "right")
    for event, e in fresh["events"].items():
        first_read = f"{_seconds(e.get('to_first_read_p50_s'))} / {_seconds(e.get('to_first_read_p95_s'))}"
        table.add_row(
            event,
            f"{e['measured']}/{e['expected']}",
            *(_seconds(e[k]) for k in ("latency_p50_s", "latency_p95_s", "latency_max_s")),
            first_read,  # reports saved before it was measured have none
            *(_seconds(e[k]) for k in ("floor_p50_s", "floor_p95_s", "goal_p95_s")),
            "—" if e["meets_goal"] is None else ("yes" if e["meets_goal"] else "no"),
        )
    console.print(table)
    console.print(
        f"freshness_p95_s {report['freshness_p95_s']} · floor p95 {report['freshness_floor_p95_s']} s · "
        f"run took {fresh['wall_s']} s · requests {fresh['requests']}"
    )
    load = fresh.get("netsuite_load")  # reports saved before it was measured have none
    if load:
        console.print(
            f"NetSuite per return: {load['requests_per_return']} requests, {load['seconds_per_return']} s; "
            f"offered load at this rate {load['offered']:.2f} of the allowed concurrency"
            + (" (≥ 1: a queue builds, latency measures throughput)" if load["offered"] >= 1 else "")
        )
    by_kind = fresh.get("netsuite_by_kind")  # reports saved before it was measured have none
    if by_kind:
        console.print("NetSuite requests per return, by kind: " + "; ".join(f"{kind} {n:g}" for kind, n in by_kind.items()))


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def render_memory(report: dict[str, Any], console: Console | None = None) -> None:
    """The memory run's table: the product's own process at each N, and the growth of its peak RSS."""
    console = console or Console()
    memory = report["memory_run"]
    table = Table(title="Memory run: the product in its own process, no latency, no rate limits", title_justify="left")
    columns = ("N", "passes", "lifecycle s", "RSS ready MB", "peak RSS MB", "peak − ready MB", "flow / task runs")
    for column in (*columns, "task runs per store-cycle", "as the seed expects"):
        table.add_column(column, justify="right")
    for row in memory["rows"]:
        v = row["verification"]
        table.add_row(
            str(row["returns"]),
            str(len(row["passes"])),
            _num(row["lifecycle_s"], 1),
            _num(row["rss_ready_mb"], 1),
            _num(row["peak_rss_mb"], 1),
            _num(row["peak_over_ready_mb"], 1),
            f"{row['flow_runs']} / {row['task_runs']}",
            _num(row["task_runs_per_store_cycle"], 1),
            f"{v['matching_expectations']}/{v['returns_checked']}",
        )
    console.print(table)
    growth = memory["peak_rss_growth_mb"]
    if growth is not None:
        verdict = "met" if memory["goal_met"] else "not met"
        console.print(
            f"peak RSS grows {growth} MB from the smallest N to the largest (goal ≤ {memory['goal_mb']:g} MB: {verdict})"
        )
