"""The NetSuite poll's bookkeeping with a fake NetSuite: what it hands on once, again, or never, where its mark moves,
and that a failing store does not stop the others. The sandbox test (tests/flows/test_netsuite_poll.py) covers the
query and the ledger's judgement."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

from returns_sync.domain.netsuite import RaStatus
from returns_sync.service.netsuite_poll import NETSUITE_POLL_OVERLAP, NetSuitePoll
from returns_sync.tasks.netsuite_changes import RaChange
from returns_sync.tasks.netsuite_lookup import RaState

START = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def change(ra_id: int, modified: datetime, status: RaStatus = RaStatus.PENDING_REFUND, *, wants_run: bool = True) -> RaChange:
    ra = RaState(
        id=ra_id, tranid=f"RMA{ra_id}", status=status, external_id=f"loop-north-{ra_id}-ra",
        loop_return_id=str(48200000 + ra_id), flag=None, last_modified=modified,
    )  # fmt: skip
    return RaChange(ra=ra, wants_run=wants_run)


class FakeNetSuite:
    """Answers each poll with the RAs modified at or after its ``since``, as the SuiteQL window does."""

    def __init__(self) -> None:
        self.ras: dict[str, list[RaChange]] = {"north": [], "south": []}
        self.asked: list[tuple[str, datetime]] = []
        self.failing: set[str] = set()

    def __call__(self, store: str, since: datetime) -> list[RaChange]:
        self.asked.append((store, since))
        if store in self.failing:
            raise ConnectionError("NetSuite could not be reached")
        return [c for c in self.ras[store] if c.ra.last_modified and c.ra.last_modified >= since]


@pytest.fixture
def netsuite() -> FakeNetSuite:
    return FakeNetSuite()


@pytest.fixture
def handed() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def poll(netsuite: FakeNetSuite, handed: list[tuple[str, str]]) -> NetSuitePoll:
    return NetSuitePoll(["north", "south"], lambda store, rid: handed.append((store, rid)), changes=netsuite, now=lambda: START)


def test_a_change_is_handed_on_once_and_again_only_when_the_ra_changes_again(poll, netsuite, handed):
    netsuite.ras["north"] = [change(1, START), change(2, START, wants_run=False)]
    assert poll.poll_once() == {"north": ["48200001"], "south": []}
    assert poll.poll_once() == {"north": [], "south": []}, "the same rows again (the overlap) are not news"
    netsuite.ras["north"] = [change(1, START + timedelta(seconds=30)), change(2, START, wants_run=False)]
    assert poll.poll_once()["north"] == ["48200001"]
    assert handed == [("north", "48200001"), ("north", "48200001")]


def test_a_status_changed_within_the_same_second_is_news(poll, netsuite):
    netsuite.ras["north"] = [change(1, START, RaStatus.PENDING_RECEIPT, wants_run=False)]
    assert poll.poll_once()["north"] == []
    netsuite.ras["north"] = [change(1, START, RaStatus.PENDING_REFUND)]  # received in the second it was created
    assert poll.poll_once()["north"] == ["48200001"]


def test_the_mark_starts_an_overlap_back_and_follows_netsuites_newest_modification(poll, netsuite):
    poll.poll_once()
    assert netsuite.asked == [("north", START - NETSUITE_POLL_OVERLAP), ("south", START - NETSUITE_POLL_OVERLAP)]
    later = START + timedelta(hours=1)
    netsuite.ras["north"] = [change(1, later), change(2, START)]
    netsuite.asked.clear()
    poll.poll_once()
    poll.poll_once()
    assert netsuite.asked[-2:] == [("north", later - NETSUITE_POLL_OVERLAP), ("south", START - NETSUITE_POLL_OVERLAP)]
    netsuite.ras["north"] = [change(3, START - timedelta(hours=5))]  # a stray old row never moves the mark back
    poll.poll_once()
    assert netsuite.asked[-2][1] == later - NETSUITE_POLL_OVERLAP


def test_a_store_that_fails_is_logged_and_the_others_are_still_polled(poll, netsuite, caplog):
    netsuite.failing = {"north"}
    netsuite.ras["south"] = [change(5, START)]
    with caplog.at_level(logging.WARNING, logger="returns_sync.netsuite_poll"):
        assert poll.poll_once() == {"south": ["48200005"]}
    assert "the NetSuite poll for store north failed (ConnectionError)" in caplog.text
    netsuite.failing.clear()
    netsuite.ras["north"] = [change(1, START)]
    assert poll.poll_once() == {"north": ["48200001"], "south": []}, "the next tick tries the failed store again"


def test_the_thread_polls_every_interval_until_stopped(netsuite, handed):
    asked_twice = threading.Event()

    def changes(store: str, since: datetime) -> list[RaChange]:
        answer = netsuite(store, since)
        if len(netsuite.asked) >= 4:  # two polls of two stores
            asked_twice.set()
        return answer

    poll = NetSuitePoll(["north", "south"], lambda store, rid: handed.append((store, rid)), interval=0.05, changes=changes)
    poll.start()
    try:
        assert asked_twice.wait(5)
    finally:
        poll.stop()
    asked = len(netsuite.asked)
    threading.Event().wait(0.2)
    assert len(netsuite.asked) == asked, "no poll after stop"


def test_an_interval_of_zero_is_refused():
    with pytest.raises(ValueError, match="above 0 seconds"):
        NetSuitePoll(["north"], lambda store, rid: None, interval=0)


def test_a_hand_on_that_fails_does_not_end_the_thread(netsuite, caplog):
    netsuite.ras["north"] = [change(1, START)]
    polls = threading.Semaphore(0)

    def submit(store: str, rid: str) -> None:
        raise RuntimeError("the dispatcher is gone")

    def changes(store: str, since: datetime) -> list[RaChange]:
        polls.release()
        return netsuite(store, since)

    poll = NetSuitePoll(["north"], submit, interval=0.05, changes=changes, now=lambda: START)
    with caplog.at_level(logging.ERROR, logger="returns_sync.netsuite_poll"):
        poll.start()
        try:
            assert polls.acquire(timeout=5) and polls.acquire(timeout=5), "a second poll after the failed hand-on"
        finally:
            poll.stop()
    assert "could not hand its changes on" in caplog.text
