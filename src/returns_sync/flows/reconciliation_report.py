"""The daily reconciliation report of one store: read the three systems, compare, publish a markdown artifact."""

from __future__ import annotations

from datetime import datetime

from prefect import flow

from returns_sync.domain.three_way import ReconciliationReport
from returns_sync.tasks.reconciliation import build_reconciliation_report, read_reconciliation_input
from returns_sync.tasks.reconciliation_markdown import publish_reconciliation_artifact

__all__ = ["FLOW_NAME", "reconciliation_report"]

FLOW_NAME = "reconciliation_report"


@flow(
    name=FLOW_NAME,
    persist_result=True,  # the CLI reads the report back from the run's state
    flow_run_name="reconciliation · {store}",
    description="Loop returns vs Shopify refunds vs NetSuite records, and the store-credit liability (read only).",
)
def reconciliation_report(store: str, since: datetime | None = None) -> ReconciliationReport:
    """Compare Loop, Shopify and NetSuite for ``store`` (returns updated since ``since``, default 90 days); posts nothing."""
    data = read_reconciliation_input(store, since)
    report = build_reconciliation_report(data, store)
    publish_reconciliation_artifact(report)
    return report
