"""Change fields of a return's RA in NetSuite: one PATCH, an audit entry, and the same answer to a refusal everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from returns_sync.connectors.errors import AuthenticationError, PermanentApiError
from returns_sync.domain.netsuite import RecordType
from returns_sync.domain.syncs import SyncName
from returns_sync.tasks.loading import ReturnWork
from returns_sync.tasks.netsuite_bodies import RequestBody
from returns_sync.tasks.netsuite_lookup import RaState
from returns_sync.tasks.results import BatchResult
from returns_sync.tasks.runtime import SyncRuntime

__all__ = ["update_return_authorization"]


def update_return_authorization(
    runtime: SyncRuntime,
    w: ReturnWork,
    result: BatchResult,
    *,
    ra: RaState,
    changes: RequestBody,
    sync: SyncName,
    action: str,
    refused: str,
    detail: Mapping[str, Any] | None = None,
) -> bool:
    """PATCH ``changes`` onto ``ra`` and audit it as ``action``; True when NetSuite took them.

    A refusal (say, the role may not edit the field) is an error of the return left for the next run,
    worded "NetSuite refused ``refused`` <RA>"; refused credentials propagate and stop the run.
    """
    try:
        runtime.netsuite.update_record(RecordType.RETURN_AUTHORIZATION, ra.id, changes)
    except AuthenticationError:
        raise
    except PermanentApiError as exc:
        result.errors.append((w.id, f"NetSuite refused {refused} {ra.tranid}: {exc.message}"))
        return False
    with runtime.ledger.session() as repo:
        repo.audit(
            store=runtime.store,
            sync=sync,
            loop_return_id=w.id,
            action=action,
            detail={"ns_id": ra.id, "tranid": ra.tranid, **(detail or {})},
        )
    return True
