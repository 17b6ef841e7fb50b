"""``returns-sync chaos`` (and ``python -m returns_bench.chaos``): both runs, the comparison, the JSON, the exit status.

Exit status 0 when duplicates, missing, mismatched and lost are all 0; 1 otherwise; 2 when the
command could not run (Prefect's server would not start, say).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from returns_bench.chaos.compare import compare
from returns_bench.chaos.lifecycle import run_lifecycle
from returns_bench.chaos.plan import ChaosPlan

__all__ = ["chaos_app", "main", "run_chaos"]


def run_chaos(plan: ChaosPlan, *, workdir: Path, prefect_api_url: str, say: Callable[[str], None] = print) -> dict[str, Any]:
    """The clean run, the faulted run from the same seed, and their comparison, as the report's JSON data."""
    started = time.monotonic()
    now = datetime.now(UTC).replace(microsecond=0)  # one seed instant for both runs: same returns, same dates
    say(f"clean run: {plan.returns} returns, seed {plan.seed}")
    clean = run_lifecycle(plan, faulted=False, workdir=workdir / "clean", prefect_api_url=prefect_api_url, now=now, say=say)
    say(f"clean run done in {clean.seconds:.0f} s; faulted run")
    faulted = run_lifecycle(
        plan,
        faulted=True,
        workdir=workdir / "faulted",
        prefect_api_url=prefect_api_url,
        now=now,
        pass_seconds=[p.seconds for p in clean.passes],
        say=say,
    )
    counts = compare(clean.snapshot, faulted.snapshot)
    return {
        **{key: value for key, value in counts.as_dict().items() if key != "examples"},
        "examples": counts.as_dict().get("examples", {}),
        "plan": plan.as_dict(),
        "clean_run": clean.summary(),
        "faulted_run": faulted.summary(),
        "seconds": round(time.monotonic() - started, 1),
        "started_at": now.isoformat(),
    }


def chaos_command(
    returns: int = typer.Option(1000, "--returns", "-n", min=1, help="Returns in the seeded world."),
    seed: int = typer.Option(7, help="Seed of the world and of every fault."),
    json_file: Path | None = typer.Option(None, "--json", help="Write the report as JSON here."),
    malformed_every: int = typer.Option(50, min=0, help="Plant one malformed Loop return per this many returns (0: none)."),
    kills_per_pass: int = typer.Option(2, min=0, help="SIGKILLs of a sync process per pass, at random moments."),
    workers: int = typer.Option(2, min=1, max=4, help="Sync processes racing on every pass."),
    keep: Path | None = typer.Option(None, help="Keep the runs' sandboxes, ledgers and worker logs in this directory."),
) -> None:
    """Run the lifecycle clean and under faults from one seed; compare NetSuite, Loop and the ledger; exit 1 on any difference."""
    from returns_sync.service.local_prefect import PrefectStartupError, local_prefect_api

    plan = ChaosPlan(returns=returns, seed=seed, malformed_every=malformed_every, kills_per_pass=kills_per_pass, workers=workers)
    workdir = keep or Path(tempfile.mkdtemp(prefix="returns-sync-chaos-"))
    workdir.mkdir(parents=True, exist_ok=True)
    say: Callable[[str], None] = lambda line: typer.echo(line, err=True)  # noqa: E731
    try:
        with local_prefect_api(workdir / "prefect", say=say) as api_url:
            report = run_chaos(plan, workdir=workdir, prefect_api_url=api_url, say=say)
    except PrefectStartupError as exc:
        typer.echo(f"✗ {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    text = json.dumps(report, indent=2, default=str)
    if json_file is not None:
        json_file.write_text(text + "\n")
    headline = {key: report[key] for key in ("duplicates", "missing", "mismatched", "lost")}
    typer.echo(json.dumps(headline))
    typer.echo(
        f"clean {report['clean_run']['seconds']} s, faulted {report['faulted_run']['seconds']} s; "
        f"faulted run: {report['faulted_run']}",
        err=True,
    )
    raise typer.Exit(0 if not any(headline.values()) else 1)


chaos_app = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False)
chaos_app.command(help=chaos_command.__doc__)(chaos_command)


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m returns_bench.chaos") -> None:
    chaos_app(args=list(sys.argv[1:] if argv is None else argv), prog_name=prog)
