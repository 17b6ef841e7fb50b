"""Loop notes naming NetSuite records, written to the Loop emulator: once per record, across reruns and lost answers."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from conftest import STORE
from fakes import FakeNetSuite

from returns_sandbox.loop.app import create_loop_app
from returns_sandbox.loop.errors import UnprocessableRequest
from returns_sandbox.loop.factory import make_return
from returns_sandbox.loop.models import LoopBackend
from returns_sync.connectors.auth import LoopApiKeyAuth
from returns_sync.connectors.errors import AuthenticationError
from returns_sync.connectors.loop import LoopClient
from returns_sync.connectors.retry import RetryPolicy
from returns_sync.domain.money import Money
from returns_sync.domain.netsuite import RecordRole, RecordType
from returns_sync.domain.syncs import SyncName
from returns_sync.ledger import Ledger, WriteBackStatus, WriteBackTarget
from returns_sync.tasks import loop_notes
from returns_sync.tasks.failures import BatchNotFinished
from returns_sync.tasks.loop_notes import (
    SEND_LEASE,
    _write_return_notes,
    begin_loop_notes,
    loop_notes_left_undone,
    write_loop_notes,
)
from returns_sync.tasks.refund_documents import verify_document_totals
from returns_sync.tasks.results import BatchResult, PostedRecord
from returns_sync.tasks.runtime import SyncRuntime

KEY = "key-north"
SHOP = 101
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class LoopTransport(httpx.BaseTransport):
    """The Loop emulator in-process; ``lose_note_of`` lets one note of that return reach Loop and then drops its answer."""

    def __init__(self, backend: LoopBackend) -> None:
        self._inner = httpx.ASGITransport(app=create_loop_app(backend))
        self.lose_note_of: str | None = None
        self.unreachable_for_notes = False  # a note POST fails before it reaches Loop
        self.note_delay = 0.0  # seconds a note POST takes
        self.note_posts = 0
        self._lock = threading.Lock()  # returns' notes are sent side by side

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/note"):
            if self.unreachable_for_notes:
                raise httpx.ConnectError("Loop could not be reached", request=request)
            time.sleep(self.note_delay)

        async def send() -> httpx.Response:
            response = await self._inner.handle_async_request(request)
            return httpx.Response(response.status_code, headers=response.headers, content=await response.aread(), request=request)

        response = asyncio.run(send())
        if request.method == "POST" and request.url.path.endswith("/note"):
            with self._lock:
                self.note_posts += 1
                lose = self.lose_note_of is not None and f"/{self.lose_note_of}/" in request.url.path
                if lose:
                    self.lose_note_of = None
            if lose:
                raise httpx.ReadTimeout("the answer was lost after Loop stored the note", request=request)
        return response


@pytest.fixture
def backend() -> Iterator[LoopBackend]:
    backend = LoopBackend(clock=lambda: NOW)
    backend.add_shop(SHOP, name="North", shop_domain="north.myshopify.com", api_keys=[KEY], webhook_secret="whsec")
    for rid in (7001, 7002):
        backend.add_return(SHOP, make_return(rid, created_at=NOW - timedelta(days=1)), emit=False)
    yield backend
    backend.close()


@pytest.fixture
def transport(backend: LoopBackend) -> LoopTransport:
    return LoopTransport(backend)


@pytest.fixture
def loop_runtime(runtime: SyncRuntime, transport: LoopTransport, netsuite: FakeNetSuite) -> Iterator[SyncRuntime]:
    http = httpx.Client(transport=transport, base_url="http://loop.test", auth=LoopApiKeyAuth(KEY))
    runtime._clients["loop"] = LoopClient(http, retry=RetryPolicy(sleep=lambda _: None))
    # The fake answers a tranId for the one record the ledger holds without its number.
    netsuite_get = netsuite.get_record
    netsuite.get_record = lambda record_type, record_id, **kw: {**netsuite_get(record_type, record_id, **kw), "tranId": "CM77"}  # type: ignore[method-assign]
    yield runtime


def _record(ledger: Ledger, rid: str, role: RecordRole, record_type: RecordType, ns_id: str, tranid: str | None) -> None:
    with ledger.session() as repo:
        repo.record_netsuite_record(
            store=STORE, loop_return_id=rid, role=role, record_type=record_type, ns_id=ns_id, tranid=tranid
        )


@pytest.fixture
def posted(ledger: Ledger) -> None:
    """7001: RA, receipt and a credit memo whose number the ledger lacks; 7002: its RA and a connector refund."""
    _record(ledger, "7001", RecordRole.RA, RecordType.RETURN_AUTHORIZATION, "812", "RMA1042")
    _record(ledger, "7001", RecordRole.IR, RecordType.ITEM_RECEIPT, "813", "IR501")
    _record(ledger, "7001", RecordRole.CM, RecordType.CREDIT_MEMO, "814", None)
    _record(ledger, "7002", RecordRole.RA, RecordType.RETURN_AUTHORIZATION, "820", "RMA1043")
    _record(ledger, "7002", RecordRole.DEP, RecordType.CUSTOMER_DEPOSIT, "821", "DEP9")  # money in: not noted


@pytest.fixture
def posted_7002(ledger: Ledger) -> None:
    """Only 7002's RA: the ledger holds nothing else a write-back would take up."""
    _record(ledger, "7002", RecordRole.RA, RecordType.RETURN_AUTHORIZATION, "820", "RMA1043")


