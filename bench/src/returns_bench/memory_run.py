"""The memory run: the product's peak RSS at several N, with the emulators in another process.

The main scenario holds the sandbox in the product's process, so its peak RSS mixes what the product
holds with every record the emulators store (bench/README, "The zero-latency memory run"). Here the
bench's process holds the sandbox and the product runs in a process of its own
(``returns_bench.memory_worker``): one long-lived process for every pass of the lifecycle, so whatever
the product keeps from one run to the next counts. Its peak RSS is the figure issue 12 bounds.

No latency is injected, and the APIs' rate limits are lifted (the emulators' and the product's own Loop
pacing): memory does not depend on how long a
request takes, and at Loop's 300 requests a minute per key 20,000 returns would take hours of waiting.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from returns_bench.harness import REPO_ROOT
from returns_bench.memory_worker import ANSWER_PREFIX
from returns_bench.rss import rss_now_mb
from returns_bench.scenarios import _verify, bench_process

__all__ = ["MEMORY_GOAL_MB", "memory_report", "memory_row"]

MEMORY_GOAL_MB = 50.0  # issue 12: peak RSS grows at most this much from the smallest N to the largest
_MAX_PASSES = 4
_NO_RATE_LIMIT = 10**9  # requests a minute: the emulators' per-key limits never bite


class _Worker:
    """The product's process: send it ``run PHASE``, read its ``MEMORY-RUN`` answer."""

    def __init__(self, info_path: Path, stores: list[str], log: IO[bytes], *, trace: bool) -> None:
        from prefect.settings import get_current_settings

        env = {**os.environ, "PREFECT_API_URL": str(get_current_settings().api.url or "")}
        self._log_path = Path(log.name)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "returns_bench.memory_worker", str(info_path), *(["--trace"] if trace else []), *stores],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )

    def answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(ANSWER_PREFIX):
                answer: dict[str, Any] = json.loads(line[len(ANSWER_PREFIX) :])
                return answer
        tail = "\n".join(self._log_path.read_text(errors="replace").splitlines()[-30:])
        raise RuntimeError(f"the memory run's product process ended with {self.process.wait()}:\n{tail}")

    def run(self, phase: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(f"run {phase}\n")
        self.process.stdin.flush()
        return self.answer()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _runs_counted() -> dict[str, int]:
    """Flow and task runs the Prefect server holds (its REST API's count routes; the client has no task-run count)."""
    import httpx
    from prefect.settings import get_current_settings

    api = str(get_current_settings().api.url).rstrip("/")
    return {kind: int(httpx.post(f"{api}/{kind}/count", json={}, timeout=30).json()) for kind in ("flow_runs", "task_runs")}


def memory_row(returns: int, *, seed: int = 7, trace: bool = False, log_dir: Path | None = None) -> dict[str, Any]:
    """Seed ``returns`` returns, run the lifecycle to rest in the product's own process, report its memory."""
    from returns_sandbox.hub import APIS, Sandbox

    with bench_process("returns-sync-memory-") as (workdir, _harness_s):
        started = time.perf_counter()
        sandbox = Sandbox(faults={api: {"rate_limit_per_minute": _NO_RATE_LIMIT} for api in APIS})
        world = sandbox.seed_demo(seed=seed, returns=returns)
        sandbox.start()
        seeding_s = time.perf_counter() - started
        stores = [store.key for store in world.stores]
        info_path = workdir / "connection-info.json"
        info_path.write_text(json.dumps(sandbox.connection_info()))
        log_path = (log_dir or workdir) / f"memory-run-n{returns}.log"
        with log_path.open("wb") as log:
            worker = _Worker(info_path, stores, log, trace=trace)
            try:
                ready = worker.answer()
                passes = []
                lifecycle_started = time.perf_counter()
                for number in range(1, _MAX_PASSES + 1):
                    pass_started = time.perf_counter()
                    answer = worker.run(f"pass-{number}")
                    events = sandbox.advance()
                    passes.append(answer | {"seconds": round(time.perf_counter() - pass_started, 1), "events_after": events})
                    if not events:
                        break
                lifecycle_s = time.perf_counter() - lifecycle_started
            finally:
                worker.close()
        try:
            counted = _runs_counted()
            verification = _verify(sandbox, world, tuple(stores))
            sandbox_rss = rss_now_mb()
        finally:
            sandbox.close()
    peak = max(p["peak_rss_mb"] for p in passes)
    cycles = len(stores) * len(passes)
    return {
        "returns": returns,
        "stores": stores,
        "seeding_s": round(seeding_s, 1),
        "lifecycle_s": round(lifecycle_s, 1),
        "passes": passes,
        "rss_ready_mb": ready["rss_mb"],
        "peak_rss_mb": peak,
        "peak_over_ready_mb": round(peak - ready["rss_mb"], 1),
        "rss_after_last_pass_mb": passes[-1]["rss_mb"],
        # Live objects, not the allocator's keep: the most Python blocks alive at once in any pass.
        "python_blocks_highest": max(p["python_blocks_highest"] for p in passes),
        "threads_highest": max(p["threads_highest"] for p in passes),
        "bench_process_rss_mb": sandbox_rss,
        **counted,
        "task_runs_per_store_cycle": round(counted["task_runs"] / cycles, 1),
        "all_runs_completed": all(state == "COMPLETED" for p in passes for state in p["states"].values()),
        "verification": verification,
    }


def memory_report(
    sizes: tuple[int, ...],
    *,
    seed: int = 7,
    trace: bool = False,
    say: Callable[[str], None] = lambda line: None,
    log_dir: Path | None = None,
) -> dict[str, Any]:
    """One memory row per N (smallest first) and the growth of the product's peak RSS from the smallest to the largest."""
    rows = []
    for returns in sorted(sizes):
        say(f"memory run, N={returns}")
        rows.append(memory_row(returns, seed=seed, trace=trace, log_dir=log_dir))
    growth = round(rows[-1]["peak_rss_mb"] - rows[0]["peak_rss_mb"], 1) if len(rows) > 1 else None
    return {
        "conditions": "the product in a process of its own; no injected latency; the emulators' rate limits lifted",
        "rows": rows,
        "peak_rss_growth_mb": growth,
        "goal_mb": MEMORY_GOAL_MB,
        "goal_met": growth is not None and growth <= MEMORY_GOAL_MB,
    }
