"""settle_unrecorded: what NetSuite holds but an interrupted run never wrote down is recorded, once, as that run would have."""

from __future__ import annotations

from decimal import Decimal

from conftest import SHIRT, STORE
from fakes import loop_return

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.netsuite import RaStatus, RecordRole, RecordType, SalesOrderLine, SalesOrderSnapshot
from returns_sync.domain.syncs import SyncName
from returns_sync.ledger import IntentStatus, LineStatus
from returns_sync.tasks.loading import ReturnWork
from returns_sync.tasks.netsuite_lookup import ChildRecord, RaLine, RaState
from returns_sync.tasks.planning import plan_work
from returns_sync.tasks.recovery import record_return_authorization, settle_unrecorded
from returns_sync.tasks.results import BatchResult
from returns_sync.tasks.runtime import SyncRuntime

SO = SalesOrderSnapshot(
    id=5001,
    tranid="SO1001",
    currency="USD",
    customer_id=42,
    lines=[SalesOrderLine(line=1, item_id=SHIRT, sku="SHIRT", quantity=2, rate=Decimal("50.00"))],
)
RA_ID, IR_ID = 812, 813
RA = ExternalId(STORE, "7001", RecordRole.RA)
IR = ExternalId(STORE, "7001", RecordRole.IR, receipt=1)
FOUND, LINKED = "found in NetSuite after an interrupted run", "RA found in NetSuite after an interrupted run, linked"


def _ra(received: int = 0) -> RaState:
    line = RaLine(line=1, item_id=SHIRT, quantity=1, received=received, billed=0, closed=False, order_line=1)
    return RaState(
        id=RA_ID,
        tranid="RA812",
        status=RaStatus.PENDING_RECEIPT,
        external_id=str(RA),
        loop_return_id="7001",
        flag=None,
        last_modified=None,
        lines=(line,),
    )


def _work(runtime: SyncRuntime, *, ra: RaState | None, children: list[ChildRecord] | None = None) -> ReturnWork:
    w = ReturnWork(
        loop_return=loop_return("7001", "SHIRT"), so_matches=[SO], item_matches={"SHIRT": [SHIRT]}, ra=ra, children=children or []
    )
    plan_work(runtime, [w])
    return w


def _begin(runtime: SyncRuntime, external_id: ExternalId, record_type: RecordType, sync: SyncName) -> None:
    """The intent an interrupted run left: begun, sent, never settled."""
    with runtime.ledger.session() as repo:
        repo.begin_intent(
            idempotency_key=str(external_id),
            store=STORE,
            loop_return_id=external_id.loop_return_id,
            sync=sync,
            record_type=record_type,
            request_body={"externalId": str(external_id)},
        )


def _settle(runtime: SyncRuntime, work: list[ReturnWork], *, dry_run: bool = False) -> BatchResult:
    result = BatchResult(sync=SyncName.RA_SYNC, store=STORE, dry_run=dry_run)
    settle_unrecorded(runtime, work, result)
    return result


