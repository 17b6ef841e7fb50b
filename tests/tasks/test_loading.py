"""load_work and the NetSuite look-ups under it: a batch's returns, oldest first, with their orders, items, RAs and records."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from conftest import HAT, SHIRT, STORE
from fakes import TAX_8, USD, FakeNetSuite, FakeShopify, FakeShopifyOrder, FakeShopifyTransaction, loop_return

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.netsuite import RaStatus, RecordRole, RecordType
from returns_sync.ledger import ReturnedLine
from returns_sync.tasks.changed_ras import changed_return_authorizations
from returns_sync.tasks.item_match_memory import ItemMatchMemory, remembering_item_matches
from returns_sync.tasks.loading import load_work
from returns_sync.tasks.runtime import SyncRuntime
from returns_sync.tasks.shared_netsuite_reads import SharedNetSuiteReads, sharing_netsuite_reads

SO_1001, SO_1002 = 5001, 5002


@pytest.fixture
def account(netsuite: FakeNetSuite) -> dict[str, int]:
    """Orders #1001 (2 shirts, a hat; invoiced) and #1002; #1003 twice; the RA of 7001 with a receipt and a customer refund."""
    ids = {}
    for so_id, name, shopify_id in ((SO_1001, "#1001", "5550001"), (SO_1002, "#1002", "5550002")):
        netsuite.transactions.append(
            {
                "id": str(so_id),
                "type": "SalesOrd",
                "tranid": f"SO{so_id}",
                "otherrefnum": name,
                "custbody_shopify_order_id": shopify_id,
                "currency": USD,
                "entity": "42",
                "subsidiary": "1",
                "location": "1",
            }
        )
    netsuite.add_line(SO_1001, 1, item=SHIRT, quantity=-2, rate="50.00", taxcode=TAX_8)
    netsuite.add_line(SO_1001, 2, item=HAT, quantity=-1, rate="20.00", taxcode=TAX_8)
    netsuite.add_line(SO_1002, 1, item=SHIRT, quantity=-1, rate="50.00", taxcode=TAX_8)
    netsuite.add_transaction("CustInvc", createdfrom=SO_1001)
    for _ in range(2):
        netsuite.add_transaction("SalesOrd", otherrefnum="#1003", custbody_shopify_order_id=None, currency=USD, entity="43")
    netsuite.items += [
        {"id": str(SHIRT), "itemid": "SHIRT", "isinactive": "F"},
        {"id": str(HAT), "itemid": "HAT", "isinactive": "F"},
        {"id": "999", "itemid": "HAT", "isinactive": "T"},
    ]
    ids["ra"] = netsuite.add_transaction(
        "RtnAuth",
        externalid="loop-north-7001-ra",
        status="B",
        custbody_loop_return_id="7001",
        lastmodifieddate="2025-03-02 10:00:00",
    )
    netsuite.add_line(ids["ra"], 1, item=SHIRT, quantity=1, quantityshiprecv=1, quantitybilled=0, isclosed="F", orderline=1)
    ids["ir"] = netsuite.add_transaction("ItemRcpt", externalid="loop-north-7001-ir-1", createdfrom=ids["ra"], foreigntotal="0")
    ids["cref"] = netsuite.add_transaction("CustRfnd", externalid="loop-north-7001-cref", foreigntotal="-48.60")
    # Store north-eu's RA of a return with the same id: its externalId starts like north's.
    ids["eu_ra"] = netsuite.add_transaction(
        "RtnAuth",
        externalid="loop-north-eu-7001-ra",
        status="B",
        custbody_loop_return_id="7001",
        lastmodifieddate="2025-03-02 11:00:00",
    )
    return ids


