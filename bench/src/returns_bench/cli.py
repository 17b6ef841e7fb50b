"""The bench's command line: ``python -m returns_bench`` and ``returns-sync bench`` (which hands it every argument).

Its flags live here, with the harness, so the product's CLI only forwards to it and the bench
never imports the product's CLI.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

__all__ = ["bench_app", "bench_command", "main", "parse_scale"]


def parse_scale(value: str, *, option: str = "--scale") -> tuple[int, ...]:
    """``"100,300,1000"`` -> ``(100, 300, 1000)``; ``""`` or ``"none"`` -> ``()``."""
    if value.strip().lower() in ("", "none", "0"):
        return ()
    try:
        sizes = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated numbers of returns, got {value!r}", param_hint=option) from None
    if any(n < 1 for n in sizes):
        raise typer.BadParameter("every N must be at least 1", param_hint=option)
    return sizes


def bench_command(
    returns: int = typer.Option(1000, "--returns", "-n", min=1, help="Returns in the main lifecycle run."),
    scale: str = typer.Option("100,300,1000", help="Comma-separated N for the scaling runs ('' to skip)."),
    netsuite_latency_ms: float = typer.Option(400.0, min=0, help="Mean injected NetSuite latency (ms)."),
    netsuite_jitter_ms: float = typer.Option(150.0, min=0, help="NetSuite latency varies uniformly by ± this (ms)."),
    loop_latency_ms: float = typer.Option(150.0, min=0, help="Mean injected Loop latency (ms)."),
    loop_jitter_ms: float = typer.Option(50.0, min=0, help="Loop latency ± (ms)."),
    shopify_latency_ms: float = typer.Option(120.0, min=0, help="Mean injected Shopify latency (ms)."),
    shopify_jitter_ms: float = typer.Option(40.0, min=0, help="Shopify latency ± (ms)."),
    netsuite_concurrency: int = typer.Option(
        5, min=1, max=50, help="The stores' max_netsuite_concurrency (the ideal divides NetSuite time by it, at most 5)."
    ),
    seed: int = typer.Option(7, help="Seed of the demo data."),
    idle: bool = typer.Option(True, "--idle/--no-idle", help="Also measure scheduled runs with nothing new."),
    memory: bool = typer.Option(True, "--memory/--no-memory", help="Also run the lifecycle once more with tracemalloc on."),
    isolate: bool = typer.Option(
        True, "--isolate/--in-process", help="One fresh Python process per scenario (default) or all in this one."
    ),
    stores_at_once: bool = typer.Option(
        True,
        "--stores-at-once/--stores-in-turn",
        help="Each store's run_all in its own thread at once (default, as deployments run), or one store after another.",
    ),
    account_limit: bool = typer.Option(
        False,
        "--account-limit/--process-limit",
        help="Also take a slot of the Prefect global concurrency limit netsuite-<account> per NetSuite request, as "
        "workers in separate processes must (default: the stores share this process's per-account limit).",
    ),
    results_dir: Path | None = typer.Option(None, help="Where to write the JSON report (default: bench/results)."),
    json_file: Path | None = typer.Option(
        None, "--json", dir_okay=False, help="Write the JSON report to this file (instead of a dated one in --results-dir)."
    ),
    freshness: bool = typer.Option(
        False, "--freshness", help="Run only the freshness run: webhook -> record in NetSuite, per return (issue 13)."
    ),
    freshness_returns: int = typer.Option(200, min=1, help="Returns the freshness run creates in Loop."),
    freshness_rate: float = typer.Option(2.0, min=0.01, help="Returns created per second in the freshness run."),
    freshness_dispatch: str = typer.Option(
        "warm",
        help="What the receiver does with a burst: 'warm' (its in-process worker) or 'process' (a fresh process, as a deployment run).",
    ),
    freshness_receiver_apart: bool = typer.Option(
        True,
        "--freshness-receiver-apart/--freshness-receiver-here",
        help="warm dispatch: the receiver in a process of its own, as in production (default), or in the bench's, beside the emulators.",
    ),
    memory_scale: str = typer.Option(
        "",
        help="Run only the memory run at these comma-separated N (e.g. 1000,20000): the product's peak RSS in a "
        "process of its own, no latency, no rate limits (issue 12's growth goal).",
    ),
    prefect_database: str | None = typer.Option(
        None,
        envvar="RETURNS_BENCH_PREFECT_DATABASE",
        help="A PostgreSQL server (postgresql://user:password@host:port/db) for the bench's Prefect server, in a fresh "
        "database per run, instead of the test harness's SQLite server, which stalls under the freshness run's load.",
    ),
    show: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="Print the tables of a saved JSON report; run nothing."
    ),
) -> None:
    """Measure the six syncs against the sandbox at real-world latencies (the reference run: N=1000, each API's
    own limit): efficiency against the busiest API's time at its limit, Prefect's share, requests per return,
    scaling, memory, idle cost."""
    from rich.console import Console

    from returns_bench import harness, report

    # Piped output (CI logs, `| tee`) would otherwise wrap every table at 80 columns.
    console = Console() if sys.stdout.isatty() else Console(width=180)
    if show is not None:
        saved = json.loads(show.read_text())
        if "freshness" in saved and "main" not in saved:
            report.render_freshness(saved, console)
        elif "memory_run" in saved:
            report.render_memory(saved, console)
        else:
            report.render_report(saved, console)
        return
    from returns_bench.metrics import ApiLatency

    try:
        latency = {
            "netsuite": ApiLatency(netsuite_latency_ms, netsuite_jitter_ms),
            "loop": ApiLatency(loop_latency_ms, loop_jitter_ms),
            "shopify": ApiLatency(shopify_latency_ms, shopify_jitter_ms),
        }
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if prefect_database:  # read by each bench process, this one and the scenarios' (scenarios.bench_process)
        from returns_bench.prefect_server import PREFECT_DATABASE_ENV

        os.environ[PREFECT_DATABASE_ENV] = prefect_database
    if freshness:
        _run_freshness(
            latency,
            netsuite_concurrency,
            seed,
            freshness_returns,
            freshness_rate,
            freshness_dispatch,
            freshness_receiver_apart,
            json_file,
            results_dir,
            console,
        )
        return
    memory_sizes = parse_scale(memory_scale, option="--memory-scale")
    if memory_sizes:
        _run_memory(memory_sizes, seed, json_file, results_dir, console)
        return
    config = harness.BenchConfig(
        returns=returns,
        scale=parse_scale(scale),
        latency=latency,
        netsuite_concurrency=netsuite_concurrency,
        seed=seed,
        idle=idle,
        memory=memory,
        isolate=isolate,
        stores_at_once=stores_at_once,
        account_limit=account_limit,
    )
    directory = results_dir or harness.RESULTS_DIR
    with console.status("benchmarking …") as status:
        result = harness.run_bench(config, progress=lambda message: status.update(f"bench: {message}"))
    path = harness.save_report(result, directory, path=json_file)
    report.render_report(result, console)
    console.print(f"[bold]Report written to[/] {path}  (bench took {result['meta']['bench_wall_s']} s)")


def _run_freshness(
    latency: dict[str, Any],
    concurrency: int,
    seed: int,
    returns: int,
    rate: float,
    dispatch: str,
    receiver_apart: bool,
    json_file: Path | None,
    results_dir: Path | None,
    console: Any,
) -> None:
    from returns_bench import harness, report
    from returns_bench.freshness import DISPATCHES, FreshnessSpec, freshness_report

    if dispatch not in DISPATCHES:
        raise typer.BadParameter(f"one of {', '.join(DISPATCHES)}", param_hint="--freshness-dispatch")
    spec = FreshnessSpec(
        returns=returns,
        rate_per_s=rate,
        seed=seed,
        latency=latency,
        netsuite_concurrency=concurrency,
        dispatch=dispatch,
        receiver_apart=receiver_apart,
    )
    with console.status(f"freshness: {returns} returns at {rate:g}/s, dispatch {dispatch} …"):
        result = freshness_report(spec, harness._meta(harness.BenchConfig(returns=returns, latency=latency, seed=seed)))
    stamp = result["meta"]["started_at"].replace(":", "").replace("-", "")
    path = json_file or (results_dir or harness.RESULTS_DIR) / f"freshness-{stamp}-n{returns}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    report.render_freshness(result, console)
    console.print(f"[bold]Report written to[/] {path}")


def _run_memory(sizes: tuple[int, ...], seed: int, json_file: Path | None, results_dir: Path | None, console: Any) -> None:
    from returns_bench import harness, report
    from returns_bench.memory_run import memory_report
    from returns_bench.metrics import APIS, ApiLatency

    no_latency = {api: ApiLatency() for api in APIS}
    meta = harness._meta(harness.BenchConfig(returns=max(sizes), scale=sizes, latency=no_latency, seed=seed, memory=False))
    with console.status("memory run …") as status:
        result = {"meta": meta, "memory_run": memory_report(sizes, seed=seed, say=lambda m: status.update(f"bench: {m}"))}
    stamp = meta["started_at"].replace(":", "").replace("-", "")
    path = json_file or (results_dir or harness.RESULTS_DIR) / f"memory-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    report.render_memory(result, console)
    console.print(f"[bold]Report written to[/] {path}")


bench_app = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False)
bench_app.command(help=bench_command.__doc__)(bench_command)


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m returns_bench") -> None:
    """Run the bench command with ``argv`` (default: the process's arguments); exits with its status."""
    bench_app(args=list(sys.argv[1:] if argv is None else argv), prog_name=prog)
