"""Compare the faulted run's end state with the clean run's: duplicates, missing, mismatched, lost.

- ``duplicates``: a record or write that exists more often than once per intent: an externalId twice in
  NetSuite, a second RA for one Loop return, a NetSuite record named twice in a return's Loop notes.
- ``missing``: an externalId the clean run has in NetSuite or in the ledger and the faulted run does not; a
  kind of record the clean run's Loop notes name on a return and the faulted run's do not.
- ``mismatched``: present in both runs but different (NetSuite type, status, total or lines; Loop state,
  flag or the kinds of record its notes name; quarantine rule; posting intent status), a record only the
  faulted run has, and
  anything posted for a planted malformed return, in either run.
- ``lost``: a return the clean run took in (ledger link, record or quarantine) of which the faulted run kept
  no trace at all; a planted malformed return that a run did not quarantine with a reason (the sync moved
  on without it), counted once per run; a posting intent left pending (a write whose fate was never settled).

Both runs hold the same planted malformed returns, so they are compared like any other return: the
faulted run passes only by doing with them exactly what the clean run did, and the clean run itself
must have quarantined each with a reason.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from returns_bench.chaos.snapshot import StateSnapshot

__all__ = ["ChaosCounts", "compare"]

_EXAMPLES = 20
# One record's text in a Loop note (returns_sync.domain.netsuite_numbers.loop_note_text); numbers have no spaces.
_RECORD_NAME = re.compile(r"NetSuite (?P<kind>[A-Za-z ]+?) \S+ \(internal id \d+\)")


@dataclass
class ChaosCounts:
    duplicates: int = 0
    missing: int = 0
    mismatched: int = 0
    lost: int = 0
    examples: dict[str, list[str]] = field(
        default_factory=lambda: {"duplicates": [], "missing": [], "mismatched": [], "lost": []}
    )

    def add(self, kind: str, what: str, count: int = 1) -> None:
        setattr(self, kind, getattr(self, kind) + count)
        if len(self.examples[kind]) < _EXAMPLES:
            self.examples[kind].append(what)

    @property
    def clean(self) -> bool:
        return not (self.duplicates or self.missing or self.mismatched or self.lost)

    def as_dict(self) -> dict[str, Any]:
        return {
            "duplicates": self.duplicates,
            "missing": self.missing,
            "mismatched": self.mismatched,
            "lost": self.lost,
            "examples": {kind: list(items) for kind, items in self.examples.items() if items},
        }


def _return_of(external_id: str) -> str | None:
    """``loop-<store>-<returnId>-<suffix>`` -> returnId."""
    parts = external_id.split("-")
    return parts[2] if len(parts) >= 4 else None


def _named_records(notes: list[str]) -> Counter[str]:
    """How often each NetSuite record is named in a return's Loop notes (a note may name several)."""
    return Counter(match.group(0) for text in notes for match in _RECORD_NAME.finditer(text))


def _kinds(named: Counter[str]) -> Counter[str]:
    """The record kinds a return's notes name, once each: internal ids and numbers differ between two runs."""
    return Counter(match.group("kind") for name in named if (match := _RECORD_NAME.fullmatch(name)))


def _compare_loop_notes(clean: StateSnapshot, faulted: StateSnapshot, counts: ChaosCounts) -> None:
    """A record named twice is a duplicate; a kind of record the clean run named and this run did not is missing.

    Notes are not counted: how records share notes depends on which of them were pending together, which a
    killed run changes without any record being named twice.
    """
    for return_id in sorted(set(clean.loop_notes) | set(faulted.loop_notes)):
        named = _named_records(faulted.loop_notes.get(return_id, []))
        for name, times in sorted(named.items()):
            if times > 1:
                counts.add("duplicates", f"Loop return {return_id}: {name} named {times} times", times - 1)
        expected, found = _kinds(_named_records(clean.loop_notes.get(return_id, []))), _kinds(named)
        for kind, times in sorted((expected - found).items()):
            counts.add("missing", f"Loop return {return_id}: no note names its {kind}", times)
        for kind, times in sorted((found - expected).items()):
            counts.add("mismatched", f"Loop return {return_id}: a note names a {kind} the clean run did not", times)


def _taken_in(snapshot: StateSnapshot) -> set[str]:
    """Returns the run left a trace of in its ledger: a link, a record, a quarantine entry."""
    recorded = {rid for rid in (_return_of(key) for key in snapshot.ledger_records) if rid}
    return snapshot.linked_returns | set(snapshot.quarantine) | recorded


def compare(clean: StateSnapshot, faulted: StateSnapshot) -> ChaosCounts:
    counts = ChaosCounts()
    planted = clean.malformed | faulted.malformed
    for external_id, times in sorted(faulted.external_id_counts.items()):
        if times > 1:
            counts.add("duplicates", f"NetSuite {external_id} ×{times}", times - 1)
    for return_id, ras in sorted(faulted.ras_per_return.items()):
        if ras > max(1, clean.ras_per_return.get(return_id, 0)):
            counts.add("duplicates", f"{ras} RAs for Loop return {return_id}", ras - 1)
    _compare_loop_notes(clean, faulted, counts)

    for external_id, document in sorted(clean.documents.items()):
        other = faulted.documents.get(external_id)
        if other is None:
            counts.add("missing", f"NetSuite {external_id} ({document.type})")
        elif other != document:
            counts.add("mismatched", f"NetSuite {external_id}: {other} != clean {document}")
    for external_id in sorted(set(faulted.documents) - set(clean.documents)):
        planted_return = _return_of(external_id) in planted
        counts.add(
            "mismatched",
            f"NetSuite {external_id} only in the faulted run" + (" (a malformed return posted)" if planted_return else ""),
        )
    for external_id in sorted(key for key in clean.documents if _return_of(key) in planted):
        counts.add("mismatched", f"NetSuite {external_id}: a malformed return posted in the clean run")
    for key in sorted(set(clean.ledger_records) - set(faulted.ledger_records)):
        counts.add("missing", f"ledger record {key}")

    for return_id, state in sorted(clean.loop.items()):
        if faulted.loop.get(return_id) != state:
            counts.add("mismatched", f"Loop return {return_id}: {faulted.loop.get(return_id)} != clean {state}")
    for return_id in sorted(set(clean.quarantine) | set(faulted.quarantine)):
        if clean.quarantine.get(return_id) != faulted.quarantine.get(return_id):
            counts.add(
                "mismatched",
                f"quarantine of {return_id}: {faulted.quarantine.get(return_id)} != clean {clean.quarantine.get(return_id)}",
            )
    for key, status in sorted(clean.intents.items()):
        if key in faulted.intents and faulted.intents[key] != status and faulted.intents[key] != "pending":
            counts.add("mismatched", f"intent {key}: {faulted.intents[key]} != clean {status}")

    for return_id in sorted(_taken_in(clean) - _taken_in(faulted) - planted):
        counts.add("lost", f"Loop return {return_id}: no trace in the faulted run")
    for label, run in (("clean", clean), ("faulted", faulted)):
        for return_id in sorted(planted):
            if not run.quarantine_reasons.get(return_id, "").strip():
                counts.add("lost", f"malformed Loop return {return_id} not quarantined with a reason in the {label} run")
    for key, status in sorted(faulted.intents.items()):
        if status == "pending":
            counts.add("lost", f"intent {key} left pending")
    return counts
