"""Sync processes of a chaos run: start them, SIGKILL them at random moments, restart them until they finish.

A pass is ``workers`` processes racing through ``run_all`` for every store. A process killed by us
is started again at once (a scheduler would start the next run); one that ends with a failed run
is started again too, up to ``max_attempts`` per worker. Webhook-triggered runs are started apart,
never killed, and run while the receiver's trigger call waits for them.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PassOutcome", "Supervisor"]

_POLL_SECONDS = 0.2


@dataclass
class PassOutcome:
    """What happened to the processes of one pass."""

    seconds: float = 0.0
    completed: int = 0
    kills: int = 0
    failed_runs: int = 0
    gave_up: int = 0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "seconds": round(self.seconds, 1),
            "completed": self.completed,
            "kills": self.kills,
            "failed_runs": self.failed_runs,
            "gave_up": self.gave_up,
        }


@dataclass
class _Slot:
    """One racing worker of a pass: its current process, kill moments still to come, attempts so far."""

    kill_after: list[float]
    process: subprocess.Popen[bytes] | None = None
    ready: Path | None = None
    ready_at: float | None = None
    attempts: int = 0
    done: bool = False


@dataclass
class Supervisor:
    """Starts ``returns_bench.chaos.worker`` processes in ``workdir`` with ``env`` (ledger URL, Prefect API)."""

    info_path: Path
    workdir: Path
    env: dict[str, str]
    rng: random.Random
    netsuite_timeout: float | None = None
    counts: Counter[str] = field(default_factory=Counter)
    _serial: int = 0
    _started: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _start(
        self, label: str, *, stores: list[str] | None = None, return_ids: list[str] | None = None
    ) -> tuple[subprocess.Popen[bytes], Path]:
        with self._lock:
            self._serial += 1
            serial = self._serial
        ready = self.workdir / f"ready-{serial}"
        command = [sys.executable, "-m", "returns_bench.chaos.worker", str(self.info_path), str(ready)]
        for store in stores or []:
            command += ["--store", store]
        for return_id in return_ids or []:
            command += ["--return-id", return_id]
        if self.netsuite_timeout is not None:
            command += ["--netsuite-timeout", str(self.netsuite_timeout)]
        log = (self.workdir / f"worker-{serial}-{label}.log").open("wb")
        process = subprocess.Popen(command, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT)
        log.close()  # the child holds its own descriptor
        with self._lock:
            self._started.append(process)
        return process, ready

    def run_pass(self, *, workers: int, kills: int, expected_seconds: float, max_attempts: int) -> PassOutcome:
        """One pass: ``workers`` racing processes, ``kills`` of them SIGKILLed at random moments of ``expected_seconds``."""
        started = time.monotonic()
        slots = [_Slot(kill_after=[]) for _ in range(workers)]
        for _ in range(kills):
            # Somewhere in the sync work of the pass, as the clean run timed it (imports excluded).
            self.rng.choice(slots).kill_after.append(self.rng.uniform(0.2, max(expected_seconds, 1.0) * 0.9))
        for slot in slots:
            slot.kill_after.sort(reverse=True)  # popped from the end: the earliest first
        outcome = PassOutcome()
        while not all(slot.done for slot in slots):
            for index, slot in enumerate(slots):
                self._tend(index, slot, outcome, max_attempts)
            time.sleep(_POLL_SECONDS)
        outcome.seconds = time.monotonic() - started
        self.counts.update(kills=outcome.kills, failed_runs=outcome.failed_runs, gave_up=outcome.gave_up)
        return outcome

    def _tend(self, index: int, slot: _Slot, outcome: PassOutcome, max_attempts: int) -> None:
        if slot.done:
            return
        if slot.process is None:
            slot.attempts += 1
            slot.process, slot.ready = self._start(f"pass-w{index}-a{slot.attempts}")
            slot.ready_at = None
            return
        code = slot.process.poll()
        if code is None:
            if slot.ready_at is None and slot.ready is not None and slot.ready.exists():
                slot.ready_at = time.monotonic()
            if slot.ready_at is not None and slot.kill_after and time.monotonic() - slot.ready_at >= slot.kill_after[-1]:
                slot.kill_after.pop()
                slot.process.send_signal(signal.SIGKILL)
                slot.process.wait()
                outcome.kills += 1
                slot.process = None  # restarted on the next round, as a scheduler would start the next run
            return
        slot.process = None
        if code == 0:
            slot.done = True
            outcome.completed += 1
            return
        outcome.failed_runs += 1
        if slot.attempts >= max_attempts:
            slot.done = True
            outcome.gave_up += 1

    def start_triggered(self, store: str, return_ids: list[str]) -> None:
        """A run for just these returns, as the webhook receiver asks for; not killed. Returns when it ends.

        Blocking keeps as many of these running as the receiver has trigger threads, as a work pool's
        concurrency limit would: a burst of webhooks must not start a process per delivery window.
        """
        process, _ = self._start(f"webhook-{store}", stores=[store], return_ids=return_ids)
        with self._lock:
            self.counts["webhook_runs"] += 1
        if process.wait() != 0:
            with self._lock:
                self.counts["webhook_runs_failed"] += 1

    def stop_all(self) -> None:
        """Kill every worker still running (the run was interrupted); none outlives the chaos command."""
        with self._lock:
            running = [process for process in self._started if process.poll() is None]
        for process in running:
            process.kill()
            process.wait()