def _notes(backend: LoopBackend, rid: int) -> list[str]:
    return [n["content"] for n in backend.list_notes(SHOP, rid)["notes"]]


def _run(runtime: SyncRuntime) -> BatchResult:
    result = BatchResult(sync=SyncName.REFUND_SYNC, store=STORE)
    write_loop_notes(runtime, ["7001", "7002"], result)
    return result


EXPECTED_7001 = [
    "NetSuite Return Authorization RMA1042 (internal id 812)",
    "NetSuite Item Receipt IR501 (internal id 813)",
    "NetSuite Credit Memo CM77 (internal id 814)",
]


@pytest.mark.usefixtures("posted")
class TestLoopNotes:
    def test_each_record_is_noted_once_across_two_runs(
        self, loop_runtime: SyncRuntime, backend: LoopBackend, ledger: Ledger
    ) -> None:
        first = _run(loop_runtime)
        second = _run(loop_runtime)
        # One note per return names all its new records (fewer Loop requests); each record once.
        assert _notes(backend, 7001) == ["; ".join(EXPECTED_7001)]
        assert _notes(backend, 7002) == ["NetSuite Return Authorization RMA1043 (internal id 820)"]
        assert first.counts["Loop note written"] == 2
        assert "Loop note written" not in second.counts
        with ledger.session() as repo:
            assert repo.pending_write_backs(STORE, WriteBackTarget.LOOP_NOTE) == []
            # The number read from NetSuite is kept, so a rerun never asks again.
            assert [r.tranid for r in repo.netsuite_records(STORE, "7001")] == ["RMA1042", "IR501", "CM77"]

    def test_a_note_whose_answer_was_lost_is_found_not_written_again(
        self, loop_runtime: SyncRuntime, backend: LoopBackend, transport: LoopTransport, ledger: Ledger
    ) -> None:
        transport.lose_note_of = "7001"
        lost = _run(loop_runtime)
        assert [rid for rid, _ in lost.transient] == ["7001"]  # the batch goes on; the task is retried
        with pytest.raises(BatchNotFinished):
            lost.raise_if_transient()
        with ledger.session() as repo:
            pending = repo.pending_write_backs(STORE, WriteBackTarget.LOOP_NOTE)
        assert sorted((p.record_key, p.attempts) for p in pending) == [
            ("creditMemo:814", 1),
            ("itemReceipt:813", 1),
            ("returnAuthorization:812", 1),
        ]

        posts_before = transport.note_posts
        retried = _run(loop_runtime)
        assert retried.counts["Loop note found after a lost answer"] == 3
        assert transport.note_posts == posts_before  # found by its text: nothing sent again
        assert _notes(backend, 7001) == ["; ".join(EXPECTED_7001)]
        with ledger.session() as repo:
            stored = repo.get_write_back(STORE, WriteBackTarget.LOOP_NOTE, "returnAuthorization:812")
        assert stored is not None and stored.status is WriteBackStatus.WRITTEN

    def test_a_refused_note_is_reported_and_the_others_are_written(
        self, loop_runtime: SyncRuntime, backend: LoopBackend, ledger: Ledger
    ) -> None:
        _record(ledger, "7002", RecordRole.CM, RecordType.CREDIT_MEMO, "822", "X" * 260)  # too long for Loop
        result = _run(loop_runtime)
        assert dict(result.counts) == {"Loop note written": 2, "Loop refused a note": 1}
        assert result.errors[0][0] == "7002" and "less than 255 characters" in result.errors[0][1]
        assert len(_notes(backend, 7002)) == 1

    def test_a_key_without_the_returns_scope_stops_with_an_authentication_error(
        self, loop_runtime: SyncRuntime, backend: LoopBackend
    ) -> None:
        backend.add_shop(SHOP, name="North", shop_domain="north.myshopify.com", api_keys=[KEY], webhook_secret="whsec", scopes=())
        with pytest.raises(AuthenticationError):
            _run(loop_runtime)
        with pytest.raises(UnprocessableRequest):
            backend.list_notes(SHOP, 7001)  # no note was written


