"""``returns-sync report --store S --html FILE``: the flow's report printed and written as one page."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from returns_sync.cli.app import app
from returns_sync.domain.three_way import (
    LoopFact,
    ReconciliationInput,
    ReconciliationReport,
    ReconciliationRules,
    reconcile_store,
)


def _report() -> ReconciliationReport:
    """One open Loop return NetSuite has no RA for."""
    data = ReconciliationInput(
        store="north",
        currency="USD",
        loop=(LoopFact("m1", "open", "USD", 1, Decimal(0), Decimal(0), Decimal(0), None),),
        shopify_refunds={},
        return_authorizations=(),
        documents=(),
        quarantine={},
        gift_cards={},
        liability_postings=(),
    )
    now = datetime(2026, 12, 3, tzinfo=UTC)
    return reconcile_store(data, ReconciliationRules(now=now, amount_tolerance=Decimal("0.01"), stuck_after_days=14))


class _Completed:
    def __init__(self, value: Any) -> None:
        self.value = value
        self.type = type("T", (), {"value": "COMPLETED"})()
        self.message = None

    def is_completed(self) -> bool:
        return True

    def result(self) -> Any:
        return self.value


@pytest.fixture
def flow_ran(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    import prefect.states

    from returns_sync.cli import operate
    from returns_sync.flows import reconciliation_report as module

    calls: list[dict[str, Any]] = []

    def fake_flow(**kwargs: Any) -> _Completed:
        calls.append(kwargs)
        return _Completed(_report())

    monkeypatch.setattr(module, "reconciliation_report", fake_flow)
    monkeypatch.setattr(prefect.states, "State", _Completed)
    monkeypatch.setattr(operate, "print_report", lambda **_: None)  # the ledger part has its own tests
    return calls


def test_report_with_a_store_prints_the_reconciliation_and_writes_the_html(flow_ran, tmp_path: Path) -> None:
    page = tmp_path / "report.html"

    result = CliRunner().invoke(app, ["report", "--store", "north", "--since", "2026-11-01", "--html", str(page)])

    assert result.exit_code == 0, result.output
    assert [call["store"] for call in flow_ran] == ["north"] and flow_ran[0]["since"].date().isoformat() == "2026-11-01"
    assert "Reconciliation · north" in result.output and "Store-credit liability" in result.output
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and text.count("<svg") == 3 and "Missing in NetSuite (1)" in text
