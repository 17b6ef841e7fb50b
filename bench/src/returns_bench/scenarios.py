"""One bench scenario: seed the sandbox, run the whole lifecycle with every probe installed, then the idle runs.

A scenario runs in the current process (``run_scenario``) or in a fresh one (``python -m
returns_bench.scenarios SPEC.json OUT.json``, used by the harness so each N gets its own Prefect server,
ledger and peak RSS). Prefect and the product are imported inside the functions, after the
environment is set.
"""

from __future__ import annotations

import contextvars
import json
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from returns_bench.metrics import APIS, REFERENCE_LIMITS, ApiLatency, ApiLimit
from returns_bench.rss import peak_rss_mb, rss_now_mb

__all__ = ["BENCH_ENV", "ScenarioSpec", "main", "run_scenario"]

# No analytics, no telemetry; Prefect's home and database live in the scenario's temp dir.
BENCH_ENV = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
_LEDGER_ENV = "RETURNS_SYNC_LEDGER_URL"


@dataclass
class ScenarioSpec:
    """What to run. ``latency`` maps api -> ApiLatency; ``idle`` adds the two nothing-new runs."""

    returns: int = 300
    seed: int = 7
    latency: dict[str, ApiLatency] = field(default_factory=lambda: {api: ApiLatency() for api in APIS})
    netsuite_concurrency: int = 4
    max_passes: int = 4
    idle: bool = True
    verify: bool = True
    trace_memory: bool = False
    stores: tuple[str, ...] | None = None  # None: every store of the demo world
    label: str = "main"
    # Each store's run_all in its own thread, as each store's deployments run on their own in production.
    stores_at_once: bool = True
    # False: the stores share the product's per-process limit of their one NetSuite account (connectors.netsuite
    # account_slots), which in this one process is the whole account's limit. True: every request also takes a slot
    # of the Prefect global concurrency limit netsuite-<account> (NetSuiteCredentials.limit_across_workers), as
    # workers in separate processes must; see bench/README.md for what that costs per request.
    account_limit: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScenarioSpec:
        values = dict(data)
        values["latency"] = {api: ApiLatency(**v) for api, v in values.get("latency", {}).items()}
        if values.get("stores") is not None:
            values["stores"] = tuple(values["stores"])
        return cls(**values)

    def concurrency(self) -> dict[str, int]:
        return {"loop": 1, "netsuite": self.netsuite_concurrency, "shopify": 1}

    def limits(self) -> dict[str, ApiLimit]:
        """What each API allows: NetSuite's concurrency is the stores' setting, never above the account's limit."""
        account = REFERENCE_LIMITS["netsuite"].concurrency or self.netsuite_concurrency
        return REFERENCE_LIMITS | {"netsuite": ApiLimit(concurrency=min(self.netsuite_concurrency, account))}


@contextmanager
def bench_process(prefix: str, *, harness: bool = True) -> Iterator[tuple[Path, float]]:
    """The bench's environment defaults, a temporary directory holding a SQLite ledger (``RETURNS_SYNC_LEDGER_URL``)
    and, unless ``harness`` is False, a Prefect server: ``prefect_test_harness`` (SQLite), or one on PostgreSQL when
    ``RETURNS_BENCH_PREFECT_DATABASE`` names a server; yields the directory and the server's start-up seconds.
    """
    for name, value in BENCH_ENV.items():
        os.environ.setdefault(name, value)
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    previous = os.environ.get(_LEDGER_ENV)
    os.environ[_LEDGER_ENV] = f"sqlite:///{workdir / 'ledger.db'}"
    try:
        with ExitStack() as stack:
            harness_s = 0.0
            if harness:
                from returns_bench.prefect_server import PREFECT_DATABASE_ENV, prefect_server_on_postgres

                started = time.perf_counter()
                if os.environ.get(PREFECT_DATABASE_ENV):  # a server on PostgreSQL (see prefect_server)
                    stack.enter_context(prefect_server_on_postgres(os.environ[PREFECT_DATABASE_ENV], workdir))
                else:
                    from prefect.testing.utilities import prefect_test_harness

                    stack.enter_context(prefect_test_harness(server_startup_timeout=120))
                harness_s = time.perf_counter() - started
            yield workdir, harness_s
    finally:
        if previous is None:
            os.environ.pop(_LEDGER_ENV, None)
        else:
            os.environ[_LEDGER_ENV] = previous
        shutil.rmtree(workdir, ignore_errors=True)


def run_scenario(spec: ScenarioSpec, *, harness: bool = True) -> dict[str, Any]:
    """Run ``spec`` here under ``prefect_test_harness`` (unless ``harness`` is False) with a temp SQLite ledger."""
    with bench_process("returns-sync-bench-", harness=harness) as (_workdir, harness_s):
        result = _run(spec)
        result["timings"]["prefect_harness_start_s"] = round(harness_s, 2)
        return result


