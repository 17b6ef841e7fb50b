"""The reconciliation report as Prefect markdown: findings by kind, then the store-credit liability."""

from __future__ import annotations

from returns_sync.domain.three_way import FindingKind, ReconciliationReport

__all__ = ["publish_reconciliation_artifact", "render_reconciliation_markdown"]

_MAX_ROWS = 200


def _cell(text: object) -> str:
    return str(text if text is not None else "").replace("|", "\\|")


def render_reconciliation_markdown(report: ReconciliationReport) -> str:
    """Counts per kind, every finding in a table, and the liability with its difference to the GL."""
    lines = [f"# Reconciliation · {report.store} · {report.generated_at:%Y-%m-%d %H:%M} UTC", ""]
    lines += ["| finding | count |", "|---|---|"]
    lines += [f"| {kind} | {len(report.of(kind))} |" for kind in FindingKind]
    for kind in FindingKind:
        found = report.of(kind)
        if not found:
            continue
        lines += ["", f"## {kind.heading} ({len(found)})", "", "| Loop return | what | amount |", "|---|---|---|"]
        lines += [f"| {_cell(f.loop_return_id)} | {_cell(f.what)} | {_cell(f.amount)} |" for f in found[:_MAX_ROWS]]
    liability = report.liability
    lines += ["", f"## Store-credit liability ({report.currency})", "", "| | amount |", "|---|---|"]
    lines += [
        f"| issued through returns (Loop) | {liability.issued} |",
        f"| of which put back on gift cards customers paid with | {liability.refunded_to_gift_cards} |",
        f"| redeemed (Shopify) | {liability.redeemed} |",
        f"| outstanding | {liability.outstanding} |",
        f"| NetSuite GL balance | {_cell(liability.gl_balance if liability.gl_balance is not None else 'no account set')} |",
        f"| difference (GL − outstanding) | {_cell(liability.difference)} |",
    ]
    if liability.lines:
        lines += ["", "| Loop return | gift card | issued | redeemed | outstanding |", "|---|---|---|---|---|"]
        lines += [
            f"| {line.loop_return_id} | {_cell(line.gift_card_id or 'not named by Loop')} | {line.issued} | {line.redeemed} | "
            f"{line.outstanding} |"
            for line in liability.lines[:_MAX_ROWS]
        ]
    return "\n".join(lines) + "\n"


def publish_reconciliation_artifact(report: ReconciliationReport) -> None:
    """One markdown artifact per run, keyed per store so the UI keeps the report's history."""
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(
        markdown=render_reconciliation_markdown(report),
        key=f"reconciliation-{report.store}".replace("_", "-").lower(),
        description=f"Loop · Shopify · NetSuite reconciliation for store {report.store}",
    )
