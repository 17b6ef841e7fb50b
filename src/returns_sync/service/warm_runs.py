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

from returns_sync.domain.syncs import SyncName
from returns_sync.service.webhooks import Trigger

__all__ = ["WARM_DEBOUNCE_SECONDS", "WARM_LANES", "keep_prefect_client_for_this_thread", "warm_run_trigger"]

logger = logging.getLogger("returns_sync.webhooks")

# Loop sends a return's events moments apart (created, then updated as the label is made): a short window
# still collapses them, and costs a quarter second of freshness.
WARM_DEBOUNCE_SECONDS = 0.25
# A store's webhook runs side by side at most: new returns, closed returns, any other event (``Dispatcher`` lanes).
WARM_LANES = 3


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


def warm_run_trigger() -> Trigger:
    """A ``trigger`` that runs ``run_all(store, return_ids, syncs)`` here and returns when the run has finished.

    The flows are imported and Great Expectations' context and suites built now (seconds of import and
    set-up: about 30 % of the CPU of a 20-return freshness run when its first bursts paid for it), so the
    first delivery does not pay for them. A run that ends failed is logged; its returns are picked up by
    the next delivery or the scheduled sweep, as with a deployment. Each worker thread keeps its Prefect client
    (``keep_prefect_client_for_this_thread``), and the runs share the items matched to SKUs for a few minutes
    (``tasks.item_match_memory``).
    """
    from prefect.states import State

    from returns_sync.flows.run_all import run_all
    from returns_sync.tasks.item_match_memory import ItemMatchMemory, remembering_item_matches
    from returns_sync.tasks.quality_suites import build_quality_suites

    build_quality_suites()
    item_matches = ItemMatchMemory()  # one per receiver: its bursts are small, and each asked for its SKUs' items

    def run(store: str, return_ids: list[str], syncs: tuple[SyncName, ...]) -> None:
        keep_prefect_client_for_this_thread()
        with remembering_item_matches(item_matches):
            state = run_all(store, return_ids=list(return_ids), syncs=list(syncs), return_state=True)
        if isinstance(state, State) and not state.is_completed():
            logger.error("the webhook run for store %s ended %s: %s", store, state.type.value, state.message)

    return run
