"""``returns-sync demo``: the whole returns lifecycle against the embedded sandbox, with progress and a summary.

Everything lives under ``--home`` (default ``.returns-sync/demo``): the emulators' SQLite files, the
ledger and the Prefect home whose database holds the flow runs and artifacts. A second run finds
everything done and posts nothing new.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from returns_sync.domain.syncs import SyncName

__all__ = ["plain_failure", "prepare_environment", "run_demo"]

# Under the seed's SAME_SECOND_BURST (24) of open returns sharing one second per store.
DEMO_LOOP_PAGE_SIZE = 20
SYNC_ORDER = SyncName.syncs()


def prepare_environment(home: Path) -> None:
    """Point Prefect and the ledger at ``home`` before Prefect is imported; keep the console quiet."""
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str((home / "prefect").resolve()))
    os.environ.setdefault("RETURNS_SYNC_LEDGER_URL", f"sqlite:///{(home / 'ledger.db').resolve()}")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "true")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")


def plain_failure(exc: BaseException) -> str | None:
    """One sentence with the fix for a failure an operator can fix (no API, disk full, port taken); None otherwise."""
    import errno
    import sqlite3

    from returns_sync.service.local_prefect import PrefectStartupError

    if isinstance(exc, PrefectStartupError):
        return str(exc)
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or (
        isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc)
    ):
        return "The disk is full: free some space (the demo keeps its files under --home) and run the demo again."
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return "A port the demo needs is taken by another program: stop it, or run the demo again (it picks free ports)."
    cause = exc.__cause__ or exc.__context__
    return plain_failure(cause) if cause is not None and cause is not exc else None


def _save_blocks(sandbox: Any, console: Console) -> None:
    from returns_sync.blocks.connection_info import store_settings_from_connection_info
    from returns_sync.service.configure import save_store_blocks

    info = sandbox.connection_info()
    for store in info["stores"]:
        settings = store_settings_from_connection_info(info, store)
        # Pages smaller than the seed's same-second burst put a page boundary inside it: the demo then shows
        # that no return is lost where Loop's whole-second cursor would drop the rest of that second.
        settings.loop_credentials.page_size = DEMO_LOOP_PAGE_SIZE
        save_store_blocks(settings)
    from returns_sync.tasks.runtime import SETTINGS_CACHE

    SETTINGS_CACHE.reset()
    console.print(f"[green]✓[/] blocks saved: {', '.join('store-' + store for store in info['stores'])} (+ their credentials)")


def _run_pass(label: str, stores: list[str], console: Console) -> dict[tuple[str, str], Any]:
    from prefect.states import State

    from returns_sync.flows import get_flow

    results: dict[tuple[str, str], Any] = {}
    columns = (SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        overall = progress.add_task(label, total=len(stores) * len(SYNC_ORDER))
        for store in stores:
            for sync in SYNC_ORDER:
                progress.update(overall, description=f"{label}: {sync} · {store}")
                state = get_flow(sync)(store=store, return_state=True)
                assert isinstance(state, State)  # return_state=True; Prefect's overloads type it as the flow's value
                results[(store, sync)] = (
                    state.result(raise_on_failure=False) if state.is_completed() else {"failed": state.message}
                )
                progress.advance(overall)
        progress.update(overall, description=f"{label}: done")
    return results


def _count_table(passes: list[dict[tuple[str, str], Any]]) -> Table:
    table = Table(title="What the syncs did (both passes, every store)", show_lines=False)
    table.add_column("sync")
    table.add_column("store")
    table.add_column("NetSuite records created", justify="right")
    table.add_column("Loop updates", justify="right")
    table.add_column("linked, not posted", justify="right")
    table.add_column("quarantined", justify="right")
    table.add_column("details", overflow="fold")
    merged: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for results in passes:
        for key, summary in results.items():
            if isinstance(summary, dict) and "counts" in summary:
                merged[key]["created"] += summary["created"]
                merged[key]["loop"] += summary["loop_actions"]
                merged[key]["linked"] += summary["linked"]
                merged[key].update({f"c:{k}": v for k, v in summary["counts"].items()})
                merged[key]["quarantined_last"] = len(summary["quarantined"])
            elif isinstance(summary, dict):
                merged[key]["failed"] += 1
    for sync in SYNC_ORDER:
        for (store, name), counts in sorted(merged.items()):
            if name != sync:
                continue
            details = ", ".join(
                f"{k[2:]} {v}"
                for k, v in counts.items()
                if k.startswith("c:") and k[2:] not in ("Loop returns read", "changed RAs read", "quarantined")
            )
            table.add_row(
                sync,
                store,
                str(counts["created"]),
                str(counts["loop"]),
                str(counts["linked"]),
                str(counts["quarantined_last"]),
                details + (" [red]FAILED[/]" if counts["failed"] else ""),
            )
    return table


def _records_table(netsuite: Any) -> Table:
    rows = netsuite.conn.execute(
        """SELECT type, BUILTIN_currency, COUNT(*), SUM(ABS(foreigntotal)) FROM (
             SELECT t.type, c.symbol AS BUILTIN_currency, t.foreigntotal FROM "transaction" t LEFT JOIN currency c ON c.id = t.currency
             WHERE t.externalid LIKE 'loop-%') GROUP BY type, BUILTIN_currency ORDER BY type, BUILTIN_currency"""
    ).fetchall()
    names = {
        "RtnAuth": "Return Authorization",
        "ItemRcpt": "Item Receipt",
        "CashRfnd": "Cash Refund",
        "CustCred": "Credit Memo",
        "CustRfnd": "Customer Refund",
        "CustDep": "Customer Deposit",
    }
    table = Table(title="NetSuite records created by returns-sync (externalId loop-*)")
    table.add_column("record", justify="left")
    table.add_column("currency", justify="left")
    table.add_column("count", justify="right")
    table.add_column("total", justify="right")
    for rtype, currency, count, total in rows:
        table.add_row(names.get(rtype, rtype), currency or "", str(count), f"{total:,.2f}" if total is not None else "")
    return table


def _verification_table(report: Any) -> Table:
    table = Table(title="Sandbox end state vs. the seed's expected outcome, per scenario")
    table.add_column("scenario")
    table.add_column("returns", justify="right")
    table.add_column("as expected", justify="right")
    table.add_column("")
    for scenario, (good, total) in report.by_scenario().items():
        table.add_row(scenario, str(total), str(good), "[green]✓[/]" if good == total else "[red]✗[/]")
    return table


def _mode_matrix(world: Any, report: Any) -> Table:
    """Scenario x store, each store headed by its money modes (refund_mode, billing, exchange_mode): returns per cell,
    ✓ when every one of them ended as the seed expects (issue 10's outcome x mode matrix)."""
    table = Table(title="Returns per scenario and store money mode (refund_mode · billing · exchange_mode)")
    table.add_column("scenario")
    for store in world.stores:
        table.add_column(f"{store.key}\n{store.refund_mode} · {store.billing} · {store.exchange_mode}", justify="right")
    cells: dict[tuple[str, str], list[bool]] = {}
    for check in report.checks:
        cells.setdefault((check.scenario, check.store), []).append(check.ok)
    for scenario in sorted({scenario for scenario, _ in cells}):
        row = [scenario]
        for store in world.stores:
            oks = cells.get((scenario, store.key), [])
            row.append("" if not oks else f"{len(oks)} " + ("[green]✓[/]" if all(oks) else "[red]✗[/]"))
        table.add_row(*row)
    return table


def run_demo(
    *,
    returns: int,
    seed: int,
    home: Path,
    fresh: bool,
    netsuite_timezone: str = "America/Los_Angeles",
    netsuite_date_format: str = "M/D/YYYY h:mm a",
    netsuite_suitetax: bool = False,
) -> int:
    import logging

    from returns_sync.cli.dev_packages import sandbox_required

    # Before anything is deleted or started: without the sandbox there is nothing to demo.
    with sandbox_required("returns-sync demo"):
        from returns_sandbox.hub import Sandbox
        from returns_sandbox.netsuite.preferences import UserPreferences
        from returns_sandbox.verify import verify_world

    # The integration user's preferences shape SuiteQL's dates; the stores' settings take the time zone from
    # the connection info, as an operator copies it from the user's Set Preferences page.
    preferences = UserPreferences(time_zone=netsuite_timezone, date_format=netsuite_date_format)

    console = Console(width=None if Console().is_terminal else 150)
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    home = Path(home)
    if fresh and home.exists():
        shutil.rmtree(home)
    prepare_environment(home)
    started = time.monotonic()
    console.rule("[bold]returns-sync demo[/]: Loop Returns ↔ NetSuite for four Shopify stores, on an embedded sandbox")

    # With SuiteTax on, the connection info tells the stores' settings so (netsuite_tax_engine).
    sandbox = Sandbox(data_dir=home / "sandbox", netsuite_preferences=preferences, netsuite_suitetax=netsuite_suitetax)
    world = sandbox.seed_demo(seed=seed, returns=returns)
    server = sandbox.start()
    console.print(
        f"[green]✓[/] sandbox up: Loop {server.urls['loop']} · NetSuite {server.urls['netsuite']} · Shopify {server.urls['shopify']}"
    )
    console.print(
        f"  seed {seed}: {len(world.returns)} Loop returns, {len(world.orders)} Shopify orders, {len(world.catalog)} SKUs, "
        f"stores {', '.join(s.key + ' (' + s.currency + ')' for s in world.stores)}"
    )
    try:
        with _prefect_api(home / "prefect", console) as api_url:
            console.print(f"[green]✓[/] Prefect API {api_url}")
            return _play(sandbox, world, console, started, verify_world)
    finally:
        sandbox.close()


@contextmanager
def _prefect_api(prefect_home: Path, console: Console) -> Iterator[str]:
    """The Prefect API the flows use, started and waited for under a spinner that counts the seconds."""
    from returns_sync.service.local_prefect import local_prefect_api

    with ExitStack() as stack:
        with console.status("starting Prefect …") as status:

            def say(line: str) -> None:
                console.print(f"  {line}")
                status.update(line)

            def tick(waited: float) -> None:
                status.update(f"waiting for Prefect's server: {waited:.0f} s")

            api_url = stack.enter_context(local_prefect_api(prefect_home, say=say, tick=tick))
        yield api_url


def _play(sandbox: Any, world: Any, console: Console, started: float, verify_world: Any) -> int:
    """Blocks, two passes of the six syncs with the world moving on between them, then the comparison and summary."""
    _save_blocks(sandbox, console)
    stores = [s.key for s in world.stores]
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    # Heartbeats tell a server that a worker's flow run crashed; in this one process they only add
    # a second of thread join per flow run.
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        first = _run_pass("pass 1", stores, console)
        events = sandbox.advance()
        if events:
            console.print("[green]✓[/] the world moved on: " + ", ".join(f"{name} {count}" for name, count in events.items()))
        else:
            console.print("  the world has nothing new to do (a rerun: warehouse and customer events were applied before)")
        second = _run_pass("pass 2", stores, console)

    from returns_sync.tasks.runtime import ledger_for

    with ledger_for().session() as repo:
        quarantined = {e.loop_return_id: e.rule for s in stores for e in repo.open_quarantine(s)}
        entries = [e for s in stores for e in repo.open_quarantine(s)]
    report = verify_world(world, sandbox.netsuite.conn, sandbox.loop, quarantined)
    created = sum(
        summary.get("created", 0) for results in (first, second) for summary in results.values() if isinstance(summary, dict)
    )
    console.print(_count_table([first, second]))
    console.print(_records_table(sandbox.netsuite))
    console.print(_verification_table(report))
    console.print(_mode_matrix(world, report))
    if entries:
        table = Table(
            title=f"Quarantined returns ({len({e.loop_return_id for e in entries})}): fix the data, the next run retries them"
        )
        for column in ("store", "Loop return", "sync", "rule"):
            table.add_column(column, no_wrap=True)
        table.add_column("reason", overflow="fold")  # wrapped whole, never cut mid-phrase
        seen = set()
        for e in entries:
            if e.loop_return_id in seen:
                continue
            seen.add(e.loop_return_id)
            table.add_row(e.store, e.loop_return_id, e.sync, e.rule, e.reason)
        console.print(table)
    failures = [f"{check.return_id} ({check.scenario}): {'; '.join(check.problems)}" for check in report.failures]
    for line in failures[:20]:
        console.print(f"[red]✗[/] {line}")
    elapsed = time.monotonic() - started
    verdict = (
        "[green]every return ended as the seed expects[/]"
        if report.ok
        else f"[red]{len(failures)} returns differ from the seed's expectation[/]"
    )
    console.rule()
    console.print(f"{verdict} · {created} NetSuite records created in this run · {elapsed:.0f} s")
    if created == 0:
        console.print("[green]✓[/] nothing new was posted: every record already existed (the syncs are idempotent)")
    console.print(
        "Where to look:\n"
        f"  • Prefect UI: [bold]PREFECT_HOME={os.environ['PREFECT_HOME']} uv run prefect server start[/], then http://127.0.0.1:4200 "
        "→ Runs (flow runs, their task runs and logs) and Artifacts (one report per sync and store)\n"
        f"  • Ledger (links, intents, quarantine, audit): {os.environ['RETURNS_SYNC_LEDGER_URL']} · [bold]uv run returns-sync report[/] "
        f"with RETURNS_SYNC_LEDGER_URL set\n"
        f"  • Run it again: [bold]uv run returns-sync demo[/] (posts nothing new) · start over: [bold]--fresh[/]"
    )
    return 0 if report.ok else 1
