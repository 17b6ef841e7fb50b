"""``returns-sync sandbox up`` is ``returns-sandbox up``: every argument is handed over unchanged."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from returns_sandbox import cli as sandbox_cli
from returns_sync.cli.app import app


def test_help_is_the_sandbox_commands_own(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        sandbox_cli.main(["up", "--help"], prog="returns-sync sandbox")
    expected = capsys.readouterr().out
    result = CliRunner().invoke(app, ["sandbox", "up", "--help"])
    assert result.exit_code == 0
    assert result.output == expected
    for flag in ("--host", "--port-base", "--seed", "--returns", "--seed-number", "--data-dir", "--info-file", "--fault"):
        assert flag in result.output


def test_arguments_reach_the_sandbox_command_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(sandbox_cli, "main", lambda argv, prog: calls.append((argv, prog)) or 0)
    arguments = [
        "--seed",
        "demo",
        "--port-base",
        "8790",
        "--info-file",
        "/tmp/x.json",
        "--fault",
        "netsuite.p_503=0.05",
        "--returns",
        "40",
    ]
    result = CliRunner().invoke(app, ["sandbox", "up", *arguments])
    assert result.exit_code == 0, result.output
    assert calls == [(["up", *arguments], "returns-sync sandbox")]


def test_a_refused_argument_exits_2_like_the_sandbox_command() -> None:
    result = CliRunner().invoke(app, ["sandbox", "up", "--seed", "other"])
    assert result.exit_code == 2
