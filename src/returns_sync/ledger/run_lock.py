"""An exclusive lock per name, shared by every process that uses the same ledger: one run per sync and store.

Why the ledger and not a Prefect concurrency limit: the ledger is the one thing every process that
runs syncs must share already (DEPLOY.md), whether the run came from ``serve``, a work-pool worker on
another machine, ``returns-sync run`` or a test; a Prefect global concurrency limit would have to be
created on the server first, and runs that start their own temporary API (no ``PREFECT_API_URL``)
would not see it. Both locks below vanish with their holder, so a killed run never leaves one behind.

- PostgreSQL: a session-level ``pg_try_advisory_lock`` on a connection held for the run. It is held
  until unlocked or the session ends, whatever happens to transactions on that connection
  (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS), so a worker that
  dies, or whose connection drops, frees it; another machine on the same database is excluded.
- SQLite file: ``flock(LOCK_EX | LOCK_NB)`` on a lock file beside the database. ``flock`` locks belong
  to the open file description, so two opens conflict even within one process, and the kernel drops
  the lock when the holder's descriptor closes or the process dies (flock(2),
  https://man7.org/linux/man-pages/man2/flock.2.html). A SQLite ledger is a one-machine setup anyway.
- SQLite in memory: one process only, so a process-wide lock per name.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["hold_named_lock", "lock_key"]

_POLL_SECONDS = 0.25
# Locks of in-memory ledgers, which only this process can see.
_IN_PROCESS: dict[str, threading.Lock] = {}
_IN_PROCESS_GUARD = threading.Lock()


def lock_key(name: str) -> int:
    """The signed 64-bit advisory lock key of ``name`` (the first 8 bytes of its SHA-256).

    Example:
        >>> lock_key("run:ra_sync:north") == lock_key("run:ra_sync:north"), -(2**63) <= lock_key("x") < 2**63
        (True, True)
    """
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _retrying(try_once: Callable[[], bool], wait: float) -> bool:
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        if try_once():
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(_POLL_SECONDS, remaining))


@contextmanager
def _postgres_lock(engine: Engine, name: str, wait: float) -> Iterator[bool]:
    key = lock_key(name)
    # Autocommit: the connection must not sit "idle in transaction" for the whole run (a server's
    # idle_in_transaction_session_timeout would end the session, and the lock with it).
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    held = False
    try:
        held = _retrying(lambda: bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()), wait)
        yield held
    finally:
        try:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.close()
        except Exception:
            # A pooled connection still holding the lock would keep it for a stranger: drop the session instead.
            connection.invalidate()
            connection.close()


def _lock_file(database: str, name: str) -> Path:
    folder = Path(database).expanduser().resolve().parent / f"{Path(database).name}.locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{hashlib.sha256(name.encode()).hexdigest()[:24]}.lock"


@contextmanager
def _file_lock(database: str, name: str, wait: float) -> Iterator[bool]:
    path = _lock_file(database, name)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def try_once() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    try:
        held = _retrying(try_once, wait)
        if held:
            # For a person looking at the folder: which lock this file is and who holds it.
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{name} pid={os.getpid()}\n".encode(), 0)
        yield held
    finally:
        os.close(fd)  # closing the descriptor releases the flock


@contextmanager
def _process_lock(name: str, wait: float) -> Iterator[bool]:
    with _IN_PROCESS_GUARD:
        lock = _IN_PROCESS.setdefault(name, threading.Lock())
    held = lock.acquire(timeout=max(0.0, wait))
    try:
        yield held
    finally:
        if held:
            lock.release()


@contextmanager
def hold_named_lock(engine: Engine, name: str, *, wait: float) -> Iterator[bool]:
    """Try for up to ``wait`` seconds to take the lock ``name``; yields whether it is held, releases it on exit.

    Args:
        engine: The ledger's engine: which database (and so which processes) the lock is shared with.
        name: What is locked, e.g. ``run:ra_sync:north``.
        wait: Seconds to keep trying while another holder has it; 0 tries once.
    """
    url = engine.url
    if engine.dialect.name == "postgresql":
        with _postgres_lock(engine, name, wait) as held:
            yield held
    elif url.database in (None, "", ":memory:"):
        with _process_lock(name, wait) as held:
            yield held
    else:
        with _file_lock(url.database, name, wait) as held:
            yield held
