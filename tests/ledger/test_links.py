"""Return links, NetSuite records, and the returned-quantity arithmetic across several returns of one order."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from returns_sync.domain.netsuite import RecordRole
from returns_sync.ledger import Ledger, LedgerIntegrityError, ReturnedLine

SO = "7001"


class TestReturnLinks:
    def test_upsert_creates_then_updates_only_the_given_columns(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            created = repo.upsert_link("acme", "r1", shopify_order_id="gid://shopify/Order/1", shopify_order_name="#1001")
        with ledger.session() as repo:
            updated = repo.upsert_link("acme", "r1", ns_return_authorization_id=812, ns_ra_tranid="RA123", ra_flag_synced="T")
        assert (updated.shopify_order_name, updated.ns_return_authorization_id, updated.ra_flag_synced) == ("#1001", "812", "T")
        assert updated.created_at == created.created_at
        assert updated.updated_at >= created.updated_at

    def test_unknown_column_is_refused(self, ledger: Ledger) -> None:
        with pytest.raises(TypeError, match="unknown return_links columns: api_key"), ledger.session() as repo:
            repo.upsert_link("acme", "r1", api_key="x")

    def test_listing_links_with_an_ra(self, ledger: Ledger) -> None:
        now = datetime.now(UTC)
        with ledger.session() as repo:
            repo.upsert_link("acme", "r1", ns_return_authorization_id="812", loop_processed_by_us_at=now)
            repo.upsert_link("acme", "r2")
            repo.upsert_link("other", "r3", ns_return_authorization_id="812")
            assert [link.loop_return_id for link in repo.links_with_ra("acme")] == ["r1"]
            assert repo.get_link("acme", "missing") is None

    def test_links_awaiting_loops_close_are_the_processed_ones_loop_has_not_closed(self, ledger: Ledger) -> None:
        now = datetime.now(UTC)
        with ledger.session() as repo:
            repo.upsert_link("acme", "r1", ns_return_authorization_id="811", loop_processed_by_us_at=now)
            repo.upsert_link("acme", "r2", ns_return_authorization_id="812", loop_processed_by_us_at=now, loop_state_seen="open")
            repo.upsert_link(
                "acme", "r3", ns_return_authorization_id="813", loop_processed_by_us_at=now, loop_state_seen="review"
            )
            for n, state in enumerate(("closed", "cancelled", "expired"), start=4):
                repo.upsert_link(
                    "acme", f"r{n}", ns_return_authorization_id=f"81{n}", loop_processed_by_us_at=now, loop_state_seen=state
                )
            repo.upsert_link("acme", "r7", ns_return_authorization_id="817", loop_state_seen="open")  # not processed by us
            repo.upsert_link("acme", "r8", loop_processed_by_us_at=now)  # no RA
            repo.upsert_link("other", "r9", ns_return_authorization_id="819", loop_processed_by_us_at=now)
            assert repo.links_awaiting_loop_close("acme") == ["r1", "r2", "r3"]

    def test_links_closed_without_refund_leave_out_the_settled_and_the_closed_by_us(self, ledger: Ledger) -> None:
        now = datetime.now(UTC)
        with ledger.session() as repo:
            for rid in ("r1", "r2", "r3", "r4"):
                repo.upsert_link("acme", rid, ns_return_authorization_id=f"8{rid}", loop_state_seen="closed")
            repo.upsert_link("acme", "r5", ns_return_authorization_id="85", loop_state_seen="open")
            repo.upsert_link("acme", "r6", ns_return_authorization_id="86", loop_state_seen="closed", ra_closed_by_us_at=now)
            repo.record_netsuite_record(
                store="acme", loop_return_id="r2", role="cm", record_type="creditMemo", ns_id="902", currency="USD"
            )
            repo.record_netsuite_record(  # an item receipt settles nothing
                store="acme", loop_return_id="r3", role="ir", record_type="itemReceipt", ns_id="903", currency="USD"
            )
            repo.record_netsuite_record(
                store="acme", loop_return_id="r4", role="connector_refund", record_type="cashRefund", ns_id="904", currency="USD"
            )
            waiting = repo.links_closed_without_refund("acme", (RecordRole.CM, RecordRole.CR, RecordRole.CONNECTOR_REFUND))
            assert [link.loop_return_id for link in waiting] == ["r1", "r3"]


class TestNetSuiteRecords:
    def test_recording_twice_is_a_no_op(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            first = repo.record_netsuite_record(
                store="acme",
                loop_return_id="r1",
                role="ra",
                record_type="returnAuthorization",
                ns_id="812",
                tranid="RA123",
                external_id="loop-acme-r1-ra",
                total=Decimal("48.60"),
                currency="USD",
            )
        with ledger.session() as repo:
            again = repo.record_netsuite_record(
                store="acme",
                loop_return_id="r1",
                role="ra",
                record_type="returnAuthorization",
                ns_id=812,
                external_id="loop-acme-r1-ra",
            )
            assert repo.netsuite_records("acme", "r1") == [first] == [again]
            assert repo.get_link("acme", "r1") is not None  # the link row was created for the foreign key

    def test_recording_again_completes_missing_detail_but_never_overwrites(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            repo.record_netsuite_record(
                store="acme", loop_return_id="r1", role="cr", record_type="cashRefund", ns_id="5", total=Decimal("43.60")
            )
            completed = repo.record_netsuite_record(
                store="acme",
                loop_return_id="r1",
                role="cr",
                record_type="cashRefund",
                ns_id="5",
                tranid="CR77",
                total=Decimal("99.00"),
                currency="USD",
            )
        assert (completed.tranid, completed.total, completed.currency) == ("CR77", Decimal("43.6000"), "USD")

    def test_roles_and_lookup_by_external_id(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            repo.record_netsuite_record(
                store="acme",
                loop_return_id="r1",
                role="ir",
                record_type="itemReceipt",
                ns_id="900",
                external_id="loop-acme-r1-ir-1",
            )
            repo.record_netsuite_record(
                store="acme",
                loop_return_id="r1",
                role="ir",
                record_type="itemReceipt",
                ns_id="901",
                external_id="loop-acme-r1-ir-2",
            )
            repo.record_netsuite_record(
                store="acme",
                loop_return_id="r1",
                role="connector_refund",
                record_type="cashRefund",
                ns_id="950",
                created_by="shopify_connector",
            )
            assert [r.ns_id for r in repo.netsuite_records("acme", "r1", role="ir")] == ["900", "901"]
            assert repo.find_netsuite_record("itemReceipt", "loop-acme-r1-ir-2").ns_id == "901"
            assert repo.find_netsuite_record("itemReceipt", "loop-acme-r1-ir-3") is None
            assert repo.netsuite_records("acme", "r1", role="connector_refund")[0].created_by == "shopify_connector"

    def test_external_id_of_another_record_is_refused(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            repo.record_netsuite_record(
                store="acme", loop_return_id="r1", role="cm", record_type="creditMemo", ns_id="1", external_id="loop-acme-r1-cm"
            )
        with (
            pytest.raises(LedgerIntegrityError, match="externalId 'loop-acme-r1-cm' .* is already NetSuite record 1"),
            ledger.session() as repo,
        ):
            repo.record_netsuite_record(
                store="acme", loop_return_id="r1", role="cm", record_type="creditMemo", ns_id="2", external_id="loop-acme-r1-cm"
            )

    @pytest.mark.parametrize(("field", "value"), [("role", "invoice"), ("created_by", "someone")])
    def test_unknown_role_or_creator_is_refused(self, ledger: Ledger, field: str, value: str) -> None:
        kwargs = {"role": "cm", "created_by": "us", field: value}
        with pytest.raises(ValueError, match=f"'{value}' is not a valid"), ledger.session() as repo:
            repo.record_netsuite_record(store="acme", loop_return_id="r1", record_type="creditMemo", ns_id="1", **kwargs)


def lines(*specs: tuple[int, str, int]) -> list[ReturnedLine]:
    return [
        ReturnedLine(so_line=so_line, sku=sku, quantity=qty, loop_line_item_ids=[f"{sku}-{i}" for i in range(qty)])
        for so_line, sku, qty in specs
    ]


class TestReturnedQuantity:
    """Order 7001: line 1 = 3 × SHIRT, line 2 = 2 × HAT, line 3 = 1 × SCARF."""

    def test_open_and_received_returns_hold_their_full_quantity(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            repo.set_returned_lines("acme", "r1", SO, lines((1, "SHIRT", 1), (2, "HAT", 1)))
            repo.set_returned_lines("acme", "r2", SO, lines((1, "SHIRT", 2)))
            repo.mark_lines_received("acme", "r2", {1: 1})  # partial receipt still holds both units
            assert repo.returned_quantity_by_so_line("acme", SO) == {1: 3, 2: 1}

    def test_excluding_the_return_being_validated(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            repo.set_returned_lines("acme", "r1", SO, lines((1, "SHIRT", 1)))
            repo.set_returned_lines("acme", "r2", SO, lines((1, "SHIRT", 2), (3, "SCARF", 1)))
            assert repo.returned_quantity_by_so_line("acme", SO, excluding_return="r2") == {1: 1}

    def test_cancelled_returns_release_their_units(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            repo.set_returned_lines("acme", "r1", SO, lines((1, "SHIRT", 2)))
            repo.set_returned_lines("acme", "r2", SO, lines((1, "SHIRT", 1), (2, "HAT", 2)))
            repo.set_lines_status("acme", "r2", "cancelled")
            assert repo.returned_quantity_by_so_line("acme", SO) == {1: 2}

    def test_closed_returns_hold_only_what_was_received(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            repo.set_returned_lines("acme", "r1", SO, lines((1, "SHIRT", 3), (2, "HAT", 2)))
            repo.mark_lines_received("acme", "r1", {1: 2})
            repo.set_lines_status("acme", "r1", "closed")  # RA closed: the third shirt never came back
            repo.set_returned_lines("acme", "r2", SO, lines((2, "HAT", 1)))
            assert repo.returned_quantity_by_so_line("acme", SO) == {1: 2, 2: 1}

    def test_other_orders_and_stores_do_not_count(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            repo.set_returned_lines("acme", "r1", SO, lines((1, "SHIRT", 1)))
            repo.set_returned_lines("acme", "r2", "7002", lines((1, "SHIRT", 3)))
            repo.set_returned_lines("other", "r3", SO, lines((1, "SHIRT", 2)))
            assert repo.returned_quantity_by_so_line("acme", SO) == {1: 1}
            assert repo.returned_quantity_by_so_line("acme", "9999") == {}

    def test_receiving_is_cumulative_and_idempotent(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            repo.set_returned_lines("acme", "r1", SO, lines((1, "SHIRT", 3)))
            repo.mark_lines_received("acme", "r1", {1: 2})
            (line,) = repo.mark_lines_received("acme", "r1", {1: 2})
        assert (line.received_quantity, line.status, line.loop_line_item_ids) == (
            2,
            "received",
            ["SHIRT-0", "SHIRT-1", "SHIRT-2"],
        )

    @pytest.mark.parametrize(
        ("received", "message"),
        [({1: 4}, "4 unit\\(s\\) received on SO line 1, which holds 3"), ({5: 1}, "holds no units on SO line 5")],
    )
    def test_impossible_receipts_are_refused(self, ledger: Ledger, received, message) -> None:
        with ledger.session() as repo:
            repo.set_returned_lines("acme", "r1", SO, lines((1, "SHIRT", 3)))
        with pytest.raises(LedgerIntegrityError, match=message), ledger.session() as repo:
            repo.mark_lines_received("acme", "r1", received)

    def test_resetting_lines_keeps_receipts_and_drops_unreceived_lines(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            repo.set_returned_lines("acme", "r1", SO, lines((1, "SHIRT", 3), (2, "HAT", 1)))
            repo.mark_lines_received("acme", "r1", {1: 1})
            kept = repo.set_returned_lines("acme", "r1", SO, lines((1, "SHIRT", 2)))
        assert [(link.so_line, link.quantity, link.received_quantity, link.status) for link in kept] == [(1, 2, 1, "received")]

    def test_one_so_line_listed_twice_is_refused(self, ledger: Ledger) -> None:
        with pytest.raises(LedgerIntegrityError, match="SO line 1 is listed twice"), ledger.session() as repo:
            repo.set_returned_lines("acme", "r1", SO, lines((1, "SHIRT", 1), (1, "SHIRT", 2)))

    def test_dropping_a_received_line_is_refused(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            repo.set_returned_lines("acme", "r1", SO, lines((1, "SHIRT", 3)))
            repo.mark_lines_received("acme", "r1", {1: 1})
        with pytest.raises(LedgerIntegrityError, match="SO line 1 has 1 unit\\(s\\) received"), ledger.session() as repo:
            repo.set_returned_lines("acme", "r1", SO, [])
