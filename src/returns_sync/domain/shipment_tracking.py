"""What the warehouse should expect of a return on its way: the label's tracking number and an arrival date.

Loop's label webhook and the return's flat label fields carry ``carrier``, ``tracking_number``, ``label_status``
and ``label_updated_at`` (https://docs.loopreturns.com/reference/label-webhook); Loop documents no estimated
delivery date anywhere we found. So the expected date is ours: the day of the label's last status change plus the
store's ``return_transit_days``, or that day itself once the carrier reported the parcel delivered. A label in
``error``/``failure``, an unknown status or no tracking number gives nothing: nothing is written rather than a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from returns_sync.domain.loop import LabelStatus, LoopReturn

__all__ = ["ON_THE_WAY", "ShipmentTracking", "expected_tracking", "read_date"]

# Statuses of a label whose parcel is (or will be) on its way to the warehouse.
ON_THE_WAY = frozenset(
    {
        LabelStatus.NEW,
        LabelStatus.NOT_AVAILABLE,
        LabelStatus.PRE_TRANSIT,
        LabelStatus.IN_TRANSIT,
        LabelStatus.OUT_FOR_DELIVERY,
    }
)


@dataclass(frozen=True)
class ShipmentTracking:
    """The tracking number and the day the parcel is expected at the warehouse (None: no date can be told)."""

    tracking_number: str
    expected_date: date | None


def read_date(value: str | None) -> date | None:
    """A date as NetSuite or Loop writes it: ``YYYY-MM-DD``, an ISO datetime, or the US ``M/D/YYYY``; None otherwise."""
    if not value:
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    try:
        return datetime.strptime(text, "%m/%d/%Y").date()
    except ValueError:
        return None


def expected_tracking(loop_return: LoopReturn, transit_days: int) -> ShipmentTracking | None:
    """The tracking to record for ``loop_return``, or None when its label tells nothing the warehouse can use."""
    number = (loop_return.tracking_number or "").strip()
    if not number:
        return None
    try:
        status = LabelStatus(loop_return.label_status or "")
    except ValueError:
        return None
    changed = read_date(loop_return.label_updated_at)
    if status is LabelStatus.DELIVERED:
        return ShipmentTracking(number, changed)
    if status not in ON_THE_WAY:
        return None
    return ShipmentTracking(number, changed + timedelta(days=transit_days) if changed else None)
