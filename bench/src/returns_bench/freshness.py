"""The freshness run: returns created in the Loop sandbox at a steady rate, each webhook delivered to the receiver.

What it plays: customers open returns in Loop (``return.created``), the sync creates their RAs, a
warehouse that works in Loop processes each return once its RA exists (``return.closed``), the sync
posts the refund. Every webhook is the Loop emulator's own signed delivery to the product's receiver
(``create_webhook_app``) on a real socket; what the receiver does with a burst is the dispatch under test:

* ``process``: each burst runs ``run_all`` for its returns in a fresh Python process, one at a time per
  store — what a deployment run costs (``run_deployment_trigger`` + a runner starting ``run_all`` in a
  new process), without the runner's poll interval, so it errs fast;
* ``warm``: the receiver's in-process worker (``warm_run_trigger``) runs ``run_all`` in a thread of a
  process that has already imported everything. By default that receiver runs in a process of its own
  (``freshness_receiver``), as ``returns-sync serve --webhooks`` does in production, where the APIs are
  on other machines; ``receiver_apart=False`` keeps it in the bench's process, beside the emulators.

The figures come from the sandbox's server-side request log (``freshness_metrics``).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from returns_bench.child_process import wait_until_healthy
from returns_bench.freshness_metrics import (
    RA_TRANSFORM,
    REFUND_TRANSFORM,
    FreshnessSample,
    commit_request,
    first_request_naming,
    mentions,
    netsuite_load,
    sequential_chain,
    summarise_samples,
)
from returns_bench.metrics import APIS, ApiLatency
from returns_bench.request_kinds import netsuite_requests_by_kind
from returns_bench.request_log import RecordedRequest, RequestRecorder

__all__ = ["DISPATCHES", "FreshnessSpec", "freshness_headline", "run_freshness"]

CREATED = "return.created"
CLOSED = "return.closed"
DISPATCHES = ("warm", "process")
# The receiver's debounce per dispatch: today's 2 s for a deployment run; a short one for the warm worker.
DEFAULT_DEBOUNCE_S = {"process": 2.0, "warm": 0.25}
_ANY_REFUND = re.compile(REFUND_TRANSFORM.format(ra_id=r"(\d+)").replace("(cashRefund|creditMemo)", "(?:cashRefund|creditMemo)"))
_WORLD_FACTOR = 10  # about one demo return in nine is a plain open return processed in Loop


@dataclass
class FreshnessSpec:
    """What to run: ``returns`` new returns at ``rate_per_s``, delivered to a receiver using ``dispatch``."""

    returns: int = 200
    rate_per_s: float = 2.0
    seed: int = 7
    latency: dict[str, ApiLatency] = field(default_factory=lambda: {api: ApiLatency() for api in APIS})
    netsuite_concurrency: int = 5
    dispatch: str = "warm"
    # warm only: the receiver and its worker in a process of their own (as in production, apart from the APIs)
    receiver_apart: bool = True
    debounce_s: float | None = None
    settle_timeout_s: float = 1200.0  # after the last return is created: every RA, then every refund

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _eligible(case: Any) -> bool:
    """A return that opens, gets an RA, is processed in Loop by its warehouse and ends with a refund document."""
    from returns_sandbox.seed.world import Lifecycle

    expected = case.expected
    return (
        case.loop_return.get("state") == "open"
        and case.lifecycle == Lifecycle(warehouse="loop")
        and bool(expected.ra_lines)
        and expected.refund_record is not None
        and expected.quarantine_rule is None
    )


def _world(spec: FreshnessSpec) -> tuple[Any, list[Any]]:
    """The demo world cut down to ``returns`` eligible returns and their orders (the rest is never loaded)."""
    from returns_sandbox.seed import build_world

    size = max(60, spec.returns * _WORLD_FACTOR)
    while True:
        world = build_world(seed=spec.seed, returns=size, now=datetime.now(UTC))
        chosen = [c for c in world.returns if _eligible(c)][: spec.returns]
        if len(chosen) == spec.returns:
            break
        size *= 2
    order_ids = {int(c.loop_return["provider_order_id"]) for c in chosen}
    orders = tuple(o for o in world.orders if o.shopify_id in order_ids)
    return replace(world, returns=chosen, orders=orders), chosen


class _ProcessRun:
    """The ``process`` dispatch: ``run_all`` for the burst in a fresh interpreter, one at a time per store."""

    def __init__(self, info_path: Path, concurrency: int, api_url: str) -> None:
        self._info_path = info_path
        self._concurrency = concurrency
        self._api_url = api_url
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def __call__(self, store: str, return_ids: list[str], syncs: tuple[str, ...]) -> None:
        with self._guard:
            lock = self._locks.setdefault(store, threading.Lock())
        with lock:  # a deployment with concurrency limit 1, ENQUEUE: the next burst waits for this run
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "returns_bench.freshness_run",
                    str(self._info_path),
                    store,
                    str(self._concurrency),
                    ",".join(syncs),
                    *return_ids,
                ],
                env={**os.environ, "PREFECT_API_URL": self._api_url},
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )


class _ReceiverHere:
    """The receiver in the bench's own process, on a thread (beside the emulators and the driver)."""

    def __init__(self, app: Any) -> None:
        from returns_sandbox.server import serve_in_thread

        self._app = app
        self._server = serve_in_thread({"receiver": app})
        self.url = self._server.url

    def finish(self, timeout: float) -> None:
        self._app.state.dispatcher.flush(timeout=timeout)

    def stop(self) -> None:
        self._server.stop()
        self._app.state.dispatcher.close(flush=False)


