"""``serve_in_thread`` binds its sockets before it starts the servers, so no other process can take a port in between."""

from __future__ import annotations

import socket

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from returns_sandbox.server import bound_socket, serve_in_thread


def _app(text: str) -> Starlette:
    return Starlette(routes=[Route("/", lambda _request: PlainTextResponse(text))])


def test_picked_ports_are_served_and_released_on_stop():
    with serve_in_thread({"a": _app("a"), "b": _app("b")}) as server:
        assert httpx.get(server.urls["a"]).text == "a"
        assert httpx.get(server.urls["b"]).text == "b"
        assert server.urls["a"] != server.urls["b"]
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.urls["a"], timeout=2)


def test_a_taken_port_fails_in_the_caller_and_holds_nothing_else():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        free = bound_socket()
        free_port = free.getsockname()[1]
        free.close()
        with pytest.raises(OSError):
            serve_in_thread({"first": _app("x"), "taken": _app("y")}, ports={"first": free_port, "taken": port})
    # The first socket was closed when the second failed: its port can be served again.
    with serve_in_thread({"again": _app("z")}, ports={"again": free_port}) as server:
        assert httpx.get(server.url).text == "z"


def test_a_bound_socket_holds_its_port_until_closed():
    sock = bound_socket()
    port = sock.getsockname()[1]
    try:
        with socket.socket() as other, pytest.raises(OSError):
            other.bind(("127.0.0.1", port))
    finally:
        sock.close()
