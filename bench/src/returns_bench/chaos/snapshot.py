"""The final state of one chaos run as plain data: NetSuite's records, Loop's returns, the ledger.

Records are keyed by what stays the same between two runs of one seed (externalId, Loop return id),
never by NetSuite's internal ids, which depend on the order things were created in.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["NetSuiteDocument", "StateSnapshot", "take_snapshot"]


@dataclass(frozen=True)
class NetSuiteDocument:
    """One of our NetSuite transactions: type, status, total and its lines (item, quantity, rate, amount, closed)."""

    type: str
    status: str | None
    total: Decimal | None
    lines: tuple[tuple[Any, ...], ...]


@dataclass
class StateSnapshot:
    """Everything the comparison looks at; ``malformed`` are the planted return ids (empty in a clean run)."""

    documents: dict[str, NetSuiteDocument] = field(default_factory=dict)
    external_id_counts: Counter[str] = field(default_factory=Counter)
    ras_per_return: Counter[str] = field(default_factory=Counter)
    loop: dict[str, tuple[str | None, bool]] = field(default_factory=dict)
    loop_notes: dict[str, list[str]] = field(default_factory=dict)  # return id -> its notes' texts
    quarantine: dict[str, str] = field(default_factory=dict)
    quarantine_reasons: dict[str, str] = field(default_factory=dict)
    intents: dict[str, str] = field(default_factory=dict)
    ledger_records: dict[str, tuple[str, str, Decimal | None]] = field(default_factory=dict)
    linked_returns: set[str] = field(default_factory=set)
    malformed: set[str] = field(default_factory=set)
    verified: tuple[int, int] = (0, 0)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _netsuite(snapshot: StateSnapshot, conn: Any) -> None:
    rows = conn.execute(
        """SELECT id, externalid, type, status, foreigntotal, custbody_loop_return_id FROM "transaction"
           WHERE externalid LIKE 'loop-%' OR (type = 'RtnAuth' AND custbody_loop_return_id IS NOT NULL)"""
    ).fetchall()
    lines: dict[int, list[tuple[Any, ...]]] = {}
    for tid, item, quantity, rate, amount, closed in conn.execute(
        "SELECT \"transaction\", item, quantity, rate, netamount, isclosed FROM transactionline WHERE mainline = 'F' AND taxline = 'F'"
    ):
        lines.setdefault(tid, []).append((item, _decimal(quantity), _decimal(rate), _decimal(amount), closed))
    for tid, external_id, ttype, status, total, loop_return_id in rows:
        if ttype == "RtnAuth" and loop_return_id:
            snapshot.ras_per_return[str(loop_return_id)] += 1
        if external_id and external_id.startswith("loop-"):
            snapshot.external_id_counts[external_id] += 1
            snapshot.documents[external_id] = NetSuiteDocument(
                ttype, status, _decimal(total), tuple(sorted(lines.get(tid, []), key=repr))
            )


def _loop(snapshot: StateSnapshot, sandbox: Any, world: Any, return_ids: list[tuple[str, str]]) -> None:
    from returns_sandbox.loop.errors import UnprocessableRequest

    for store, return_id in return_ids:
        body = sandbox.loop.get_return(return_id) or {}
        snapshot.loop[return_id] = (body.get("state"), bool(sandbox.loop.is_flagged(return_id)))
        try:
            notes = sandbox.loop.list_notes(world.store(store).loop_shop_id, return_id)["notes"]
        except UnprocessableRequest:  # Loop answers "no notes" with a 422
            notes = []
        snapshot.loop_notes[return_id] = [str(note.get("content") or "") for note in notes]


def _ledger(snapshot: StateSnapshot, ledger_url: str, stores: list[str]) -> None:
    from sqlalchemy import select

    from returns_sync.ledger.models import NetSuiteRecordRow, PostingIntentRow, ReturnLinkRow
    from returns_sync.tasks.runtime import ledger_for

    with ledger_for(ledger_url).session() as repo:
        entries = [entry for store in stores for entry in repo.open_quarantine(store)]
        snapshot.quarantine = {entry.loop_return_id: entry.rule for entry in entries}
        snapshot.quarantine_reasons = {entry.loop_return_id: entry.reason for entry in entries}
        session = repo.session
        snapshot.intents = {row.idempotency_key: row.status for row in session.scalars(select(PostingIntentRow))}
        snapshot.ledger_records = {
            row.external_id or f"{row.store}-{row.loop_return_id}-{row.role}": (row.role, row.record_type, _decimal(row.total))
            for row in session.scalars(select(NetSuiteRecordRow))
        }
        snapshot.linked_returns = {row.loop_return_id for row in session.scalars(select(ReturnLinkRow))}


def take_snapshot(sandbox: Any, world: Any, ledger_url: str, malformed: dict[str, str]) -> StateSnapshot:
    """Read the run's end state; ``malformed`` maps planted return id -> its store."""
    from returns_sandbox.verify import verify_world

    snapshot = StateSnapshot(malformed=set(malformed))
    stores = [store.key for store in world.stores]
    _netsuite(snapshot, sandbox.netsuite.conn)
    _loop(
        snapshot,
        sandbox,
        world,
        [(case.store, case.return_id) for case in world.returns] + [(s, r) for r, s in malformed.items()],
    )
    _ledger(snapshot, ledger_url, stores)
    seeded_quarantine = {rid: rule for rid, rule in snapshot.quarantine.items() if rid not in malformed}
    report = verify_world(world, sandbox.netsuite.conn, sandbox.loop, seeded_quarantine)
    snapshot.verified = (sum(check.ok for check in report.checks), len(report.checks))
    return snapshot
