"""Guards for the packages a production install lacks: the sandbox (demo extra) and the bench harness (a checkout).

The demo, ``sandbox up`` and ``bench`` import them inside the command, within one of these guards,
so a worker installed without them still starts, and the command explains in one sentence what
is missing instead of printing a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import typer

__all__ = ["bench_required", "sandbox_required"]

SANDBOX_MODULE = "returns_sandbox"
BENCH_MODULE = "returns_bench"


@contextmanager
def _required(module: str, sentence: str) -> Iterator[None]:
    try:
        yield
    except ModuleNotFoundError as exc:
        # Only the package itself missing gets the sentence; a broken install (one of its own
        # dependencies missing) keeps its real error.
        if exc.name != module and not (exc.name or "").startswith(module + "."):
            raise
        typer.echo(sentence, err=True)
        raise typer.Exit(1) from None


def sandbox_required(command: str) -> AbstractContextManager[None]:
    """Wrap the sandbox imports of ``command`` (e.g. ``"returns-sync demo"``); exits 1 with one sentence without it."""
    return _required(SANDBOX_MODULE, f"{command} needs the sandbox: install returns-sync[demo] or run it from a clone with uv.")


def bench_required(command: str) -> AbstractContextManager[None]:
    """Wrap the bench imports of ``command``; exits 1 with one sentence when the harness is not installed."""
    return _required(BENCH_MODULE, f"{command} needs the bench harness, which only a clone has: run it there with uv.")
