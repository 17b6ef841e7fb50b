"""``returns-sync report --store S``: run the reconciliation flow, print it as Rich tables, optionally write the HTML page."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["print_reconciliation", "run_reconciliation"]


def print_reconciliation(report: Any, console: Console) -> None:
    """Findings per kind with their sentences, then the store-credit liability."""
    from returns_sync.domain.three_way import FindingKind

    table = Table(title=f"Reconciliation · {report.store} · Loop / Shopify / NetSuite")
    for column in ("finding", "Loop return", "what", "amount"):
        table.add_column(column)
    for kind in FindingKind:
        for finding in report.of(kind):
            table.add_row(
                str(kind), finding.loop_return_id or "", finding.what, "" if finding.amount is None else str(finding.amount)
            )
    if not report.findings:
        table.add_row("nothing to reconcile", "", "Loop, Shopify and NetSuite agree", "")
    console.print(table)
    liability = report.liability
    money = Table(title=f"Store-credit liability · {report.store} ({report.currency})")
    for column in ("issued (Loop)", "redeemed (Shopify)", "outstanding", "NetSuite GL", "difference"):
        money.add_column(column, justify="right")
    gl = "no account set" if liability.gl_balance is None else str(liability.gl_balance)
    difference = "" if liability.difference is None else str(liability.difference)
    money.add_row(str(liability.issued), str(liability.redeemed), str(liability.outstanding), gl, difference)
    console.print(money)


def run_reconciliation(*, store: str, since: datetime | None, html: Path | None) -> int:
    """Run the flow against the configured Prefect API; exit code 1 when it failed, else 0 (findings are not failures)."""
    from prefect.states import State

    from returns_sync.flows.reconciliation_report import reconciliation_report

    console = Console()
    state = reconciliation_report(store=store, since=since, return_state=True)
    assert isinstance(state, State)
    if not state.is_completed():
        console.print(f"[red]reconciliation for {store} ended {state.type.value}[/]: {state.message}")
        return 1
    report = state.result()
    print_reconciliation(report, console)
    if html is not None:
        from returns_sync.tasks.reconciliation_html import render_reconciliation_html

        html.write_text(render_reconciliation_html(report), encoding="utf-8")
        console.print(f"HTML report written to {html}")
    return 0
