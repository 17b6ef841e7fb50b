"""NetSuite -> Loop changes between sweeps: our RAs modified since a moment, and which of them want a run now.

The NetSuite-driven syncs act when goods are received on an RA (``item_receipt_to_loop``: process or flag the
Loop return), when someone closes or cancels it (``ra_cancellation``: cancel the Loop return), or when its flag
changes. Our own postings modify RAs too (a new RA, our receipt of goods Loop already processed, our refund), and
a run for those would read NetSuite and Loop for nothing: the ledger says which changes are news.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from returns_sync.domain.loop import ReturnState
from returns_sync.domain.netsuite import RaStatus
from returns_sync.ledger import ReturnLink
from returns_sync.tasks.changed_ras import modified_return_authorizations
from returns_sync.tasks.item_receipt_to_loop import flag_value
from returns_sync.tasks.netsuite_lookup import RaState
from returns_sync.tasks.runtime import open_runtime

__all__ = ["RaChange", "ra_changes_since", "wants_a_run"]

# Something was received: Loop may have a return to process or flag (statuses: domain/netsuite.RaStatus).
_RECEIVED = frozenset(
    {RaStatus.PARTIALLY_RECEIVED, RaStatus.PENDING_REFUND_PARTIALLY_RECEIVED, RaStatus.PENDING_REFUND, RaStatus.REFUNDED}
)
# Someone ended the RA: Loop may have a return to cancel.
_ENDED = frozenset({RaStatus.CLOSED, RaStatus.CANCELLED})


@dataclass(frozen=True)
class RaChange:
    """One of our RAs as NetSuite holds it now (header only), and whether the NetSuite-driven syncs have news in it."""

    ra: RaState
    wants_run: bool


def wants_a_run(ra: RaState, link: ReturnLink | None, *, flag_configured: bool) -> bool:
    """Whether this RA's state can mean a Loop write the ledger has not seen done.

    No: the Loop return is closed, cancelled or expired (nothing left to process, flag or cancel), or the ledger last
    saw the RA in this very status with this flag. Yes: its flag changed, or it now has goods received or has ended.
    A new RA (pending approval or receipt) is no news to Loop, whoever made it.
    """
    if link is not None and link.loop_state_seen is not None and ReturnState(link.loop_state_seen).is_terminal():
        return False
    if flag_configured and flag_value(ra.flag) != ((link.ra_flag_synced if link else None) or "F"):
        return True
    if link is not None and link.ra_status_seen == ra.status:
        return False
    return ra.status in _RECEIVED or ra.status in _ENDED


def ra_changes_since(store: str, since: datetime) -> list[RaChange]:
    """Our RAs of ``store`` modified at or after ``since`` (UTC), each judged against the ledger. One SuiteQL query."""
    with open_runtime(store) as runtime:
        s = runtime.settings
        ras = modified_return_authorizations(
            runtime.netsuite,
            store=store,
            since=since,
            loop_id_field=s.ra_loop_id_field,
            flag_field=s.ra_flag_field,
            time_zone=s.netsuite_time_zone,
        )
        with runtime.ledger.session() as repo:
            links = {ra.id: repo.get_link(store, ra.loop_return_id) if ra.loop_return_id else None for ra in ras}
    flagged = bool(s.ra_flag_field)
    return [
        RaChange(ra=ra, wants_run=bool(ra.loop_return_id) and wants_a_run(ra, links[ra.id], flag_configured=flagged))
        for ra in ras
    ]
