"""The machine-wide Loop budget: limiters of one file in different processes share one sliding window."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from returns_sync.connectors.machine_budget import MachineWindowLimiter, budget_file
from returns_sync.connectors.ratelimit import SlidingWindowLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_two_limiters_of_one_file_share_the_window(tmp_path: Path) -> None:
    fake = FakeTime()
    path = tmp_path / "budget.txt"
    first = MachineWindowLimiter(path, 3, 60.0, clock=fake.clock, sleep=fake.sleep)
    second = MachineWindowLimiter(path, 3, 60.0, clock=fake.clock, sleep=fake.sleep)
    for _ in range(3):
        first.acquire()
    fake.now += 10
    second.acquire()  # the window is full of the first's sends: wait until the oldest is a minute old
    assert fake.slept == [pytest.approx(50.0)]
    assert second.waited == pytest.approx(50.0)


def test_per_process_limiters_do_not_share_which_is_why_this_exists() -> None:
    fake = FakeTime()
    first, second = (SlidingWindowLimiter(3, 60.0, clock=fake.clock, sleep=fake.sleep) for _ in range(2))
    for _ in range(3):
        first.acquire()
        second.acquire()
    assert fake.slept == []  # six sends in a window of three


def test_garbage_future_and_non_finite_lines_are_dropped(tmp_path: Path) -> None:
    fake = FakeTime()
    path = tmp_path / "budget.txt"
    path.write_text(f"{fake.now - 1:.6f}\n1000000.12x\ninf\nnan\n{fake.now + 3600:.6f}\n")
    limiter = MachineWindowLimiter(path, 2, 60.0, clock=fake.clock, sleep=fake.sleep)
    limiter.acquire()  # only the send one second ago counts
    assert fake.slept == []
    assert len(path.read_text().split()) == 2


def test_the_file_is_named_by_a_hash_of_the_key(tmp_path: Path) -> None:
    path = budget_file(tmp_path, "loop-secret-key", 280)
    assert "loop-secret-key" not in path.name and path.name.endswith("-280.txt")
    assert budget_file(tmp_path, "another-key", 280) != path


def _send(path: str, count: int, queue: multiprocessing.Queue[float]) -> None:
    limiter = MachineWindowLimiter(Path(path), 8, 1.0)
    for _ in range(count):
        limiter.acquire()
        assert limiter.last_sent is not None
        queue.put(limiter.last_sent)


def test_processes_together_stay_within_the_budget(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[float] = context.Queue()
    path = str(tmp_path / "budget.txt")
    workers = [context.Process(target=_send, args=(path, 8, queue)) for _ in range(3)]
    for worker in workers:
        worker.start()
    sends = sorted(queue.get(timeout=60) for _ in range(24))
    for worker in workers:
        worker.join(timeout=30)
    # 24 sends at 8 a second, as the file recorded them: no second holds more than 8, so they span two seconds.
    assert max(sum(1 for other in sends if start <= other < start + 1.0) for start in sends) <= 8
    assert sends[-1] - sends[0] >= 2.0


def test_loop_clients_of_one_key_share_the_machine_budget_when_a_directory_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from returns_sync.connectors.loop import LoopClient
    from returns_sync.connectors.ratelimit import REQUEST_BUDGET_DIR_ENV, REQUEST_BUDGETS

    REQUEST_BUDGETS.reset()
    monkeypatch.setenv(REQUEST_BUDGET_DIR_ENV, str(tmp_path))
    try:
        with LoopClient.from_credentials(base_url="https://loop.invalid", api_key="key-one") as client:
            limiter = client._limiter
        assert isinstance(limiter, MachineWindowLimiter)
        assert limiter.path == budget_file(tmp_path, "key-one", 280)
        monkeypatch.delenv(REQUEST_BUDGET_DIR_ENV)
        with LoopClient.from_credentials(base_url="https://loop.invalid", api_key="key-one") as client:
            assert isinstance(client._limiter, SlidingWindowLimiter)  # unset: per process, as before
    finally:
        REQUEST_BUDGETS.reset()
