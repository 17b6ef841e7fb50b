"""The whole return lifecycle under faults: transient errors and lost answers converge, reruns write nothing, limits hold.

Every world is the same seeded demo (``N_RETURNS`` returns, two stores). A fault-free run of it is
the baseline: a faulted world must end with exactly the NetSuite records the baseline has, and
every return as the seed's expected outcome says (``verify_world``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from chaos_world import STORES, ChaosWorld, FastClock, LostAnswerLog, completed

from returns_sandbox import faults as faults_module
from returns_sandbox.loop.constants import RATE_LIMIT_PER_MINUTE
from returns_sync.connectors import loop as loop_connector
from returns_sync.connectors.auth import LoopApiKeyAuth
from returns_sync.connectors.errors import RateLimitedError
from returns_sync.connectors.loop import REQUESTS_PER_MINUTE, LoopClient
from returns_sync.connectors.ratelimit import SlidingWindowLimiter
from returns_sync.connectors.retry import RetryPolicy

pytestmark = [pytest.mark.flow, pytest.mark.slow]

# Loop's per-key limit, scaled down for the baseline world so that a lifecycle needs several minutes
# of it (the limit's minute runs on a FastClock there), and the client's shared budget under it, as
# the product's 280 sits under Loop's 300.
LOOP_LIMIT = 15
CLIENT_BUDGET = 10
ALL_COMPLETED = {store: "COMPLETED" for store in STORES}


@dataclass
class Baseline:
    """A fault-free lifecycle of the demo world, and one more ``run_all`` per store after it."""

    world: ChaosWorld
    passes: list[dict[str, Any]]
    external_ids: Counter[str]
    transactions: int
    loop_stats: dict[str, Any]
    netsuite_stats: dict[str, Any]
    limiters: dict[str, SlidingWindowLimiter]
    rerun: dict[str, Any] = field(default_factory=dict)
    rerun_netsuite_writes: list[tuple[str, str]] = field(default_factory=list)
    rerun_loop_writes: list[tuple[str, str]] = field(default_factory=list)
    loop_before: dict[str, Any] = field(default_factory=dict)
    loop_after: dict[str, Any] = field(default_factory=dict)
    transactions_after: int = 0
    intents_before: dict[str, Any] = field(default_factory=dict)
    intents_after: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def baseline(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Baseline]:
    """The fault-free lifecycle, with Loop's per-key limit and the client's budget scaled down onto a FastClock."""
    clock = FastClock()
    limiters: dict[str, SlidingWindowLimiter] = {}

    def shared_limiter(credential: str, limit: int, window: float = 60.0) -> SlidingWindowLimiter:
        if credential not in limiters:
            limiters[credential] = SlidingWindowLimiter(CLIENT_BUDGET, window, clock=clock.monotonic, sleep=clock.sleep)
        return limiters[credential]

    world = ChaosWorld(tmp_path_factory.mktemp("baseline"))
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(loop_connector, "shared_limiter", shared_limiter)
            mp.setattr(faults_module, "time", SimpleNamespace(monotonic=clock.monotonic))
            world.fault("loop").update(rate_limit_per_minute=LOOP_LIMIT)
            passes = world.lifecycle()
            result = Baseline(
                world,
                passes,
                world.our_external_ids(),
                world.transaction_count(),
                world.stats("loop").as_dict(),
                world.stats("netsuite").as_dict(),
                limiters,
            )
            result.loop_before, result.intents_before = world.loop_view(), world.intents()
            netsuite_writes, loop_writes = world.netsuite_writes.count(), world.loop_writes.count()
            result.rerun = world.run_pass()
            result.rerun_netsuite_writes = world.netsuite_writes.writes[netsuite_writes:]
            result.rerun_loop_writes = world.loop_writes.writes[loop_writes:]
            result.loop_after, result.intents_after = world.loop_view(), world.intents()
            result.transactions_after = world.transaction_count()
        world.fault("loop").update(rate_limit_per_minute=None)
        world.sandbox.apps()["loop"].reset_stats()  # its window held FastClock times
        yield result
    finally:
        world.close()


class TestFaultFreeBaseline:
    def test_the_lifecycle_matches_every_expected_outcome(self, baseline: Baseline) -> None:
        assert completed(baseline.passes[-1]) == ALL_COMPLETED
        baseline.world.assert_matches_expectations()
        assert baseline.world.repeated_external_ids() == []

    def test_a_second_run_creates_nothing_and_writes_nothing(self, baseline: Baseline) -> None:
        assert completed(baseline.rerun) == ALL_COMPLETED
        # The write logs did see the lifecycle's writes, so an empty log for the rerun means something.
        assert baseline.world.netsuite_writes.count() > 0 and baseline.world.loop_writes.count() > 0
        assert baseline.rerun_netsuite_writes == []
        assert baseline.rerun_loop_writes == []
        assert baseline.transactions_after == baseline.transactions
        assert baseline.world.our_external_ids() == baseline.external_ids
        assert baseline.loop_after == baseline.loop_before
        assert baseline.intents_after == baseline.intents_before


class TestRateLimits:
    def test_loop_budget_keeps_every_store_under_the_per_key_limit(self, baseline: Baseline) -> None:
        assert REQUESTS_PER_MINUTE < RATE_LIMIT_PER_MINUTE
        assert completed(baseline.passes[-1]) == ALL_COMPLETED
        # The budget was really reached (the run wanted more than it allows per minute, per key)...
        assert len(baseline.limiters) == len(STORES)
        assert all(limiter.waited > 0 for limiter in baseline.limiters.values()), [v.waited for v in baseline.limiters.values()]
        # ...and Loop never had to refuse a request.
        assert baseline.loop_stats["requests"] > LOOP_LIMIT
        assert baseline.loop_stats["injected"] == {}

    def test_without_the_budget_the_same_key_is_refused(self, baseline: Baseline) -> None:
        """Control: the emulator's limit is real, so the test above can fail."""
        world = baseline.world
        world.fault("loop").update(rate_limit_per_minute=LOOP_LIMIT)
        world.sandbox.apps()["loop"].reset_stats()
        try:
            api_key = world.world.store("north").loop_api_key
            http = httpx.Client(base_url=world.sandbox.server.urls["loop"], auth=LoopApiKeyAuth(api_key))
            unbudgeted = LoopClient(http, retry=RetryPolicy(max_attempts=1))
            return_id = next(c.return_id for c in world.world.returns if c.store == "north")
            with unbudgeted:
                for _ in range(LOOP_LIMIT):
                    unbudgeted.get_return(return_id)
                with pytest.raises(RateLimitedError) as refused:
                    unbudgeted.get_return(return_id)
            assert refused.value.status_code == 429
            assert refused.value.message == "Too Many Attempts."
        finally:
            world.fault("loop").update(rate_limit_per_minute=None)
            world.sandbox.apps()["loop"].reset_stats()

    def test_netsuite_never_has_more_than_five_requests_in_flight(self, baseline: Baseline) -> None:
        assert baseline.netsuite_stats["max_in_flight"] <= 5
        assert "concurrency_limit" not in baseline.netsuite_stats["injected"]
        # A burst through the product's own client: 12 threads at once, each request held 50 ms by NetSuite.
        world = baseline.world
        injector = world.sandbox.apps()["netsuite"]
        injector.reset_stats()
        world.fault("netsuite").update(latency_ms=50)
        try:
            settings = world.settings["north"]
            so_id = next(o.ns_so_id for o in world.world.orders if o.store == "north" and o.ns_so_id)
            with settings.get_netsuite_client() as client, ThreadPoolExecutor(12) as pool:
                records = list(pool.map(lambda _: client.get_record("salesOrder", so_id), range(36)))
        finally:
            world.fault("netsuite").update(latency_ms=0)
        assert {str(r["id"]) for r in records} == {str(so_id)}
        assert 1 < injector.stats.max_in_flight <= settings.max_netsuite_concurrency <= 5
        assert "concurrency_limit" not in injector.stats.injected


