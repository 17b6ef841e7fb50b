"""``returns-sandbox up``: serve the Loop, NetSuite and Shopify emulators on localhost until interrupted.

argparse rather than Typer keeps the sandbox's dependencies to what the emulators need.
``returns-sync sandbox up`` hands its arguments to ``main`` unchanged, so both commands share
these flags, ports, output and info file.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from returns_sandbox.netsuite.preferences import DEFAULT_DATE_FORMAT, DEFAULT_TIME_ZONE, UserPreferences

__all__ = ["build_parser", "main", "parse_fault_option", "parse_fault_options"]

APIS = ("loop", "netsuite", "shopify")
_FAULT_HELP = (
    "Fault knob API.NAME=VALUE (repeatable), API one of loop, netsuite, shopify; NAME one of latency_ms, jitter_ms, "
    "p_429, p_503, p_timeout_after_commit, hang_seconds, concurrency_limit, rate_limit_per_minute, seed. "
    "Example: --fault netsuite.p_503=0.05 --fault loop.latency_ms=40"
)


def parse_fault_option(value: str) -> tuple[str, str, str]:
    """``"netsuite.p_503=0.05"`` -> ``("netsuite", "p_503", "0.05")``; bad input raises ``argparse.ArgumentTypeError``."""
    target, sep, setting = value.partition("=")
    api, dot, name = target.partition(".")
    if not sep or not dot or api not in APIS or not name:
        raise argparse.ArgumentTypeError(f"expected API.NAME=VALUE, got {value!r}")
    return api, name, setting


def parse_fault_options(values: Sequence[str]) -> dict[str, dict[str, str]]:
    """``["netsuite.p_503=0.05"]`` -> ``{"netsuite": {"p_503": "0.05"}}`` (the ``faults`` argument of ``Sandbox``)."""
    faults: dict[str, dict[str, str]] = {}
    for api, name, setting in map(parse_fault_option, values):
        faults.setdefault(api, {})[name] = setting
    return faults


def build_parser(prog: str = "returns-sandbox") -> argparse.ArgumentParser:
    """The ``returns-sandbox`` parser; ``prog`` names the command in usage and errors (``returns-sync sandbox``)."""
    parser = argparse.ArgumentParser(prog=prog, description="The embedded emulators of Loop, NetSuite and Shopify.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    up = commands.add_parser(
        "up",
        help="Serve all three APIs and print their base URLs and the demo credentials per store.",
        description="Serve all three APIs and print their base URLs and the demo credentials per store.",
    )
    up.add_argument("--host", default="127.0.0.1", help="Interface to listen on. [default: 127.0.0.1]")
    up.add_argument("--port-base", type=int, default=8700, help="Loop on P, NetSuite on P+1, Shopify on P+2. [default: 8700]")
    up.add_argument("--seed", choices=["demo"], default=None, help="Seed data set to load: 'demo'.")
    up.add_argument("--returns", type=int, default=300, help="Number of Loop returns in the demo seed. [default: 300]")
    up.add_argument(
        "--seed-number", type=int, default=7, help="Random seed of the demo data (same number, same data). [default: 7]"
    )
    up.add_argument("--data-dir", type=Path, default=None, help="Keep the emulators' SQLite files here (default: in memory).")
    up.add_argument("--info-file", type=Path, default=None, help="Also write the base URLs and demo credentials here as JSON.")
    up.add_argument(
        "--netsuite-timezone",
        default=DEFAULT_TIME_ZONE,
        help=f"Time zone preference of the NetSuite integration user (IANA name). [default: {DEFAULT_TIME_ZONE}]",
    )
    up.add_argument(
        "--netsuite-date-format",
        default=DEFAULT_DATE_FORMAT,
        help=f"Date/time format preference of the NetSuite integration user. [default: {DEFAULT_DATE_FORMAT}]",
    )
    up.add_argument(
        "--netsuite-suitetax",
        action="store_true",
        help="Turn on the SuiteTax feature in the NetSuite account (tax details instead of tax codes on lines); "
        "the stores' settings in the connection info say so.",
    )
    up.add_argument("--fault", action="append", default=[], type=_fault_text, metavar="API.NAME=VALUE", help=_FAULT_HELP)
    return parser


def _fault_text(value: str) -> str:
    """Refuse a malformed or out-of-range knob while parsing, so the error comes with the `up` usage line."""
    from returns_sandbox.faults import FaultSettings

    _, name, setting = parse_fault_option(value)
    try:
        FaultSettings().update(**{name: setting})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r}: {exc}") from None
    return value


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    # `kill` (SIGTERM) then stops the servers and closes the databases like Ctrl-C does.
    raise KeyboardInterrupt


def _up(args: argparse.Namespace) -> int:
    from returns_sandbox.hub import Sandbox

    preferences = UserPreferences(time_zone=args.netsuite_timezone, date_format=args.netsuite_date_format)
    sandbox = Sandbox(
        data_dir=args.data_dir,
        faults=parse_fault_options(args.fault),
        netsuite_preferences=preferences,
        netsuite_suitetax=args.netsuite_suitetax,
    )
    if args.seed == "demo":
        sandbox.seed_demo(seed=args.seed_number, returns=args.returns)
    server = sandbox.start(host=args.host, port_base=args.port_base)
    text = json.dumps(sandbox.connection_info(), indent=2, default=str)
    if args.info_file:
        args.info_file.parent.mkdir(parents=True, exist_ok=True)
        args.info_file.write_text(text + "\n")
    # The handler goes in before "Sandbox up" is printed: a caller may send SIGTERM as soon as it reads that line.
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        # Inside the try: a SIGTERM sent on reading the line may land before print returns (seen in CI).
        print(text)
        print(
            f"Sandbox up: Loop {server.urls['loop']}  NetSuite {server.urls['netsuite']}  Shopify {server.urls['shopify']}  (Ctrl-C stops)",
            flush=True,
        )
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        print("stopping …", flush=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
        sandbox.close()
    return 0


def main(argv: Sequence[str] | None = None, *, prog: str = "returns-sandbox") -> int:
    """Run ``returns-sandbox`` with ``argv`` (default: the process's arguments); returns the exit code."""
    parser = build_parser(prog)
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    if args.command == "up":
        return _up(args)
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
