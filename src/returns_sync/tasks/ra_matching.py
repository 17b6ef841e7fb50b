"""Match a return's planned RA lines to the RA NetSuite holds, by sales-order line and item, never by position.

A return edited in Loop after its RA exists (a unit removed, a line dropped) leaves the RA with lines the
plan no longer has, or more units on a line than the return now holds. That is no reason to stop: each
planned line takes the RA line of its own SO line and item, and the RA's other lines are left alone. Only
a planned line the RA cannot carry (no line of its SO line and item, or fewer units than planned) means the
RA truly diverges from the return; the sync then quarantines the return with these words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from returns_sync.domain.netsuite import RecordRole
from returns_sync.tasks.loading import ReturnWork
from returns_sync.tasks.netsuite_lookup import RaLine

__all__ = ["RA_DIVERGED", "RaMatch", "diverged_reason", "match_ra_lines"]

RA_DIVERGED = "ra_diverged"


@dataclass(frozen=True)
class RaMatch:
    """Planned RA line index -> the RA's line number, the planned units per pair, and what does not fit."""

    lines: dict[int, int]
    planned_units: dict[int, int]  # RA line number -> units the return plans on it
    received: dict[int, int]  # RA line number -> units NetSuite received on it (capped at the planned units)
    problems: list[str] = field(default_factory=list)
    unplanned: list[RaLine] = field(default_factory=list)  # RA lines the return no longer has

    @property
    def diverged(self) -> bool:
        return bool(self.problems)

    @property
    def wanted_units(self) -> int:
        return sum(self.planned_units.values())

    @property
    def received_units(self) -> int:
        return sum(self.received.values())


def match_ra_lines(w: ReturnWork) -> RaMatch | None:
    """The match of ``w``'s planned RA with its RA in NetSuite; None when either is missing.

    Lines of one SO line and item pair up in order (a refunded and an exchanged unit of one SO line are two
    RA lines of the same item). A planned line pairs only with an RA line holding at least its units.
    """
    ra_plan = w.plan.record(RecordRole.RA) if w.plan else None
    if w.ra is None or ra_plan is None:
        return None
    free = list(w.ra.lines)
    lines: dict[int, int] = {}
    planned_units: dict[int, int] = {}
    received: dict[int, int] = {}
    problems: list[str] = []
    for index, planned in enumerate(ra_plan.lines):
        same = [
            line
            for line in free
            if line.item_id == planned.item_id and (planned.order_line is None or line.order_line == planned.order_line)
        ]
        fits = next((line for line in same if line.quantity >= planned.quantity), None)
        what = f"{planned.quantity} × {planned.sku or f'item {planned.item_id}'} (SO line {planned.order_line})"
        if fits is None:
            held = f"only {max(line.quantity for line in same)} on it" if same else "no line for it"
            problems.append(f"the return has {what} but RA {w.ra.tranid} has {held}")
            continue
        free.remove(fits)
        lines[index] = fits.line
        planned_units[fits.line] = planned.quantity
        received[fits.line] = min(fits.received, planned.quantity)
    return RaMatch(lines=lines, planned_units=planned_units, received=received, problems=problems, unplanned=free)


def diverged_reason(w: ReturnWork, match: RaMatch) -> str:
    """The quarantine reason for an RA that cannot carry the return as it stands now."""
    assert w.ra is not None  # a match exists only with an RA
    return (
        f"Loop return {w.id} was changed after its RA {w.ra.tranid} was created and no longer fits it: "
        f"{'; '.join(match.problems)}. Edit the RA in NetSuite (or the return in Loop); the next run retries"
    )
