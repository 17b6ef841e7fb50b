"""``returns-sandbox up``: its flags, and one real start that prints and writes the connection info, then stops on SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from returns_sandbox.cli import build_parser, main, parse_fault_options
from returns_sandbox.server import free_port


def _free_port_base() -> int:
    """A port P with P, P+1 and P+2 all free right now (`up` serves on the three); the machine is shared."""
    for _ in range(50):
        base = free_port()
        try:
            for port in (base + 1, base + 2):
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no three consecutive free ports")


class TestFaultOptions:
    def test_knobs_group_by_api(self) -> None:
        assert parse_fault_options(["netsuite.p_503=0.05", "loop.latency_ms=40", "netsuite.seed=3"]) == {
            "netsuite": {"p_503": "0.05", "seed": "3"},
            "loop": {"latency_ms": "40"},
        }

    @pytest.mark.parametrize("value", ["p_503=0.05", "netsuite.p_503", "stripe.p_503=1", "netsuite.=1"])
    def test_malformed_knob_is_refused(self, value: str, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as exit_info:
            main(["up", "--fault", value])
        assert exit_info.value.code == 2
        assert f"argument --fault: expected API.NAME=VALUE, got {value!r}" in capsys.readouterr().err

    @pytest.mark.parametrize(
        ("value", "message"), [("loop.p_429=2", "p_429 must be between 0 and 1"), ("loop.nope=1", "unknown fault setting 'nope'")]
    )
    def test_unknown_or_out_of_range_knob_is_refused_before_anything_starts(
        self, value: str, message: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        with pytest.raises(SystemExit):
            main(["up", "--fault", value])
        assert message in capsys.readouterr().err


def test_flags_and_defaults() -> None:
    args = build_parser().parse_args(["up"])
    assert (args.host, args.port_base, args.seed, args.returns, args.seed_number, args.data_dir, args.info_file, args.fault) == (
        "127.0.0.1",
        8700,
        None,
        300,
        7,
        None,
        None,
        [],
    )
    assert args.netsuite_suitetax is False
    assert build_parser().parse_args(["up", "--netsuite-suitetax"]).netsuite_suitetax is True


def test_only_the_demo_seed_exists(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["up", "--seed", "other"])
    assert "invalid choice: 'other'" in capsys.readouterr().err


def test_up_serves_prints_writes_the_info_file_and_stops_on_sigterm(tmp_path: Path) -> None:
    port_base, info_file = _free_port_base(), tmp_path / "info" / "sandbox.json"
    command = [
        sys.executable,
        "-m",
        "returns_sandbox.cli",
        "up",
        "--seed",
        "demo",
        "--returns",
        "30",
        "--port-base",
        str(port_base),
        "--info-file",
        str(info_file),
        "--fault",
        "loop.latency_ms=1",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 120
        while not any(line.startswith("Sandbox up:") for line in lines):
            assert time.monotonic() < deadline and process.poll() is None, "".join(lines)
            lines.append(process.stdout.readline())
        info = json.loads(info_file.read_text())
        assert info["loop"]["base_url"] == f"http://127.0.0.1:{port_base}"
        assert info["netsuite"]["base_url"] == f"http://127.0.0.1:{port_base + 1}"
        assert info["shopify"]["base_url"] == f"http://127.0.0.1:{port_base + 2}"
        assert json.loads("".join(lines[:-1])) == info  # the printed JSON is the file's
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert "stopping" in output