class TestLoadWork:
    def test_oldest_return_first_then_by_numeric_id(self, runtime: SyncRuntime, account: dict[str, int]) -> None:
        returns = [
            loop_return("7010", created_at="2025-03-02T09:00:00Z"),
            loop_return("7002", created_at="2025-03-01T10:00:00Z"),
            loop_return("10", created_at="2025-03-01T10:00:00Z"),
        ]
        assert [w.id for w in load_work(runtime, returns)] == ["10", "7002", "7010"]

    def test_sales_order_by_shopify_order_id_else_by_name_and_ambiguity_kept(
        self, runtime: SyncRuntime, account: dict[str, int]
    ) -> None:
        work = {
            w.id: w
            for w in load_work(
                runtime,
                [
                    loop_return("7001", shopify_order_id="5550001", order="#9999"),  # the id wins over a wrong name
                    loop_return("7002", shopify_order_id=None, order="1002"),  # Loop's name without '#'
                    loop_return("7003", shopify_order_id=None, order="#1003"),
                    loop_return("7004", shopify_order_id="404", order="#404"),
                ],
            )
        }
        assert (work["7001"].so.id, work["7002"].so.id) == (SO_1001, SO_1002)
        assert (len(work["7003"].so_matches), work["7003"].so) == (2, None)
        assert (work["7004"].so_matches, work["7004"].so) == ([], None)
        so = work["7001"].so
        assert (so.tranid, so.customer_id, so.billing) == ("SO5001", 42, "invoice")
        assert [(line.line, line.item_id, line.quantity, line.rate) for line in so.lines] == [
            (1, SHIRT, 2, Decimal("50.00")),
            (2, HAT, 1, Decimal("20.00")),
        ]

    def test_items_by_sku_among_active_items(self, runtime: SyncRuntime, account: dict[str, int]) -> None:
        (w,) = load_work(runtime, [loop_return("7001", "SHIRT", "HAT", "SOCK")])
        assert w.item_matches == {"SHIRT": [SHIRT], "HAT": [HAT], "SOCK": []}

    def test_our_ra_its_receipts_and_records_not_made_from_it(self, runtime: SyncRuntime, account: dict[str, int]) -> None:
        returns = [loop_return("7001"), loop_return("7002", created_at="2025-03-05T00:00:00Z")]
        w, other = load_work(runtime, returns, with_refund_records=True)
        assert (w.ra.id, w.ra.status, w.ra.ours, w.ra.received_units) == (
            account["ra"],
            RaStatus.PENDING_RECEIPT,
            ExternalId(STORE, "7001", RecordRole.RA),
            1,
        )
        # NetSuite's 10:00 is the user's wall clock (the store's netsuite_time_zone, Los Angeles by default): 18:00 UTC.
        assert w.ra.last_modified == datetime(2025, 3, 2, 18, tzinfo=UTC)
        assert [(c.id, c.record_type, c.ours) for c in w.children] == [
            (account["ir"], RecordType.ITEM_RECEIPT, ExternalId(STORE, "7001", RecordRole.IR, receipt=1)),
        ]
        assert {role: (c.id, c.total) for role, c in w.extra_records.items()} == {
            RecordRole.CREF: (account["cref"], Decimal("48.60"))
        }
        assert (other.ra, other.children, other.extra_records) == (None, [], {})
        # A sync that posts no refund records (ra_sync, item_receipt_to_netsuite) does not ask for them.
        assert load_work(runtime, returns)[0].extra_records == {}

    def test_units_other_returns_hold_on_the_order_come_from_the_ledger(
        self, runtime: SyncRuntime, account: dict[str, int]
    ) -> None:
        with runtime.ledger.session() as repo:
            for return_id in ("6999", "7001"):
                repo.set_returned_lines(STORE, return_id, SO_1001, [ReturnedLine(so_line=1, sku="SHIRT", quantity=1)])
        (w,) = load_work(runtime, [loop_return("7001")])
        assert w.returned_so_far == {1: 1}  # 6999's unit; 7001's own lines do not count against it

    def test_a_few_queries_per_batch_whatever_its_size(
        self, runtime: SyncRuntime, netsuite: FakeNetSuite, account: dict[str, int]
    ) -> None:
        load_work(runtime, [loop_return("7001")], with_refund_records=True)
        one = len(netsuite.queries)
        netsuite.queries.clear()
        many = [loop_return(str(7001 + n), created_at=f"2025-03-01T10:{n:02d}:00Z") for n in range(40)]
        load_work(runtime, many, with_refund_records=True)
        # Sales orders by Shopify order id, their lines (with their tax codes' rates), billing; items; our RAs, their
        # lines, what was made from them; records by externalId. No query by order name: every order was found by its id.
        assert one == len(netsuite.queries) == 8
        assert not [q for q in netsuite.queries if "otherrefnum IN" in q]
        netsuite.queries.clear()
        load_work(runtime, many)
        assert len(netsuite.queries) == 7, "without the refund records: the records by externalId are not asked for"

    def test_an_order_is_looked_up_by_name_only_when_its_id_finds_none(
        self, runtime: SyncRuntime, netsuite: FakeNetSuite, account: dict[str, int]
    ) -> None:
        (w,) = load_work(runtime, [loop_return("7002", shopify_order_id="404", order="#1002")])
        by_name = [q for q in netsuite.queries if "otherrefnum IN" in q]
        assert (w.so.id if w.so else None, len(by_name)) == (SO_1002, 3)  # headers, lines, billing: one round
        assert all("'#1002'" in query and "'404'" not in query for query in by_name)

    def test_a_run_all_reads_each_order_and_sku_once_across_its_syncs(
        self, runtime: SyncRuntime, netsuite: FakeNetSuite, account: dict[str, int]
    ) -> None:
        returns = [loop_return("7001", "SHIRT", "HAT"), loop_return("7002", shopify_order_id=None, order="#1002")]
        with sharing_netsuite_reads(SharedNetSuiteReads(STORE)):
            first = load_work(runtime, returns)
            netsuite.queries.clear()
            again = load_work(runtime, returns)
        asked = " ".join(netsuite.queries)
        # The order found by id and the SKUs come from the first read; the order known only by name is asked again.
        assert "custbody_shopify_order_id IN ('5550001')" not in asked and "itemid IN" not in asked
        assert "'#1002'" in asked
        assert [(w.so, w.item_matches) for w in again] == [(w.so, w.item_matches) for w in first]
        # Another store's run_all shares nothing with this one.
        netsuite.queries.clear()
        with sharing_netsuite_reads(SharedNetSuiteReads("elsewhere")):
            load_work(runtime, returns)
        assert any("'5550001'" in q for q in netsuite.queries)

    def test_the_warm_workers_runs_take_a_skus_one_item_from_memory_and_ask_again_for_the_rest(
        self, runtime: SyncRuntime, netsuite: FakeNetSuite, account: dict[str, int]
    ) -> None:
        memory = ItemMatchMemory()
        with remembering_item_matches(memory):
            (first,) = load_work(runtime, [loop_return("7001", "SHIRT", "SOCK")])
            netsuite.queries.clear()
            (again,) = load_work(runtime, [loop_return("7001", "SHIRT", "SOCK")])
        item_queries = [q for q in netsuite.queries if "FROM item" in q]
        # SHIRT matched one item and is remembered; SOCK matched none, so it is asked again (a new item shows up at once).
        assert len(item_queries) == 1 and "'SOCK'" in item_queries[0] and "'SHIRT'" not in item_queries[0]
        assert again.item_matches == first.item_matches == {"SHIRT": [SHIRT], "SOCK": []}
        netsuite.queries.clear()
        load_work(runtime, [loop_return("7001", "SHIRT")])  # outside the worker's runs: read afresh
        assert any("'SHIRT'" in q for q in netsuite.queries if "FROM item" in q)

    def test_the_upsell_of_an_exchange_paid_in_shopify(
        self, runtime: SyncRuntime, shopify: FakeShopify, account: dict[str, int]
    ) -> None:
        shopify.orders["5550002"] = FakeShopifyOrder([FakeShopifyTransaction("SALE", "SUCCESS", Decimal("15.00"))])
        exchange = {"exchange_id": "E1", "exchange_order_id": "5550002", "sku": "SHIRT"}
        paid, unpaid = load_work(
            runtime,
            [
                loop_return("7001", upsell="15.00", exchanges=[exchange]),
                loop_return("7002", upsell="25.00", exchanges=[exchange], created_at="2025-03-05T00:00:00Z"),
            ],
            with_exchanges=True,
        )
        assert (paid.exchange_so_id, paid.upsell_paid_in_shopify) == (SO_1002, True)
        assert (unpaid.exchange_so_id, unpaid.upsell_paid_in_shopify) == (SO_1002, False)
        assert shopify.reads == ["5550002", "5550002"]