class TestReturnAuthorization:
    def test_an_ra_created_before_the_crash_is_posted_linked_and_holds_its_units(self, runtime: SyncRuntime) -> None:
        _begin(runtime, RA, RecordType.RETURN_AUTHORIZATION, SyncName.RA_SYNC)
        result = _settle(runtime, [_work(runtime, ra=_ra())])
        assert dict(result.counts) == {FOUND: 1, LINKED: 1}
        with runtime.ledger.session() as repo:
            intent, link = repo.get_intent(str(RA)), repo.get_link(STORE, "7001")
            records = repo.netsuite_records(STORE, "7001")
            lines = repo.returned_lines(STORE, "7001")
        assert (intent.status, intent.ns_id) == (IntentStatus.POSTED, str(RA_ID))
        assert (link.ns_return_authorization_id, link.ns_sales_order_id, link.outcome) == (str(RA_ID), "5001", "refund")
        assert [(r.role, r.record_type, r.ns_id, r.external_id) for r in records] == [
            ("ra", "returnAuthorization", str(RA_ID), str(RA))
        ]
        assert [(line.so_line, line.sku, line.quantity, line.status) for line in lines] == [(1, "SHIRT", 1, LineStatus.OPEN)]

    def test_the_units_it_holds_count_against_the_order_for_the_next_return(self, runtime: SyncRuntime) -> None:
        _settle(runtime, [_work(runtime, ra=_ra())])
        with runtime.ledger.session() as repo:
            assert repo.returned_quantity_by_so_line(STORE, SO.id, excluding_return="7002") == {1: 1}

    def test_an_ra_the_ledger_knows_is_left_alone(self, runtime: SyncRuntime) -> None:
        w = _work(runtime, ra=_ra())
        assert dict(_settle(runtime, [w]).counts) == {LINKED: 1}
        assert dict(_settle(runtime, [w]).counts) == {}
        with runtime.ledger.session() as repo:
            assert len(repo.netsuite_records(STORE, "7001")) == 1

    def test_an_intent_netsuite_does_not_hold_stays_pending(self, runtime: SyncRuntime) -> None:
        _begin(runtime, RA, RecordType.RETURN_AUTHORIZATION, SyncName.RA_SYNC)
        result = _settle(runtime, [_work(runtime, ra=None)])
        assert dict(result.counts) == {}
        with runtime.ledger.session() as repo:
            assert repo.get_intent(str(RA)).status == IntentStatus.PENDING
            assert repo.get_link(STORE, "7001") is None

    def test_a_dry_run_writes_nothing(self, runtime: SyncRuntime) -> None:
        _begin(runtime, RA, RecordType.RETURN_AUTHORIZATION, SyncName.RA_SYNC)
        result = _settle(runtime, [_work(runtime, ra=_ra())], dry_run=True)
        assert dict(result.counts) == {}
        with runtime.ledger.session() as repo:
            assert repo.get_intent(str(RA)).status == IntentStatus.PENDING
            assert repo.netsuite_records(STORE, "7001") == []


class TestItemReceipt:
    def test_a_receipt_created_before_the_crash_is_posted_and_its_units_received(self, runtime: SyncRuntime) -> None:
        ra_work = _work(runtime, ra=_ra())
        with runtime.ledger.session() as repo:  # the RA was recorded by its own run
            record_return_authorization(repo, runtime, ra_work, str(RA_ID))
        _begin(runtime, IR, RecordType.ITEM_RECEIPT, SyncName.ITEM_RECEIPT_TO_NETSUITE)
        receipt = ChildRecord(
            id=IR_ID,
            record_type=RecordType.ITEM_RECEIPT,
            tranid="IR813",
            external_id=str(IR),
            created_from=RA_ID,
            total=Decimal("0"),
        )
        result = _settle(runtime, [_work(runtime, ra=_ra(received=1), children=[receipt])])
        assert result.counts[FOUND] == 1
        with runtime.ledger.session() as repo:
            intent = repo.get_intent(str(IR))
            receipts = repo.netsuite_records(STORE, "7001", role=RecordRole.IR)
            (line,) = repo.returned_lines(STORE, "7001")
        assert (intent.status, intent.ns_id) == (IntentStatus.POSTED, str(IR_ID))
        assert [(r.ns_id, r.external_id, r.total) for r in receipts] == [(str(IR_ID), str(IR), Decimal("0.0000"))]
        assert (line.received_quantity, line.status) == (1, LineStatus.RECEIVED)

    def test_someone_elses_record_on_the_ra_settles_nothing(self, runtime: SyncRuntime) -> None:
        _begin(runtime, IR, RecordType.ITEM_RECEIPT, SyncName.ITEM_RECEIPT_TO_NETSUITE)
        by_hand = ChildRecord(
            id=IR_ID,
            record_type=RecordType.ITEM_RECEIPT,
            tranid="IR813",
            external_id=None,
            created_from=RA_ID,
            total=Decimal("0"),
        )
        result = _settle(runtime, [_work(runtime, ra=_ra(received=1), children=[by_hand])])
        assert FOUND not in result.counts
        with runtime.ledger.session() as repo:
            assert repo.get_intent(str(IR)).status == IntentStatus.PENDING
