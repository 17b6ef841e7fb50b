"""Webhook runs on the receiver's warm worker: ``run_all`` for a burst, in a thread of a process that has imported everything.

A deployment run pays for a runner noticing it, a new interpreter and every import before the first
request; the warm worker pays none of that, so a return reaches NetSuite about as soon as the APIs
allow. Each burst is still one ``run_all`` flow run, visible in Prefect like any other, limited to the
sync subflows its events can need (``syncs_for_events``: a burst of new returns runs ``ra_sync`` alone).
The receiver's ``Dispatcher`` runs a store's bursts side by side only when they need different syncs
(``lanes``: new returns get their RAs while closed ones are refunded), and each sync holds its
(store, sync) ledger lock against a scheduled run of the same sync.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from returns_sync.domain.syncs import SyncName

__all__ = ["WARM_DEBOUNCE_SECONDS", "WARM_LANES", "WarmRuns", "keep_prefect_client_for_this_thread", "warm_run_trigger"]

logger = logging.getLogger("returns_sync.webhooks")

# Loop sends a return's events moments apart (created, then updated as the label is made): a short window
# still collapses them, and costs a quarter second of freshness.
WARM_DEBOUNCE_SECONDS = 0.25
# A store's webhook runs side by side at most: new returns, closed returns, any other event (``Dispatcher`` lanes).
WARM_LANES = 3
# Runs in progress at once, tails included: well above what the Dispatcher starts (WARM_LANES per store), so a
# burst never waits for a thread while earlier runs finish their write-backs.
_MAX_RUNS_AT_ONCE = 64


_thread_client = threading.local()


def keep_prefect_client_for_this_thread() -> None:
    """Let this thread's flow runs share one Prefect API client, entered once, instead of one new client per run.

    A flow run outside any client context makes its own (``SyncClientContext.get_or_create``, prefect/context.py and
    flow_engine.py, Prefect 3.8.8): a new SSL context, connection and version check, about 0.1 s of CPU per run_all
    in a profile of the warm worker, paid before its first sync starts. The receiver's worker threads live as long as
    it does, and so does their client; a different API URL (a test's server) gets a client of its own.
    """
    from prefect.context import SyncClientContext
    from prefect.settings import get_current_settings

    api_url = str(get_current_settings().api.url or "")
    kept: SyncClientContext | None = getattr(_thread_client, "context", None)
    if kept is not None and SyncClientContext.get() is kept:
        if _thread_client.api_url == api_url:
            return
        kept.__exit__(None, None, None)  # another API: close this one, or get_client would hand it out again
    context = SyncClientContext()
    context.__enter__()  # left never: the thread's later runs find it as the current client context
    _thread_client.context, _thread_client.api_url = context, api_url


class WarmRuns:
    """The warm worker's trigger: runs ``run_all(store, return_ids, syncs)`` in this process, one flow run per burst.

    The call returns once the run's syncs have ended (``run_all.SYNCS_DONE``), while its write-back (the Loop notes
    naming the NetSuite records) and the flow run's end go on in the run's own thread: the ``Dispatcher`` then starts
    the store's next burst of the same syncs about a second sooner. ``drain`` waits for those tails (shutdown, tests).
    A run that ends failed is logged; its returns are picked up by the next delivery or the scheduled sweep, as with
    a deployment.
    """

    def __init__(self, run_all: Callable[..., object] | None = None) -> None:
        if run_all is None:
            from returns_sync.flows.run_all import run_all
        self._run_all = run_all
        # Threads are made as runs need them; each keeps its Prefect client (keep_prefect_client_for_this_thread).
        self._pool = ThreadPoolExecutor(max_workers=_MAX_RUNS_AT_ONCE, thread_name_prefix="warm-run")
        self._lock = threading.Lock()
        self._runs: set[Future[None]] = set()

    def __call__(self, store: str, return_ids: list[str], syncs: tuple[SyncName, ...]) -> None:
        released = threading.Event()
        future = self._pool.submit(self._run, store, list(return_ids), syncs, released)
        with self._lock:
            self._runs.add(future)
        future.add_done_callback(self._forget)
        released.wait()
        if future.done():
            future.result()  # a run that raised before its syncs ended: the Dispatcher logs it

    def _run(self, store: str, return_ids: list[str], syncs: tuple[SyncName, ...], released: threading.Event) -> None:
        from prefect.states import State

        from returns_sync.flows.run_all import SYNCS_DONE

        token = SYNCS_DONE.set(released.set)
        try:
            keep_prefect_client_for_this_thread()
            state = self._run_all(store, return_ids=return_ids, syncs=list(syncs), return_state=True)
            if isinstance(state, State) and not state.is_completed():
                logger.error("the webhook run for store %s ended %s: %s", store, state.type.value, state.message)
        finally:
            SYNCS_DONE.reset(token)
            released.set()

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._runs.discard(future)

    def drain(self, timeout: float) -> None:
        """Wait for every run started so far to end, write-back included."""
        with self._lock:
            runs = list(self._runs)
        wait(runs, timeout=timeout)


def warm_run_trigger() -> WarmRuns:
    """The warm worker's trigger (``WarmRuns``), with the flows imported and Great Expectations set up now.

    Importing the flows and building Great Expectations' context and suites take seconds (about 30 % of the CPU of
    a 20-return freshness run when its first bursts paid for it); done here, the first delivery does not pay for them.
    """
    from returns_sync.tasks.quality_suites import build_quality_suites

    build_quality_suites()
    return WarmRuns()
