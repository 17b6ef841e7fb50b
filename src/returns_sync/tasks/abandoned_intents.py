"""Settle the posting intents a sync left pending and no later run of it took up again.

A create whose answer was lost (a timeout, a 503, a killed process) leaves its intent pending; the next run
that plans the same record looks its externalId up first (``create_once``). But a return may never be
planned again: another return on the same order took its units first and it is now quarantined, or it
was cancelled. Its intent would stay pending for ever, and nobody would know whether NetSuite holds the
record. So at the end of every run, still holding the sync's lock for the store (no other run of the sync
is mid-create), each pending intent of the sync that this run did not touch is looked up by externalId:
found, it is posted and the record known to the ledger; absent, it is marked skipped with the reason. A
later plan of the same record still looks it up before creating it, so neither answer can cause a duplicate.
"""

from __future__ import annotations

from datetime import datetime

from prefect import task

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.syncs import SyncName
from returns_sync.ledger import IntentStatus, PostingIntent
from returns_sync.tasks.results import BatchResult, one_record
from returns_sync.tasks.retry import RETRY_OPTIONS
from returns_sync.tasks.runtime import SyncRuntime, ledger_for, run_batch

__all__ = ["NOT_IN_NETSUITE", "abandoned_intents", "settle_abandoned_intents"]

NOT_IN_NETSUITE = "not in NetSuite and not planned again by a later run; a new plan looks it up before creating it"


def abandoned_intents(store: str, sync: SyncName, *, untouched_since: datetime) -> list[PostingIntent]:
    """Pending intents ``sync`` began for ``store`` and has not touched since ``untouched_since`` (a ledger read only)."""
    with ledger_for().session() as repo:
        return repo.pending_intents(store, sync=sync, untouched_since=untouched_since)


def _settle(runtime: SyncRuntime, intents: list[PostingIntent], result: BatchResult) -> None:
    for intent in intents:
        with one_record(result, intent.loop_return_id):
            found = runtime.netsuite.get_record_by_external_id(
                intent.record_type, intent.idempotency_key, expand_sub_resources=False
            )
            with runtime.ledger.session() as repo:
                current = repo.get_intent(intent.idempotency_key)
                if current is None or current.status != IntentStatus.PENDING:
                    continue  # another sync's run (refund_sync also creates RAs) settled it meanwhile
                if found is None:
                    repo.mark_skipped(intent.idempotency_key, NOT_IN_NETSUITE)
                    result.count("pending intent not in NetSuite, set aside")
                    continue
                external_id = ExternalId.parse_or_none(intent.idempotency_key)
                repo.mark_posted(intent.idempotency_key, ns_id=found["id"])
                if external_id is not None:
                    repo.record_netsuite_record(
                        store=runtime.store,
                        loop_return_id=intent.loop_return_id,
                        role=external_id.role,
                        record_type=intent.record_type,
                        ns_id=found["id"],
                        external_id=intent.idempotency_key,
                    )
                result.count("found in NetSuite after an interrupted run")


@task(name="settle abandoned intents", task_run_name="{sync} · {store} · abandoned intents", **RETRY_OPTIONS)
def settle_abandoned_intents(store: str, sync: SyncName, intents: list[PostingIntent]) -> BatchResult:
    """Look each intent up by externalId and settle it: posted when NetSuite holds the record, skipped when not."""
    return run_batch(sync, store, False, _settle, intents)
