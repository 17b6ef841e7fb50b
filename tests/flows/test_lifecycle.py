"""The six flows end to end on the sandbox: the state they leave in NetSuite and Loop, not their return values."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from returns_sandbox.testing import verify_world

pytestmark = [pytest.mark.flow, pytest.mark.slow, pytest.mark.usefixtures("lifecycle_blocks")]


def test_the_world_moved_on_between_the_passes(lifecycle):
    # Otherwise the second pass would prove nothing about syncs 2-6.
    for event in (
        "received in NetSuite",
        "processed in Loop",
        "cancelled in Loop",
        "RA closed in NetSuite",
        "RA flagged in NetSuite",
    ):
        assert lifecycle.events.get(event, 0) > 0, lifecycle.events


def test_every_return_ends_as_the_seed_expects(lifecycle):
    quarantined = {rid: entry.rule for rid, entry in lifecycle.quarantined().items()}
    report = verify_world(lifecycle.world, lifecycle.sandbox.netsuite.conn, lifecycle.sandbox.loop, quarantined)
    assert report.failures == [], "\n".join(f"{c.return_id} {c.scenario}: {c.problems}" for c in report.failures[:20])
    # Every scenario of the seed was exercised.
    assert {
        "refund_full",
        "store_credit_bonus",
        "exchange_upsell_stripe",
        "exchange_downsell",
        "connector_duplicate",
        "partial_receipt",
        "cancelled_after_ra",
        "ra_closed_in_netsuite",
        "multi_return",
    } <= set(report.by_scenario())


def test_records_chain_back_to_the_original_sales_order(lifecycle):
    rows = lifecycle.transactions()
    by_id = {row["id"]: row for row in rows}
    ours = [row for row in rows if (row["externalid"] or "").startswith("loop-")]
    assert ours
    for row in ours:
        if row["type"] in ("CustRfnd", "CustDep", "Journal", "CustPymt"):
            # standalone: pay out a credit memo / sit on the exchange order / book the deposit's Stripe fee /
            # an instant exchange's charge (applied to an invoice, never created from one)
            continue
        chain, current = [], row
        while current is not None and current["createdfrom"]:
            chain.append(current["type"])
            current = by_id.get(current["createdfrom"])
        assert current is not None and current["type"] == "SalesOrd", (
            f"{row['externalid']} does not lead back to a sales order: {chain}"
        )
        assert row["type"] == "RtnAuth" or chain[-1] == "RtnAuth", f"{row['externalid']} is not created from the RA"


def test_refund_documents_equal_loop_to_the_cent(lifecycle):
    """Every cash refund / credit memo we posted totals exactly what Loop paid back to the card (in credit exchange mode
    also the exchange credit, which the memo applies to the exchange order's invoice)."""
    rows = {row["externalid"]: row for row in lifecycle.transactions() if row["externalid"]}
    returns = {case.return_id: case for case in lifecycle.world.returns}
    checked = 0
    for external_id, row in rows.items():
        if not external_id.startswith("loop-") or row["type"] not in ("CashRfnd", "CustCred"):
            continue
        return_id = external_id.split("-")[2]
        # Loop's figures as they ended: support may have removed units that never arrived (Remove Line Items).
        loop_return = lifecycle.sandbox.loop.get_return(return_id) or returns[return_id].loop_return
        card = Decimal(loop_return["refund"]) - sum(
            (Decimal(str(p["amount"])) for p in loop_return.get("refunds", []) if "gift" in p["gateway"].lower()), Decimal("0")
        )
        store = lifecycle.world.store(returns[return_id].store)
        if store.exchange_mode == "credit" and loop_return.get("exchanges"):
            card += Decimal(loop_return["exchange_credit_total"])
        assert Decimal(str(row["foreigntotal"])).quantize(Decimal("0.01")) == card, external_id
        checked += 1
    assert checked > 10


def test_every_posting_balances_in_the_general_ledger(lifecycle):
    conn = lifecycle.sandbox.netsuite.conn
    with lifecycle.sandbox.netsuite.lock:
        sums = conn.execute(
            """SELECT t.externalid, SUM(CAST(a.debit AS TEXT)), SUM(CAST(a.credit AS TEXT)) FROM transactionaccountingline a
               JOIN "transaction" t ON t.id = a."transaction" WHERE t.externalid LIKE 'loop-%' GROUP BY t.externalid"""
        ).fetchall()
    assert sums
    for external_id, debit, credit in sums:
        assert round(debit or 0, 2) == round(credit or 0, 2), external_id


def test_bad_returns_are_quarantined_with_a_reason_and_nothing_partial_is_posted(lifecycle):
    quarantined = lifecycle.quarantined()
    external_ids = {row["externalid"] for row in lifecycle.transactions() if row["externalid"]}
    bad = [case for case in lifecycle.world.returns if case.expected.quarantine_rule]
    assert len(bad) >= 5
    for case in bad:
        entry = quarantined.get(case.return_id)
        assert entry is not None, f"{case.return_id} ({case.expected.scenario}) was not quarantined"
        assert entry.rule == case.expected.quarantine_rule
        assert len(entry.reason) > 20 and "Traceback" not in entry.reason
        prefix = f"loop-{case.store}-{case.return_id}-"
        assert not [e for e in external_ids if e.startswith(prefix)], f"{case.return_id} has records despite its quarantine"
        state = lifecycle.sandbox.loop.get_return(case.return_id)["state"]
        assert state == case.loop_return["state"], "a quarantined return must not be touched in Loop"


def test_quarantine_reasons_name_the_problem(lifecycle):
    by_rule = defaultdict(list)
    for entry in lifecycle.quarantined().values():
        by_rule[entry.rule].append(entry.reason)
    assert any("matches items" in r for r in by_rule["sku_ambiguous"])
    assert any("is not in NetSuite" in r for r in by_rule["sku_unknown"])
    assert any("not in NetSuite yet" in r for r in by_rule["order_not_in_netsuite"])
    assert any("remain returnable" in r for r in by_rule["quantity_exceeds_returnable"])
    assert any("but sales order" in r for r in by_rule["currency_mismatch"])


def test_connector_refunds_are_linked_not_posted_twice(lifecycle):
    from returns_sync.tasks.runtime import ledger_for

    cases = [c for c in lifecycle.world.returns if c.expected.skipped_as_connector_duplicate]
    assert cases
    with ledger_for().session() as repo:
        for case in cases:
            roles = {r.role: r.created_by for r in repo.netsuite_records(case.store, case.return_id)}
            assert roles.get("connector_refund") == "shopify_connector", roles
            assert "cr" not in roles and "cm" not in roles


def test_artifacts_report_each_flow_run(lifecycle, prefect_api):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["ra-sync-north", "refund-sync-south"])),
        )
    keys = {a.key for a in artifacts}
    assert {"ra-sync-north", "refund-sync-south"} <= keys
    ra_north = [a for a in artifacts if a.key == "ra-sync-north"]
    assert any("NetSuite records created" in (a.data or "") and "Quarantined" in (a.data or "") for a in ra_north)


