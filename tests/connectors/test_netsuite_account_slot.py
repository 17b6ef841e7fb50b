"""The NetSuite client's account slot: held around each request in flight, never while waiting to retry."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from returns_sync.connectors.netsuite import NetSuiteClient
from returns_sync.connectors.retry import RetryPolicy

BASE = "https://1234567-sb1.suitetalk.api.netsuite.com"


class CountingSlot:
    """A stand-in for a limit shared across processes: a semaphore that records entries and its peak holders."""

    def __init__(self, limit: int) -> None:
        self._semaphore = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self.entered = 0
        self.holding = 0
        self.peak = 0

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._semaphore:
            with self._lock:
                self.entered += 1
                self.holding += 1
                self.peak = max(self.peak, self.holding)
            try:
                yield
            finally:
                with self._lock:
                    self.holding -= 1


def _client(handler: Any, slot: CountingSlot | None, *, max_concurrency: int = 4, **retry: Any) -> NetSuiteClient:
    http = httpx.Client(base_url=BASE, transport=httpx.MockTransport(handler))
    return NetSuiteClient(http, max_concurrency=max_concurrency, retry=RetryPolicy(**retry), account_slot=slot)


def test_each_attempt_holds_the_slot_only_while_in_flight() -> None:
    slot = CountingSlot(1)
    held_at_request: list[int] = []
    held_while_waiting: list[int] = []
    answers = [httpx.Response(503, json={"title": "Service Unavailable"}), httpx.Response(200, json={"id": "7"})]

    def handler(request: httpx.Request) -> httpx.Response:
        held_at_request.append(slot.holding)
        return answers.pop(0)

    client = _client(handler, slot, sleep=lambda seconds: held_while_waiting.append(slot.holding))
    assert client.get_record("returnAuthorization", 7) == {"id": "7"}
    assert held_at_request == [1, 1]  # both attempts held it
    assert held_while_waiting == [0]  # the backoff between them did not
    assert slot.entered == 2
    assert slot.holding == 0


def test_two_clients_with_their_own_process_caps_share_the_account_slot() -> None:
    """Two processes' clients (4 requests each) under one shared limit of 2: never more than 2 in flight."""
    slot = CountingSlot(2)
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.01)
        with lock:
            in_flight -= 1
        return httpx.Response(200, json={"id": "1"})

    clients = [_client(handler, slot, max_concurrency=4), _client(handler, slot, max_concurrency=4)]
    threads = [
        threading.Thread(target=lambda c=client: [c.get_record("customer", n) for n in range(5)])
        for client in clients
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert slot.entered == 40
    assert peak == 2  # the shared limit, reached and not passed; each client alone would allow 4


def test_without_an_account_slot_only_the_process_cap_applies() -> None:
    in_flight = 0
    peak = 0
    lock = threading.Lock()
    barrier = threading.Barrier(3, timeout=5)

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        barrier.wait()  # three requests in flight at once, or this test fails on the timeout
        with lock:
            in_flight -= 1
        return httpx.Response(200, json={"id": "1"})

    client = _client(handler, None, max_concurrency=3)
    threads = [threading.Thread(target=client.get_record, args=("customer", n)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 3


def test_from_credentials_passes_the_account_slot_on() -> None:
    slot = CountingSlot(1)
    client = NetSuiteClient.from_credentials(
        base_url="http://127.0.0.1:9/",
        account_id="1234567_SB1",
        consumer_key="ck",
        consumer_secret="cs",
        token_id="ti",
        token_secret="ts",
        account_slot=slot,
        retry=RetryPolicy(max_attempts=1),
    )
    with client:
        try:
            client.get_record("customer", 1)
        except Exception:
            pass  # nothing listens on port 9: the request fails, but it took the slot first
    assert slot.entered == 1
    assert slot.holding == 0
