"""The receiver's 1 MiB limit on a real uvicorn server in its own process: large uploads never reach memory.

The issue this guards: four unauthenticated 500 MB uploads took the process (which under
``serve --webhooks`` also runs every schedule) to 3.1 GB, because the whole body was read first.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from returns_sync.service.webhooks import MAX_BODY_BYTES

HERE = Path(__file__).resolve().parent
UPLOAD_BYTES = 256 * 1024 * 1024  # what an attacker offers; the receiver must stop long before
CHUNK = b"x" * (1024 * 1024)
MEMORY_BUDGET = 64 * 1024 * 1024  # growth allowed in the receiver process: far below one upload


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def peak_rss(pid: int) -> int:
    """The process's high-water resident memory (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


@pytest.fixture
def receiver(tmp_path) -> Iterator[tuple[int, int]]:
    """(port, pid) of a receiver serving store ``north`` on uvicorn in a child process."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(HERE / "receiver_process.py"), str(port), f"sqlite:///{tmp_path / 'ledger.db'}"],
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == "ready", line + (process.stdout.read() if process.poll() is not None else "")
        yield port, process.pid
    finally:
        process.kill()
        process.wait(timeout=30)


def read_status(sock: socket.socket) -> int:
    """The status code of the response on ``sock`` (reads until the status line is complete)."""
    data = b""
    while b"\r\n" not in data:
        more = sock.recv(4096)
        if not more:
            break
        data += more
    assert data.startswith(b"HTTP/1.1 "), data[:80]
    return int(data.split(b" ", 2)[1])


def upload(port: int, headers: list[str], *, chunked: bool) -> tuple[int, int]:
    """Send a request with a body of up to ``UPLOAD_BYTES``; returns (status, body bytes the server let us send)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        head = ["POST /webhooks/loop/north HTTP/1.1", "Host: receiver.test", "Content-Type: application/json", *headers]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        try:
            while sent < UPLOAD_BYTES:
                frame = b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK) if chunked else CHUNK
                sock.sendall(frame)
                sent += len(CHUNK)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: what we want
        return read_status(sock), sent


class TestOnARealServer:
    def test_a_chunked_upload_without_content_length_is_cut_off_at_the_limit(self, receiver):
        port, pid = receiver
        before = peak_rss(pid)
        started = time.monotonic()
        status, sent = upload(port, ["Transfer-Encoding: chunked"], chunked=True)
        assert status == 413
        assert sent < UPLOAD_BYTES  # the server stopped reading; the rest was never accepted
        assert peak_rss(pid) - before < MEMORY_BUDGET
        assert time.monotonic() - started < 20

    def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(self, receiver):
        port, pid = receiver
        before = peak_rss(pid)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            head = [
                "POST /webhooks/loop/north HTTP/1.1",
                "Host: receiver.test",
                "Content-Type: application/json",
                f"Content-Length: {500 * 1024 * 1024}",
            ]
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            assert read_status(sock) == 413  # answered without a byte of the body
        assert peak_rss(pid) - before < MEMORY_BUDGET

    def test_four_large_uploads_at_once_leave_memory_flat(self, receiver):
        from concurrent.futures import ThreadPoolExecutor

        port, pid = receiver
        before = peak_rss(pid)
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda _: upload(port, ["Transfer-Encoding: chunked"], chunked=True), range(4)))
        assert [status for status, _ in results] == [413] * 4
        assert peak_rss(pid) - before < MEMORY_BUDGET

    def test_a_body_within_the_limit_still_gets_through(self, receiver):
        port, _ = receiver
        body = b'{"topic":"label","trigger":"label.created","id":1}'
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            head = [
                "POST /webhooks/loop/north HTTP/1.1",
                "Host: receiver.test",
                f"Content-Length: {len(body)}",
            ]
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            assert read_status(sock) == 401  # read in full, then refused for its missing signature
        assert len(body) < MAX_BODY_BYTES