class TestChangedReturnAuthorizations:
    def test_only_the_stores_own_ras_in_the_window(self, netsuite: FakeNetSuite, account: dict[str, int]) -> None:
        changed = changed_return_authorizations(
            netsuite,
            store=STORE,
            since=datetime(2025, 3, 2, tzinfo=UTC),
            until=datetime(2025, 3, 3, tzinfo=UTC),
            loop_id_field="custbody_loop_return_id",
            flag_field=None,
            time_zone="America/Los_Angeles",
        ).ras
        assert [ra.id for ra in changed] == [account["ra"]]
        # The fake's 10:00 is Los Angeles wall clock: 18:00 UTC.
        assert changed[0].last_modified == datetime(2025, 3, 2, 18, 0, tzinfo=UTC)
        assert "LIKE 'loop-north-%-ra'" in netsuite.queries[0]

    def test_ras_unchanged_since_handled_are_dropped_before_their_lines_are_read(
        self, netsuite: FakeNetSuite, account: dict[str, int]
    ) -> None:
        changed = changed_return_authorizations(
            netsuite,
            store=STORE,
            since=datetime(2025, 3, 2, tzinfo=UTC),
            until=datetime(2025, 3, 3, tzinfo=UTC),
            loop_id_field="custbody_loop_return_id",
            flag_field=None,
            time_zone="America/Los_Angeles",
            unchanged_through=datetime(2025, 3, 2, 18, 0, tzinfo=UTC),  # the RA's own last modification
        )
        assert changed.ras == [] and changed.headers_read > 0 and changed.next_after is None
        # No lines read for it (the other store's RA that LIKE also matched still has its lines read).
        line_reads = [q.split("tl.transaction IN (", 1)[1].split(")", 1)[0] for q in netsuite.queries[1:]]
        assert all(str(account["ra"]) not in ids.split(", ") for ids in line_reads), line_reads

    def test_the_window_end_is_rounded_up_to_netsuites_whole_seconds(
        self, netsuite: FakeNetSuite, account: dict[str, int]
    ) -> None:
        changed_return_authorizations(
            netsuite,
            store=STORE,
            since=datetime(2025, 3, 2, 9, 59, 59, tzinfo=UTC),
            until=datetime(2025, 3, 2, 10, 0, 0, 1, tzinfo=UTC),
            loop_id_field="custbody_loop_return_id",
            flag_field=None,
            time_zone="America/Los_Angeles",
        )
        # Bounds are written on the user's wall clock (PST, UTC-8, on 2 March 2025).
        assert "TO_DATE('2025-03-02 01:59:59'" in netsuite.queries[0] and "TO_DATE('2025-03-02 02:00:01'" in netsuite.queries[0]