def test_each_netsuite_record_is_named_in_one_loop_note_after_two_passes(lifecycle):
    from sqlalchemy import select

    from returns_sandbox.loop.errors import UnprocessableRequest
    from returns_sync.domain.netsuite import RecordRole, RecordType
    from returns_sync.domain.netsuite_numbers import NOTED_ROLES, record_key
    from returns_sync.ledger.models import NetSuiteRecordRow, WriteBackRow
    from returns_sync.tasks.runtime import ledger_for

    with ledger_for().session() as repo:
        records = list(repo.session.scalars(select(NetSuiteRecordRow)))
        notes = {
            (w.store, w.record_key): w
            for w in repo.session.scalars(select(WriteBackRow).where(WriteBackRow.target == "loop_note"))
        }
        noted = [r for r in records if RecordRole(r.role) in NOTED_ROLES]
        expected = {(r.store, record_key(RecordType(r.record_type), r.ns_id)): r for r in noted}
    assert noted and set(notes) == set(expected)
    assert {w.status for w in notes.values()} == {"written"}
    for (store, _), note in notes.items():
        shop = lifecycle.world.store(store).loop_shop_id
        try:
            in_loop = [n["content"] for n in lifecycle.sandbox.loop.list_notes(shop, note.loop_return_id)["notes"]]
        except UnprocessableRequest:
            in_loop = []
        # A note may name several records of one return; each record is named in exactly one note.
        assert sum(note.content in text for text in in_loop) == 1, (note.loop_return_id, note.content, in_loop)
        record = expected[(store, note.record_key)]
        assert record.tranid and record.tranid in note.content
