"""``returns-sync configure``: validate a store's configuration, print it with secrets masked, save its blocks."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

__all__ = ["run_configure_command"]


def run_configure_command(
    *,
    store: str,
    assignments: list[str],
    toml_file: Path | None,
    sandbox_info: Path | None,
    dry_run: bool,
    console: Console | None = None,
    error_console: Console | None = None,
) -> int:
    """Exit code 0 when saved (or valid, with ``dry_run``), 2 when the input has problems."""
    from returns_sync.service.configure import ConfigurationProblems, plan_configuration, save_store_blocks

    console = console or Console()
    error_console = error_console or Console(stderr=True)
    try:
        plan = plan_configuration(store=store, assignments=assignments, toml_file=toml_file, sandbox_info=sandbox_info)
    except ConfigurationProblems as exc:
        error_console.print(f"[red]store {store!r} is not configured[/]: {len(exc.problems)} problem(s)", highlight=False)
        for problem in exc.problems:
            error_console.print(f"  ✗ {problem}", highlight=False, markup=False)
        return 2
    table = Table(title=f"returns-sync configure · {store}" + (" · dry run, nothing saved" if dry_run else ""))
    for column in ("setting", "value", "from"):
        table.add_column(column, overflow="fold")
    for row in plan.rows():
        table.add_row(row.key, row.shown, row.source)
    console.print(table)
    if dry_run:
        console.print("Valid. Nothing was saved (--dry-run).")
        return 0
    names = save_store_blocks(plan.settings)
    console.print(f"[green]✓[/] saved {', '.join(names)} to {_where_saved()}", highlight=False)
    console.print(f"Next: check the store against its accounts with [bold]returns-sync doctor --store {store}[/]")
    return 0


def _where_saved() -> str:
    """The API the blocks went to: without PREFECT_API_URL, Prefect saves to this machine's own database."""
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME

    api = PREFECT_API_URL.value()
    if api:
        return f"the Prefect API at {api}"
    return (
        f"this machine's own Prefect database under {PREFECT_HOME.value()} (PREFECT_API_URL is not set: "
        "a Prefect server elsewhere does not see them)"
    )
