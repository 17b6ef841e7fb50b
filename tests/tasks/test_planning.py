"""plan_work and the quality-suite rows: returns of one order planned oldest first, each seeing the units before it took."""

from __future__ import annotations

from decimal import Decimal

from conftest import SHIRT, STORE, STORE_CREDIT_ITEM
from fakes import loop_return

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.money import Money
from returns_sync.domain.netsuite import RaStatus, RecordRole, SalesOrderLine, SalesOrderSnapshot
from returns_sync.tasks.loading import ReturnWork
from returns_sync.tasks.netsuite_lookup import RaState
from returns_sync.tasks.planning import line_checks, plan_work, refund_checks
from returns_sync.tasks.runtime import SyncRuntime

SO = SalesOrderSnapshot(
    id=5001,
    tranid="SO1001",
    currency="USD",
    customer_id=42,
    billing="cash_sale",
    lines=[
        SalesOrderLine(
            line=1, item_id=SHIRT, sku="SHIRT", quantity=2, rate=Decimal("50.00"), tax_code="11", tax_rate=Decimal("0.08")
        )
    ],
)
OTHER_SO = SO.model_copy(update={"id": 5002, "tranid": "SO1002"})


def _work(r: LoopReturn, *sales_orders: SalesOrderSnapshot, ra: RaState | None = None) -> ReturnWork:
    return ReturnWork(loop_return=r, so_matches=list(sales_orders), item_matches={"SHIRT": [SHIRT]}, ra=ra)


def _existing_ra(return_id: str) -> RaState:
    return RaState(
        id=812,
        tranid="RA812",
        status=RaStatus.PENDING_RECEIPT,
        external_id=f"loop-north-{return_id}-ra",
        loop_return_id=return_id,
        flag=None,
        last_modified=None,
    )


class TestPlanWork:
    def test_a_later_return_on_the_order_sees_the_units_an_earlier_one_took(self, runtime: SyncRuntime) -> None:
        first, second = _work(loop_return("7001", "SHIRT"), SO), _work(loop_return("7002", "SHIRT", "SHIRT"), SO)
        plan_work(runtime, [first, second])
        assert (first.returned_so_far, second.returned_so_far) == ({}, {1: 1})
        assert first.plan.ok and first.plan.checks["quantity_within_returnable"]
        assert second.plan.checks["quantity_within_returnable"] is False
        assert [(g.order_line, g.quantity, g.exceeds_returnable) for g in second.groups] == [(1, 2, True)]

    def test_a_return_whose_ra_exists_takes_nothing_more_the_ledger_counts_it(self, runtime: SyncRuntime) -> None:
        first = _work(loop_return("7001", "SHIRT"), SO, ra=_existing_ra("7001"))
        second = _work(loop_return("7002", "SHIRT", "SHIRT"), SO)
        plan_work(runtime, [first, second])
        assert second.returned_so_far == {}
        assert second.plan.checks["quantity_within_returnable"]

    def test_units_of_one_order_never_count_against_another(self, runtime: SyncRuntime) -> None:
        first, second = _work(loop_return("7001", "SHIRT"), SO), _work(loop_return("7002", "SHIRT", "SHIRT"), OTHER_SO)
        plan_work(runtime, [first, second])
        assert second.returned_so_far == {} and second.plan.ok

    def test_only_returns_with_exactly_one_sales_order_are_planned(self, runtime: SyncRuntime) -> None:
        none, two = _work(loop_return("7001")), _work(loop_return("7002"), SO, OTHER_SO)
        plan_work(runtime, [none, two])
        assert (none.plan, none.groups, two.plan, two.groups) == (None, [], None, [])

    def test_the_plan_names_its_records_for_this_store(self, runtime: SyncRuntime) -> None:
        w = _work(loop_return("7001", "SHIRT", state="closed"), SO)
        plan_work(runtime, [w])
        assert [(r.role, r.external_id) for r in w.plan.records] == [
            (RecordRole.RA, ExternalId(STORE, "7001", RecordRole.RA)),
            (RecordRole.IR, ExternalId(STORE, "7001", RecordRole.IR, receipt=1)),
            (RecordRole.CR, ExternalId(STORE, "7001", RecordRole.CR)),
        ]
        assert w.plan.total_of(RecordRole.CR) == Money("48.60", "USD")

    def test_received_units_decide_the_receipt(self, runtime: SyncRuntime) -> None:
        w = _work(loop_return("7001", "SHIRT", "SHIRT"), SO)
        plan_work(runtime, [w], received={"7001": {1: 1}})
        (receipt,) = w.plan.records_of(RecordRole.IR)
        assert [(line.order_line, line.quantity) for line in receipt.lines] == [(1, 1)]


