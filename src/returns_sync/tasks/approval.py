"""Return authorization approval: create RAs approved when the store says so, and never receive or refund a pending one.

A NetSuite account whose "Default Return Authorization Status" preference is Pending Approval creates every RA
in status A, and refuses to transform it into an item receipt, credit memo or cash refund until someone approves
it. ``orderStatus`` B (Pending Receipt) approves: on the create, or by a PATCH afterwards (Oracle's REST
tutorial for the same field on sales orders, github.com/oracle-devrel/netsuite.devo.build "Approve Your Sales
Order Use Case"). With ``StoreSettings.approve_return_authorizations`` on, the sync does both; off, a pending
RA is a return waiting for a person, reported as waiting (not bad data, not quarantined).
"""

from __future__ import annotations

import dataclasses

from returns_sync.domain.netsuite import RaStatus
from returns_sync.domain.syncs import SyncName
from returns_sync.tasks.loading import ReturnWork
from returns_sync.tasks.netsuite_bodies import RequestBody
from returns_sync.tasks.ra_updates import update_return_authorization
from returns_sync.tasks.results import BatchResult
from returns_sync.tasks.runtime import SyncRuntime

__all__ = ["approval_fields", "ensure_approved"]

_APPROVED = RaStatus.PENDING_RECEIPT


def approval_fields(runtime: SyncRuntime) -> RequestBody:
    """Body fields that create the RA approved when the store approves its RAs (harmless where none need approval)."""
    return {"orderStatus": _APPROVED.value} if runtime.settings.approve_return_authorizations else {}


def ensure_approved(runtime: SyncRuntime, w: ReturnWork, result: BatchResult, *, sync: SyncName) -> bool:
    """True when the return's RA is approved, approving it now if the store says so; False: the return waits.

    Only an RA seen Pending Approval is touched, so a rerun after a lost answer PATCHes the same value again.
    A refusal (say, the role may not approve) is left for the next run as an error; a credentials failure
    propagates and stops the run.
    """
    ra = w.ra
    if ra is None or ra.status is not RaStatus.PENDING_APPROVAL:
        return True
    if not runtime.settings.approve_return_authorizations:
        result.waiting.append(
            (
                w.id,
                f"approval of {ra.tranid} in NetSuite (Pending Approval: approve it there, "
                "or turn on the store's approve_return_authorizations)",
            )
        )
        result.count("waiting for RA approval")
        return False
    if result.dry_run:
        result.count("would approve the RA")
        return False
    approved = update_return_authorization(
        runtime,
        w,
        result,
        ra=ra,
        changes={"orderStatus": _APPROVED.value},
        sync=sync,
        action="approved returnAuthorization",
        refused="to approve",
    )
    if not approved:
        return False
    w.ra = dataclasses.replace(ra, status=_APPROVED)
    result.count("RAs approved")
    return True
