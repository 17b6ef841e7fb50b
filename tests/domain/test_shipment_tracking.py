"""The tracking a return's label gives the warehouse: number and expected day, or nothing rather than a guess."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.shipment_tracking import ShipmentTracking, expected_tracking, read_date

SCANNED = "2024-05-01T22:30:00.000Z"


def _return(**label: Any) -> LoopReturn:
    return LoopReturn.model_validate({"id": "1001", "state": "open", **label})


@pytest.mark.parametrize("status", ["new", "N/A", "pre_transit", "in_transit", "out_for_delivery"])
def test_a_parcel_on_its_way_is_expected_transit_days_after_its_last_scan(status: str) -> None:
    r = _return(tracking_number="9400111899223344556677", label_status=status, label_updated_at=SCANNED)
    assert expected_tracking(r, 5) == ShipmentTracking("9400111899223344556677", date(2024, 5, 6))


def test_a_delivered_parcel_is_expected_the_day_it_was_delivered() -> None:
    r = _return(tracking_number="1Z999", label_status="delivered", label_updated_at=SCANNED)
    assert expected_tracking(r, 5) == ShipmentTracking("1Z999", date(2024, 5, 1))


@pytest.mark.parametrize(
    "label",
    [
        {"tracking_number": "1Z999", "label_status": "error", "label_updated_at": SCANNED},
        {"tracking_number": "1Z999", "label_status": "failure", "label_updated_at": SCANNED},
        {"tracking_number": "1Z999", "label_status": "teleported", "label_updated_at": SCANNED},
        {"tracking_number": "1Z999", "label_status": None},
        {"tracking_number": "", "label_status": "in_transit", "label_updated_at": SCANNED},
        {"label_status": "in_transit", "label_updated_at": SCANNED},
    ],
    ids=["error", "failure", "undocumented-status", "no-status", "empty-number", "no-number"],
)
def test_a_label_that_tells_nothing_usable_gives_nothing(label: dict[str, Any]) -> None:
    assert expected_tracking(_return(**label), 5) is None


def test_an_unreadable_scan_time_keeps_the_number_and_no_date() -> None:
    r = _return(tracking_number="1Z999", label_status="in_transit", label_updated_at="soon")
    assert expected_tracking(r, 5) == ShipmentTracking("1Z999", None)


@pytest.mark.parametrize(
    ("text", "day"),
    [("2024-05-06", date(2024, 5, 6)), ("5/6/2024", date(2024, 5, 6)), (SCANNED, date(2024, 5, 1)), ("", None), ("6.5.", None)],
)
def test_dates_are_read_as_netsuite_and_loop_write_them(text: str, day: date | None) -> None:
    assert read_date(text) == day
