"""A batch's RAs are read in one round: headers, lines and what was created from them, side by side.

A closed return's receipt and refund each waited for three NetSuite latencies in a row (RA headers, then their
lines, then their children) before posting anything (issue 13's freshness figures); each now waits for one.
"""

from __future__ import annotations

from conftest import SHIRT, STORE
from fakes import LazyNetSuite

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.netsuite import RaStatus, RecordRole, RecordType
from returns_sync.tasks import netsuite_lookup as lookup


def _ra_with_a_receipt(netsuite: LazyNetSuite, return_id: str) -> tuple[int, int]:
    ra = netsuite.add_transaction(
        "RtnAuth",
        externalid=f"loop-{STORE}-{return_id}-ra",
        status="F",
        custbody_loop_return_id=return_id,
        lastmodifieddate="2025-03-02 10:00:00",
    )
    netsuite.add_line(ra, 1, item=SHIRT, quantity=2, quantityshiprecv=2, quantitybilled=0, isclosed="F", orderline=1)
    receipt = netsuite.add_transaction("ItemRcpt", externalid=f"loop-{STORE}-{return_id}-ir-1", createdfrom=ra, foreigntotal="0")
    return ra, receipt


def _find(
    netsuite: LazyNetSuite, *return_ids: str
) -> tuple[dict[ExternalId, lookup.RaState], dict[int, list[lookup.ChildRecord]]]:
    return lookup.find_return_authorizations_and_children(
        netsuite,
        [ExternalId(STORE, rid, RecordRole.RA) for rid in return_ids],
        loop_id_field="custbody_loop_return_id",
        flag_field=None,
        time_zone="UTC",
    )


def test_headers_lines_and_children_are_read_side_by_side() -> None:
    netsuite = LazyNetSuite(parties=3)  # sent one after another, the first read would wait at the barrier alone and fail
    ra, receipt = _ra_with_a_receipt(netsuite, "7001")
    other, _ = _ra_with_a_receipt(netsuite, "7002")  # not asked for: none of its rows may come back
    ras, children = _find(netsuite, "7001", "7003")
    assert len(netsuite.queries) == 3
    (found,) = ras.values()
    assert (found.id, found.status, found.received_units, found.ordered_units) == (ra, RaStatus.PENDING_REFUND, 2, 2)
    assert {ra_id: [(c.id, c.record_type) for c in kids] for ra_id, kids in children.items()} == {
        ra: [(receipt, RecordType.ITEM_RECEIPT)]
    }
    assert other not in children


def test_the_ras_alone_are_two_queries_side_by_side() -> None:
    netsuite = LazyNetSuite(parties=2)
    ra, _ = _ra_with_a_receipt(netsuite, "7001")
    found = lookup.find_return_authorizations(
        netsuite,
        [ExternalId(STORE, "7001", RecordRole.RA)],
        loop_id_field="custbody_loop_return_id",
        flag_field=None,
        time_zone="UTC",
    )
    assert [(r.id, r.received_units) for r in found.values()] == [(ra, 2)]
    assert len(netsuite.queries) == 2


def test_where_ras_are_not_expected_the_headers_go_alone_and_the_rest_only_for_ras_found() -> None:
    netsuite = LazyNetSuite(parties=1)
    ra, receipt = _ra_with_a_receipt(netsuite, "7001")
    ask = [ExternalId(STORE, rid, RecordRole.RA) for rid in ("7002", "7003")]
    fields = {"loop_id_field": "custbody_loop_return_id", "flag_field": None, "time_zone": "UTC"}
    assert lookup.find_return_authorizations_and_children(netsuite, ask, expected=False, **fields) == ({}, {})
    assert len(netsuite.queries) == 1, "new returns (ra_sync's usual batch): one query, no lines or children asked for"
    netsuite.queries.clear()
    ras, children = lookup.find_return_authorizations_and_children(
        netsuite, [ExternalId(STORE, "7001", RecordRole.RA)], expected=False, **fields
    )
    assert [(r.id, r.received_units) for r in ras.values()] == [(ra, 2)]
    assert [c.id for c in children[ra]] == [receipt]
    assert len(netsuite.queries) == 3, "the headers found are not read again: then their lines and children"
