"""The Ledger facade: URLs, transactions, threads, exports, and no Prefect in the ledger."""

from __future__ import annotations

import doctest
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import returns_sync.ledger as ledger_package
from returns_sync.ledger import DEFAULT_URL, Ledger, normalise_url


class TestUrls:
    @pytest.mark.parametrize(
        ("given", "driver"),
        [
            ("postgresql://u:p@db/ledger", "postgresql+psycopg"),
            ("postgres://u:p@db/ledger", "postgresql+psycopg"),
            ("postgresql+psycopg://u:p@db/ledger", "postgresql+psycopg"),
            ("sqlite:///./x.db", "sqlite"),
        ],
    )
    def test_postgres_urls_use_psycopg3(self, given: str, driver: str) -> None:
        assert normalise_url(given).drivername == driver

    def test_other_databases_are_refused(self) -> None:
        with pytest.raises(ValueError, match="SQLite or PostgreSQL, not 'mysql'"):
            normalise_url("mysql://u:p@db/ledger")

    def test_repr_hides_the_password(self) -> None:
        ledger = Ledger("postgresql://ledger:hunter2@127.0.0.1:1/ledger")  # no connection is made
        assert "hunter2" not in repr(ledger)
        assert "***" in repr(ledger)

    def test_default_is_a_sqlite_file_under_dot_returns_sync(self) -> None:
        assert DEFAULT_URL == "sqlite:///./.returns-sync/ledger.db"

    def test_sqlite_parent_directory_is_created(self, tmp_path: Path) -> None:
        path = tmp_path / "deeper" / "state" / "ledger.db"
        with Ledger(f"sqlite:///{path}") as ledger:
            ledger.migrate()
        assert path.is_file()

    def test_from_env(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        monkeypatch.setenv("RETURNS_SYNC_LEDGER_URL", f"sqlite:///{tmp_path / 'env.db'}")
        assert str(tmp_path / "env.db") in repr(Ledger.from_env())


class TestTransactions:
    def test_session_commits_on_success(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            repo.upsert_link("acme", "r1", outcome="refund")
        with ledger.session() as repo:
            assert repo.get_link("acme", "r1").outcome == "refund"

    def test_session_rolls_back_everything_on_error(self, ledger: Ledger) -> None:
        with pytest.raises(RuntimeError), ledger.session() as repo:
            repo.upsert_link("acme", "r1")
            repo.quarantine(store="acme", sync="ra_sync", loop_return_id="r1", rule="x", reason="y")
            raise RuntimeError("boom")
        with ledger.session() as repo:
            assert repo.get_link("acme", "r1") is None
            assert repo.open_quarantine("acme") == []

    def test_snapshots_outlive_the_session(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            link = repo.upsert_link("acme", "r1", shopify_order_name="#1001")
        assert link.shopify_order_name == "#1001"

    def test_many_threads_write_without_locking_errors(self, ledger: Ledger) -> None:
        def worker(n: int) -> None:
            with ledger.session() as repo:
                repo.upsert_link("acme", f"r{n % 5}", outcome="refund")
                repo.audit(store="acme", action="touched", loop_return_id=f"r{n % 5}")

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(worker, range(40)))
        with ledger.session() as repo:
            assert len(repo.audit_entries("acme")) == 40


class TestPackage:
    def test_exports(self) -> None:
        assert sorted(ledger_package.__all__) == sorted(
            [
                "DEFAULT_URL",
                "LEDGER_URL_ENV",
                "AuditEntry",
                "CreatedBy",
                "Cursor",
                "IntentConflictError",
                "IntentStatus",
                "Ledger",
                "LedgerError",
                "LedgerIntegrityError",
                "LineStatus",
                "NetSuiteRecord",
                "PostingIntent",
                "QuarantineEntry",
                "Repository",
                "ReturnLink",
                "ReturnedLine",
                "Window",
                "WriteBack",
                "WriteBackStatus",
                "WriteBackTarget",
                "advance",
                "digest_request",
                "handled_through",
                "normalise_url",
                "open_window",
                "scrub_error",
            ]
        )
        for name in ledger_package.__all__:
            assert hasattr(ledger_package, name), name

    @pytest.mark.parametrize("module", ["returns_sync.ledger.cursor", "returns_sync.ledger.intents"])
    def test_docstring_examples_run(self, module: str) -> None:
        import importlib

        result = doctest.testmod(importlib.import_module(module))
        assert result.attempted > 0 and result.failed == 0

    def test_ledger_does_not_import_prefect(self) -> None:
        code = (
            "import sys, returns_sync.ledger as l; l.Ledger('sqlite://').migrate(); "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'httpx'));"
            "print(bad); sys.exit(1 if bad else 0)"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
