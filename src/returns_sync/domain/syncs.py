"""The names of the six syncs (and ``run_all``): flow names, task names, ledger keys, CLI choices, deployments."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["SyncName"]


class SyncName(StrEnum):
    """One sync of DESIGN.md §2, by its flow name; members are listed in lifecycle order, ``run_all`` last.

    The value is what Prefect, the ledger (cursor, intent, quarantine and audit rows) and the
    deployment names (``ra_sync-north``) carry, so it must never change for a member.

    Example:
        >>> [str(s) for s in SyncName.syncs()][:2]
        ['ra_sync', 'item_receipt_to_loop']
        >>> f"{SyncName.RA_SYNC}-north"
        'ra_sync-north'
    """

    RA_SYNC = "ra_sync"
    ITEM_RECEIPT_TO_LOOP = "item_receipt_to_loop"
    ITEM_RECEIPT_TO_NETSUITE = "item_receipt_to_netsuite"
    REFUND_SYNC = "refund_sync"
    RETURN_CANCELLATION = "return_cancellation"
    RA_CANCELLATION = "ra_cancellation"
    RUN_ALL = "run_all"

    @classmethod
    def syncs(cls) -> tuple[SyncName, ...]:
        """The six syncs in lifecycle order (the order ``run_all`` runs them and schedules are staggered in)."""
        return tuple(name for name in cls if name is not cls.RUN_ALL)
