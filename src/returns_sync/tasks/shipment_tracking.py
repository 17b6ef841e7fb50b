"""The return label's tracking number and expected arrival on the NetSuite RA, so the warehouse sees what is coming.

Loop reports a label bought (``label.created``) and every carrier scan after it (``label.updated``), and keeps a
flat copy of the main label on the return (https://docs.loopreturns.com/reference/label-webhook,
https://docs.loopreturns.com/reference/setting-up-webhooks). ra_sync reads the return either way (a webhook run
fetches it by id, the scheduled run lists it), so both paths come here with the same fields and no extra read:
a new RA is created carrying them, an existing one still awaiting goods is PATCHed only where NetSuite holds
something else. Nothing is ever created here, and a return whose RA does not exist yet is simply read again on
the next run (its label change moved its ``updated_at``) and gets its RA with the tracking then.
"""

from __future__ import annotations

from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.netsuite import RaStatus
from returns_sync.domain.shipment_tracking import ShipmentTracking, expected_tracking, read_date
from returns_sync.domain.syncs import SyncName
from returns_sync.tasks.loading import ReturnWork
from returns_sync.tasks.netsuite_bodies import RequestBody
from returns_sync.tasks.netsuite_lookup import RaState
from returns_sync.tasks.ra_updates import update_return_authorization
from returns_sync.tasks.results import BatchResult
from returns_sync.tasks.runtime import SyncRuntime

__all__ = ["record_tracking", "tracking_fields"]

# RAs the warehouse still receives against; a received, refunded or closed RA is past caring about the parcel.
_AWAITING_GOODS = frozenset(
    {
        RaStatus.PENDING_APPROVAL,
        RaStatus.PENDING_RECEIPT,
        RaStatus.PARTIALLY_RECEIVED,
        RaStatus.PENDING_REFUND_PARTIALLY_RECEIVED,
    }
)


def _fields(runtime: SyncRuntime, tracking: ShipmentTracking) -> RequestBody:
    s = runtime.settings
    body: RequestBody = {}
    if s.ra_tracking_number_field:
        body[s.ra_tracking_number_field] = tracking.tracking_number
    if s.ra_expected_date_field and tracking.expected_date is not None:
        body[s.ra_expected_date_field] = tracking.expected_date.isoformat()
    return body


def tracking_fields(runtime: SyncRuntime, loop_return: LoopReturn) -> RequestBody:
    """RA body fields carrying the return's tracking (none when the store turned them off or the label tells nothing)."""
    tracking = expected_tracking(loop_return, runtime.settings.return_transit_days)
    return {} if tracking is None else _fields(runtime, tracking)


def _differing(runtime: SyncRuntime, ra: RaState, tracking: ShipmentTracking) -> RequestBody:
    """The tracking fields the RA does not already hold (dates compared as dates, not as NetSuite renders them)."""
    s = runtime.settings
    changes: RequestBody = {}
    if s.ra_tracking_number_field and (ra.tracking_number or "") != tracking.tracking_number:
        changes[s.ra_tracking_number_field] = tracking.tracking_number
    expected = tracking.expected_date
    if s.ra_expected_date_field and expected is not None and read_date(ra.expected_date) != expected:
        changes[s.ra_expected_date_field] = expected.isoformat()
    return changes


def record_tracking(runtime: SyncRuntime, w: ReturnWork, result: BatchResult, *, sync: SyncName) -> None:
    """PATCH the return's existing RA with its label's tracking where NetSuite holds something else.

    A refusal (the field does not exist, the role may not edit it) is an error for the run, never bad data and
    never a quarantine; a credentials failure propagates and stops the run.
    """
    ra = w.ra
    if ra is None or ra.status not in _AWAITING_GOODS:
        return
    tracking = expected_tracking(w.loop_return, runtime.settings.return_transit_days)
    changes = _differing(runtime, ra, tracking) if tracking is not None else {}
    if not changes:
        return
    if result.dry_run:
        result.count("would record tracking on the RA")
        return
    recorded = update_return_authorization(
        runtime,
        w,
        result,
        ra=ra,
        changes=changes,
        sync=sync,
        action="recorded tracking on returnAuthorization",
        refused="the tracking on",
        detail=changes,
    )
    if not recorded:
        return
    result.count("tracking recorded on the RA")
