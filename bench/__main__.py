"""``python -m bench``: the same options as ``returns-sync bench``."""

from __future__ import annotations

import typer

from returns_sync.cli.bench_cmd import bench_command

if __name__ == "__main__":
    typer.run(bench_command)
