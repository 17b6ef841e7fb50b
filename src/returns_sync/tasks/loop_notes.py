"""Loop return notes naming the NetSuite records posted for a return: one note per record, never two.

Loop's Create Return Note (https://docs.loopreturns.com/api-reference/latest/return-actions/create-return-note)
has no idempotency key, so the ledger remembers each note: begun before it is sent, counted as attempted
before the request leaves, and written once Loop says ``true``. A note whose answer was lost is looked for
in Get Return Notes (https://docs.loopreturns.com/api-reference/latest/return-actions/get-return-notes)
by its exact text before it is sent again.
"""

from __future__ import annotations

import logging

from returns_sync.connectors.loop import LoopActionError
from returns_sync.domain.netsuite import RecordRole, RecordType
from returns_sync.domain.netsuite_numbers import NOTED_ROLES, loop_note_text, record_key
from returns_sync.ledger import NetSuiteRecord, WriteBack, WriteBackTarget
from returns_sync.tasks.netsuite_numbers import netsuite_number
from returns_sync.tasks.results import BatchResult, one_record
from returns_sync.tasks.runtime import SyncRuntime

__all__ = ["begin_loop_notes", "write_loop_notes"]

log = logging.getLogger(__name__)
TARGET = WriteBackTarget.LOOP_NOTE


def _noted_type(record: NetSuiteRecord) -> RecordType | None:
    try:
        role, record_type = RecordRole(record.role), RecordType(record.record_type)
    except ValueError:
        return None
    return record_type if role in NOTED_ROLES else None


def begin_loop_notes(runtime: SyncRuntime, return_ids: list[str], result: BatchResult) -> None:
    """Write down one note for each noted NetSuite record of these returns that has none yet."""
    for rid in dict.fromkeys(return_ids):
        with runtime.ledger.session() as repo:
            records = repo.netsuite_records(runtime.store, rid)
        for record in records:
            record_type = _noted_type(record)
            if record_type is None:
                continue
            key = record_key(record_type, record.ns_id)
            with runtime.ledger.session() as repo:
                if repo.get_write_back(runtime.store, TARGET, key) is not None:
                    continue
            with one_record(result, rid):
                tranid = netsuite_number(runtime, record, record_type)
                if tranid is None:
                    result.count("NetSuite record without a number, not noted in Loop")
                    continue
                with runtime.ledger.session() as repo:
                    repo.begin_write_back(
                        store=runtime.store,
                        target=TARGET,
                        record_key=key,
                        loop_return_id=rid,
                        content=loop_note_text(record_type, tranid, record.ns_id),
                    )


def _already_in_loop(runtime: SyncRuntime, note: WriteBack) -> bool:
    return any(n.get("content") == note.content for n in runtime.loop.list_notes(note.loop_return_id))


def _write_note(runtime: SyncRuntime, note: WriteBack, result: BatchResult) -> None:
    if note.attempts and _already_in_loop(runtime, note):
        result.count("Loop note found after a lost answer")
    else:
        # Counted before it leaves: if the answer is lost, the next attempt looks before it writes.
        with runtime.ledger.session() as repo:
            claimed = repo.claim_write_back(runtime.store, TARGET, note.record_key, seen_attempts=note.attempts)
        if not claimed:
            result.count("Loop note left to the run already sending it")
            return
        try:
            runtime.loop.create_note(note.loop_return_id, note.content)
        except LoopActionError as exc:
            with runtime.ledger.session() as repo:
                repo.mark_attempted(runtime.store, TARGET, note.record_key, exc)
            result.count("Loop refused a note")
            result.errors.append((note.loop_return_id, f"Loop refused the note {note.content!r}: {exc.message}"))
            return
        result.count("Loop note written")
    with runtime.ledger.session() as repo:
        repo.mark_written(runtime.store, TARGET, note.record_key)
    result.loop_actions.append((note.loop_return_id, f"noted {note.content}"))


def write_loop_notes(runtime: SyncRuntime, return_ids: list[str], result: BatchResult) -> None:
    """Begin the notes of these returns, then send every note of the store still pending (earlier runs' too)."""
    begin_loop_notes(runtime, return_ids, result)
    with runtime.ledger.session() as repo:
        pending = repo.pending_write_backs(runtime.store, TARGET)
    for note in pending:
        with one_record(result, note.loop_return_id):
            _write_note(runtime, note, result)
