"""The demo's Prefect start-up: one sentence with the fix for each failure an operator can fix, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from returns_sync.service import local_prefect
from returns_sync.service.local_prefect import PrefectStartupError, local_prefect_api


def _fake_server(script: str):
    """A stand-in for ``prefect server start``: a Python process running ``script`` with its output in the log."""

    def start(home: Path, log: Path, port: int) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            return subprocess.Popen([sys.executable, "-c", script], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    return start


@pytest.fixture
def no_configured_api(monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)


def _start(home: Path, starter: local_prefect.ServerStarter = local_prefect.start_prefect_server) -> list[str]:
    said: list[str] = []
    with local_prefect_api(home, say=said.append, start=starter):
        pass
    return said


def test_a_full_disk_while_migrating_is_named_with_the_fix(tmp_path, monkeypatch, no_configured_api):
    script = "import sys; print('sqlite3.OperationalError: database or disk is full'); sys.exit(3)"
    starter = _fake_server(script)
    with pytest.raises(
        PrefectStartupError, match=r"^Prefect's server stopped because the disk holding .* is full: free some space"
    ):
        _start(tmp_path, starter)


def test_a_server_that_exits_points_at_its_log(tmp_path, monkeypatch, no_configured_api):
    starter = _fake_server("import sys; sys.exit(7)")
    with pytest.raises(PrefectStartupError, match=r"exit code 7\): its log is .*server\.log; run the demo again"):
        _start(tmp_path, starter)


def test_a_taken_port_is_tried_once_more_then_named(tmp_path, monkeypatch, no_configured_api):
    starts: list[int] = []
    fake = _fake_server("import sys; print('[Errno 98] error while attempting to bind: address already in use'); sys.exit(1)")

    def counting(home: Path, log: Path, port: int) -> subprocess.Popen[bytes]:
        starts.append(port)
        return fake(home, log, port)

    starter = counting
    with pytest.raises(PrefectStartupError, match="port was taken by another program"):
        _start(tmp_path, starter)
    assert len(starts) == 2


def test_a_server_too_slow_to_answer_says_how_to_wait_longer(tmp_path, monkeypatch, no_configured_api):
    starter = _fake_server("import time; time.sleep(60)")
    monkeypatch.setenv(local_prefect.STARTUP_TIMEOUT_ENV, "1")
    with pytest.raises(PrefectStartupError, match=r"did not answer within 1 s .*RETURNS_SYNC_PREFECT_STARTUP_TIMEOUT=1200"):
        _start(tmp_path, starter)


def test_the_first_start_says_it_creates_the_database(tmp_path, monkeypatch, no_configured_api):
    starter = _fake_server("import sys; sys.exit(1)")
    said: list[str] = []
    with pytest.raises(PrefectStartupError), local_prefect_api(tmp_path, say=said.append, start=starter):
        pass
    assert said == ["first start: creating Prefect's database… (a minute or two on a busy machine)"]


def test_a_configured_api_that_does_not_answer_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    with pytest.raises(
        PrefectStartupError, match=r"^The Prefect API at http://127.0.0.1:9/api \(PREFECT_API_URL\) does not answer"
    ):
        _start(tmp_path)


def test_too_little_disk_is_refused_before_starting(tmp_path, monkeypatch, no_configured_api):
    monkeypatch.setattr(local_prefect, "MIN_FREE_BYTES", 1 << 62)
    starter = _fake_server("raise SystemExit('must not start')")
    with pytest.raises(PrefectStartupError, match=r"MB are free on the disk holding .*: free at least"):
        _start(tmp_path, starter)


def test_the_demo_command_prints_one_sentence_and_no_traceback(monkeypatch):
    from returns_sync.cli import demo
    from returns_sync.cli.app import app

    def fail(**_: object) -> int:
        try:
            raise OSError(28, "No space left on device")
        except OSError as exc:
            raise RuntimeError("while saving the ledger") from exc

    monkeypatch.setattr(demo, "run_demo", fail)
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 2
    assert (
        result.output.strip()
        == "✗ The disk is full: free some space (the demo keeps its files under --home) and run the demo again."
    )
    assert "Traceback" not in result.output
