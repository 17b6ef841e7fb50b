"""The GL half of the oracle: each return's records post exactly POSTING.md's rows (``ExpectedOutcome.gl``), to the cent.

Reads the NetSuite emulator's ``transactionaccountingline`` for every record whose externalId is the return's
(``loop-<store>-<id>-<suffix>``), sums it per record kind and account, and compares with the seed's rows.
Item receipts are compared only when the seed expects them (a partly received return's cost is not predicted).
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from returns_sandbox.netsuite.loader import resolve_account_roles
from returns_sandbox.seed.world import ExpectedOutcome, World

__all__ = ["GlView", "gl_problems"]

_MONEY_KINDS = frozenset({"cr", "cm", "cref", "dep", "fee", "depapp"})


class GlView:
    """Our records' GL lines and credit-memo applications, read once from the emulator's tables."""

    def __init__(self, conn: Any, world: World) -> None:
        self.account_ids = resolve_account_roles(dict(world.accounts))
        self.role_of = {account_id: role for role, account_id in self.account_ids.items()}
        self.gl: dict[str, dict[tuple[str, int], Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        self.applied: dict[str, Decimal] = {}
        rows = conn.execute(
            'SELECT t.externalid, t.type, t._body, a.account, a.debit, a.credit FROM "transaction" t '
            'LEFT JOIN transactionaccountingline a ON a."transaction" = t.id '
            "WHERE t.externalid LIKE 'loop-%' AND t.type <> 'ItemRcpt'"
        ).fetchall()
        for external_id, type_code, body, account, debit, credit in rows:
            prefix, _, kind = external_id.rpartition("-")
            if type_code == "CustCred":
                # What the memo's own apply sublist paid on invoices (a customer refund's application is not in it).
                applied = json.loads(body or "{}").get("apply") or []
                self.applied[prefix] = sum((Decimal(str(x.get("amount") or 0)) for x in applied if x.get("apply")), Decimal(0))
            if account is not None:
                self.gl[prefix][(kind, int(account))] += Decimal(str(debit or 0)) - Decimal(str(credit or 0))
        # Receipts by whoever made them (our -ir-<n>, or a warehouse clerk in NetSuite), through the RA they receive.
        receipts = conn.execute(
            "SELECT ra.externalid, a.account, a.debit, a.credit FROM (SELECT DISTINCT ir.id AS id, tl.createdfrom AS ra_id "
            'FROM "transaction" ir JOIN transactionline tl ON tl."transaction" = ir.id '
            "WHERE ir.type = 'ItemRcpt' AND tl.createdfrom IS NOT NULL) r "
            'JOIN "transaction" ra ON ra.id = r.ra_id JOIN transactionaccountingline a ON a."transaction" = r.id '
            "WHERE ra.externalid LIKE 'loop-%'"
        ).fetchall()
        for ra_external_id, account, debit, credit in receipts:
            prefix = ra_external_id.rpartition("-")[0]
            self.gl[prefix][("ir", int(account))] += Decimal(str(debit or 0)) - Decimal(str(credit or 0))


def gl_problems(view: GlView, store: str, expected: ExpectedOutcome) -> list[str]:
    """How the return's posted GL differs from POSTING.md's rows (and a credit memo's application), in words."""
    prefix = f"loop-{store}-{expected.return_id}"
    got = {key: amount for key, amount in view.gl.get(prefix, {}).items() if amount}
    kinds = {kind for kind, _, _ in expected.gl} | _MONEY_KINDS
    want: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for kind, role, amount in expected.gl:
        want[(kind, view.account_ids[role])] += amount
    problems = []
    for key in sorted(set(got) | set(want)):
        kind, account = key
        if kind not in kinds:
            continue
        if got.get(key, Decimal(0)) != want.get(key, Decimal(0)):
            role = view.role_of.get(account, str(account))
            problems.append(
                f"GL {kind} {role}: posted {_side(got.get(key, Decimal(0)))}, POSTING.md says {_side(want.get(key, Decimal(0)))}"
            )
    applied = view.applied.get(prefix, Decimal(0))
    if applied != expected.exchange_invoice_applied:
        problems.append(f"credit memo applied {applied} to the exchange invoice, expected {expected.exchange_invoice_applied}")
    return problems


def _side(amount: Decimal) -> str:
    return f"Dr {amount}" if amount > 0 else f"Cr {-amount}" if amount < 0 else "nothing"
