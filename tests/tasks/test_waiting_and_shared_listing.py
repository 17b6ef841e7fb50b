"""An idle cycle does not re-read what nothing changed (issue 12).

Returns refund_sync found waiting come back only when something about them moved or after a bounded wait;
run_all's one Loop listing gives each Loop-driven sync exactly what its own list calls would have.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fakes import listed_return, loop_return

from returns_sync.blocks import StoreSettings
from returns_sync.domain.loop import ReturnState
from returns_sync.domain.loop_records import MalformedReturn
from returns_sync.domain.netsuite import RaStatus
from returns_sync.ledger import Ledger, ReturnLink
from returns_sync.tasks import runtime as runtime_module
from returns_sync.tasks.cursors import REFUND_WAIT_RECHECK, refund_recheck_due
from returns_sync.tasks.item_receipt_to_loop import update_loop_from_receipts
from returns_sync.tasks.netsuite_lookup import RaLine, RaState
from returns_sync.tasks.shared_loop_listing import SharedLoopListing, sharing_listing

STORE = "north"
T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _waiting_link(ledger: Ledger):
    with ledger.session() as repo:
        repo.upsert_link(STORE, "9001", ns_return_authorization_id="812", loop_state_seen=ReturnState.CLOSED)
        repo.note_refund_waiting(STORE, ["9001"])
        return repo.get_link(STORE, "9001")


def test_a_return_never_checked_is_due():
    assert refund_recheck_due(ReturnLink(store=STORE, loop_return_id="9001"), T0)


def test_a_waiting_return_rests_until_the_bounded_recheck(ledger: Ledger):
    link = _waiting_link(ledger)
    assert link.refund_wait_checked_at is not None
    assert link.updated_at == link.refund_wait_checked_at
    checked = link.refund_wait_checked_at
    assert not refund_recheck_due(link, checked + timedelta(minutes=1))
    assert not refund_recheck_due(link, checked + REFUND_WAIT_RECHECK - timedelta(seconds=1))
    assert refund_recheck_due(link, checked + REFUND_WAIT_RECHECK)


def test_a_change_of_its_link_brings_a_waiting_return_back_at_once(ledger: Ledger):
    link = _waiting_link(ledger)
    with ledger.session() as repo:
        # item_receipt_to_loop notes the RA status NetSuite reports after a receipt there.
        changed = repo.upsert_link(STORE, "9001", ra_status_seen="pendingRefund")
    assert changed.updated_at is not None and link.refund_wait_checked_at is not None
    assert changed.updated_at > link.refund_wait_checked_at
    assert refund_recheck_due(changed, link.refund_wait_checked_at + timedelta(seconds=1))


def _listing() -> SharedLoopListing:
    def at(minutes: int) -> str:
        return (T0 + timedelta(minutes=minutes)).isoformat()

    return SharedLoopListing(
        store=STORE,
        start=T0,
        end=T0 + timedelta(hours=1),
        returns={
            ReturnState.OPEN: [listed_return("1", updated_at=at(5)), loop_return("2", updated_at=at(40))],
            ReturnState.CLOSED: [listed_return("3", state="closed", updated_at=at(50))],
            ReturnState.CANCELLED: [listed_return("4", state="cancelled", updated_at=at(1))],
        },
        malformed={
            ReturnState.OPEN: [MalformedReturn(loop_return_id="5", field="line_items", reason="is not a list")],
            ReturnState.CLOSED: [],
            ReturnState.CANCELLED: [],
        },
    )


def test_each_sync_takes_its_states_from_its_own_window_start():
    listing = _listing()
    returns, malformed = listing.take([ReturnState.OPEN, ReturnState.CLOSED], T0 + timedelta(minutes=30))
    assert sorted(r.id for r in returns) == ["2", "3"]
    assert [m.loop_return_id for m in malformed] == ["5"]  # no readable time: its sync quarantines it
    returns, malformed = listing.take([ReturnState.CANCELLED], T0)
    assert [r.id for r in returns] == ["4"] and malformed == []


@pytest.mark.parametrize(
    ("store", "states", "start", "covered"),
    [
        (STORE, [ReturnState.OPEN], T0, True),
        (STORE, [ReturnState.OPEN, ReturnState.EXPIRED], T0, False),  # a state the listing did not ask for
        (STORE, [ReturnState.OPEN], T0 - timedelta(seconds=1), False),  # a window starting before the listing
        ("south", [ReturnState.OPEN], T0, False),
    ],
)
def test_a_listing_serves_only_windows_and_states_it_covers(store, states, start, covered):
    assert _listing().covers(store, states, start) is covered


def test_latest_states_takes_the_newer_listing_of_a_return_that_moved_between_list_calls():
    listing = _listing()
    listing.returns[ReturnState.CLOSED].append(
        listed_return("1", state="closed", updated_at=(T0 + timedelta(minutes=9)).isoformat())
    )
    assert listing.latest_states() == {
        "1": ReturnState.CLOSED,
        "2": ReturnState.OPEN,
        "3": ReturnState.CLOSED,
        "4": ReturnState.CANCELLED,
    }


class _CountingLoop:
    """A Loop client that answers Get Return Details from ``states`` and records every call."""

    def __init__(self, states: dict[str, str]) -> None:
        self.states = states
        self.calls: list[tuple[str, str]] = []

    def get_return(self, rid: str):
        self.calls.append(("get", rid))
        return loop_return(rid, state=self.states[rid])

    def process_return(self, rid: str, details=None) -> None:
        self.calls.append(("process", rid))
        self.states[rid] = "closed"

    def flag_return(self, rid: str) -> None:
        self.calls.append(("flag", rid))
        self.states[rid] = "review"

    def create_note(self, rid: str, content: str) -> None:
        self.calls.append(("note", rid))

    def close(self) -> None:
        pass


def _received_ra(ra_id: int, rid: str) -> RaState:
    line = RaLine(line=1, item_id=1, quantity=1, received=1, billed=0, closed=False, order_line=1)
    return RaState(
        id=ra_id,
        tranid=f"RA{ra_id}",
        status=RaStatus.PENDING_REFUND,
        external_id=None,
        loop_return_id=rid,
        flag=None,
        last_modified=T0,
        lines=(line,),
    )


def test_item_receipt_to_loop_reads_no_return_the_cycle_listing_holds(monkeypatch, ledger, store_settings, netsuite):
    """Listed open: processed without a read; listed closed: left alone; not listed: one Get Return Details."""
    loop = _CountingLoop({"7001": "open", "7002": "closed", "7003": "open"})
    monkeypatch.setattr(runtime_module, "ledger_for", lambda url=None: ledger)
    monkeypatch.setattr(StoreSettings, "get_netsuite_client", lambda self: netsuite)
    monkeypatch.setattr(StoreSettings, "get_loop_client", lambda self: loop)
    runtime_module.use_store_settings(store_settings)
    listing = SharedLoopListing(
        store=STORE,
        start=T0,
        end=T0 + timedelta(hours=1),
        returns={
            ReturnState.OPEN: [listed_return("7001", updated_at=T0.isoformat())],
            ReturnState.CLOSED: [listed_return("7002", state="closed", updated_at=T0.isoformat())],
        },
    )
    ras = [_received_ra(801, "7001"), _received_ra(802, "7002"), _received_ra(803, "7003")]
    try:
        with sharing_listing(listing):
            result = update_loop_from_receipts.fn(STORE, ras, batch=1)
    finally:
        runtime_module.use_store_settings(None, store=STORE)
    assert loop.calls == [("process", "7001"), ("get", "7003"), ("process", "7003")]
    assert result.counts["processed in Loop"] == 2
    with ledger.session() as repo:
        assert repo.get_link(STORE, "7002").loop_state_seen == ReturnState.CLOSED
