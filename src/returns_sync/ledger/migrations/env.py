"""Alembic environment for the ledger: migrates the connection ``Ledger.migrate()`` hands over."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from returns_sync.ledger.models import VERSION_TABLE, Base

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        # SQLite cannot ALTER most constraints in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    # Developers' `alembic` CLI (script_location = returns_sync.ledger:migrations in their own
    # alembic.ini): the database comes from `-x url=...`, then $RETURNS_SYNC_LEDGER_URL.
    from returns_sync.ledger.engine import DEFAULT_URL, LEDGER_URL_ENV, Ledger

    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(LEDGER_URL_ENV) or DEFAULT_URL
    ledger = Ledger(url)
    try:
        with ledger.engine.begin() as connection:
            _configure(connection)
    finally:
        ledger.dispose()


if context.is_offline_mode():
    raise SystemExit("the ledger's migrations run online only: use Ledger.migrate() or `alembic upgrade head`")
_run_online()
