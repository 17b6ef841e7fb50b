"""The ``returns-sync`` command line: demo, run, rerun, serve, webhooks, report, configure, doctor, and the dev-only sandbox and bench.

Start-up stays fast: Prefect, Great Expectations and the sandbox are imported inside the commands
that need them, never at module import.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from returns_sync.cli.sandbox_cmd import sandbox_app
from returns_sync.domain.syncs import SyncName
from returns_sync.service.webhook_runs import WebhookRuns

__all__ = ["app", "main"]

app = typer.Typer(
    name="returns-sync",
    help="Keep Loop Returns and NetSuite in step for Shopify merchants (six Prefect flows).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.add_typer(sandbox_app, name="sandbox")

# `bench` belongs to the dev-only harness, which has its own command line (like `sandbox up`,
# see sandbox_cmd.py): its arguments, --help included, are handed over untouched.
_FORWARD_EVERY_ARGUMENT = {"allow_extra_args": True, "ignore_unknown_options": True}


@app.command()
def demo(
    returns: int = typer.Option(300, "--returns", "-n", help="How many Loop returns the demo seed creates."),
    seed: int = typer.Option(7, help="Seed of the deterministic demo data."),
    home: Path = typer.Option(
        Path(".returns-sync/demo"), help="Where the demo keeps its sandbox databases, ledger and Prefect home."
    ),
    fresh: bool = typer.Option(False, "--fresh", help="Start over: delete the demo's sandbox state and ledger first."),
    netsuite_timezone: str = typer.Option(
        "America/Los_Angeles", "--netsuite-timezone", help="Time zone preference of the sandbox's NetSuite integration user."
    ),
    netsuite_date_format: str = typer.Option(
        "M/D/YYYY h:mm a",
        "--netsuite-date-format",
        help="Date/time format preference of the sandbox's NetSuite integration user.",
    ),
    netsuite_suitetax: bool = typer.Option(
        False,
        "--netsuite-suitetax",
        help="Run the sandbox's NetSuite account with SuiteTax (tax details, no tax codes on lines); the stores' "
        "settings follow.",
    ),
) -> None:
    """Run the whole lifecycle against an embedded sandbox of Loop, NetSuite and Shopify, then summarise."""
    from returns_sync.cli.demo import plain_failure, run_demo

    try:
        code = run_demo(
            returns=returns, seed=seed, home=home, fresh=fresh,
            netsuite_timezone=netsuite_timezone, netsuite_date_format=netsuite_date_format,
            netsuite_suitetax=netsuite_suitetax,
        )  # fmt: skip
    except Exception as exc:
        sentence = plain_failure(exc)
        if sentence is None:
            raise
        typer.echo(f"✗ {sentence}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(code)


@app.command()
def run(
    sync: SyncName = typer.Option(
        ..., "--sync", help="The sync to run, or run_all for all six (ra_sync, then two lanes at once)."
    ),
    store: str = typer.Option(..., "--store", help="Store key; its StoreSettings block is 'store-<key>'."),
    return_id: list[str] | None = typer.Option(None, "--return-id", help="Only these Loop return ids (repeatable)."),
    since: datetime | None = typer.Option(None, help="Backfill from this date (the cursor is not moved)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Plan and validate, post nothing, print the plan."),
) -> None:
    """Run one sync for one store now."""
    from returns_sync.cli.operate import run_one

    raise typer.Exit(run_one(sync=sync, store=store, return_ids=return_id or None, since=since, dry_run=dry_run))


@app.command()
def rerun(
    store: str = typer.Option(..., "--store"),
    return_id: str = typer.Option(..., "--return-id", help="The Loop return to push through every sync it still needs."),
    dry_run: bool = typer.Option(False, "--dry-run"),
) -> None:
    """Take one return through every sync it still needs (after fixing its data, say)."""
    from returns_sync.cli.operate import run_one

    raise typer.Exit(run_one(sync=SyncName.RUN_ALL, store=store, return_ids=[return_id], since=None, dry_run=dry_run))


@app.command()
def serve(
    store: list[str] = typer.Option(..., "--store", help="Stores to schedule (repeatable)."),
    interval: int = typer.Option(5400, help="Seconds between scheduled runs of each sync."),
    webhooks: bool = typer.Option(False, help="Also run the Loop webhook receiver for near-real-time runs."),
    webhook_port: int = typer.Option(8780, help="Port of the webhook receiver."),
    webhook_runs: WebhookRuns = typer.Option(
        WebhookRuns.WARM,
        help="Run a burst's run_all here on a warm worker (seconds) or as a run_all-<store> deployment run.",
    ),
    netsuite_poll: int = typer.Option(
        0,
        "--netsuite-poll",
        help="Also ask NetSuite every this many seconds, with --webhooks (60: once a minute; 0: off) for RAs received or closed there, "
        "and run the NetSuite-driven syncs for just those returns.",
    ),
) -> None:
    """Serve all six syncs on their schedules in this process (single-machine setup)."""
    from returns_sync.cli.operate import serve_all

    serve_all(
        stores=store, interval=interval, webhooks=webhooks, webhook_port=webhook_port, webhook_runs=webhook_runs,
        netsuite_poll_seconds=netsuite_poll,
    )  # fmt: skip


@app.command()
def webhooks(
    store: list[str] = typer.Option(..., "--store", help="Stores whose Loop webhooks this receiver accepts (repeatable)."),
    port: int = typer.Option(8780, help="Port of the receiver."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    deployment: str = typer.Option(
        "run_all/run-all", help="Deployment started for each changed return (prefect.yaml's run-all)."
    ),
    runs: WebhookRuns = typer.Option(
        WebhookRuns.DEPLOYMENT,
        help="Start a deployment run per burst (work-pool setup) or run run_all in this process on a warm worker.",
    ),
    netsuite_poll: int = typer.Option(
        0,
        "--netsuite-poll",
        help="Also ask NetSuite every this many seconds (60: once a minute; 0: off) for RAs received or closed there, "
        "and run the NetSuite-driven syncs for just those returns.",
    ),
) -> None:
    """Receive Loop webhooks (POST /webhooks/loop/<store>) and start run_all for just the changed returns."""
    from returns_sync.service.serve import serve_webhooks

    try:
        serve_webhooks(stores=store, port=port, host=host, deployment=deployment, runs=runs, netsuite_poll_seconds=netsuite_poll)
    except (RuntimeError, ValueError, OSError) as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command()
def report(
    store: str | None = typer.Option(None, "--store", help="Reconcile this store; without it, only the ledger's summary."),
    since: datetime | None = typer.Option(None, help="Only Loop returns updated since this date (default: 90 days)."),
    html: Path | None = typer.Option(None, "--html", help="Also write a self-contained HTML page with charts here."),
    ledger_url: str | None = typer.Option(None, envvar="RETURNS_SYNC_LEDGER_URL", help="Ledger database URL."),
) -> None:
    """Quarantine and posted records from the ledger; with --store also the Loop / Shopify / NetSuite reconciliation."""
    from returns_sync.cli.operate import print_report

    print_report(store=store, ledger_url=ledger_url)
    if store is not None:
        from returns_sync.cli.reconciliation import run_reconciliation

        raise typer.Exit(run_reconciliation(store=store, since=since, html=html))


@app.command()
def doctor(
    store: str = typer.Option(..., "--store", help="Store key; its StoreSettings block is 'store-<key>'."),
    connection_info: Path | None = typer.Option(
        None,
        "--connection-info",
        help="Read the store's settings from a connection-info JSON (`sandbox up --info-file`) instead of its Prefect block.",
    ),
) -> None:
    """Read-only preflight of one store: NetSuite login, time zone, SuiteQL, mapping, RA approval, Loop key, Shopify."""
    from returns_sync.cli.doctor import run_doctor_command

    raise typer.Exit(run_doctor_command(store=store, connection_info=connection_info))


@app.command()
def configure(
    store: str = typer.Option(
        ..., "--store", help="Store key; its blocks are store-<key>, loop-<key>, netsuite-<key>, shopify-<key>."
    ),
    assignments: list[str] | None = typer.Option(
        None,
        "--set",
        metavar="KEY=VALUE",
        help="A setting (sku_field=custitem_sku, netsuite.account_id=1234567); repeatable. Secrets only from the "
        "environment or a file.",
    ),
    from_toml: Path | None = typer.Option(
        None, "--from-toml", help="A TOML file: settings at the top, [loop], [netsuite], [shopify] tables."
    ),
    from_sandbox_info: Path | None = typer.Option(
        None, "--from-sandbox-info", help="The connection-info JSON written by `returns-sync sandbox up --info-file`."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and print, save nothing."),
) -> None:
    """Create or update a store's credentials and settings blocks (flags > RETURNS_SYNC_* environment > file > saved block)."""
    from returns_sync.cli.configure import run_configure_command

    raise typer.Exit(
        run_configure_command(
            store=store, assignments=assignments or [], toml_file=from_toml, sandbox_info=from_sandbox_info, dry_run=dry_run
        )
    )


@app.command(add_help_option=False, context_settings=_FORWARD_EVERY_ARGUMENT)
def bench(ctx: typer.Context) -> None:
    """Benchmark the syncs on the sandbox: throughput vs the API-bound ideal, requests per return, scaling, memory (flags: see --help)."""
    from returns_sync.cli.bench_cmd import run_bench_command

    run_bench_command(ctx.args)


@app.command(add_help_option=False, context_settings=_FORWARD_EVERY_ARGUMENT)
def chaos(ctx: typer.Context) -> None:
    """Run the lifecycle clean and under faults (429/503/lost answers, kills, races, duplicate webhooks), compare (flags: see --help)."""
    from returns_sync.cli.chaos_cmd import run_chaos_command

    run_chaos_command(ctx.args)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