class TestLineChecks:
    def test_one_row_per_sku_with_the_order_and_the_plan(self, runtime: SyncRuntime) -> None:
        first, second = _work(loop_return("7001", "SHIRT"), SO), _work(loop_return("7002", "SHIRT", "SHIRT"), SO)
        plan_work(runtime, [first, second])
        rows = line_checks(runtime, [first, second])
        assert [(r.loop_return_id, r.sku, r.quantity, r.ordered_quantity, r.already_returned, r.returnable) for r in rows] == [
            ("7001", "SHIRT", 1, 2, 0, 2),
            ("7002", "SHIRT", 2, 2, 1, 1),
        ]
        assert (rows[1].plan_total, rows[1].expected_total, rows[1].sales_order_tranids) == (
            Decimal("97.20"),
            Decimal("97.20"),
            ("SO1001",),
        )

    def test_a_return_without_its_order_still_gets_rows_to_fail_on(self, runtime: SyncRuntime) -> None:
        w = _work(loop_return("7001", "SHIRT", "SHIRT", "HAT"))
        plan_work(runtime, [w])
        rows = line_checks(runtime, [w])
        assert [(r.sku, r.quantity, r.item_ids, r.ordered_quantity, r.sales_order_ids, r.line_count) for r in rows] == [
            ("SHIRT", 2, (SHIRT,), None, (), 2),
            ("HAT", 1, (), None, (), 2),
        ]


class TestRefundChecks:
    def test_the_document_and_the_store_credit_against_what_loop_paid(self, runtime: SyncRuntime) -> None:
        refund = _work(loop_return("7001", "SHIRT", state="closed"), SO)
        credit = _work(
            loop_return("7002", "SHIRT", state="closed", refund="0", gift_card="48.60", created_at="2025-03-02T00:00:00Z"),
            OTHER_SO,
        )
        plan_work(runtime, [refund, credit])
        by_id = {row.loop_return_id: row for row in refund_checks(runtime, [refund, credit])}
        assert (by_id["7001"].document_total, by_id["7001"].expected_document_total) == (Decimal("48.60"), Decimal("48.60"))
        assert (by_id["7001"].store_credit_total, by_id["7001"].deposit_total) == (Decimal("0.00"), Decimal("0.00"))
        assert [line.item_id for line in credit.plan.record(RecordRole.CM).lines][-1] == STORE_CREDIT_ITEM
        assert (by_id["7002"].document_total, by_id["7002"].store_credit_total, by_id["7002"].expected_store_credit) == (
            Decimal("0.00"),
            Decimal("48.60"),
            Decimal("48.60"),
        )

    def test_credit_mode_expects_the_credit_that_pays_the_exchange_order_too(self, runtime: SyncRuntime) -> None:
        runtime.settings = runtime.settings.model_copy(update={"exchange_mode": "credit"})
        exchange = [{"exchange_id": "E1", "exchange_order_id": "5559001"}]
        plain = _work(
            loop_return("7003", "SHIRT", state="closed", refund="0", exchange_credit_total="48.60", exchanges=exchange), SO
        )
        wrong = _work(
            loop_return("7004", "SHIRT", state="closed", refund="0", exchange_credit_total="40.00", exchanges=exchange),
            OTHER_SO,
        )
        for w in (plain, wrong):
            w.exchange_so_id = 6001
        plan_work(runtime, [plain, wrong])
        by_id = {row.loop_return_id: row for row in refund_checks(runtime, [plain, wrong])}
        assert plain.plan.record(RecordRole.CM).apply_to_sales_order_id == 6001
        assert (by_id["7003"].document_total, by_id["7003"].expected_document_total) == (Decimal("48.60"), Decimal("48.60"))
        # Loop says only 40.00 of credit went to the exchange order: the 8.60 the memo would carry is unexplained.
        assert (by_id["7004"].document_total, by_id["7004"].expected_document_total) == (Decimal("48.60"), Decimal("40.00"))
