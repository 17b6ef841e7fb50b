"""A Prefect API for the demo: the one configured, or a local ``prefect server start`` the demo starts and waits for.

Prefect's own temporary server gives up after 20 s, which a first start on a busy two-core machine
needs several times over (it creates and migrates its database). Starting the server ourselves lets
the demo wait as long as it takes, say what it is waiting for, and turn the failures an operator can
fix (port taken, disk full, a server that exits) into one sentence instead of a traceback.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

__all__ = ["STARTUP_TIMEOUT_ENV", "PrefectStartupError", "ServerStarter", "local_prefect_api", "start_prefect_server"]

STARTUP_TIMEOUT_ENV = "RETURNS_SYNC_PREFECT_STARTUP_TIMEOUT"
DEFAULT_STARTUP_TIMEOUT = 600.0
# Below this the database migration itself may fail half-way; say so before starting.
MIN_FREE_BYTES = 200 * 1024 * 1024
_DISK_FULL_SIGNS = ("database or disk is full", "No space left on device", "Errno 28")
_PORT_TAKEN_SIGNS = ("address already in use", "Errno 98")


class PrefectStartupError(RuntimeError):
    """Prefect's API is not there and could not be started; the message is one sentence with the fix."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(api_url: str) -> bool:
    try:
        return httpx.get(f"{api_url}/health", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


def _startup_timeout() -> float:
    raw = os.environ.get(STARTUP_TIMEOUT_ENV, "")
    try:
        return float(raw) if raw else DEFAULT_STARTUP_TIMEOUT
    except ValueError:
        raise PrefectStartupError(f"{STARTUP_TIMEOUT_ENV} must be a number of seconds, not {raw!r}.") from None


def _check_disk(home: Path) -> None:
    free = shutil.disk_usage(home).free
    if free < MIN_FREE_BYTES:
        raise PrefectStartupError(
            f"Only {free // (1024 * 1024)} MB are free on the disk holding {home}: free at least "
            f"{MIN_FREE_BYTES // (1024 * 1024)} MB and run the demo again."
        )


def _why_it_stopped(log: Path, code: int | None) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    if any(sign in text for sign in _DISK_FULL_SIGNS):
        return f"Prefect's server stopped because the disk holding {log.parent} is full: free some space and run the demo again."
    if any(sign in text for sign in _PORT_TAKEN_SIGNS):
        return "Prefect's server could not listen because its port was taken by another program: run the demo again (it picks a new port)."
    return (
        f"Prefect's local server stopped while starting (exit code {code}): its log is {log}; "
        "run the demo again, or start a server yourself with `prefect server start` and set PREFECT_API_URL."
    )


ServerStarter = Callable[[Path, Path, int], "subprocess.Popen[bytes]"]


def start_prefect_server(home: Path, log: Path, port: int) -> subprocess.Popen[bytes]:
    """``prefect server start`` on ``127.0.0.1:port`` with its database under ``home`` and its output in ``log``."""
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_UI_ENABLED="false", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(5)


def _wait_until_up(
    server: subprocess.Popen[bytes], api_url: str, log: Path, timeout: float, tick: Callable[[float], None]
) -> None:
    started = time.monotonic()
    while not _answers(api_url):
        waited = time.monotonic() - started
        if server.poll() is not None:
            raise PrefectStartupError(_why_it_stopped(log, server.returncode))
        if waited > timeout:
            raise PrefectStartupError(
                f"Prefect's local server did not answer within {timeout:.0f} s (its log: {log}): "
                f"free some CPU, or allow it longer with {STARTUP_TIMEOUT_ENV}=1200, and run the demo again."
            )
        tick(waited)
        time.sleep(0.5)


@contextmanager
def local_prefect_api(
    home: Path,
    *,
    say: Callable[[str], None],
    tick: Callable[[float], None] = lambda _: None,
    start: ServerStarter = start_prefect_server,
) -> Iterator[str]:
    """Yield the URL of a Prefect API that answers, for as long as the block runs.

    With ``PREFECT_API_URL`` set, that server must answer. Otherwise a ``prefect server start`` on a
    free localhost port, with its database under ``home``, is started, waited for (up to
    ``RETURNS_SYNC_PREFECT_STARTUP_TIMEOUT`` seconds, default 600) and stopped afterwards; every
    Prefect client in this process talks to it meanwhile.

    Args:
        home: The Prefect home; its ``prefect.db`` is the server's database.
        say: Prints one progress line (what is being waited for).
        tick: Called about twice a second with the seconds waited so far.
        start: Starts the server process (tests pass a stand-in).

    Raises:
        PrefectStartupError: no API answers and none could be started; the message says what to do.
    """
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        if not _answers(configured):
            raise PrefectStartupError(
                f"The Prefect API at {configured} (PREFECT_API_URL) does not answer: start that server, "
                "or unset PREFECT_API_URL to let the demo start its own."
            )
        yield configured
        return
    home.mkdir(parents=True, exist_ok=True)
    _check_disk(home)
    timeout = _startup_timeout()
    first_start = not (home / "prefect.db").exists()
    say(
        "first start: creating Prefect's database… (a minute or two on a busy machine)"
        if first_start
        else "starting Prefect's local server…"
    )
    log = home / "server.log"
    for attempt in (1, 2):  # a port another program grabbed between our check and the server's bind: once more
        port = _free_port()
        api_url = f"http://127.0.0.1:{port}/api"
        server = start(home, log, port)
        try:
            _wait_until_up(server, api_url, log, timeout, tick)
            break
        except PrefectStartupError as exc:
            _stop(server)
            if attempt == 2 or "port was taken" not in str(exc):
                raise
    from prefect.settings import PREFECT_API_URL, temporary_settings

    os.environ["PREFECT_API_URL"] = api_url  # flow runs in subprocesses, if any, find the same server
    try:
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            yield api_url
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        _stop(server)
