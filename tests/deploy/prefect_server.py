"""A real ``prefect server start`` in a subprocess with its own temporary home, for the deployment tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["SCHEDULER_LOOP_SECONDS", "PrefectServer", "prefect_cli", "running_prefect_server"]

REPO_ROOT = Path(__file__).resolve().parents[2]
# The scheduler's loop, shortened from Prefect's 60 s default so "within two loops" is a short wait.
SCHEDULER_LOOP_SECONDS = 10
STARTUP_TIMEOUT = 120


@dataclass(frozen=True)
class PrefectServer:
    """Where the server listens, and the environment a client process needs to talk to it."""

    api_url: str
    home: Path
    env: dict[str, str]

    def log_tail(self, chars: int = 4000) -> str:
        return (self.home / "server.log").read_text(errors="replace")[-chars:]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prefect_cli(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``prefect ARGS`` from the repository root, as an operator types it."""
    return subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@contextmanager
def running_prefect_server(home: Path) -> Iterator[PrefectServer]:
    """Start ``prefect server start`` with its services (the scheduler among them) and a SQLite database in ``home``.

    The environment drops the caller's ``PREFECT_*`` settings so nothing of a developer's profile leaks
    in; the returned ``env`` adds ``PREFECT_API_URL`` for clients.
    """
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_UI_ENABLED="false",
        PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS=str(SCHEDULER_LOOP_SECONDS),
        DO_NOT_TRACK="1",
    )
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    api_url = f"http://127.0.0.1:{port}/api"
    running = PrefectServer(api_url=api_url, home=home, env={**env, "PREFECT_API_URL": api_url})
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Prefect server did not start:\n{running.log_tail()}")
            time.sleep(0.25)
        yield running
    finally:
        # The server was started in its own session: stop it and anything it spawned.
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)
        log.close()
