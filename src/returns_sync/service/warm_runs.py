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

from returns_sync.domain.syncs import SyncName
from returns_sync.service.webhooks import Trigger

__all__ = ["WARM_DEBOUNCE_SECONDS", "WARM_LANES", "warm_run_trigger"]

logger = logging.getLogger("returns_sync.webhooks")

# Loop sends a return's events moments apart (created, then updated as the label is made): a short window
# still collapses them, and costs a quarter second of freshness.
WARM_DEBOUNCE_SECONDS = 0.25
# A store's webhook runs side by side at most: new returns, closed returns, any other event (``Dispatcher`` lanes).
WARM_LANES = 3


def warm_run_trigger() -> Trigger:
    """A ``trigger`` that runs ``run_all(store, return_ids, syncs)`` here and returns when the run has finished.

    The flows are imported and Great Expectations' context and suites built now (seconds of import and
    set-up: about 30 % of the CPU of a 20-return freshness run when its first bursts paid for it), so the
    first delivery does not pay for them. A run that ends failed is logged; its returns are picked up by
    the next delivery or the scheduled sweep, as with a deployment.
    """
    from prefect.states import State

    from returns_sync.flows.run_all import run_all
    from returns_sync.tasks.quality_suites import build_quality_suites

    build_quality_suites()

    def run(store: str, return_ids: list[str], syncs: tuple[SyncName, ...]) -> None:
        state = run_all(store, return_ids=list(return_ids), syncs=list(syncs), return_state=True)
        if isinstance(state, State) and not state.is_completed():
            logger.error("the webhook run for store %s ended %s: %s", store, state.type.value, state.message)

    return run