@pytest.mark.usefixtures("posted")
def test_a_note_another_run_is_already_sending_is_left_to_it(
    loop_runtime: SyncRuntime, backend: LoopBackend, ledger: Ledger, transport: LoopTransport
) -> None:
    result = BatchResult(sync=SyncName.RA_SYNC, store=STORE)
    begin_loop_notes(loop_runtime, ["7002"], result)
    with ledger.session() as repo:
        (seen,) = repo.pending_write_backs(STORE, WriteBackTarget.LOOP_NOTE)  # this run reads it ...
        assert repo.claim_write_back(STORE, WriteBackTarget.LOOP_NOTE, seen.record_key, seen_attempts=0)  # ... another claims it
    _write_return_notes(loop_runtime, "7002", [seen], result)
    assert result.counts["Loop note left to the run already sending it"] == 1
    assert transport.note_posts == 0


@pytest.mark.usefixtures("posted_7002")
def test_a_note_claimed_moments_ago_and_not_yet_in_loop_is_left_until_the_claim_lapses(
    loop_runtime: SyncRuntime, backend: LoopBackend, ledger: Ledger, transport: LoopTransport
) -> None:
    """Two webhook lanes of one store write back side by side: the second reads a note the first claimed and is still
    sending. Loop does not show it yet; sending it too would name the record twice (a note has no idempotency key)."""
    from sqlalchemy import update

    from returns_sync.ledger.models import WriteBackRow

    result = BatchResult(sync=SyncName.RA_SYNC, store=STORE)
    begin_loop_notes(loop_runtime, ["7002"], result)
    with ledger.session() as repo:
        (pending,) = repo.pending_write_backs(STORE, WriteBackTarget.LOOP_NOTE)
        assert repo.claim_write_back(STORE, WriteBackTarget.LOOP_NOTE, pending.record_key, seen_attempts=0)  # the other lane
        (claimed,) = repo.pending_write_backs(STORE, WriteBackTarget.LOOP_NOTE)
    _write_return_notes(loop_runtime, "7002", [claimed], result)
    assert result.counts["Loop note left to the run already sending it"] == 1
    assert transport.note_posts == 0

    # The other lane died without a word: its claim is not renewed, and once it lapses the note goes, once.
    with ledger.session() as repo:
        repo.session.execute(update(WriteBackRow).values(updated_at=datetime.now(UTC) - SEND_LEASE - timedelta(seconds=1)))
    later = BatchResult(sync=SyncName.RA_SYNC, store=STORE)
    write_loop_notes(loop_runtime, ["7002"], later)
    assert later.counts["Loop note written"] == 1
    assert _notes(backend, 7002) == ["NetSuite Return Authorization RMA1043 (internal id 820)"]