class _ReceiverProcess:
    """The receiver in a process of its own (``freshness_receiver``), given the connection info and this Prefect API."""

    def __init__(self, workdir: Path, info: dict[str, Any], stores: list[str], concurrency: int, debounce: float) -> None:
        from prefect.settings import get_current_settings

        from returns_sandbox.server import free_port

        info_path = workdir / "receiver-connection-info.json"
        info_path.write_text(json.dumps(info, default=str))
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self._log = (workdir / "receiver.log").open("wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "returns_bench.freshness_receiver", str(info_path), str(port), str(concurrency)]
            + [str(debounce), *stores],
            env={**os.environ, "PREFECT_API_URL": str(get_current_settings().api.url or "")},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        wait_until_healthy(self._process, f"{self.url}/healthz", what="the receiver process", timeout_s=180)

    def finish(self, timeout: float) -> None:
        """Stop taking deliveries; the process ends once the runs in progress have ended."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._log.close()


def _delivered_at(deliveries: list[dict[str, Any]]) -> dict[tuple[str, str], float]:
    """(trigger, return id) -> when the receiver's 2xx came back for its first delivered event."""
    out: dict[tuple[str, str], float] = {}
    for delivery in deliveries:
        for attempt in delivery["attempts"]:
            code = attempt.get("status_code")
            if code is not None and 200 <= code < 300:
                key = (delivery["trigger"], str(delivery["return_id"]))
                at = datetime.fromisoformat(attempt["at"]).timestamp()
                out[key] = min(at, out.get(key, at))
    return out


def _samples(
    log: list[RecordedRequest], deliveries: dict[tuple[str, str], float], cases: list[Any], ra_ids: dict[str, int]
) -> list[FreshnessSample]:
    ns_log = [r for r in log if r.api == "netsuite"]
    samples = []
    for case in cases:
        rid, order_id = case.return_id, str(case.loop_return["provider_order_id"])
        ra_commit = commit_request(ns_log, RA_TRANSFORM, body_token=rid)
        so_match = RA_TRANSFORM.search(ra_commit.path) if ra_commit else None
        tokens = [rid, order_id] + ([so_match.group(1)] if so_match else [])
        since = deliveries.get((CREATED, rid))
        if ra_commit is not None and since is not None:
            chain = sequential_chain(log, tokens, since=since, commit=ra_commit)
            samples.append(_sample(rid, CREATED, since, ra_commit, chain, first_request_naming(log, rid, since=since)))
        ra_id = ra_ids.get(rid)
        closed = deliveries.get((CLOSED, rid))
        if ra_id is None or closed is None:
            continue
        refund_commit = commit_request(ns_log, re.compile(REFUND_TRANSFORM.format(ra_id=ra_id)))
        if refund_commit is not None:
            chain = sequential_chain(log, [*tokens, str(ra_id)], since=closed, commit=refund_commit)
            samples.append(_sample(rid, CLOSED, closed, refund_commit, chain, first_request_naming(log, rid, since=closed)))
    return samples


def _sample(
    rid: str, event: str, since: float, commit: RecordedRequest, chain: list[RecordedRequest], first: RecordedRequest | None
) -> FreshnessSample:
    return FreshnessSample(
        return_id=rid,
        event=event,
        latency_s=commit.end - since,
        floor_s=sum(r.seconds for r in chain),
        chain=tuple(f"{r.api} {r.method} {r.path}" for r in chain),
        to_first_read_s=None if first is None else first.start - since,
    )


def run_freshness(spec: FreshnessSpec, *, harness: bool = True) -> dict[str, Any]:
    """Run ``spec`` under ``prefect_test_harness`` (unless ``harness`` is False) with a temporary SQLite ledger."""
    from returns_bench.scenarios import bench_process

    with bench_process("returns-sync-freshness-", harness=harness) as (workdir, _harness_s):
        return _run(spec, workdir)


def _trigger(spec: FreshnessSpec, sandbox: Any, workdir: Path) -> Any:
    if spec.dispatch == "process":
        from prefect.settings import get_current_settings

        info_path = workdir / "connection-info.json"
        info_path.write_text(json.dumps(sandbox.connection_info(), default=str))
        return _ProcessRun(info_path, spec.netsuite_concurrency, str(get_current_settings().api.url or ""))
    if spec.dispatch == "warm":
        from returns_sync.service.warm_runs import warm_run_trigger

        return warm_run_trigger()
    raise ValueError(f"dispatch must be one of {', '.join(DISPATCHES)}, not {spec.dispatch!r}")


def _run(spec: FreshnessSpec, workdir: Path) -> dict[str, Any]:
    from returns_sandbox.hub import Sandbox
    from returns_sandbox.server import serve_in_thread
    from returns_sync.blocks.connection_info import store_settings_from_connection_info
    from returns_sync.service.doctor.netsuite_access import statement_fields
    from returns_sync.service.warm_runs import WARM_LANES
    from returns_sync.service.webhooks import create_webhook_app
    from returns_sync.tasks.runtime import ledger_for, use_store_settings

    sandbox = Sandbox(faults={api: spec.latency[api].fault_settings() for api in APIS})
    world, cases = _world(spec)
    sandbox._adopt(world)  # the hub's own bookkeeping (ids Loop's processing must not reuse), as load() does
    sandbox.netsuite.load_world(world)
    sandbox.shopify.load_world(world)
    for s in world.stores:
        sandbox.loop.add_shop(
            s.loop_shop_id,
            name=s.name,
            shop_domain=s.shop_domain,
            api_keys=[s.loop_api_key],
            webhook_secret=s.loop_webhook_secret,
        )
    recorders = {api: RequestRecorder(app, api) for api, app in sandbox.apps().items()}
    sandbox.server = serve_in_thread(dict(recorders), host="127.0.0.1")
    info = sandbox.connection_info()
    stores = sorted({c.store for c in cases})
    settings = {
        key: store_settings_from_connection_info(info, key, max_netsuite_concurrency=spec.netsuite_concurrency) for key in stores
    }
    for one in settings.values():
        use_store_settings(one)
    debounce = DEFAULT_DEBOUNCE_S[spec.dispatch] if spec.debounce_s is None else spec.debounce_s
    warm = spec.dispatch == "warm"
    if warm and spec.receiver_apart:
        receiver: Any = _ReceiverProcess(workdir, info, stores, spec.netsuite_concurrency, debounce)
    else:
        app = create_webhook_app(
            stores=settings,
            trigger=_trigger(spec, sandbox, workdir),
            ledger=ledger_for(),
            debounce_seconds=debounce,
            lanes=warm,  # as serve --webhooks does; a deployment run per burst keeps one run per store
            max_workers=WARM_LANES * len(stores) if warm else 4,
        )
        receiver = _ReceiverHere(app)
    try:
        for key in stores:
            shop_id = world.store(key).loop_shop_id
            for trigger in (CREATED, CLOSED):
                sandbox.loop.create_webhook(
                    shop_id, topic="return", trigger=trigger, url=f"{receiver.url}/webhooks/loop/{key}", status="active"
                )
        started = time.time()
        ra_ids, timeline = _drive(spec, sandbox, world, cases, recorders["netsuite"])
        wall = time.time() - started
        receiver.finish(timeout=spec.settle_timeout_s)  # let the last runs end before the servers stop
    finally:
        receiver.stop()
        sandbox.close()
    log = sorted((r for rec in recorders.values() for r in rec.snapshot()), key=lambda r: r.start)
    samples = _samples(log, _delivered_at(sandbox.loop.deliveries()), cases, ra_ids)
    figures = summarise_samples(samples, expected={CREATED: len(cases), CLOSED: len(cases)})
    return {
        "spec": spec.to_json() | {"debounce_s": debounce},
        "stores": stores,
        "returns": len(cases),
        "wall_s": round(wall, 1),
        "requests": {api: sum(1 for r in log if r.api == api) for api in APIS},
        "netsuite_load": netsuite_load(
            log, returns=len(cases), rate_per_s=spec.rate_per_s, concurrency=spec.netsuite_concurrency
        ),
        "netsuite_by_kind": netsuite_requests_by_kind(
            log, returns=len(cases), fields=[statement_fields(one) for one in settings.values()]
        ),
        "events": figures,
        "timeline": timeline,
    }


def _drive(
    spec: FreshnessSpec, sandbox: Any, world: Any, cases: list[Any], netsuite_log: RequestRecorder
) -> tuple[dict[str, int], dict[str, Any]]:
    """Create the returns at the steady rate; process each in Loop once its RA exists; wait for every refund."""
    interval = 1.0 / spec.rate_per_s
    created: list[Any] = []
    processed: dict[str, int] = {}
    watch = _RaWatch(netsuite_log)
    begin = time.monotonic()
    for i, case in enumerate(cases):
        time.sleep(max(0.0, begin + i * interval - time.monotonic()))
        body = {k: v for k, v in case.loop_return.items() if k not in ("created_at", "updated_at")}  # created now
        sandbox.loop.add_return(world.store(case.store).loop_shop_id, body)
        created.append(case)
        _process_ready(sandbox, world, created, processed, watch)
    creation_s = time.monotonic() - begin
    deadline = time.monotonic() + spec.settle_timeout_s
    while time.monotonic() < deadline:
        _process_ready(sandbox, world, created, processed, watch)
        if len(processed) == len(cases) and _all_refunded(netsuite_log, processed):
            break
        time.sleep(0.25)
    return processed, {"creation_s": round(creation_s, 1), "settled_s": round(time.monotonic() - begin, 1)}


class _RaWatch:
    """Finds the returns whose RA was created since the last look, from the NetSuite request log's new entries only."""

    def __init__(self, recorder: RequestRecorder) -> None:
        self._recorder = recorder
        self._seen = 0
        self.created: set[str] = set()

    def update(self, waiting: list[str]) -> set[str]:
        entries = self._recorder.snapshot()
        for r in entries[self._seen :]:
            if r.method == "POST" and r.succeeded and RA_TRANSFORM.search(r.path):
                self.created.update(rid for rid in waiting if mentions(r, [rid]))
        self._seen = len(entries)
        return self.created


def _process_ready(sandbox: Any, world: Any, created: list[Any], processed: dict[str, int], watch: _RaWatch) -> None:
    """The warehouse, working in Loop: processes a return once its RA exists (an accountant approves it first if needed)."""
    with_ra = watch.update([c.return_id for c in created if c.return_id not in processed])
    for case in created:
        rid = case.return_id
        if rid in processed or rid not in with_ra:
            continue
        ra_id = sandbox.return_authorization_id(rid)
        if ra_id is None:
            continue
        if not world.store(case.store).approve_return_authorizations and sandbox.netsuite.is_pending_approval(ra_id):
            sandbox.netsuite.approve_return_authorization(ra_id)
        sandbox.loop.process_in_admin(rid)
        processed[rid] = ra_id


def _all_refunded(recorder: RequestRecorder, processed: dict[str, int]) -> bool:
    """Whether the log shows a committed refund document for every processed return's RA."""
    done = {
        match.group(1)
        for r in recorder.snapshot()
        if r.method == "POST" and r.succeeded and (match := _ANY_REFUND.search(r.path))
    }
    return all(str(ra_id) in done for ra_id in processed.values())


def freshness_headline(result: dict[str, Any]) -> dict[str, Any]:
    """The JSON's top-level freshness figures: over both events together, as issue 13 names them."""
    events = result["events"]
    created, closed = events[CREATED], events[CLOSED]

    def worst(key: str) -> float | None:
        values = [e[key] for e in (created, closed) if e[key] is not None]
        return max(values) if values else None

    return {
        "freshness_p95_s": worst("latency_p95_s"),
        "freshness_p50_s": worst("latency_p50_s"),
        "freshness_max_s": worst("latency_max_s"),
        "freshness_floor_p95_s": worst("floor_p95_s"),
        "freshness_measured": created["measured"] + closed["measured"],
        "freshness_expected": created["expected"] + closed["expected"],
        "freshness_dispatch": result["spec"]["dispatch"],
    }


def freshness_report(spec: FreshnessSpec, meta: dict[str, Any]) -> dict[str, Any]:
    """Run ``spec`` here and return the report: ``meta``, the run under ``freshness``, the headline at the top."""
    started = time.perf_counter()
    result = run_freshness(spec)
    meta = dict(meta, bench_wall_s=round(time.perf_counter() - started, 1))
    return {"meta": meta, "freshness": result, **freshness_headline(result)}
