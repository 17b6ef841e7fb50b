"""``returns-sync chaos``: hand every argument to the chaos harness's command line (``returns_bench.chaos.cli``).

The harness drives the sandbox and worker processes from a checkout, like the bench, so it lives in
the dev-only bench package; a production install does not have it.
"""

from __future__ import annotations

from collections.abc import Sequence

from returns_sync.cli.dev_packages import bench_required

__all__ = ["run_chaos_command"]


def run_chaos_command(args: Sequence[str]) -> None:
    """Run ``returns-sync chaos ARGS`` as the harness's command; exits with its status."""
    with bench_required("returns-sync chaos"):
        from returns_bench.chaos.cli import main as chaos_main

    chaos_main(list(args), prog="returns-sync chaos")
