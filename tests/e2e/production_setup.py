"""Helpers of the end-to-end test: fresh PostgreSQL databases, docs/deploy-local.sh as a process, Prefect API waits."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_SCRIPT = REPO_ROOT / "docs" / "deploy-local.sh"
POOL = "returns-sync"
FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


@dataclass(frozen=True)
class Databases:
    prefect_url: str  # for PREFECT_API_DATABASE_CONNECTION_URL (asyncpg)
    ledger_url: str  # for RETURNS_SYNC_LEDGER_URL (psycopg 3)


@contextmanager
def fresh_databases(admin_url: str) -> Iterator[Databases]:
    """Two new, empty databases in the cluster ``admin_url`` logs in to; dropped afterwards."""
    import psycopg

    suffix = uuid.uuid4().hex[:8]
    names = {"prefect": f"e2e_prefect_{suffix}", "ledger": f"e2e_ledger_{suffix}"}
    parts = urllib.parse.urlsplit(admin_url)

    def url(scheme: str, database: str) -> str:
        return urllib.parse.urlunsplit((scheme, parts.netloc, f"/{database}", "", ""))

    with psycopg.connect(admin_url, autocommit=True) as admin:
        for name in names.values():
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Databases(prefect_url=url("postgresql+asyncpg", names["prefect"]), ledger_url=url("postgresql", names["ledger"]))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            for name in names.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Setup:
    """The running setup: the API URL, the environment the script got, and where its logs are."""

    api_url: str
    env: dict[str, str]
    log_dir: Path
    process: subprocess.Popen[bytes]

    def logs(self, chars: int = 3000) -> str:
        parts = [self.log_dir.parent / "deploy-local.log", *sorted(self.log_dir.glob("*.log"))]
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-chars:]}" for p in parts if p.exists())


@contextmanager
def deploy_local(workdir: Path, databases: Databases, *, account_id: str, limit: int, timeout: float = 600) -> Iterator[Setup]:
    """Run docs/deploy-local.sh as an operator would; yield once the pool has two online workers.

    ``timeout`` is generous: on a shared two-core machine under load 14 the setup took three to five minutes.
    """
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(
        # The clone's environment, as after `source .venv/bin/activate`.
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PREFECT_HOME=str(workdir / "prefect-home"),
        PREFECT_API_DATABASE_CONNECTION_URL=databases.prefect_url,
        RETURNS_SYNC_LEDGER_URL=databases.ledger_url,
        NETSUITE_ACCOUNT_ID=account_id,
        NETSUITE_LIMIT=str(limit),
        PREFECT_PORT=str(port),
        RETURNS_SYNC_LOG_DIR=str(workdir / "logs"),
        # Test speed only: a 10 s scheduler loop, workers polling every 2 s, no UI or telemetry.
        PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="10",
        PREFECT_WORKER_QUERY_SECONDS="2",
        PREFECT_SERVER_UI_ENABLED="false",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
    )
    log = (workdir / "deploy-local.log").open("wb")
    process = subprocess.Popen(
        ["bash", str(DEPLOY_SCRIPT)],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    setup = Setup(api_url=f"http://127.0.0.1:{port}/api", env=env, log_dir=workdir / "logs", process=process)
    try:
        deadline = time.monotonic() + timeout
        while len(online_workers(setup.api_url)) < 2:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"deploy-local.sh did not bring up two workers:\n{setup.logs()}")
            time.sleep(2)
        yield setup
    finally:
        # The script traps TERM and stops the server and workers it started; the group kill is the backstop.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        log.close()


def prefect_client(api_url: str) -> Any:
    """A sync Prefect client of ``api_url`` (use as a context manager)."""
    from prefect.client.orchestration import SyncPrefectClient

    return SyncPrefectClient(api_url)


def online_workers(api_url: str) -> list[Any]:
    import httpx
    from prefect.exceptions import ObjectNotFound

    try:
        with prefect_client(api_url) as client:
            return [w for w in client.read_workers_for_work_pool(POOL) if w.status.value == "ONLINE"]
    except (httpx.HTTPError, ObjectNotFound):
        return []  # the server is not up yet, or the pool does not exist yet


def wait_for_final_state(api_url: str, flow_run_ids: list[Any], timeout: float = 150) -> dict[Any, Any]:
    """Poll until every run is final; the runs as the API shows them."""
    deadline = time.monotonic() + timeout
    with prefect_client(api_url) as client:
        while True:
            runs = {run_id: client.read_flow_run(run_id) for run_id in flow_run_ids}
            if all(run.state_type.value in FINAL_STATES for run in runs.values()) or time.monotonic() > deadline:
                return runs
            time.sleep(2)
