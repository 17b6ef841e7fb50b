"""The product's process of the memory run: ``run_all`` for every store, once per pass the bench asks for.

``python -m returns_bench.memory_worker INFO.json [--trace] STORE…``. It reads one command per line on stdin
(``run PHASE``), runs ``run_all`` for each store at once (a thread per store, as the main scenario does),
and answers with one line starting ``MEMORY-RUN `` followed by JSON: the runs' states, this process's RSS
now and its peak RSS so far, and the most Python blocks and threads alive at once during the pass. End of input ends the process. The ledger and the Prefect API come from the
environment. It is one long-lived process for every pass, so whatever the product keeps from one run to
the next counts, as it would in ``returns-sync serve``'s webhook receiver.

The product's own Loop pacing (a little under 300 requests a minute per key) is lifted here, as the
emulators' limits are: it only makes requests wait. ``--trace`` follows the run with tracemalloc and
answers, per pass, where the memory was allocated at the highest point it saw (sampled every second):
slower, and only to find what grows with N.
"""

from __future__ import annotations

import faulthandler
import gc
import json
import os
import re
import sys
import tempfile
import threading
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext as _no_tracer
from pathlib import Path
from typing import IO, Any

from returns_bench.rss import peak_rss_mb, rss_now_mb

__all__ = ["ANSWER_PREFIX", "main"]

ANSWER_PREFIX = "MEMORY-RUN "


def _answer(payload: dict[str, Any]) -> None:
    sys.stdout.write(ANSWER_PREFIX + json.dumps(payload) + "\n")
    sys.stdout.flush()


class _PassSampler:
    """Cheap enough for every pass: four times a second, the most Python memory blocks alive at once
    (``sys.getallocatedblocks``), the most threads, and at the highest RSS seen, what each thread was running
    (its innermost frame in the product). Blocks tell live objects from memory the allocator kept: when RSS
    grows with N and the blocks do not, the growth is not the product's objects. What ran at the highest RSS
    names the step of a spike without tracemalloc's cost."""

    def __init__(self) -> None:
        self.blocks_highest = 0
        self.threads_highest = 0
        self.rss_highest = 0.0
        self.running_at_rss_highest: list[str] = []
        self.census_at_blocks_highest: list[tuple[str, int]] = []
        self.events_waiting_highest = 0
        self._census_blocks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="memory-sampler", daemon=True)

    def __enter__(self) -> _PassSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        with tempfile.TemporaryFile(mode="w+") as scratch:  # faulthandler writes to a real file descriptor
            while not self._stop.wait(0.25):
                self.blocks_highest = max(self.blocks_highest, sys.getallocatedblocks())
                if _CENSUS and self.blocks_highest > self._census_blocks * 1.03:
                    self._census_blocks = self.blocks_highest
                    self.census_at_blocks_highest = _census()
                self.threads_highest = max(self.threads_highest, threading.active_count())
                self.events_waiting_highest = max(self.events_waiting_highest, _events_waiting())
                rss = rss_now_mb() or 0.0
                if rss > self.rss_highest:
                    self.rss_highest = rss
                    self.running_at_rss_highest = _product_frames(scratch)

    def answer(self) -> dict[str, Any]:
        return {
            "python_blocks_highest": self.blocks_highest,
            "threads_highest": self.threads_highest,
            "prefect_events_waiting_highest": self.events_waiting_highest,
            "rss_highest_sampled_mb": self.rss_highest,
            "running_at_rss_highest": self.running_at_rss_highest,
            **({"census_at_blocks_highest": self.census_at_blocks_highest} if _CENSUS else {}),
        }


def _events_waiting() -> int:
    """Prefect events emitted and not yet sent. Prefect's events worker keeps a copy of the emitting context for each
    (``EventsWorker._prepare_item``, prefect/events/worker.py, 3.8.8): a task run's parameters and result stay alive
    until its state events are sent, so a backlog here is memory the product holds without referring to it."""
    from prefect.events.worker import EventsWorker

    services: dict[Any, Any] = getattr(EventsWorker, "_instances", {})  # every queue service's, by key
    return sum(len(service._context_cache) for service in list(services.values()) if isinstance(service, EventsWorker))


# RETURNS_BENCH_CENSUS=1: at each new high of live blocks (by 3 % or more), count the objects the garbage collector
# tracks by type. Costs a walk of every object, so only to find which objects grow with N.
_CENSUS = os.environ.get("RETURNS_BENCH_CENSUS") == "1"


def _census(limit: int = 30) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for obj in gc.get_objects():
        kind = type(obj)
        name = f"{kind.__module__}.{kind.__qualname__}"
        counts[name] = counts.get(name, 0) + 1
    return sorted(counts.items(), key=lambda item: -item[1])[:limit]


