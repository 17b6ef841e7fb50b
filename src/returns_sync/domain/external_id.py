"""The deterministic externalId of every NetSuite record returns-sync creates: ``loop-<store>-<returnId>-<suffix>``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from returns_sync.domain.netsuite import RecordRole

__all__ = ["CREATED_ROLES", "ExternalId"]

_PREFIX = "loop-"
# The store key rule of blocks/store.py (it names the settings block and goes into externalIds).
_STORE_KEY = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
# Loop return ids are integers. A dash would make the format ambiguous, since store keys may hold dashes.
_RETURN_ID = re.compile(r"^[A-Za-z0-9_]+$")

# The records we create under an externalId, i.e. the roles that can be a suffix.
CREATED_ROLES = frozenset(
    {
        RecordRole.RA,
        RecordRole.IR,
        RecordRole.CM,
        RecordRole.CR,
        RecordRole.CREF,
        RecordRole.DEP,
        RecordRole.PAY,
        RecordRole.FEE,
        RecordRole.DEPAPP,
    }
)


@dataclass(frozen=True)
class ExternalId:
    """Names one record of one return: the RA (``-ra``), its n-th item receipt (``-ir-<n>``), the credit
    memo (``-cm``), cash refund (``-cr``), customer refund (``-cref``), customer deposit (``-dep``), customer payment
    (``-pay``), the journal entry of its processor fee (``-fee``) or the deposit's application to an invoice (``-depapp``).

    NetSuite refuses a second record with a taken externalId, and the ledger keys intents on it, so the
    same return always maps to the same ids (DESIGN.md §4). The store key may contain dashes and the
    return id may not, so ``parse`` reads the suffix and the return id from the right, unambiguously.

    Example:
        >>> receipt = ExternalId("north-eu", "7001", RecordRole.IR, receipt=2)
        >>> str(receipt)
        'loop-north-eu-7001-ir-2'
        >>> ExternalId.parse("loop-north-eu-7001-ir-2") == receipt
        True
    """

    store: str
    loop_return_id: str
    role: RecordRole
    receipt: int | None = None  # n of ``ir-<n>``; item receipts only

    def __post_init__(self) -> None:
        if not _STORE_KEY.match(self.store):
            raise ValueError(f"not a store key: {self.store!r} (lowercase letters, digits and inner dashes)")
        if not _RETURN_ID.match(self.loop_return_id):
            raise ValueError(f"not a Loop return id: {self.loop_return_id!r} (letters, digits and underscores)")
        if self.role not in CREATED_ROLES:
            raise ValueError(f"a {self.role} record has no externalId of ours")
        if (self.role is RecordRole.IR) != (self.receipt is not None):
            raise ValueError("an item receipt needs its number n (ir-<n>), and only an item receipt has one")
        if self.receipt is not None and self.receipt < 1:
            raise ValueError(f"item receipts count from 1, not {self.receipt}")

    @property
    def suffix(self) -> str:
        """``ra``, ``ir-2``, ``cm`` ...: what follows the return id."""
        return f"{self.role}-{self.receipt}" if self.receipt is not None else str(self.role)

    def __str__(self) -> str:
        return f"{_PREFIX}{self.store}-{self.loop_return_id}-{self.suffix}"

    @classmethod
    def parse(cls, text: str) -> ExternalId:
        """Read an externalId written by ``str``.

        Raises:
            ValueError: ``text`` is not an externalId of ours (someone else's record, or malformed).
        """
        if not text.startswith(_PREFIX):
            raise ValueError(f"not an externalId of returns-sync: {text!r}")
        head, _, last = text[len(_PREFIX) :].rpartition("-")
        receipt = None
        if last.isdigit() and head.endswith(f"-{RecordRole.IR}"):
            head, receipt, role = head[: -len(RecordRole.IR) - 1], int(last), RecordRole.IR
        elif last in CREATED_ROLES and last != RecordRole.IR:
            role = RecordRole(last)
        else:
            raise ValueError(f"not an externalId of returns-sync: {text!r} (unknown suffix {last!r})")
        store, _, loop_return_id = head.rpartition("-")
        try:
            parsed = cls(store, loop_return_id, role, receipt)
        except ValueError as exc:
            raise ValueError(f"not an externalId of returns-sync: {text!r} ({exc})") from exc
        if str(parsed) != text:  # e.g. ir-01: one record, one spelling
            raise ValueError(f"not an externalId of returns-sync: {text!r} (written {parsed})")
        return parsed

    @classmethod
    def parse_or_none(cls, text: str | None) -> ExternalId | None:
        """``parse``, or None for an id that is not ours (the Shopify connector's records, a person's)."""
        try:
            return cls.parse(text) if text else None
        except ValueError:
            return None

    @staticmethod
    def like_pattern(store: str, role: RecordRole) -> str:
        """A SuiteQL ``LIKE`` pattern for every ``role`` record of ``store``.

        It also matches stores whose key starts with ``<store>-``: keep the rows whose parsed ``store``
        is this one.
        """
        return f"{_PREFIX}{store}-%-{role}"
