"""Create a NetSuite record exactly once: ledger intent first, deterministic externalId, look-up after a lost answer.

A crash or timeout at any point followed by a rerun converges on the same record: the intent
says a create may have happened, the externalId finds it, and NetSuite's own uniqueness of
externalIds refuses a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from returns_sync.connectors.errors import ApiError, AuthenticationError, PermanentApiError
from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.money import Money
from returns_sync.domain.netsuite import RecordType
from returns_sync.domain.syncs import SyncName
from returns_sync.ledger import IntentConflictError, IntentStatus
from returns_sync.tasks.netsuite_bodies import RequestBody
from returns_sync.tasks.runtime import SyncRuntime

__all__ = ["DUPLICATE_CODES", "Created", "NetSuiteRefused", "create_once", "is_duplicate_answer"]

log = logging.getLogger(__name__)

# NetSuite's answers to a second record with an externalId already taken. SOAP says DUP_RCRD; REST says 400
# USER_ERROR "Error while accessing a resource. This entity already exists." (a generic code, so the text decides;
# docs/sandbox/FIDELITY.md cites the sources).
DUPLICATE_CODES = frozenset({"DUP_RCRD", "DUPLICATE_RECORD", "DUP_ENTITY", "DUPLICATE_EXTERNAL_ID"})
_DUPLICATE_ENTITY_TEXT = "this entity already exists"


def is_duplicate_answer(error: ApiError) -> bool:
    """True when NetSuite refused a create because a record with its externalId already exists."""
    if error.code in DUPLICATE_CODES:
        return True
    return error.code == "USER_ERROR" and _DUPLICATE_ENTITY_TEXT in (error.message or "").lower()


@dataclass(frozen=True)
class Created:
    ns_id: str
    external_id: ExternalId
    record_type: RecordType
    created_now: bool  # False when an earlier run (or attempt) had already created it


class NetSuiteRefused(Exception):
    """NetSuite refused the record for a reason retrying will not fix; the return is quarantined."""

    def __init__(self, external_id: ExternalId, error: ApiError) -> None:
        super().__init__(f"NetSuite refused {external_id}: {error.message}")
        self.external_id = external_id
        self.error = error
        self.code = error.code


def _lookup(runtime: SyncRuntime, record_type: RecordType, external_id: ExternalId) -> str | None:
    found = runtime.netsuite.get_record_by_external_id(record_type.value, str(external_id), expand_sub_resources=False)
    return str(found["id"]) if found else None


def create_once(
    runtime: SyncRuntime,
    *,
    sync: SyncName,
    record_type: RecordType,
    external_id: ExternalId,
    body: RequestBody,
    create: Callable[[], str],
    total: Money | None = None,
) -> Created:
    """Run ``create`` (which sends ``body``) unless the record already exists; record the outcome in the ledger.

    The intent is written before ``create`` runs, keyed by ``external_id`` (which also names the
    return and the record's role).

    Example:
        >>> created = create_once(runtime, sync=SyncName.RA_SYNC, record_type=RecordType.RETURN_AUTHORIZATION,
        ...                       external_id=ra.external_id, body=body, create=lambda: ns.transform(...))  # doctest: +SKIP

    Raises:
        NetSuiteRefused: NetSuite answered with a permanent error (the intent is marked failed).
        AuthenticationError: the credentials were refused; never a refusal of the record (the run stops).
        ApiError: a transient failure; the intent stays pending so the next attempt looks the record up.
    """
    if external_id.store != runtime.store:
        raise ValueError(f"{external_id} belongs to store {external_id.store!r}, not {runtime.store!r}")
    key, loop_return_id = str(external_id), external_id.loop_return_id
    started = datetime.now(UTC)
    with runtime.ledger.session() as repo:
        try:
            intent = repo.begin_intent(
                idempotency_key=key,
                store=runtime.store,
                loop_return_id=loop_return_id,
                sync=sync,
                record_type=record_type,
                request_body=body,
            )
        except IntentConflictError:
            intent = None
    if intent is not None and intent.status == IntentStatus.POSTED and intent.ns_id:
        return Created(intent.ns_id, external_id, record_type, created_now=False)

    ns_id: str | None = None
    if intent is None or intent.created_at is None or intent.created_at < started or intent.attempts:
        # An earlier attempt began this create (maybe with other data): it may have reached NetSuite.
        ns_id = _lookup(runtime, record_type, external_id)
        if intent is None and ns_id is None:
            with runtime.ledger.session() as repo:
                repo.mark_failed(key, "superseded by a newer plan before it was created", permanent=True)
                intent = repo.begin_intent(
                    idempotency_key=key,
                    store=runtime.store,
                    loop_return_id=loop_return_id,
                    sync=sync,
                    record_type=record_type,
                    request_body=body,
                )
    created_now = False
    if ns_id is None:
        try:
            ns_id = str(create())
            created_now = True
        except ApiError as exc:
            duplicate = is_duplicate_answer(exc)
            if exc.maybe_committed or duplicate:
                ns_id = _lookup(runtime, record_type, external_id)
            if ns_id is None:
                # Refused credentials say nothing about the record: the run stops and the create stays to be retried.
                refused = isinstance(exc, PermanentApiError) and not isinstance(exc, AuthenticationError)
                with runtime.ledger.session() as repo:
                    repo.mark_failed(key, exc, permanent=refused)
                if refused:
                    raise NetSuiteRefused(external_id, exc) from exc
                raise
            log.info("%s already existed in NetSuite as %s (found after %s)", external_id, ns_id, exc.code or "a lost answer")
    with runtime.ledger.session() as repo:
        repo.mark_posted(key, ns_id=ns_id)
        repo.record_netsuite_record(
            store=runtime.store,
            loop_return_id=loop_return_id,
            role=external_id.role,
            record_type=record_type,
            ns_id=ns_id,
            external_id=key,
            total=total.amount if total is not None else None,
            currency=total.currency if total is not None else None,
        )
    return Created(ns_id, external_id, record_type, created_now)
