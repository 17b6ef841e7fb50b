"""One run of the seeded world through the product, clean or under the plan's faults, ending in a snapshot.

The sandbox lives in this process (its state outlives every killed sync process); the syncs run in
worker processes (``supervisor``). A run is passes of ``run_all`` with the story's people acting in
between (``Sandbox.advance``), until they have nothing left to do, as the demo and the chaos tests do.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from returns_bench.chaos.plan import ChaosPlan
from returns_bench.chaos.receiver import start_receiver, subscribe_loop
from returns_bench.chaos.snapshot import StateSnapshot, take_snapshot
from returns_bench.chaos.supervisor import PassOutcome, Supervisor
from returns_sync.tasks.loop_notes import FORGOTTEN_WITHIN, SEND_LEASE

__all__ = ["RunResult", "run_lifecycle"]

# A run that finds its (sync, store) lock taken waits this long before skipping: racing workers then
# take turns doing the whole sweep, and a skip (which defers work to the next pass) stays rare.
_RUN_LOCK_WAIT_SECONDS = "900"
_DELIVERIES_TIMEOUT = 120.0
_TRIGGERED_RUNS_TIMEOUT = 1800.0
_MALFORMED_ID_BASE = 49_900_000


@dataclass
class RunResult:
    snapshot: StateSnapshot
    passes: list[PassOutcome]
    seconds: float
    injected: dict[str, dict[str, int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        ok, total = self.snapshot.verified
        return {
            "seconds": round(self.seconds, 1),
            "passes": [p.as_dict() for p in self.passes],
            "verified_as_seed_expects": f"{ok}/{total}",
            "netsuite_records": len(self.snapshot.documents),
            "quarantined": len(self.snapshot.quarantine),
            "injected": self.injected,
            **self.counts,
        }


class _BucketDrainer:
    """Empties every shop's Shopify cost bucket now and then: another app spending the shared budget, so THROTTLED."""

    def __init__(self, sandbox: Any, world: Any, every: float) -> None:
        self._sandbox, self._domains, self._every = sandbox, [s.shop_domain for s in world.stores], every
        self._stop = threading.Event()
        self.drains = 0
        self._thread = threading.Thread(target=self._run, name="shopify-drainer", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            for domain in self._domains:
                self._sandbox.shopify.bucket(domain).set_available(0)
            self.drains += 1

    def start(self) -> None:
        if self._every > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()


def _plant_malformed(sandbox: Any, world: Any, plan: ChaosPlan) -> dict[str, str]:
    """Plant ``plan.malformed_count()`` malformed copies of open seeded returns, kinds in turn; id -> store."""
    from returns_sandbox.seed.malformed import MalformedKind, malformed_return

    kinds = list(MalformedKind)
    templates = [case for case in world.returns if case.loop_return["state"] == "open"]
    planted: dict[str, str] = {}
    for index in range(plan.malformed_count()):
        case = templates[index % len(templates)]
        body = malformed_return(case.loop_return, _MALFORMED_ID_BASE + index, kinds[index % len(kinds)])
        shop_id = world.store(case.store).loop_shop_id
        planted[sandbox.loop.plant_return(shop_id, body, listed_at=world.now - timedelta(hours=1))] = case.store
    return planted


def _settle(sandbox: Any, receiver: Any, supervisor: Supervisor) -> None:
    """Let webhooks land and the runs they started finish, so the next step sees a quiet world."""
    if receiver is None:
        return
    sandbox.loop.wait_for_deliveries(_DELIVERIES_TIMEOUT)
    receiver.app.state.dispatcher.flush(timeout=_TRIGGERED_RUNS_TIMEOUT)


def _write_backs_pending(ledger_url: str, stores: list[str]) -> int:
    """Write-backs begun and not yet confirmed (every store and target), and returns whose Loop note none began."""
    from returns_sync.domain.netsuite_numbers import NOTED_ROLES
    from returns_sync.ledger import WriteBackTarget
    from returns_sync.tasks.runtime import ledger_for, utcnow

    roles = [role.value for role in NOTED_ROLES]
    since = utcnow() - FORGOTTEN_WITHIN
    with ledger_for(ledger_url).session() as repo:
        pending = sum(len(repo.pending_write_backs(store, target)) for store in stores for target in WriteBackTarget)
        never_begun = sum(
            len(repo.returns_without_write_backs(store, WriteBackTarget.LOOP_NOTE, roles=roles, since=since)) for store in stores
        )
    return pending + never_begun


def run_lifecycle(
    plan: ChaosPlan,
    *,
    faulted: bool,
    workdir: Path,
    prefect_api_url: str,
    now: datetime,
    pass_seconds: list[float] | None = None,
    say: Callable[[str], None] = lambda line: None,
) -> RunResult:
    """Seed, sync until the world is still, snapshot. ``pass_seconds`` (the clean run's) times the kills."""
    from returns_sandbox.hub import Sandbox

    label = "faulted" if faulted else "clean"
    started = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    sandbox = Sandbox(data_dir=workdir / "sandbox")
    world = sandbox.seed_demo(seed=plan.seed, returns=plan.returns, now=now)
    sandbox.start()
    info = sandbox.connection_info()
    info_path = workdir / "connection-info.json"
    info_path.write_text(json.dumps(info))
    ledger_url = f"sqlite:///{(workdir / 'ledger.db').resolve()}"
    env = {
        "RETURNS_SYNC_LEDGER_URL": ledger_url,
        "PREFECT_API_URL": prefect_api_url,
        "RETURNS_SYNC_RUN_LOCK_WAIT": _RUN_LOCK_WAIT_SECONDS,
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    supervisor = Supervisor(
        info_path, workdir, env, random.Random(plan.seed), netsuite_timeout=plan.netsuite_timeout if faulted else None
    )
    receiver, drainer = None, None
    passes: list[PassOutcome] = []
    try:
        if faulted:
            for api, changes in plan.fault_settings().items():
                sandbox.faults[api].update(**changes)
            receiver = start_receiver(info, ledger_url, supervisor)
            subscribe_loop(sandbox, world, receiver.url, copies=plan.webhook_copies)
            drainer = _BucketDrainer(sandbox, world, plan.shopify_drain_every_s)
            drainer.start()
        # Malformed returns are bad data, not a fault of the machinery: both runs get the same ones (in the
        # faulted run after the webhooks are on, so they arrive as deliveries too), the clean run shows
        # what the product does with them, and the faulted run must do the same.
        malformed = _plant_malformed(sandbox, world, plan)
        for index in range(plan.max_passes):
            expected = (pass_seconds or [60.0])[min(index, len(pass_seconds or [60.0]) - 1)]
            outcome = supervisor.run_pass(
                workers=plan.workers if faulted else 1,
                kills=plan.kills_per_pass if faulted else 0,
                expected_seconds=expected,
                max_attempts=plan.max_attempts_per_pass if faulted else 1,
            )
            passes.append(outcome)
            _settle(sandbox, receiver, supervisor)
            say(f"{label} run, pass {index + 1}: {outcome.as_dict()}")
            events = sandbox.advance()
            if not events:
                break
            say(f"{label} run: the world moved on: {events}")
        held = _write_backs_pending(ledger_url, [store.key for store in world.stores])
        if held:
            # A run killed while sending a Loop note leaves its claim to lapse (SEND_LEASE) before another run may
            # look for the note in Loop and send it, and one killed before its write-back began leaves notes the
            # next scheduled cycle takes up at its end: one more pass, later than the lease, as production's next.
            say(f"{label} run: {held} write-backs not done; one more pass once a killed run's claims have lapsed")
            time.sleep(SEND_LEASE.total_seconds())
            outcome = supervisor.run_pass(workers=1, kills=0, expected_seconds=60.0, max_attempts=1)
            passes.append(outcome)
            _settle(sandbox, receiver, supervisor)
            counts_after_lease = {"write_backs_pending_after_the_passes": held}
        else:
            counts_after_lease = {}
        _settle(sandbox, receiver, supervisor)
        snapshot = take_snapshot(sandbox, world, ledger_url, malformed)
        injected = {api: dict(injector.stats.injected) for api, injector in sandbox.apps().items()}
        counts = {**supervisor.counts, **counts_after_lease}
        counts["malformed_planted"] = len(malformed)
        counts["malformed_quarantined"] = len(set(malformed) & set(snapshot.quarantine))
        if drainer is not None:
            counts["shopify_bucket_drains"] = drainer.drains
        if receiver is not None:
            deliveries = sandbox.loop.deliveries()
            counts["webhook_deliveries"] = len(deliveries)
            counts["webhook_deliveries_failed"] = sum(d["status"] == "failed" for d in deliveries)
        return RunResult(snapshot, passes, time.monotonic() - started, injected, counts)
    finally:
        supervisor.stop_all()
        if drainer is not None:
            drainer.stop()
        if receiver is not None:
            receiver.stop()
        sandbox.close()
