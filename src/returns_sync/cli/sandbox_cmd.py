"""``returns-sync sandbox up``: serve the Loop, NetSuite and Shopify emulators on localhost until interrupted."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import typer

__all__ = ["sandbox_app"]

sandbox_app = typer.Typer(help="The embedded emulators of Loop, NetSuite and Shopify.", no_args_is_help=True)

_FAULT_HELP = (
    "Fault knob API.NAME=VALUE (repeatable), API one of loop, netsuite, shopify; NAME one of latency_ms, jitter_ms, "
    "p_429, p_503, p_timeout_after_commit, hang_seconds, concurrency_limit, rate_limit_per_minute, seed. "
    "Example: --fault netsuite.p_503=0.05 --fault loop.latency_ms=40"
)


def parse_fault_options(values: list[str]) -> dict[str, dict[str, str]]:
    """``["netsuite.p_503=0.05"]`` -> ``{"netsuite": {"p_503": "0.05"}}``; bad input raises ``typer.BadParameter``."""
    faults: dict[str, dict[str, str]] = {}
    for value in values:
        target, sep, setting = value.partition("=")
        api, dot, name = target.partition(".")
        if not sep or not dot or api not in ("loop", "netsuite", "shopify") or not name:
            raise typer.BadParameter(f"expected API.NAME=VALUE, got {value!r}", param_hint="--fault")
        faults.setdefault(api, {})[name] = setting
    return faults


@sandbox_app.command("up")
def up(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port_base: int = typer.Option(8700, help="Loop on P, NetSuite on P+1, Shopify on P+2."),
    seed: Optional[str] = typer.Option(None, help="Seed data set to load: 'demo'."),
    returns: int = typer.Option(300, help="Number of Loop returns in the demo seed."),
    seed_number: int = typer.Option(7, help="Random seed of the demo data (same number, same data)."),
    data_dir: Optional[Path] = typer.Option(None, help="Keep the emulators' SQLite files here (default: in memory)."),
    info_file: Optional[Path] = typer.Option(None, help="Also write the base URLs and demo credentials here as JSON."),
    fault: list[str] = typer.Option([], "--fault", help=_FAULT_HELP),
) -> None:
    """Serve all three APIs and print their base URLs and the demo credentials per store."""
    from rich.console import Console

    from returns_sandbox.hub import Sandbox

    if seed not in (None, "demo"):
        raise typer.BadParameter("the only seed is 'demo'", param_hint="--seed")
    console = Console()
    sandbox = Sandbox(data_dir=data_dir, faults=parse_fault_options(fault))
    if seed == "demo":
        sandbox.seed_demo(seed=seed_number, returns=returns)
    server = sandbox.start(host=host, port_base=port_base)
    info = sandbox.connection_info()
    text = json.dumps(info, indent=2, default=str)
    if info_file:
        info_file.parent.mkdir(parents=True, exist_ok=True)
        info_file.write_text(text + "\n")
    console.print(text, highlight=False, soft_wrap=True)
    console.print(f"[bold green]Sandbox up[/]: Loop {server.urls['loop']}  NetSuite {server.urls['netsuite']}  Shopify {server.urls['shopify']}  (Ctrl-C stops)")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        console.print("stopping …")
    finally:
        server.stop()
        sandbox.close()