def _start_sandbox(spec: ScenarioSpec) -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    from returns_bench.probes import ServerTimer
    from returns_sandbox.hub import Sandbox
    from returns_sandbox.server import serve_in_thread

    sandbox = Sandbox(faults={api: spec.latency[api].fault_settings() for api in APIS})
    world = sandbox.seed_demo(seed=spec.seed, returns=spec.returns)
    injectors = sandbox.apps()
    inner = {}
    for api, injector in injectors.items():
        inner[api] = injector.app = ServerTimer(injector.app)  # the emulator itself, without the injected latency
    outer = {api: ServerTimer(injector) for api, injector in injectors.items()}
    sandbox.server = serve_in_thread(outer, host="127.0.0.1")
    return sandbox, world, injectors, {"inner": inner, "outer": outer}


def _register(sandbox: Any, stores: tuple[str, ...], spec: ScenarioSpec, **overrides: Any) -> None:
    from returns_sync.blocks.connection_info import store_settings_from_connection_info
    from returns_sync.tasks.runtime import use_store_settings

    info = sandbox.connection_info()
    for store in stores:
        settings = store_settings_from_connection_info(
            info, store, max_netsuite_concurrency=spec.netsuite_concurrency, **overrides
        )
        if spec.account_limit:
            shared = settings.netsuite_credentials.model_copy(update={"limit_across_workers": True})
            settings = settings.model_copy(update={"netsuite_credentials": shared})
        use_store_settings(settings)