def _product_frames(scratch: IO[str]) -> list[str]:
    """Each thread's innermost product frames (up to three), as ``file:line fn``, innermost first.

    Read from ``faulthandler``'s dump, which walks the threads without allocating: ``sys._current_frames()``
    builds a dict while it holds the interpreter's thread list, and a garbage collection set off by that
    allocation deadlocked the whole worker (CPython 3.11, seen in a 8,000-return run).
    """
    scratch.seek(0)
    scratch.truncate()
    faulthandler.dump_traceback(scratch, all_threads=True)
    scratch.seek(0)
    running: list[str] = []
    for block in scratch.read().split("\n\n"):
        stack = [
            f"{match['file'].split('/returns_sync/')[-1]}:{match['line']} {match['fn']}"
            for match in _FRAME_LINE.finditer(block)
            if "/returns_sync/" in match["file"]
        ][:3]
        if stack:
            running.append(" <- ".join(stack))
    return sorted(running)


_FRAME_LINE = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<fn>\S+)')


class _PeakTracer:
    """Samples tracemalloc every second; at the highest sample, keeps where the memory was allocated: the product's
    own line that led to it (the innermost ``returns_sync`` frame), or the allocating line when none did."""

    # Frames kept per allocation: 20 finds the product's own line under most library calls, and is slow.
    FRAMES = int(os.environ.get("RETURNS_BENCH_TRACE_FRAMES", "20"))

    def __init__(self) -> None:
        self.highest = 0
        self._snapshot: tracemalloc.Snapshot | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="memory-tracer", daemon=True)

    def __enter__(self) -> _PeakTracer:
        tracemalloc.start(self.FRAMES)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        tracemalloc.stop()

    def _sample(self) -> None:
        while not self._stop.wait(1.0):
            current, _peak = tracemalloc.get_traced_memory()
            if current > self.highest + 2**20:  # a new high by a MB or more; grouping waits for the pass's end
                self.highest = current
                self._snapshot = tracemalloc.take_snapshot()

    def answer(self) -> dict[str, Any]:
        top = _by_product_line(self._snapshot) if self._snapshot else []
        return {"traced_highest_mb": round(self.highest / 2**20, 1), "top_at_highest": top}


def _by_product_line(snapshot: tracemalloc.Snapshot, limit: int = 15) -> list[dict[str, Any]]:
    totals: dict[str, int] = {}
    for stat in snapshot.statistics("traceback"):
        frames = list(reversed(stat.traceback))  # most recent call first (a traceback lists the oldest first)
        ours = next((f for f in frames if "/returns_sync/" in f.filename), frames[0])
        where = f"{ours.filename.split('/src/')[-1]}:{ours.lineno}"
        totals[where] = totals.get(where, 0) + stat.size
    top = sorted(totals.items(), key=lambda item: -item[1])[:limit]
    return [{"where": where, "mb": round(size / 2**20, 2)} for where, size in top]


def _lift_loop_pacing() -> None:
    from returns_sync.connectors import loop

    loop.shared_limiter = lambda *args, **kwargs: None  # type: ignore[attr-defined,assignment]  # bench only


def _run_store(store: str) -> str:
    from prefect.states import State

    from returns_sync.flows.run_all import run_all

    state = run_all(store, return_state=True)
    assert isinstance(state, State)  # return_state=True; Prefect's overloads type it as the flow's value
    return state.type.value


def main(argv: list[str]) -> int:
    info_path, *stores = argv
    trace = "--trace" in stores
    stores = [store for store in stores if store != "--trace"]
    from returns_sync.blocks.connection_info import store_settings_from_connection_info
    from returns_sync.flows.run_all import run_all  # noqa: F401  (imported before "ready": the imports are not a pass's)
    from returns_sync.tasks.runtime import use_store_settings

    _lift_loop_pacing()
    if trace:  # the first pass would import Great Expectations: here, so the tracer follows the runs' data, not a module
        import great_expectations  # noqa: F401
    info = json.loads(Path(info_path).read_text())
    for store in stores:
        use_store_settings(store_settings_from_connection_info(info, store))
    _answer({"ready": True, "rss_mb": rss_now_mb(), "peak_rss_mb": peak_rss_mb()})
    for line in sys.stdin:
        command, _, phase = line.strip().partition(" ")
        if command != "run":
            raise SystemExit(f"unknown command {line!r}")
        tracer = _PeakTracer() if trace else None
        with (
            _PassSampler() as sampler,
            tracer or _no_tracer(),
            ThreadPoolExecutor(max_workers=len(stores), thread_name_prefix="memory-store") as pool,
        ):
            states = dict(zip(stores, pool.map(_run_store, stores), strict=True))
        traced = tracer.answer() if tracer else {}
        measured = {"rss_mb": rss_now_mb(), "peak_rss_mb": peak_rss_mb(), **sampler.answer()}
        _answer({"phase": phase, "states": states, **measured, **traced})
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