def _assert_converged_like(world: ChaosWorld, baseline: Baseline) -> None:
    """Every expected outcome reached, and exactly the NetSuite records of the fault-free run: none twice, none missing."""
    world.assert_matches_expectations()
    assert world.repeated_external_ids() == []
    missing = baseline.external_ids - world.our_external_ids()
    extra = world.our_external_ids() - baseline.external_ids
    assert not missing and not extra, f"missing {sorted(missing)}, extra {sorted(extra)}"
    assert world.transaction_count() == baseline.transactions
    unsettled = {key: value for key, value in world.intents().items() if value[0] not in ("posted", "skipped")}
    assert unsettled == {}, "posting intents left unsettled"
    assert world.intents().keys() == baseline.intents_before.keys()


class TestFaultsConverge:
    def test_transient_errors_and_rate_limits_converge_without_duplicates(self, make_world: Any, baseline: Baseline) -> None:
        world = make_world()
        world.fault("netsuite").update(p_503=0.05, p_429=0.05, seed=11)
        world.fault("loop").update(p_503=0.03, seed=12)
        world.fault("shopify").update(p_429=0.3, seed=13)

        faulted = [world.run_pass()]
        world.sandbox.advance()
        faulted.append(world.run_pass())
        world.sandbox.advance()
        injected = {api: dict(world.stats(api).injected) for api in ("netsuite", "loop", "shopify")}
        world.clear_faults()
        clean = world.lifecycle()

        assert injected["netsuite"].get("p_503", 0) > 0 and injected["netsuite"].get("p_429", 0) > 0, injected
        assert injected["loop"].get("p_503", 0) > 0, injected
        assert completed(clean[-1]) == ALL_COMPLETED
        _assert_converged_like(world, baseline)


class TestLostAnswers:
    def test_writes_applied_without_an_answer_are_found_not_repeated(self, make_world: Any, baseline: Baseline) -> None:
        # NetSuite and Loop apply 10 % of writes but never answer; the clients give up after a second.
        world = make_world(netsuite_timeout=1.0, loop_timeout=1.0)
        lost = {api: LostAnswerLog(world.sandbox.apps()[api]) for api in ("netsuite", "loop")}
        world.fault("netsuite").update(p_timeout_after_commit=0.1, hang_seconds=3, seed=21)
        world.fault("loop").update(p_timeout_after_commit=0.1, hang_seconds=3, seed=22)

        world.run_pass()
        world.sandbox.advance()
        world.run_pass()
        world.sandbox.advance()
        world.clear_faults()
        clean = world.lifecycle()

        creates = [path for method, path in lost["netsuite"].requests if method == "POST" and "/record/v1/" in path]
        assert creates, f"no NetSuite create lost its answer: {lost['netsuite'].requests}"
        assert lost["loop"].requests, "no Loop write lost its answer"
        assert completed(clean[-1]) == ALL_COMPLETED
        _assert_converged_like(world, baseline)
