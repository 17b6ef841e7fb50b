"""A NetSuite-driven sync takes a backlog of changed RAs a page at a time (issue 12: memory flat to 20,000 returns).

Each page's batches run before the page after next is read, every RA is handed on once, the returns the ledger
wants revisited are read by id only when no page held their RA, and the cursor moves over every page's RAs,
or not at all when a batch or a page read failed. The pages are ``changed_return_authorizations``'s, as the
fetch task returns them; the NetSuite side of paging is in tests/contract/test_netsuite_changed_ras_paging.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prefect import flow, task

from returns_sync.connectors.errors import AuthenticationError
from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.netsuite import RaStatus, RecordRole
from returns_sync.domain.syncs import SyncName
from returns_sync.flows import common
from returns_sync.ledger.cursor import Cursor, Window
from returns_sync.tasks.changed_ras import ChangedRaPage, RaPageKey
from returns_sync.tasks.netsuite_lookup import RaState
from returns_sync.tasks.results import BatchResult

pytestmark = [pytest.mark.flow]

STORE, SYNC = "north", SyncName.RA_CANCELLATION
START = datetime(2026, 12, 1, tzinfo=UTC)
END = START + timedelta(days=1)
PAGE = 3


def _ra(n: int) -> RaState:
    return RaState(
        id=900 + n,
        tranid=f"RMA{n}",
        status=RaStatus.PENDING_RECEIPT,
        external_id=str(ExternalId(STORE, f"4830{n:04d}", RecordRole.RA)),
        loop_return_id=f"4830{n:04d}",
        flag=None,
        last_modified=START + timedelta(minutes=n),
    )


class FakeNetSuite:
    """Pages of ``PAGE`` RAs in key order; notes how many pages were read and not yet handed to a batch."""

    def __init__(self, ras: list[RaState], *, failing_page: int | None = None) -> None:
        self.ras, self.failing_page = ras, failing_page
        self.afters: list[RaPageKey | None] = []
        self.by_id: list[list[str]] = []
        self.read_not_run: set[int] = set()
        self.most_held = 0
        self.lock = threading.Lock()

    def page(self, after: RaPageKey | None) -> ChangedRaPage:
        with self.lock:
            self.afters.append(after)
            number = len(self.afters)
            if number == self.failing_page:
                raise ConnectionError("NetSuite did not answer")
            start = 0 if after is None else next(i for i, ra in enumerate(self.ras) if ra.id == after.ra_id) + 1
            ras = self.ras[start : start + PAGE]
            last = start + PAGE >= len(self.ras)
            self.read_not_run.add(number)
            self.most_held = max(self.most_held, len(self.read_not_run))
        key = None if last else RaPageKey(ras[-1].last_modified or START, ras[-1].id)
        return ChangedRaPage(ras=ras, headers_read=len(ras), next_after=key)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    seen: dict[str, Any] = {"batches": [], "cursor": None}
    netsuite = FakeNetSuite([_ra(n) for n in range(1, 9)])  # 8 RAs: pages of 3, 3, 2
    seen["netsuite"] = netsuite

    @task
    def fetch_page(store, sync, start, end, unchanged_through=None, after=None) -> ChangedRaPage:
        return seen["netsuite"].page(after)

    @task
    def fetch_by_return(store, sync, return_ids, return_ids_count=0) -> list[RaState]:
        seen["netsuite"].by_id.append(list(return_ids))
        return [_ra(int(rid[-4:])) for rid in return_ids]

    def open_window(store, sync, since=None):
        cursor = Cursor(store=store, sync=str(sync), last_value=None, run_started_at=None)
        return Window(cursor=cursor, start=START, end=END, run_started_at=END), seen.get("revisit", [])

    def advance(window, seen_pairs):
        seen["cursor"] = list(seen_pairs.unquote())  # the flow quotes it for Prefect

    @contextmanager
    def held(store, sync):
        yield True

    monkeypatch.setattr(common, "fetch_changed_return_authorizations", fetch_page)
    monkeypatch.setattr(common, "fetch_return_authorizations_by_return", fetch_by_return)
    monkeypatch.setattr(common, "open_sync_window", open_window)
    monkeypatch.setattr(common, "advance_sync_cursor", advance)
    monkeypatch.setattr(common, "exclusive_run", held)
    monkeypatch.setattr(common, "_settle_abandoned_intents", lambda result, started: None)
    yield seen


@task
def recording_batch(store: str, items: list[RaState], *, batch: int, dry_run: bool) -> BatchResult:
    return _recorded(items)


_RUN: dict[str, Any] = {}


def _recorded(items: list[RaState]) -> BatchResult:
    netsuite: FakeNetSuite = _RUN["world"]["netsuite"]
    with netsuite.lock:  # a batch of this page has started: the page is no longer only read
        if items[0] in netsuite.ras:  # (a revisited return's RA comes from no page)
            netsuite.read_not_run.discard(netsuite.ras.index(items[0]) // PAGE + 1)
    if _RUN.get("fail_batch_of") in [ra.loop_return_id for ra in items]:
        raise RuntimeError("a batch that fails")
    if _RUN.get("refuse_batch_of") in [ra.loop_return_id for ra in items]:
        raise AuthenticationError("Invalid login attempt.", vendor="netsuite", status_code=401)
    _RUN["world"]["batches"].append([ra.loop_return_id for ra in items])
    result = BatchResult(sync=SYNC, store=STORE)
    result.count("RA handled", len(items))
    return result


def _run(world: dict[str, Any], **knobs: Any) -> BatchResult:
    _RUN.clear()
    _RUN.update(world=world, **knobs)

    @flow(name="changed-ra-pages-probe")
    def probe() -> BatchResult:
        return common.run_netsuite_sync(
            sync=SYNC, store=STORE, return_ids=None, since=None, dry_run=False, batch_task=recording_batch, batch_size=2
        )

    return probe()


def test_every_page_is_run_once_in_order_and_no_more_than_two_are_held(prefect_api: Any, world: dict[str, Any]) -> None:
    result = _run(world)
    netsuite: FakeNetSuite = world["netsuite"]
    handled = [rid for batch in world["batches"] for rid in batch]
    assert sorted(handled) == [f"4830{n:04d}" for n in range(1, 9)]  # each once
    # Three pages, each read after the key the one before ended on.
    assert [key.ra_id if key else None for key in netsuite.afters] == [None, 903, 906]
    assert netsuite.most_held <= 2
    assert result.counts["changed RAs read"] == 8 and result.counts["RA handled"] == 8
    # The cursor moved over the RAs of every page.
    assert [pair[0] for pair in world["cursor"]] == [ra.external_id for ra in netsuite.ras]


def test_revisited_returns_are_read_by_id_only_when_no_page_held_them(prefect_api: Any, world: dict[str, Any]) -> None:
    world["revisit"] = ["48300002", "48300020"]  # the first changed in the window, the second did not
    _run(world)
    assert world["netsuite"].by_id == [["48300020"]]
    handled = [rid for batch in world["batches"] for rid in batch]
    assert handled.count("48300002") == 1 and handled.count("48300020") == 1


def test_a_failed_batch_leaves_the_cursor_where_it_was_and_the_other_pages_run(prefect_api: Any, world: dict[str, Any]) -> None:
    _run(world, fail_batch_of="48300004")
    assert world["cursor"] is None
    handled = [rid for batch in world["batches"] for rid in batch]
    assert "48300007" in handled and "48300008" in handled  # the pages after the failed batch still ran


def test_a_page_that_cannot_be_read_stops_the_run_without_moving_the_cursor(prefect_api: Any, world: dict[str, Any]) -> None:
    world["netsuite"].failing_page = 2
    result = _run(world)
    assert world["cursor"] is None
    assert result.failed_steps and result.failed_steps[0].where == "reading changed RAs"
    handled = [rid for batch in world["batches"] for rid in batch]
    assert sorted(handled) == ["48300001", "48300002", "48300003"]  # the first page ran; nothing after the failure


def test_refused_credentials_stop_the_paging(prefect_api: Any, world: dict[str, Any]) -> None:
    world["revisit"] = ["48300020"]
    result = _run(world, refuse_batch_of="48300001")
    assert result.credentials_refused and "NetSuite refused store north's credentials" in result.credentials_refused
    netsuite: FakeNetSuite = world["netsuite"]
    assert len(netsuite.afters) <= 2  # the page read beside the refused one, and no page after it
    handled = [rid for batch in world["batches"] for rid in batch]
    assert not any(rid in handled for rid in ("48300004", "48300005", "48300006"))  # no batch of a later page
    assert netsuite.by_id == [] and world["cursor"] is None  # nor the revisits; the cursor stays