def _create_account_limits(sandbox: Any, stores: tuple[str, ...], spec: ScenarioSpec) -> None:
    """The global concurrency limit netsuite-<account> the stores share, as `prefect gcl create` makes it."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    from returns_sync.blocks.account_limit import account_limit_name
    from returns_sync.blocks.connection_info import store_settings_from_connection_info

    info = sandbox.connection_info()
    accounts = {store_settings_from_connection_info(info, store).netsuite_credentials.realm for store in stores}
    with get_client(sync_client=True) as client:
        for account in sorted(accounts):
            limit = GlobalConcurrencyLimitCreate(name=account_limit_name(account), limit=spec.limits()["netsuite"].concurrency)
            client.create_global_concurrency_limit(limit)


def _run_one(phase: str, store: str) -> dict[str, Any]:
    from prefect.states import State

    from returns_sync.flows.run_all import run_all

    state = run_all(store, return_state=True)
    assert isinstance(state, State)  # return_state=True; Prefect's overloads type it as the flow's value
    outcome = state.result() if state.is_completed() else {}
    summaries = outcome if isinstance(outcome, dict) else {}  # a completed run_all returns its summaries
    return {
        "phase": phase,
        "store": store,
        "state": state.type.value,
        "message": state.message,
        "counts": {sync: (s or {}).get("counts", {}) for sync, s in summaries.items()},
    }


def _owned_run(phase: str, store: str) -> dict[str, Any]:
    from returns_bench.probes import OWNER

    OWNER.set(store)  # inside the copied context of this store's thread only
    return _run_one(phase, store)


def _run_all(instr: Any, phase: str, stores: tuple[str, ...], results: list[dict[str, Any]], *, at_once: bool) -> None:
    """run_all for every store: one after another, or each in its own thread (its own flow run) at once."""
    instr.phase = phase
    if not at_once:
        results.extend(contextvars.copy_context().run(_owned_run, phase, store) for store in stores)
        return
    with ThreadPoolExecutor(max_workers=len(stores), thread_name_prefix="bench-store") as pool:
        # The probes' submit copies the context per call, so each store's OWNER stays in its own thread.
        futures = [pool.submit(_owned_run, phase, store) for store in stores]
        results.extend(future.result() for future in futures)


def _run(spec: ScenarioSpec) -> dict[str, Any]:
    from returns_bench.probes import Instrumentation
    from returns_bench.scenario_report import scenario_report
    from returns_sync.tasks.runtime import ledger_for, use_store_settings

    timings: dict[str, float] = {}
    started = time.perf_counter()
    sandbox, world, injectors, timers = _start_sandbox(spec)
    timings["seed_and_start_s"] = round(time.perf_counter() - started, 2)
    stores = spec.stores or tuple(s.key for s in world.stores)
    instr = None
    try:
        _register(sandbox, stores, spec)
        if spec.account_limit:
            _create_account_limits(sandbox, stores, spec)
        ledger = ledger_for()
        ports = {urlparse(url).port: api for api, url in sandbox.server.urls.items()}
        instr = Instrumentation(ports, injectors).install(ledger_engine=ledger.engine)
        for injector in injectors.values():
            injector.reset_stats()
        rss_before = rss_now_mb()
        if spec.trace_memory:
            tracemalloc.start()  # counts only what is allocated from here on: the runs themselves
        results: list[dict[str, Any]] = []
        spent: dict[str, float] = {}
        points_before = sandbox.shopify.points_spent()
        passes = []
        for number in range(1, spec.max_passes + 1):
            _run_all(instr, f"pass {number}", stores, results, at_once=spec.stores_at_once)
            advanced = time.perf_counter()
            events = sandbox.advance()
            timings[f"advance_after_pass_{number}_s"] = round(time.perf_counter() - advanced, 2)
            passes.append({"pass": number, "events_after": events})
            if not events:
                break
        lifecycle_phases = {f"pass {p['pass']}" for p in passes}
        spent["lifecycle"] = sandbox.shopify.points_spent() - points_before
        netsuite_stats = injectors["netsuite"].stats.as_dict()
        server = {
            api: {
                "requests": timers["outer"][api].requests,
                "server_s": round(timers["outer"][api].seconds, 3),
                "emulator_s": round(timers["inner"][api].seconds, 3),
                "observed_latency_ms": round(
                    1000 * (timers["outer"][api].seconds - timers["inner"][api].seconds) / timers["outer"][api].requests, 2
                )
                if timers["outer"][api].requests
                else None,
            }
            for api in APIS
        }
        memory: dict[str, Any] = {"rss_before_runs_mb": rss_before}
        if spec.trace_memory:
            current, peak = tracemalloc.get_traced_memory()
            memory |= {
                "tracemalloc_peak_mb": round(peak / 2**20, 1),
                "tracemalloc_after_mb": round(current / 2**20, 1),
                "held_after_by_package_mb": _held_by_package(tracemalloc.take_snapshot()),
            }
            tracemalloc.stop()
        memory["peak_rss_mb"] = peak_rss_mb()
        verification = _verify(sandbox, world, stores) if spec.verify else None
        idle_results: list[dict[str, Any]] = []
        if spec.idle:
            points_before = sandbox.shopify.points_spent()
            _run_all(instr, "idle (overlap)", stores, idle_results, at_once=spec.stores_at_once)
            spent["idle (overlap)"] = sandbox.shopify.points_spent() - points_before
            # A scheduled run long after the last change: the overlap re-reads nothing.
            _register(sandbox, stores, spec, cursor_overlap_minutes=0)
            points_before = sandbox.shopify.points_spent()
            _run_all(instr, "idle (steady)", stores, idle_results, at_once=spec.stores_at_once)
            spent["idle (steady)"] = sandbox.shopify.points_spent() - points_before
        return scenario_report(
            spec,
            instr,
            results,
            idle_results,
            lifecycle_phases,
            passes,
            timings,
            netsuite_stats,
            server,
            memory,
            verification,
            spent,
        )
    finally:
        if tracemalloc.is_tracing():
            tracemalloc.stop()
        if instr is not None:
            instr.close()
        for store in stores:
            use_store_settings(None, store=store)
        sandbox.close()


def _package_of(filename: str) -> str:
    path = filename.replace("\\", "/")
    if "/site-packages/" in path:
        return path.split("/site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    for marker, name in (
        ("/src/returns_sync/", "returns_sync"),
        ("/src/returns_sandbox/", "returns_sandbox"),
        ("/src/returns_bench/", "returns_bench"),
    ):
        if marker in path:
            rest = path.split(marker, 1)[1].split("/")
            return f"{name}.{rest[0].removesuffix('.py')}" if len(rest) > 1 else name
    return "python: " + path.rsplit("/", 1)[-1]


def _held_by_package(snapshot: tracemalloc.Snapshot, limit: int = 10) -> dict[str, float]:
    """Memory allocated during the runs and still held at the end, by the package that allocated it (top ``limit``)."""
    totals: dict[str, int] = {}
    for stat in snapshot.statistics("filename"):
        package = _package_of(stat.traceback[0].filename)
        totals[package] = totals.get(package, 0) + stat.size
    top = sorted(totals.items(), key=lambda item: -item[1])[:limit]
    return {package: round(size / 2**20, 1) for package, size in top}


def _verify(sandbox: Any, world: Any, stores: tuple[str, ...]) -> dict[str, Any]:
    from returns_sandbox.verify import verify_world
    from returns_sync.tasks.runtime import ledger_for

    with ledger_for().session() as repo:
        quarantined = {e.loop_return_id: e.rule for store in stores for e in repo.open_quarantine(store)}
    report = verify_world(world, sandbox.netsuite.conn, sandbox.loop, quarantined)
    checks = [c for c in report.checks if c.store in stores]
    failures = [c for c in checks if not c.ok]
    return {
        "returns_checked": len(checks),
        "matching_expectations": len(checks) - len(failures),
        "failures": [{"return_id": c.return_id, "scenario": c.scenario, "problems": c.problems[:3]} for c in failures[:10]],
    }


def main(argv: list[str] | None = None) -> int:
    """Worker entry point: ``python -m returns_bench.scenarios SPEC.json OUT.json``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m returns_bench.scenarios SPEC.json OUT.json", file=sys.stderr)
        return 2
    spec = ScenarioSpec.from_json(json.loads(Path(args[0]).read_text()))
    result = run_scenario(spec)
    Path(args[1]).write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    for _name, _value in BENCH_ENV.items():
        os.environ.setdefault(_name, _value)
    raise SystemExit(main())
