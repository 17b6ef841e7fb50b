"""The sync's state store (SQLAlchemy 2 + Alembic, SQLite or PostgreSQL): links, cursors, intents, quarantine, audit."""

from __future__ import annotations

from returns_sync.ledger.cursor import Cursor, Window, advance, handled_through, open_window
from returns_sync.ledger.engine import DEFAULT_URL, LEDGER_URL_ENV, Ledger, normalise_url
from returns_sync.ledger.errors import IntentConflictError, LedgerError, LedgerIntegrityError
from returns_sync.ledger.intents import digest_request, scrub_error
from returns_sync.ledger.records import (
    AuditEntry,
    CreatedBy,
    IntentStatus,
    LineStatus,
    NetSuiteRecord,
    PostingIntent,
    QuarantineEntry,
    ReturnedLine,
    ReturnLink,
    WriteBack,
    WriteBackStatus,
    WriteBackTarget,
)
from returns_sync.ledger.repository import Repository

__all__ = [
    "DEFAULT_URL",
    "LEDGER_URL_ENV",
    "AuditEntry",
    "CreatedBy",
    "Cursor",
    "IntentConflictError",
    "IntentStatus",
    "Ledger",
    "LedgerError",
    "LedgerIntegrityError",
    "LineStatus",
    "NetSuiteRecord",
    "PostingIntent",
    "QuarantineEntry",
    "Repository",
    "ReturnLink",
    "ReturnedLine",
    "Window",
    "WriteBack",
    "WriteBackStatus",
    "WriteBackTarget",
    "advance",
    "digest_request",
    "handled_through",
    "normalise_url",
    "open_window",
    "scrub_error",
]
