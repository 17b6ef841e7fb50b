"""Changed RAs are read a page at a time by key: an RA edited while the later pages are read costs no other RA.

Against the NetSuite emulator over localhost, whose SuiteQL pages by ``limit``/``offset`` as NetSuite's REST
endpoint does (https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_157909186990.html:
"limit" and "offset" query parameters, at most 1,000 rows a page). Found by the bench's 20,000-return memory
run: one RA closed in NetSuite was never read by ra_cancellation, because the posting syncs beside it edited
RAs of an earlier page while it paged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from returns_sandbox.netsuite.app import create_netsuite_app
from returns_sandbox.netsuite.models import NetSuiteBackend
from returns_sandbox.netsuite.preferences import DEFAULT_TIME_ZONE
from returns_sandbox.testing import SAMPLE_ACCOUNT_ID, RunningServer, netsuite_sample_world, serve_in_thread
from returns_sync.connectors.netsuite import NetSuiteClient
from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.netsuite import RecordRole
from returns_sync.tasks.changed_ras import ChangedRaWindow, changed_ra_headers
from returns_sync.tasks.suiteql_statements import StatementFields

pytestmark = pytest.mark.contract

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
RAS = 7
PAGE = 2
FIELDS = StatementFields(loop_id_field="custbody_loop_return_id")
CREDENTIALS = {
    "consumer_key": "consumer-key",
    "consumer_secret": "consumer-secret",
    "token_id": "token-north",
    "token_secret": "token-secret-north",
}


@pytest.fixture
def backend() -> Iterator[NetSuiteBackend]:
    backend = NetSuiteBackend()
    backend.load_world(netsuite_sample_world())
    yield backend
    backend.close()


@pytest.fixture
def ras(backend: NetSuiteBackend) -> list[int]:
    """Seven RAs of store north, modified one second apart from T0."""
    made = []
    for n in range(RAS):
        external_id = str(ExternalId("north", f"4821{n:04d}", RecordRole.RA))
        with backend.clock_at(T0 + timedelta(seconds=n)):
            made.append(backend.transform_record("salesOrder", 7001, "returnAuthorization", {"externalId": external_id}))
    return made


@pytest.fixture
def netsuite(backend: NetSuiteBackend) -> Iterator[NetSuiteClient]:
    running: RunningServer = serve_in_thread({"netsuite": create_netsuite_app(backend)})
    client = NetSuiteClient.from_credentials(base_url=running.url, account_id=SAMPLE_ACCOUNT_ID, **CREDENTIALS)
    yield client
    client.close()
    running.stop()


class EditedAfterFirstPage:
    """The client, and someone editing an RA once the first page has been read, before the next page is asked for
    (by offset within one query's paging, or by a second query)."""

    def __init__(self, ns: NetSuiteClient, edit: Callable[[], None]) -> None:
        self._ns, self._edit, self.edited, self._queries = ns, edit, False, 0

    def _edit_once(self) -> None:
        if not self.edited:
            self.edited = True
            self._edit()

    def suiteql(self, query: str, *, page_size: int) -> Iterator[dict[str, Any]]:
        self._queries += 1
        if self._queries > 1:
            self._edit_once()
        rows = iter(self._ns.suiteql(query, page_size=page_size))
        number = 0
        while True:
            number += 1
            if number == page_size + 1:
                self._edit_once()  # before next() sends the request for the second page
            row = next(rows, None)
            if row is None:
                return
            yield row


def _edit(backend: NetSuiteBackend, ra_id: int, at: datetime) -> Callable[[], None]:
    def edit() -> None:
        with backend.clock_at(at):
            backend.update_record("returnAuthorization", ra_id, {"memo": "edited by the warehouse"})

    return edit


def _headers(ns: Any, until: datetime | None) -> list[dict[str, str]]:
    zone = ZoneInfo(DEFAULT_TIME_ZONE)
    return changed_ra_headers(ns, ChangedRaWindow(FIELDS, "north", T0, until, zone), page_size=PAGE)


def _read(ns: Any, until: datetime | None) -> list[int]:
    """The ids of north's RAs modified from T0 to ``until``, as changed_ra_headers pages them (``PAGE`` a page)."""
    return [int(h["id"]) for h in _headers(ns, until)]


def test_an_ra_edited_out_of_the_window_mid_paging_costs_no_other_ra(
    backend: NetSuiteBackend, ras: list[int], netsuite: NetSuiteClient
) -> None:
    # The first RA is edited after the window's end once the first page is read: it leaves the window.
    ns = EditedAfterFirstPage(netsuite, _edit(backend, ras[0], T0 + timedelta(hours=1)))
    assert _read(ns, until=T0 + timedelta(minutes=1)) == ras  # the edited one as first read, every other one once
    assert ns.edited


def test_without_an_end_the_edited_ra_is_read_again_kept_once_and_none_is_lost(
    backend: NetSuiteBackend, ras: list[int], netsuite: NetSuiteClient
) -> None:
    ns = EditedAfterFirstPage(netsuite, _edit(backend, ras[0], T0 + timedelta(hours=1)))
    headers = _headers(ns, until=None)
    assert [int(h["id"]) for h in headers] == ras  # read again at the end, kept once: as last read
    assert headers[0]["lastmodifieddate"] == "2026-11-02 05:00:00"  # T0 + 1 h on the account's clock (PST)


def test_rows_of_one_second_are_paged_by_id(backend: NetSuiteBackend, netsuite: NetSuiteClient) -> None:
    made = []
    with backend.clock_at(T0):  # five RAs modified in the same second: the page boundary falls inside it
        for n in range(5):
            external_id = str(ExternalId("north", f"4822{n:04d}", RecordRole.RA))
            made.append(backend.transform_record("salesOrder", 7001, "returnAuthorization", {"externalId": external_id}))
    assert _read(netsuite, until=T0 + timedelta(seconds=1)) == made
