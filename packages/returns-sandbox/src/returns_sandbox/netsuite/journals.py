"""Journal entries created by POST: lines of one account each with a debit or a credit, which must balance.

Oracle's REST journal entry (record id ``journalentry``) takes ``subsidiary`` and a ``line`` sublist whose
lines carry ``account`` and ``debit`` or ``credit``, with optional ``memo`` and ``entity``
(https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_159886587653.html and the use case
https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_0223040947.html). The currency
defaults to the subsidiary's ("Journal Entries in OneWorld"). The debits must equal the credits
(https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_N1468996.html); no public source
gives NetSuite's words for an unbalanced entry, so the emulator's refusal text is its own.
Journal approval is an account preference that is off by default: the entry posts at once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from returns_sandbox.netsuite import errors
from returns_sandbox.netsuite.records import RecordStore, dec, money

__all__ = ["prepare_journal"]


def prepare_journal(store: RecordStore, record: dict[str, Any]) -> None:
    """Validate a new journal entry's lines, default its currency and set its ``total`` (the debits).

    Raises:
        NetSuiteError: no subsidiary, a line without account, with both or neither side, or an entry out of balance.
    """
    if record.get("subsidiary") is None:
        raise errors.missing_value("Subsidiary", "subsidiary")
    if record.get("currency") is None:
        found = store.row("SELECT currency FROM subsidiary WHERE id = ?", (record["subsidiary"],))
        record["currency"] = None if found is None else found["currency"]
    currency = store.currency_symbol(record.get("currency"))
    lines = record.get("line") or []
    if len(lines) < 2:
        raise errors.user_error("You must enter at least two lines for a journal entry.", path="line")
    debits = credits = Decimal(0)
    for index, line in enumerate(lines):
        path = f"line.items[{index}]"
        if line.get("account") is None:
            raise errors.missing_value("Account", f"{path}.account")
        debit, credit = dec(line.get("debit")), dec(line.get("credit"))
        if (debit > 0) == (credit > 0) or debit < 0 or credit < 0:
            raise errors.user_error("Each journal line needs either a debit or a credit amount.", path=path)
        for side, amount in (("debit", debit), ("credit", credit)):
            if amount:
                line[side] = money(amount, currency)
            else:
                line.pop(side, None)
        debits += debit
        credits += credit
    if money(debits, currency) != money(credits, currency):
        raise errors.user_error(
            f"The journal entry is out of balance: debits {money(debits, currency)}, credits {money(credits, currency)}.",
            path="line",
        )
    record["total"] = money(debits, currency)
