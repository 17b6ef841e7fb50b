"""Loop return notes naming the NetSuite records posted for a return: one note per record, never two.

Loop's Create Return Note (https://docs.loopreturns.com/api-reference/latest/return-actions/create-return-note)
has no idempotency key, so the ledger remembers each record's text: begun before it is sent, claimed
(compare-and-set on its attempts) before the request leaves, and written once Loop says ``true``. The new
records of one return share a note when they fit, to spend Loop's 300 requests a minute on returns, not
notes. A record whose answer was lost is looked for in Get Return Notes
(https://docs.loopreturns.com/api-reference/latest/return-actions/get-return-notes): any note containing
its text counts, so it is never named twice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import copy_context
from datetime import datetime, timedelta

from returns_sync.connectors.errors import is_retryable
from returns_sync.connectors.loop import LoopActionError
from returns_sync.domain.netsuite_numbers import NOTED_ROLES, loop_note_text, record_key
from returns_sync.ledger import WriteBack, WriteBackTarget
from returns_sync.tasks import netsuite_lookup as lookup
from returns_sync.tasks.batching import for_each_grouped
from returns_sync.tasks.netsuite_numbers import netsuite_number, noted_type, numbers_missing, remember_numbers
from returns_sync.tasks.results import BatchResult, one_record
from returns_sync.tasks.runtime import SyncRuntime, utcnow

__all__ = ["begin_loop_notes", "loop_notes_left_undone", "write_loop_notes"]

TARGET = WriteBackTarget.LOOP_NOTE
# Create Return Note takes content "less than 255 characters" (the page cited above).
NOTE_MAX_CHARS = 255
_SEPARATOR = "; "
# A claim is a lease: the sending run renews it while its request is on the way (the Loop budget's wait and the
# client's retries can take minutes) and releases it when the send ends unconfirmed. A run that dies stops renewing,
# and its claims lapse after SEND_LEASE: the next run then looks in Loop and sends what is not there.
SEND_LEASE = timedelta(seconds=60)
_RENEW_EVERY = SEND_LEASE / 4
# How far back the ledger is searched for records whose note no run began: longer than any outage a run would
# catch up on, short enough that records from before notes were written are not noted now.
FORGOTTEN_WITHIN = timedelta(days=7)
# Returns whose notes are begun and written at once: the notes follow the NetSuite commit, and a burst's returns
# should not queue one request after another behind it (the NetSuite client's semaphore bounds the number reads).
_NOTE_WORKERS = 4


def _read_missing_numbers(runtime: SyncRuntime, return_ids: list[str]) -> None:
    """The numbers of every noted record of these returns the ledger lacks, in one SuiteQL read, kept in the ledger.

    Without it each new record cost a GET of its own (issue 12's N+1 table: 0.89 GET per return in ra_sync).
    A record this read misses is still read once by ``netsuite_number``; refund_sync's check of its new documents'
    totals already read most of a refunded return's (``verify_document_totals``), and then none is missing here.
    """
    missing = numbers_missing(runtime, return_ids)
    if not missing:
        return
    try:
        found = lookup.find_by_external_ids(runtime.netsuite, missing)
    except Exception as exc:
        if not is_retryable(exc):
            raise
        return  # each record's number is then read on its own (netsuite_number), a transient error charged to its return
    remember_numbers(runtime, missing, found)


def begin_loop_notes(runtime: SyncRuntime, return_ids: list[str], result: BatchResult) -> None:
    """Write down one note for each noted NetSuite record of these returns that has none yet (returns side by side)."""
    _read_missing_numbers(runtime, return_ids)
    for_each_grouped(
        dict.fromkeys(return_ids),
        group=lambda rid: rid,
        work=lambda rid, partial: _begin_return_notes(runtime, rid, partial),
        result=result,
        max_workers=_NOTE_WORKERS,
    )


def _begin_return_notes(runtime: SyncRuntime, rid: str, result: BatchResult) -> None:
    """One return's share of ``begin_loop_notes``: its records' numbers (read from NetSuite once) and note texts."""
    with runtime.ledger.session() as repo:
        records = repo.netsuite_records(runtime.store, rid)
    for record in records:
        record_type = noted_type(record)
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


def _in_loop(runtime: SyncRuntime, rid: str, notes: list[WriteBack]) -> list[WriteBack]:
    """The notes whose text already stands in one of the return's Loop notes (sent, answer lost)."""
    written = [str(n.get("content") or "") for n in runtime.loop.list_notes(rid)]
    return [note for note in notes if any(note.content in text for text in written)]


def _held_by_another_run(note: WriteBack) -> bool:
    """Whether another run holds a live claim on ``note``: its send may be on its way to Loop right now."""
    return (
        note.attempts > 0 and note.last_error is None and note.updated_at is not None and utcnow() - note.updated_at < SEND_LEASE
    )


@contextmanager
def _holding(runtime: SyncRuntime, notes: list[WriteBack]) -> Iterator[None]:
    """Renew the claims on ``notes`` while their sends go on; a note not confirmed by the end is released."""
    keys = [note.record_key for note in notes]
    done = threading.Event()

    def renew() -> None:
        while not done.wait(_RENEW_EVERY.total_seconds()):
            with runtime.ledger.session() as repo:
                repo.renew_claims(runtime.store, TARGET, keys)

    renewer = threading.Thread(target=copy_context().run, args=(renew,), name="loop-note-claims", daemon=True)
    renewer.start()
    try:
        yield
    except BaseException as exc:
        _release(runtime, keys, exc)
        raise
    finally:
        done.set()
        renewer.join()


def _release(runtime: SyncRuntime, keys: list[str], error: BaseException | str) -> None:
    with runtime.ledger.session() as repo:
        for key in keys:
            repo.release_claim(runtime.store, TARGET, key, error)


def _chunks(notes: list[WriteBack]) -> list[list[WriteBack]]:
    """Group the record texts into as few Loop notes as fit under Loop's 255 characters."""
    chunks: list[list[WriteBack]] = []
    length = 0
    for note in notes:
        extra = len(note.content) + (len(_SEPARATOR) if chunks and chunks[-1] else 0)
        if chunks and length + extra < NOTE_MAX_CHARS:
            chunks[-1].append(note)
            length += extra
        else:
            chunks.append([note])
            length = len(note.content)
    return chunks


def _write_return_notes(runtime: SyncRuntime, rid: str, notes: list[WriteBack], result: BatchResult) -> None:
    """Name every pending record of one return in as few Loop notes as fit; each record once."""
    found = _in_loop(runtime, rid, notes) if any(n.attempts for n in notes) else []
    for note in found:
        with runtime.ledger.session() as repo:
            repo.mark_written(runtime.store, TARGET, note.record_key)
    if found:
        result.count("Loop note found after a lost answer", len(found))
    claimed = []
    for note in notes:
        if note in found:
            continue
        if _held_by_another_run(note):
            # Not in Loop yet, but another run (a webhook lane of the same store) may be sending it right now: a
            # second send would name the record twice. Once that run releases it or its claim lapses, a later
            # run looks again and sends it if it is still missing.
            result.count("Loop note left to the run already sending it")
            continue
        # Counted before it leaves: if the answer is lost, the next attempt looks before it writes.
        with runtime.ledger.session() as repo:
            if repo.claim_write_back(runtime.store, TARGET, note.record_key, seen_attempts=note.attempts):
                claimed.append(note)
            else:
                result.count("Loop note left to the run already sending it")
    if claimed:
        with _holding(runtime, claimed):
            for chunk in _chunks(claimed):
                _send_note(runtime, rid, chunk, result)


def _send_note(runtime: SyncRuntime, rid: str, chunk: list[WriteBack], result: BatchResult) -> None:
    content = _SEPARATOR.join(note.content for note in chunk)
    try:
        runtime.loop.create_note(rid, content)
    except LoopActionError as exc:
        _release(runtime, [note.record_key for note in chunk], exc.message)
        result.count("Loop refused a note")
        result.errors.append((rid, f"Loop refused the note {content!r}: {exc.message}"))
        return
    with runtime.ledger.session() as repo:
        for note in chunk:
            repo.mark_written(runtime.store, TARGET, note.record_key)
    result.count("Loop note written")
    result.loop_actions.append((rid, f"noted {content}"))


def loop_notes_left_undone(runtime: SyncRuntime, since: datetime) -> list[str]:
    """Returns with a noted record (recorded since ``since``) whose Loop note no run began.

    A run that posted and died before its write-back began (or whose write-back failed first) leaves them, and no
    later run posts for those returns again. A note begun and not sent is not among them: ``write_loop_notes``
    sends every pending note of the store anyway.
    """
    with runtime.ledger.session() as repo:
        return repo.returns_without_write_backs(runtime.store, TARGET, roles=[role.value for role in NOTED_ROLES], since=since)


def write_loop_notes(runtime: SyncRuntime, return_ids: list[str], result: BatchResult) -> None:
    """Begin the notes of these returns, then send every note of the store still pending (earlier runs' too)."""
    begin_loop_notes(runtime, return_ids, result)
    with runtime.ledger.session() as repo:
        pending = repo.pending_write_backs(runtime.store, TARGET)
    by_return: dict[str, list[WriteBack]] = {}
    for note in pending:
        by_return.setdefault(note.loop_return_id, []).append(note)

    def write(item: tuple[str, list[WriteBack]], partial: BatchResult) -> None:
        rid, notes = item
        with one_record(partial, rid):
            _write_return_notes(runtime, rid, notes, partial)

    # Returns side by side, each one's notes in order; the Loop client's request budget keeps under Loop's limit.
    for_each_grouped(by_return.items(), group=lambda item: item[0], work=write, result=result, max_workers=_NOTE_WORKERS)
