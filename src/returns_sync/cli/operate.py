"""Operator commands: run one sync for one store now, rerun one return, and read the ledger's report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from returns_sync.domain.syncs import SyncName
from returns_sync.service.webhook_runs import WebhookRuns

__all__ = ["print_report", "run_one", "serve_all"]


def run_one(*, sync: SyncName, store: str, return_ids: list[str] | None, since: datetime | None, dry_run: bool) -> int:
    """Run ``sync`` (or ``run_all``) for ``store`` against the configured Prefect API; exit code 0 unless it failed."""
    from prefect.states import State

    from returns_sync.flows import get_flow

    console = Console()
    flow = get_flow(sync)
    state = flow(store=store, return_ids=return_ids, since=since, dry_run=dry_run, return_state=True)
    assert isinstance(state, State)  # return_state=True; Prefect's overloads type it as the flow's value
    summary: Any = state.result(raise_on_failure=False)
    if not state.is_completed():
        console.print(f"[red]{sync} for {store} ended {state.type.value}[/]: {state.message}")
        return 1
    summaries = summary if sync == SyncName.RUN_ALL else {sync: summary}
    table = Table(title=f"{sync} · {store}" + (" · dry run" if dry_run else ""))
    for column in ("sync", "counts", "created", "quarantined"):
        table.add_column(column)
    for name, item in summaries.items():
        if isinstance(item, dict) and "counts" in item:
            counts = ", ".join(f"{k} {v}" for k, v in item["counts"].items())
            quarantined = ", ".join(f"{rid} ({rule})" for rid, rule in item["quarantined"].items())
            table.add_row(name, counts, str(item["created"]), quarantined)
        else:
            table.add_row(name, str(item), "", "")
    console.print(table)
    console.print("The run's artifact (Prefect UI → Artifacts) lists every record, Loop update and quarantine reason.")
    return 0


def print_report(*, store: str | None, ledger_url: str | None) -> None:
    """Quarantined returns with reasons, and records posted per store, from the ledger."""
    from sqlalchemy import func, select

    from returns_sync.ledger.models import NetSuiteRecordRow, ReturnLinkRow
    from returns_sync.tasks.runtime import ledger_for

    console = Console()
    ledger = ledger_for(ledger_url)
    with ledger.session() as repo:
        stores = [store] if store else [row[0] for row in repo.session.execute(select(ReturnLinkRow.store).distinct())]
        for key in stores:
            counts = repo.session.execute(
                select(NetSuiteRecordRow.record_type, NetSuiteRecordRow.created_by, func.count())
                .where(NetSuiteRecordRow.store == key)
                .group_by(NetSuiteRecordRow.record_type, NetSuiteRecordRow.created_by)
            ).all()
            table = Table(title=f"NetSuite records linked to Loop returns · {key}")
            for column in ("record", "created by", "count"):
                table.add_column(column)
            for record_type, created_by, count in counts:
                table.add_row(record_type, created_by, str(count))
            console.print(table)
            entries = repo.open_quarantine(key)
            quarantine = Table(title=f"Quarantined · {key} ({len(entries)})")
            for column in ("Loop return", "sync", "rule", "reason", "attempts", "first seen"):
                quarantine.add_column(column)
            for e in entries:
                quarantine.add_row(
                    e.loop_return_id, e.sync, e.rule, e.reason, str(e.attempts), e.first_seen.strftime("%Y-%m-%d %H:%M")
                )
            console.print(quarantine)


def serve_all(
    *,
    stores: list[str],
    interval: int,
    webhooks: bool,
    webhook_port: int,
    webhook_runs: WebhookRuns = WebhookRuns.WARM,
    netsuite_poll_seconds: float = 0,
) -> None:
    """Serve every sync of ``stores`` here; configuration problems are reported in one line, not a traceback."""
    import typer

    from returns_sync.service.serve import serve_all as serve

    try:
        serve(
            stores=stores,
            interval=interval,
            webhooks=webhooks,
            webhook_port=webhook_port,
            webhook_runs=webhook_runs,
            netsuite_poll_seconds=netsuite_poll_seconds,
        )
    except (RuntimeError, ValueError, OSError) as exc:
        Console(stderr=True).print(f"[red]cannot serve:[/] {exc}")
        raise typer.Exit(2) from exc
