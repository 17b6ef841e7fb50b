"""``returns-sync sandbox up``: the same command as ``returns-sandbox up``, reached from the product's CLI.

Every argument (``--help`` included) goes to the sandbox's own command line unchanged, so the two
commands cannot drift apart in flags, ports, output or info file.
"""

from __future__ import annotations

import typer

from returns_sync.cli.dev_packages import sandbox_required

__all__ = ["sandbox_app"]

sandbox_app = typer.Typer(
    help="The embedded emulators of Loop, NetSuite and Shopify (the returns-sandbox package).", no_args_is_help=True
)


@sandbox_app.command("up", add_help_option=False, context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def up(ctx: typer.Context) -> None:
    """Serve all three APIs and print their base URLs and the demo credentials per store (flags: see --help)."""
    with sandbox_required("returns-sync sandbox up"):
        from returns_sandbox.cli import main as sandbox_main

    raise typer.Exit(sandbox_main(["up", *ctx.args], prog="returns-sync sandbox"))
