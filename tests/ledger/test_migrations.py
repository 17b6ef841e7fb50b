"""Migrations: up, down to base, up again on SQLite and PostgreSQL; the models match the revisions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from importlib.resources import files

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from returns_sync.ledger import Ledger
from returns_sync.ledger.models import VERSION_TABLE, Base

LEDGER_TABLES = {
    "return_links",
    "netsuite_records",
    "returned_lines",
    "cursors",
    "posting_intents",
    "quarantine",
    "audit_log",
    "webhook_deliveries",
    "write_backs",
}


HEAD = "0004"


def tables(ledger: Ledger) -> set[str]:
    return set(sa.inspect(ledger.engine).get_table_names())


def schema_diff(ledger: Ledger) -> list:
    with ledger.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "version_table": VERSION_TABLE})
        return compare_metadata(context, Base.metadata)


def up_down_up(url) -> None:
    ledger = Ledger(url)
    try:
        assert ledger.current_revision() is None
        ledger.migrate()
        assert tables(ledger) == LEDGER_TABLES | {VERSION_TABLE}
        assert ledger.current_revision() == HEAD
        assert schema_diff(ledger) == []

        ledger.downgrade("base")
        assert tables(ledger) <= {VERSION_TABLE}
        assert ledger.current_revision() is None

        ledger.migrate()
        assert tables(ledger) == LEDGER_TABLES | {VERSION_TABLE}
        with ledger.session() as repo:
            repo.audit(store="acme", action="migrated")
        ledger.migrate()  # already at head: nothing to do
        assert ledger.current_revision() == HEAD
    finally:
        ledger.dispose()


class TestMigrations:
    def test_up_down_up_on_sqlite_file(self, sqlite_url: str) -> None:
        up_down_up(sqlite_url)

    @pytest.mark.postgres
    def test_up_down_up_on_postgres(self, pg_url) -> None:
        up_down_up(pg_url)

    @pytest.mark.postgres
    def test_downgrade_drops_the_audit_trigger_function(self, pg_url) -> None:
        ledger = Ledger(pg_url)
        ledger.migrate()
        ledger.downgrade()
        with ledger.engine.connect() as connection:
            functions = connection.execute(
                sa.text("SELECT count(*) FROM pg_proc WHERE proname = 'returns_sync_audit_log_append_only'")
            ).scalar_one()
        ledger.dispose()
        assert functions == 0

    def test_concurrent_migrations_from_several_processes_converge(self, database_url) -> None:
        ledgers = [Ledger(database_url) for _ in range(3)]  # separate engines, as separate workers would have
        pool = ThreadPoolExecutor(max_workers=3)
        try:
            futures = [pool.submit(ledger.migrate) for ledger in ledgers]
            for future in futures:
                future.result(timeout=120)  # without the migration lock this blocks: fail instead of hanging
            assert {ledger.current_revision() for ledger in ledgers} == {HEAD}
            assert tables(ledgers[0]) == LEDGER_TABLES | {VERSION_TABLE}
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            for ledger in ledgers:
                ledger.dispose()

    def test_sqlite_pragmas(self, sqlite_url: str) -> None:
        ledger = Ledger(sqlite_url)
        with ledger.engine.connect() as connection:
            journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()
            foreign_keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one()
        ledger.dispose()
        assert (journal, foreign_keys) == ("wal", 1)

    def test_revisions_form_one_line_with_one_head(self) -> None:
        script = ScriptDirectory.from_config(Ledger("sqlite://").alembic_config())
        assert script.get_heads() == [HEAD]
        assert [r.revision for r in script.walk_revisions()][-1] == "0001"

    def test_migrations_ship_inside_the_package(self) -> None:
        migrations = files("returns_sync.ledger") / "migrations"
        assert (migrations / "env.py").is_file()
        assert (migrations / "script.py.mako").is_file()
        assert (migrations / "versions" / "0001_initial.py").is_file()

    def test_dropping_boundary_ids_keeps_every_saved_watermark(self, sqlite_url: str) -> None:
        ledger = Ledger(sqlite_url)
        try:
            ledger.migrate("0001")
            with ledger.engine.begin() as connection:
                connection.exec_driver_sql(
                    "INSERT INTO cursors (store, sync, last_value, boundary_ids, run_started_at, updated_at) "
                    "VALUES ('acme', 'ra_sync', '2025-06-02 10:00:00.000000', '[\"r2\"]', '2025-06-02 12:00:00.000000', "
                    "'2025-06-02 12:00:00.000000')"
                )
            ledger.migrate()
            with ledger.session() as repo:
                cursor = repo.get_cursor("acme", "ra_sync")
            assert cursor.last_value is not None and cursor.last_value.isoformat() == "2025-06-02T10:00:00+00:00"
            ledger.downgrade("0001")  # and back: the column returns empty
            assert ledger.current_revision() == "0001"
        finally:
            ledger.dispose()

    def test_foreign_keys_are_enforced_on_sqlite(self, sqlite_url: str) -> None:
        ledger = Ledger(sqlite_url)
        ledger.migrate()
        with pytest.raises(sa.exc.IntegrityError, match="FOREIGN KEY constraint failed"), ledger.session() as repo:
            repo.session.execute(
                sa.text(
                    "INSERT INTO netsuite_records (store, loop_return_id, role, record_type, ns_id, created_by, created_at) "
                    "VALUES ('acme', 'ghost', 'ra', 'returnAuthorization', '1', 'us', '2025-01-01 00:00:00')"
                )
            )
        ledger.dispose()
