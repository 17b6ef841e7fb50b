"""Run ASGI apps on real localhost sockets in a background thread (tests, the demo, ``sandbox up``)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn

__all__ = ["RunningServer", "bound_socket", "free_port", "serve_in_thread"]


def free_port(host: str = "127.0.0.1") -> int:
    """A port free at this moment; another process may take it before it is bound again (prefer ``bound_socket``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def bound_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening-ready socket bound to ``host:port`` (0 picks a free port) and held until the server closes it.

    Binding here, before the server starts, leaves no gap in which a parallel test process can take the port.

    Raises:
        OSError: the port is taken.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


@dataclass
class RunningServer:
    """Servers started by ``serve_in_thread``; ``urls`` maps each app's name to its base URL."""

    urls: dict[str, str]
    _servers: list[uvicorn.Server]
    _thread: threading.Thread

    @property
    def url(self) -> str:
        return next(iter(self.urls.values()))

    def stop(self, timeout: float = 10.0) -> None:
        for server in self._servers:
            server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve_in_thread(
    apps: dict[str, Any], *, host: str = "127.0.0.1", ports: dict[str, int] | None = None, log_level: str = "warning"
) -> RunningServer:
    """Start every app in ``apps`` (name -> ASGI app) on ``host``; port 0 or missing picks a free port.

    All servers share one event loop in one daemon thread; returns once every socket accepts connections.
    """
    ports = dict(ports or {})
    servers: list[uvicorn.Server] = []
    sockets: list[socket.socket] = []
    urls: dict[str, str] = {}
    try:
        for name in apps:
            sockets.append(bound_socket(host, ports.get(name) or 0))
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    for (name, app), sock in zip(apps.items(), sockets, strict=True):
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            app, host=host, port=port, log_level=log_level, lifespan="off", access_log=False, timeout_graceful_shutdown=1
        )
        servers.append(uvicorn.Server(config))
        urls[name] = f"http://{host}:{port}"

    failure: list[BaseException] = []

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(
                asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in zip(servers, sockets, strict=True)))
            )
        except BaseException as exc:  # surfaced to the caller below
            failure.append(exc)
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="sandbox-servers", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not all(server.started for server in servers):
        if failure or not thread.is_alive():
            raise RuntimeError(f"sandbox server failed to start: {failure[0] if failure else 'thread exited'}")
        if time.monotonic() > deadline:
            raise RuntimeError("sandbox server did not start within 15 s")
        time.sleep(0.01)
    return RunningServer(urls=urls, _servers=servers, _thread=thread)
