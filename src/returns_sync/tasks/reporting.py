"""The run report: one Prefect markdown artifact per flow run, written for operations and finance people."""

from __future__ import annotations

import json
from typing import TypedDict

from returns_sync.domain.money import Money
from returns_sync.domain.syncs import SyncName
from returns_sync.tasks.results import RUN_ROWS_KEPT, BatchResult

__all__ = ["RunSummary", "merge_run_summaries", "publish_run_artifact", "render_markdown", "summarise"]

_MAX_ROWS = RUN_ROWS_KEPT  # rows of each list an artifact shows: all a run's result keeps


class RunSummary(TypedDict):
    """What a sync's flow run returns: the counts of its artifact, small enough for the Prefect API."""

    sync: SyncName
    store: str
    dry_run: bool
    counts: dict[str, int]
    outcomes: dict[str, int]
    created: int
    linked: int
    quarantined: dict[str, str]  # Loop return id -> rule
    loop_actions: int
    waiting: int
    errors: int
    skipped: str | None  # why the run did nothing, e.g. another run of the sync held the store


def _money(value: Money | None) -> str:
    return "" if value is None else str(value)


def render_markdown(result: BatchResult) -> str:
    """Counts per outcome, records created (with the return and order they belong to), quarantine, duplicates."""
    title = f"# {result.sync} · {result.store}" + (" · dry run (nothing posted)" if result.dry_run else "")
    lines = [title, ""]
    if result.skipped:
        return "\n".join([*lines, f"**Skipped:** {result.skipped}. Nothing was read or posted."]) + "\n"
    if result.credentials_refused:
        lines += [f"**Stopped: {result.credentials_refused}.**", ""]
    lines += ["| what | count |", "|---|---|"]
    lines += [f"| {name} | {count} |" for name, count in sorted(result.counts.items())] or ["| nothing to do | 0 |"]
    if result.outcomes:
        lines += ["", "## Returns by outcome", "", "| outcome | returns |", "|---|---|"]
        lines += [f"| {name} | {count} |" for name, count in sorted(result.outcomes.items())]
    if result.created:
        lines += [
            "",
            f"## NetSuite records created ({result.total('created')})",
            "",
            "| Loop return | Shopify order | record | NetSuite id | externalId | total | note |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r.loop_return_id} | {r.order_name or ''} | {r.record_type} | {r.ns_id} | {r.external_id} | {_money(r.total)} | {r.note} |"
            for r in result.created[:_MAX_ROWS]
        ]
    if result.linked:
        lines += [
            "",
            f"## Already in NetSuite, linked, nothing posted ({result.total('linked')})",
            "",
            "| Loop return | Shopify order | record | NetSuite id | why |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {r.loop_return_id} | {r.order_name or ''} | {r.record_type} | {r.ns_id} | {r.note or 'created by an earlier run'} |"
            for r in result.linked[:_MAX_ROWS]
        ]
    if result.loop_actions:
        lines += ["", f"## Loop updated ({result.total('loop_actions')})", "", "| Loop return | action |", "|---|---|"]
        lines += [f"| {rid} | {action} |" for rid, action in result.loop_actions[:_MAX_ROWS]]
    if result.quarantined:
        lines += [
            "",
            f"## Quarantined ({len(result.quarantined)}) — fix the data; the next run retries them",
            "",
            "| Loop return | Shopify order | rule | reason |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {q.loop_return_id} | {q.order_name or ''} | {q.rule} | {q.reason} |" for q in result.quarantined[:_MAX_ROWS]
        ]
    if result.waiting:
        lines += ["", f"## Waiting ({result.total('waiting')})", "", "| Loop return | waiting for |", "|---|---|"]
        lines += [f"| {rid} | {why} |" for rid, why in result.waiting[:_MAX_ROWS]]
    if result.reported:
        lines += [
            "",
            f"## For finance: not (yet) in NetSuite ({result.total('reported')})",
            "",
            "| Loop return | what |",
            "|---|---|",
        ]
        lines += [f"| {rid} | {what} |" for rid, what in result.reported[:_MAX_ROWS]]
    if result.planned:
        lines += ["", f"## Plan ({result.total('planned')})", "", "```json"]
        lines += [json.dumps(item, default=str) for item in result.planned[:_MAX_ROWS]]
        lines += ["```"]
    if result.errors:
        lines += ["", f"## Errors left for the next run ({len(result.errors)})", "", "| where | error |", "|---|---|"]
        lines += [f"| {where} | {message} |" for where, message in result.errors[:_MAX_ROWS]]
    return "\n".join(lines) + "\n"


def summarise(result: BatchResult) -> RunSummary:
    """A small JSON-able summary, the flow's return value."""
    return RunSummary(
        sync=result.sync,
        store=result.store,
        dry_run=result.dry_run,
        counts=dict(result.counts),
        outcomes=dict(result.outcomes),
        created=result.total("created"),
        linked=result.total("linked"),
        quarantined={q.loop_return_id: q.rule for q in result.quarantined},
        loop_actions=result.total("loop_actions"),
        waiting=result.total("waiting"),
        errors=len(result.errors),
        skipped=result.skipped,
    )


def merge_run_summaries(first: RunSummary, second: RunSummary) -> RunSummary:
    """Two runs of one sync in one cycle (run_all's second ``refund_sync``) as one summary: counts add up."""
    return RunSummary(
        sync=first["sync"],
        store=first["store"],
        dry_run=first["dry_run"],
        counts=_added(first["counts"], second["counts"]),
        outcomes=_added(first["outcomes"], second["outcomes"]),
        created=first["created"] + second["created"],
        linked=first["linked"] + second["linked"],
        quarantined=first["quarantined"] | second["quarantined"],
        loop_actions=first["loop_actions"] + second["loop_actions"],
        waiting=second["waiting"],  # what still waits after the later run
        errors=first["errors"] + second["errors"],
        skipped=second["skipped"] or first["skipped"],
    )


def _added(first: dict[str, int], second: dict[str, int]) -> dict[str, int]:
    return {key: first.get(key, 0) + second.get(key, 0) for key in first | second}


def publish_run_artifact(result: BatchResult) -> None:
    """One markdown artifact per flow run, keyed per sync and store so the UI shows its history."""
    from prefect.artifacts import create_markdown_artifact

    key = f"{result.sync}-{result.store}".replace("_", "-").lower()
    create_markdown_artifact(markdown=render_markdown(result), key=key, description=f"{result.sync} for store {result.store}")
