"""The report's markdown artifact and Rich tables say each finding and the liability in words and numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

from rich.console import Console

from returns_sync.cli.reconciliation import print_reconciliation
from returns_sync.domain.netsuite import RaStatus
from returns_sync.domain.three_way import (
    FindingKind,
    GiftCardFact,
    LoopFact,
    RaFact,
    ReconciliationInput,
    ReconciliationRules,
    reconcile_store,
)
from returns_sync.tasks.reconciliation_markdown import render_reconciliation_markdown

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def _report():
    data = ReconciliationInput(
        store="north",
        currency="USD",
        loop=(
            LoopFact("c1", "closed", "USD", 1, D(0), D(0), D("30.00"), datetime(2026, 12, 1, tzinfo=UTC), (), "g1"),
            LoopFact("m1", "open", "USD", 1, D(0), D(0), D(0), None),
        ),
        shopify_refunds={},
        return_authorizations=(RaFact(1, "RMA1", "c1", RaStatus.PENDING_RECEIPT, NOW),),
        documents=(),
        quarantine={"q|1": "sku_unknown: SKU A|B is not in NetSuite"},
        gift_cards={"g1": GiftCardFact("g1", D("30.00"), D("20.00"), ((date(2026, 12, 2), D("10.00")),))},
        liability_postings=(),
        liability_account=238,
    )
    return reconcile_store(data, ReconciliationRules(now=NOW, amount_tolerance=D("0.01"), stuck_after_days=14))


def test_markdown_counts_every_kind_lists_findings_and_escapes_pipes() -> None:
    text = render_reconciliation_markdown(_report())

    for kind in FindingKind:
        assert f"| {kind} |" in text
    assert "| m1 | Loop return m1 (open) has no RA in NetSuite |  |" in text
    assert "q\\|1" in text and "A\\|B" in text  # a pipe in data never breaks the table
    assert "| outstanding | 20.00 |" in text and "| NetSuite GL balance | 0 |" in text
    assert "| difference (GL − outstanding) | -20.00 |" in text
    assert "| c1 | g1 | 30.00 | 10.00 | 20.00 |" in text


def test_the_rich_tables_show_findings_and_the_liability() -> None:
    console = Console(record=True, width=200)

    print_reconciliation(_report(), console)

    out = console.export_text()
    assert "missing in NetSuite" in out and "refunded in Loop, not booked" in out and "store-credit liability" in out
    assert "30.00" in out and "-20.00" in out
