"""``returns-sync doctor``: load a store's settings, run the preflight, print one row per check."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from returns_sync.blocks.store import StoreSettings
    from returns_sync.service.doctor import Check

__all__ = ["print_checks", "run_doctor_command"]

_STYLE = {"pass": "green", "warn": "yellow", "fail": "red", "skipped": "dim"}


def _load_settings(store: str, connection_info: Path | None) -> StoreSettings:
    if connection_info is not None:
        from returns_sync.blocks.connection_info import read_connection_info, store_settings_from_connection_info

        return store_settings_from_connection_info(read_connection_info(connection_info), store)
    from returns_sync.blocks.store import StoreSettings

    return StoreSettings.load_for_store(store)


def print_checks(store: str, checks: list[Check], console: Console) -> None:
    table = Table(title=f"returns-sync doctor · {store}")
    for column in ("system", "check", "result", "detail", "fix"):
        table.add_column(column, overflow="fold")
    for check in checks:
        style = _STYLE[check.outcome.value]
        table.add_row(check.system.value, check.name, f"[{style}]{check.outcome.value}[/]", check.detail, check.fix)
    console.print(table)
    failed = sum(1 for check in checks if check.outcome.value == "fail")
    console.print(f"{len(checks)} checks, {failed} failed." if failed else f"{len(checks)} checks, none failed.")


def run_doctor_command(*, store: str, connection_info: Path | None, console: Console | None = None) -> int:
    """Run the preflight of ``store``; the exit code is 1 when any check failed, 2 when the settings cannot be loaded."""
    from returns_sync.service.doctor import exit_code, run_doctor

    console = console or Console()
    try:
        settings = _load_settings(store, connection_info)
    except (KeyError, ValueError, OSError) as exc:
        # Validation errors of the settings blocks hide their input (hide_input_in_errors): no secret is echoed.
        console.print(f"[red]cannot load the settings of store {store!r}:[/] {exc}")
        return 2
    checks = run_doctor(settings)
    print_checks(store, checks, console)
    return exit_code(checks)
