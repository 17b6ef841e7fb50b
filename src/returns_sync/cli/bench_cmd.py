"""``returns-sync bench``: hand every argument to the benchmark harness's own command line (``returns_bench.cli``).

The harness is a dev-only workspace member (``bench/``): a checkout's ``uv run`` installs it, a
production install does not, and it never imports this CLI back.
"""

from __future__ import annotations

from collections.abc import Sequence

from returns_sync.cli.dev_packages import bench_required

__all__ = ["run_bench_command"]


def run_bench_command(args: Sequence[str]) -> None:
    """Run ``returns-sync bench ARGS`` as the harness's command; exits with its status."""
    with bench_required("returns-sync bench"):
        from returns_bench.cli import main as bench_main

    bench_main(list(args), prog="returns-sync bench")
