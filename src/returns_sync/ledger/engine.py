"""The ``Ledger`` facade: one engine per database URL, migrations, and a transaction per ``session()``."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from returns_sync.ledger.models import VERSION_TABLE
from returns_sync.ledger.repository import Repository
from returns_sync.ledger.run_lock import hold_named_lock
from returns_sync.ledger.types import dumps_json

__all__ = ["DEFAULT_URL", "LEDGER_URL_ENV", "Ledger", "normalise_url"]

DEFAULT_URL = "sqlite:///./.returns-sync/ledger.db"
LEDGER_URL_ENV = "RETURNS_SYNC_LEDGER_URL"
_MIGRATIONS = "returns_sync.ledger:migrations"
_SQLITE_BUSY_TIMEOUT_S = 30
_PG_MIGRATION_LOCK = 0x52455453594E43  # "RETSYNC": an arbitrary constant shared by every ledger process


def normalise_url(url: str | URL) -> URL:
    """Parse a ledger URL; plain ``postgresql://`` and ``postgres://`` use the psycopg 3 driver.

    Raises:
        ValueError: A database other than SQLite or PostgreSQL.
    """
    parsed = make_url(url) if isinstance(url, str) else url
    backend = parsed.get_backend_name()
    if backend in ("postgres", "postgresql"):
        # A bare "postgresql://" means psycopg2 to SQLAlchemy, which is not a dependency; psycopg 3 is.
        driver = parsed.get_driver_name() if "+" in parsed.drivername else "psycopg"
        parsed = parsed.set(drivername=f"postgresql+{driver}")
    elif backend != "sqlite":
        raise ValueError(f"the ledger runs on SQLite or PostgreSQL, not {backend!r}")
    return parsed


def _is_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _create_engine(url: URL, *, echo: bool) -> Engine:
    options: dict[str, Any] = {"echo": echo, "json_serializer": dumps_json}
    if url.get_backend_name() == "sqlite":
        options["connect_args"] = {"check_same_thread": False, "timeout": _SQLITE_BUSY_TIMEOUT_S}
        if _is_memory(url):
            options["poolclass"] = StaticPool
        elif url.database:  # a file (not in memory): always named here
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **options)
        _tune_sqlite(engine, wal=not _is_memory(url))
        return engine
    options["pool_pre_ping"] = True
    return create_engine(url, **options)


def _tune_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_TIMEOUT_S * 1000}")
            if wal:
                _enable_wal(cursor)
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Take the write lock up front: two deferred transactions that both read and then write
        # would deadlock on the lock upgrade (SQLITE_BUSY without waiting), which threads of one
        # flow run hit readily. Transactions are short, so serialising writers costs little.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _enable_wal(cursor: Any) -> None:
    # WAL is a property of the file and persists, so usually there is nothing to do. Switching needs
    # an exclusive lock and SQLite does not wait for it (no busy handler), so first connections of
    # several workers racing on a new file retry briefly.
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Ledger:
    """The sync's state store on SQLite (default) or PostgreSQL.

    Thread-safe: the engine is shared, every ``session()`` is a new session and transaction.
    The URL (which may carry a PostgreSQL password) is never logged or stored; ``repr`` masks it.

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite:///./.returns-sync/ledger.db`` or
            ``postgresql+psycopg://user:pass@host:5432/db``.
        echo: Log SQL statements (development only).

    Example:
        >>> ledger = Ledger("sqlite:///./.returns-sync/ledger.db")  # doctest: +SKIP
        >>> ledger.migrate()  # doctest: +SKIP
        >>> with ledger.session() as repo:  # doctest: +SKIP
        ...     repo.quarantine(store="acme", sync="ra_sync", loop_return_id="123",
        ...                     rule="sku_unknown", reason="SKU SHIRT-M is not a NetSuite item")
    """

    def __init__(self, url: str | URL = DEFAULT_URL, *, echo: bool = False) -> None:
        self._url = normalise_url(url)
        self._engine = _create_engine(self._url, echo=echo)
        self._sessions = sessionmaker(bind=self._engine, expire_on_commit=False, autoflush=True)
        self._migrate_lock = threading.Lock()

    @classmethod
    def from_env(cls, default: str = DEFAULT_URL) -> Ledger:
        """A ledger at ``$RETURNS_SYNC_LEDGER_URL``, or at ``default`` when it is unset."""
        return cls(os.environ.get(LEDGER_URL_ENV) or default)

    def __repr__(self) -> str:
        return f"Ledger({self._url.render_as_string(hide_password=True)!r})"

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (shared, thread-safe)."""
        return self._engine

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Repository]:
        """One transaction: commits when the block ends, rolls back if it raises.

        Yields:
            A ``Repository`` bound to the transaction; ``repo.session`` is the SQLAlchemy session.
        """
        with self._sessions() as session, session.begin():
            yield Repository(session)

    def hold_lock(self, name: str, *, wait: float) -> AbstractContextManager[bool]:
        """An exclusive lock shared by every process on this ledger; yields whether it was taken within ``wait`` s.

        PostgreSQL: a session advisory lock (across machines); SQLite: a file lock beside the database
        (across processes of one machine). See ``run_lock``.

        Example:
            >>> with ledger.hold_lock("run:ra_sync:north", wait=10) as held:  # doctest: +SKIP
            ...     if not held:
            ...         print("another run holds it")
        """
        return hold_named_lock(self._engine, name, wait=wait)

    def alembic_config(self) -> Config:
        """An Alembic config for this ledger built in code (no alembic.ini needed)."""
        config = Config()
        config.set_main_option("script_location", _MIGRATIONS)
        config.set_main_option("version_table", VERSION_TABLE)
        return config

    def migrate(self, revision: str = "head") -> None:
        """Upgrade the schema to ``revision`` (default: the newest)."""
        self._run(command.upgrade, revision)

    def downgrade(self, revision: str = "base") -> None:
        """Downgrade the schema to ``revision``; ``base`` drops every ledger table."""
        self._run(command.downgrade, revision)

    def current_revision(self) -> str | None:
        """The schema revision the database is at, or None before the first migration."""
        with self._engine.connect() as connection:
            return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.dispose()

    def _run(self, operation: Any, revision: str) -> None:
        config = self.alembic_config()
        with self._migrate_lock, self._engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Several workers may start at once; one migrates, the others wait and then find nothing to do.
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            config.attributes["connection"] = connection
            operation(config, revision)
