"""Without the sandbox or the bench installed, the dev commands fail with one clear sentence, exit 1, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from returns_sync.cli.app import app
from returns_sync.cli.dev_packages import sandbox_required

SANDBOX_SENTENCE = "returns-sync demo needs the sandbox: install returns-sync[demo] or run it from a clone with uv."


def _hide(monkeypatch: pytest.MonkeyPatch, package: str) -> None:
    """Make ``import package`` (and its submodules) fail as if it were not installed."""
    for name in [name for name in sys.modules if name == package or name.startswith(package + ".")] + [package]:
        monkeypatch.setitem(sys.modules, name, None)


@pytest.fixture
def without_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide(monkeypatch, "returns_sandbox")


@pytest.fixture
def without_bench(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide(monkeypatch, "returns_bench")


def test_demo_says_what_is_missing_and_touches_nothing(without_sandbox: None, tmp_path: Path) -> None:
    home = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--home", str(home), "--fresh"])
    assert result.exit_code == 1
    assert result.output == SANDBOX_SENTENCE + "\n"
    assert not home.exists()


def test_sandbox_up_says_what_is_missing(without_sandbox: None) -> None:
    result = CliRunner().invoke(app, ["sandbox", "up", "--seed", "demo"])
    assert result.exit_code == 1
    assert (
        result.output == "returns-sync sandbox up needs the sandbox: install returns-sync[demo] or run it from a clone with uv.\n"
    )


def test_bench_says_what_is_missing(without_bench: None) -> None:
    result = CliRunner().invoke(app, ["bench", "--returns", "5"])
    assert result.exit_code == 1
    assert result.output == "returns-sync bench needs the bench harness, which only a clone has: run it there with uv.\n"


def test_a_broken_sandbox_install_keeps_its_real_error() -> None:
    """Only the sandbox package itself missing earns the sentence; a missing dependency of it is a real error to see."""
    with pytest.raises(ModuleNotFoundError, match="graphql"), sandbox_required("returns-sync demo"):
        raise ModuleNotFoundError("No module named 'graphql'", name="graphql")


def test_from_the_console_one_line_on_stderr_and_no_traceback(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['returns_sandbox'] = None; "
        "from returns_sync.cli.app import main; "
        f"sys.argv = ['returns-sync', 'demo', '--home', {str(tmp_path / 'demo')!r}]; main()"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 1
    assert completed.stderr == SANDBOX_SENTENCE + "\n"
    assert completed.stdout == ""