@pytest.mark.usefixtures("posted_7002")
def test_a_send_that_ended_unconfirmed_is_released_and_the_next_run_sends_it_at_once(
    loop_runtime: SyncRuntime, backend: LoopBackend, ledger: Ledger, transport: LoopTransport
) -> None:
    """Every try failed before reaching Loop: the run lets go of its claim, so the task's retry need not wait."""
    transport.unreachable_for_notes = True
    first = BatchResult(sync=SyncName.RA_SYNC, store=STORE)
    write_loop_notes(loop_runtime, ["7002"], first)
    assert [rid for rid, _ in first.transient] == ["7002"]
    with ledger.session() as repo:
        (released,) = repo.pending_write_backs(STORE, WriteBackTarget.LOOP_NOTE)
    assert released.attempts == 1 and "was not sent (ConnectError)" in (released.last_error or "")

    transport.unreachable_for_notes = False
    retried = BatchResult(sync=SyncName.RA_SYNC, store=STORE)
    write_loop_notes(loop_runtime, ["7002"], retried)
    assert retried.counts["Loop note written"] == 1
    assert _notes(backend, 7002) == ["NetSuite Return Authorization RMA1043 (internal id 820)"]


@pytest.mark.usefixtures("posted_7002")
def test_a_claim_is_renewed_while_its_send_is_slow(
    loop_runtime: SyncRuntime, backend: LoopBackend, ledger: Ledger, transport: LoopTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A send that outlasts the lease (Loop's budget waits, retries) keeps its claim: another lane still leaves it."""
    monkeypatch.setattr(loop_notes, "SEND_LEASE", timedelta(seconds=2))
    monkeypatch.setattr(loop_notes, "_RENEW_EVERY", timedelta(seconds=0.1))
    transport.note_delay = 4.0
    sending = threading.Thread(
        target=write_loop_notes, args=(loop_runtime, ["7002"], BatchResult(sync=SyncName.RA_SYNC, store=STORE))
    )
    sending.start()
    time.sleep(3.0)  # past the lease: without renewal the claim would look abandoned
    with ledger.session() as repo:
        (in_flight,) = repo.pending_write_backs(STORE, WriteBackTarget.LOOP_NOTE)
    other_lane = BatchResult(sync=SyncName.RA_SYNC, store=STORE)
    _write_return_notes(loop_runtime, "7002", [in_flight], other_lane)
    sending.join()
    assert other_lane.counts["Loop note left to the run already sending it"] == 1
    assert _notes(backend, 7002) == ["NetSuite Return Authorization RMA1043 (internal id 820)"]


def test_new_records_numbers_come_from_one_suiteql_read_not_a_get_each(
    loop_runtime: SyncRuntime, ledger: Ledger, netsuite: FakeNetSuite
) -> None:
    """Issue 12's N+1 table showed a GET per new RA (0.89 per return in ra_sync): the batch's numbers are one query."""
    created = {}
    for rid in ("7001", "7002"):
        external_id = f"loop-{STORE}-{rid}-ra"
        ns_id = netsuite.add_transaction("RtnAuth", externalid=external_id)
        created[rid] = ns_id
        with ledger.session() as repo:
            repo.record_netsuite_record(
                store=STORE,
                loop_return_id=rid,
                role=RecordRole.RA,
                record_type=RecordType.RETURN_AUTHORIZATION,
                ns_id=str(ns_id),
                external_id=external_id,
            )

    def no_get(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a GET for one record's number: {args}")

    netsuite.get_record = no_get  # type: ignore[method-assign]
    queries_before = len(netsuite.queries)
    result = BatchResult(sync=SyncName.RA_SYNC, store=STORE)
    begin_loop_notes(loop_runtime, ["7001", "7002"], result)
    assert len(netsuite.queries) - queries_before == 1
    with ledger.session() as repo:
        notes = {w.loop_return_id: w.content for w in repo.pending_write_backs(STORE, WriteBackTarget.LOOP_NOTE)}
        numbers = {rid: repo.netsuite_records(STORE, rid)[0].tranid for rid in created}
    assert numbers == {rid: f"RtnAuth{ns_id}" for rid, ns_id in created.items()}
    assert notes == {rid: f"NetSuite Return Authorization RtnAuth{ns_id} (internal id {ns_id})" for rid, ns_id in created.items()}


def test_a_record_whose_note_no_run_began_is_noted_by_the_next_write_back(
    loop_runtime: SyncRuntime, backend: LoopBackend, ledger: Ledger
) -> None:
    """A run posted 7002's RA and died before its write-back began: no later run posts for 7002 again."""
    from sqlalchemy import update

    from returns_sync.ledger.models import NetSuiteRecordRow

    _record(ledger, "7002", RecordRole.RA, RecordType.RETURN_AUTHORIZATION, "820", "RMA1043")
    _record(ledger, "7001", RecordRole.RA, RecordType.RETURN_AUTHORIZATION, "812", "RMA1042")
    with ledger.session() as repo:  # 7001's RA is older than the search goes back: from before notes, say
        repo.session.execute(
            update(NetSuiteRecordRow)
            .where(NetSuiteRecordRow.loop_return_id == "7001")
            .values(created_at=datetime.now(UTC) - loop_notes.FORGOTTEN_WITHIN - timedelta(hours=1))
        )
    webhook_burst = BatchResult(sync=SyncName.RUN_ALL, store=STORE)
    write_loop_notes(loop_runtime, [], webhook_burst)  # not at a scheduled cycle's end: left alone
    assert dict(webhook_burst.counts) == {}
    since = datetime.now(UTC) - loop_notes.FORGOTTEN_WITHIN
    left = loop_notes_left_undone(loop_runtime, since)
    assert left == ["7002"]
    result = BatchResult(sync=SyncName.RUN_ALL, store=STORE)
    write_loop_notes(loop_runtime, left, result)
    assert _notes(backend, 7002) == ["NetSuite Return Authorization RMA1043 (internal id 820)"]
    with pytest.raises(UnprocessableRequest):
        backend.list_notes(SHOP, 7001)
    assert loop_notes_left_undone(loop_runtime, since) == []  # found once: its write-back is begun now


def test_refund_syncs_check_of_its_totals_reads_the_numbers_its_loop_note_needs(
    loop_runtime: SyncRuntime, ledger: Ledger, netsuite: FakeNetSuite
) -> None:
    """A closed return's receipt and credit memo have no number in the ledger when refund_sync ends: the read that
    checks the credit memo's total takes both numbers, and the write-back's note then reads nothing (issue 13)."""
    rid = "7001"
    posted = {
        RecordRole.IR: (RecordType.ITEM_RECEIPT, netsuite.add_transaction("ItemRcpt", externalid=f"loop-{STORE}-{rid}-ir-1")),
        RecordRole.CM: (
            RecordType.CREDIT_MEMO,
            netsuite.add_transaction("CustCred", externalid=f"loop-{STORE}-{rid}-cm", foreigntotal="25.00"),
        ),
    }
    with ledger.session() as repo:
        for role, (record_type, ns_id) in posted.items():
            suffix = "ir-1" if role is RecordRole.IR else "cm"
            repo.record_netsuite_record(
                store=STORE,
                loop_return_id=rid,
                role=role,
                record_type=record_type,
                ns_id=str(ns_id),
                external_id=f"loop-{STORE}-{rid}-{suffix}",
            )

    def no_get(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a GET for one record's number: {args}")

    netsuite.get_record = no_get  # type: ignore[method-assign]
    refunded = BatchResult(sync=SyncName.REFUND_SYNC, store=STORE)
    cm_id = posted[RecordRole.CM][1]
    refunded.created.append(
        PostedRecord(rid, "#1001", "creditMemo", str(cm_id), f"loop-{STORE}-{rid}-cm", Money(Decimal("25.00"), "USD"))
    )
    queries_before = len(netsuite.queries)
    verify_document_totals(loop_runtime, refunded)
    assert len(netsuite.queries) - queries_before == 1
    assert refunded.errors == []
    with ledger.session() as repo:
        numbers = {record.role: record.tranid for record in repo.netsuite_records(STORE, rid)}
    assert numbers == {
        role.value: f"{code}{ns_id}" for role, (_, ns_id), code in zip(posted, posted.values(), ("ItemRcpt", "CustCred"))
    }

    noted = BatchResult(sync=SyncName.RUN_ALL, store=STORE)
    begin_loop_notes(loop_runtime, [rid], noted)
    assert len(netsuite.queries) - queries_before == 1  # the note found both numbers in the ledger
    with ledger.session() as repo:
        assert sorted(w.content for w in repo.pending_write_backs(STORE, WriteBackTarget.LOOP_NOTE)) == [
            f"NetSuite Credit Memo CustCred{posted[RecordRole.CM][1]} (internal id {posted[RecordRole.CM][1]})",
            f"NetSuite Item Receipt ItemRcpt{posted[RecordRole.IR][1]} (internal id {posted[RecordRole.IR][1]})",
        ]
