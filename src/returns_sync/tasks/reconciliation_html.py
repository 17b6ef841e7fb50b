"""The reconciliation report as one self-contained HTML page: tables plus three inline SVG charts, no network.

Charts are drawn by matplotlib's SVG backend (no browser runtime, no fonts fetched) and inlined in the page.
"""

from __future__ import annotations

import html
import io
import re
from collections import defaultdict
from datetime import date
from decimal import Decimal

from returns_sync.domain.three_way import FindingKind, ReconciliationReport

__all__ = ["render_reconciliation_html"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2733}
h1{font-size:1.5rem} h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0} td,th{border:1px solid #c8d0d8;padding:.25rem .6rem;text-align:left}
th{background:#eef2f6} .charts{display:flex;flex-wrap:wrap;gap:1.5rem} figure{margin:0}
.ok{color:#1b7f3b} .bad{color:#b42318}
"""


def _svg(draw: object) -> str:
    import matplotlib

    matplotlib.use("svg")  # the page is offline: vectors inline, no raster, no display
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(figsize=(5.2, 3.0))
    try:
        draw(axes)  # type: ignore[operator]
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg")
    finally:
        plt.close(figure)
    text = buffer.getvalue()
    # The RDF metadata block (creator, date) is only noise in a page; drop it so the page is the same for the same data.
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    return text[text.index("<svg") :]


def _drift_by_day(report: ReconciliationReport) -> dict[date, Decimal]:
    drift: dict[date, Decimal] = defaultdict(Decimal)
    for finding in report.of(FindingKind.AMOUNT_DRIFT):
        if finding.day is not None and finding.amount is not None:
            drift[finding.day] += abs(finding.amount)
    return dict(sorted(drift.items()))


def _charts(report: ReconciliationReport) -> list[tuple[str, str]]:
    drift = _drift_by_day(report)

    def drift_chart(ax: object) -> None:
        days = [d.isoformat() for d in drift] or ["none"]
        ax.bar(days, [float(v) for v in drift.values()] or [0.0], color="#d97706")  # type: ignore[attr-defined]
        ax.set_ylabel(report.currency)  # type: ignore[attr-defined]
        ax.tick_params(axis="x", labelrotation=45)  # type: ignore[attr-defined]

    def backlog_chart(ax: object) -> None:
        states = list(report.backlog) or ["none"]
        ax.barh(states, list(report.backlog.values()) or [0], color="#2563eb")  # type: ignore[attr-defined]
        ax.set_xlabel("items")  # type: ignore[attr-defined]

    def liability_chart(ax: object) -> None:
        series = report.liability_over_time
        days = [d for d, _, _ in series]
        ax.step(days, [float(o) for _, o, _ in series], where="post", marker="o", label="outstanding (Loop − Shopify)")  # type: ignore[attr-defined]
        ax.step(days, [float(g) for _, _, g in series], where="post", marker="s", label="NetSuite GL", linestyle="--")  # type: ignore[attr-defined]
        ax.set_ylabel(report.currency)  # type: ignore[attr-defined]
        ax.legend(fontsize=7)  # type: ignore[attr-defined]
        ax.tick_params(axis="x", labelrotation=45)  # type: ignore[attr-defined]

    return [
        ("Amount drift by day", _svg(drift_chart)),
        ("Backlog by state", _svg(backlog_chart)),
        ("Store-credit liability over time", _svg(liability_chart)),
    ]


def _table(headers: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c if c is not None else ''))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_reconciliation_html(report: ReconciliationReport) -> str:
    """The page: summary counts, charts, every finding by kind, the liability per gift card."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Reconciliation · {esc(report.store)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Loop · Shopify · NetSuite reconciliation — store {esc(report.store)}</h1>",
        f"<p>Generated {report.generated_at:%Y-%m-%d %H:%M} UTC. {len(report.findings)} findings.</p>",
        _table(["finding", "count"], [[str(kind), len(report.of(kind))] for kind in FindingKind]),
        "<div class='charts'>",
    ]
    parts += [f"<figure><figcaption>{esc(title)}</figcaption>{svg}</figure>" for title, svg in _charts(report)]
    parts.append("</div>")
    for kind in FindingKind:
        found = report.of(kind)
        if found:
            parts.append(f"<h2 id='{kind.name.lower()}'>{esc(kind.heading)} ({len(found)})</h2>")
            parts.append(_table(["Loop return", "what", "amount"], [[f.loop_return_id, f.what, f.amount] for f in found]))
    liability = report.liability
    difference = liability.difference
    verdict = "ok" if difference is not None and difference == 0 else "bad"
    parts.append(f"<h2 id='liability'>Store-credit liability ({esc(report.currency)})</h2>")
    parts.append(
        _table(
            ["issued (Loop)", "redeemed (Shopify)", "outstanding", "NetSuite GL balance", "difference"],
            [[liability.issued, liability.redeemed, liability.outstanding, liability.gl_balance, difference]],
        ).replace("<table>", f"<table class='{verdict}'>", 1)
    )
    parts.append(
        _table(
            ["Loop return", "gift card", "issued", "redeemed", "outstanding"],
            [[x.loop_return_id, x.gift_card_id, x.issued, x.redeemed, x.outstanding] for x in liability.lines],
        )
    )
    parts.append("</body></html>")
    return "\n".join(parts)
