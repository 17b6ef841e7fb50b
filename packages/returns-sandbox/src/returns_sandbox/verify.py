"""Compare the emulators' final state with what the seed says each return should have become.

Reads the NetSuite emulator's tables and the Loop emulator's returns directly (this is the test
oracle, not product code), and the product's quarantine list as given by the caller.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from returns_sandbox.seed.world import ExpectedOutcome, World
from returns_sandbox.verify_gl import GlView, gl_problems

__all__ = ["ReturnCheck", "VerificationReport", "verify_world"]

_REFUND_TYPES = {"cashRefund": "CashRfnd", "creditMemo": "CustCred"}


@dataclass
class ReturnCheck:
    return_id: str
    store: str
    scenario: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class VerificationReport:
    checks: list[ReturnCheck]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[ReturnCheck]:
        return [c for c in self.checks if not c.ok]

    def by_scenario(self) -> dict[str, tuple[int, int]]:
        """scenario -> (returns matching expectations, returns in the scenario)."""
        total: Counter[str] = Counter()
        good: Counter[str] = Counter()
        for check in self.checks:
            total[check.scenario] += 1
            good[check.scenario] += check.ok
        return {name: (good[name], total[name]) for name in sorted(total)}


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal("0")


class _NetSuiteView:
    """What the NetSuite emulator holds, indexed for the checks (one pass over its tables)."""

    def __init__(self, conn: Any, store_prefix: str = "loop-") -> None:
        conn_rows = conn.execute(
            'SELECT id, type, status, externalid, foreigntotal, createdfrom, custbody_loop_return_id FROM "transaction"'
        ).fetchall()
        self.by_id = {row[0]: row for row in conn_rows}
        self.ra_by_return: dict[str, list[Any]] = defaultdict(list)
        self.children: dict[int, list[Any]] = defaultdict(list)
        self.by_external: dict[str, Any] = {}
        for row in conn_rows:
            _tid, ttype, _status, externalid, _total, created_from, loop_id = row
            if ttype == "RtnAuth" and loop_id:
                self.ra_by_return[str(loop_id)].append(row)
            if created_from:
                self.children[created_from].append(row)
            if externalid:
                self.by_external[externalid] = row
        # GL of customer payments: (account, debit, credit) per posting line.
        self.payment_gl: dict[int, list[tuple[int, Decimal, Decimal]]] = defaultdict(list)
        for tid, account, debit, credit in conn.execute(
            'SELECT tal."transaction", tal.account, tal.debit, tal.credit FROM transactionaccountingline tal '
            "JOIN \"transaction\" t ON t.id = tal.\"transaction\" WHERE t.type = 'CustPymt' AND tal.posting = 'T'"
        ):
            self.payment_gl[tid].append((account, _dec(debit), _dec(credit)))
        # What each customer payment applied to invoices (its ``apply`` sublist as NetSuite stored it).
        self.applied: dict[int, Decimal] = {}
        for tid, body in conn.execute("SELECT id, _body FROM \"transaction\" WHERE type = 'CustPymt'"):
            items = json.loads(body or "{}").get("apply") or []
            items = items.get("items", []) if isinstance(items, dict) else items
            self.applied[tid] = sum((_dec(i.get("amount")) for i in items if i.get("apply")), Decimal("0"))
        self.lines: dict[int, list[Any]] = defaultdict(list)
        for line in conn.execute(
            "SELECT \"transaction\", item, quantity, rate, netamount, tax1amt, isclosed FROM transactionline WHERE mainline = 'F' AND taxline = 'F'"
        ):
            self.lines[line[0]].append(line)


def verify_world(
    world: World,
    netsuite_conn: Any,
    loop_backend: Any,
    quarantined: Mapping[str, str],
    *,
    store_credit_item_ids: set[int] | None = None,
) -> VerificationReport:
    """Check every seeded return; ``quarantined`` maps Loop return id -> the rule the product quarantined it for."""
    view = _NetSuiteView(netsuite_conn)
    gl_view = GlView(netsuite_conn, world)
    special = world.special_items
    liability_items = store_credit_item_ids or {
        item for item in (special.get("store_credit"), special.get("gift_card_payment")) if item is not None
    }
    so_of_order = {order.shopify_id: order.ns_so_id for order in world.orders}
    checks = []
    for case in world.returns:
        expected = case.expected
        check = ReturnCheck(case.return_id, case.store, expected.scenario)
        _check_return(
            check,
            expected,
            case.store,
            view,
            loop_backend,
            quarantined,
            liability_items,
            special.get("shipping"),
            world.accounts.get("ar"),
        )
        check.problems += gl_problems(gl_view, case.store, expected)
        ra = (view.ra_by_return.get(case.return_id) or [None])[0]
        order_so = so_of_order.get(int(case.loop_return.get("provider_order_id") or 0))
        if ra is not None and ra[5] != order_so:
            check.problems.append(f"RA created from transaction {ra[5]}, not the order's sales order {order_so}")
        checks.append(check)
    return VerificationReport(checks)


def _check_return(
    check: ReturnCheck,
    exp: ExpectedOutcome,
    store: str,
    view: _NetSuiteView,
    loop_backend: Any,
    quarantined: Mapping[str, str],
    liability_items: set[int],
    shipping_item: int | None = None,
    ar_account: int | None = None,
) -> None:
    problems = check.problems
    rid = check.return_id
    got_rule = quarantined.get(rid)
    if got_rule != exp.quarantine_rule:
        problems.append(f"quarantine: expected {exp.quarantine_rule or 'none'}, got {got_rule or 'none'}")
    ras = view.ra_by_return.get(rid, [])
    if len(ras) > 1:
        problems.append(f"{len(ras)} RAs for one return")
    if not exp.ra_lines:
        if ras:
            problems.append("an RA exists but none was expected")
    elif not ras:
        problems.append("no RA in NetSuite")
    ra = ras[0] if ras else None
    if ra is not None:
        ra_id = ra[0]
        got = sorted((line[1], int(abs(_dec(line[2]))), _dec(line[3]), _dec(line[5])) for line in view.lines[ra_id])
        want = sorted((line.ns_item_id, line.quantity, line.rate, line.tax) for line in exp.ra_lines)
        if got != want:
            problems.append(f"RA lines {got} != expected {want}")
        if exp.final_ra_status and ra[2] != exp.final_ra_status:
            problems.append(f"RA status {ra[2]} != expected {exp.final_ra_status}")
        children = view.children.get(ra_id, [])
        received = sum(int(abs(_dec(line[2]))) for child in children if child[1] == "ItemRcpt" for line in view.lines[child[0]])
        if received != exp.item_receipt_quantity:
            problems.append(f"received {received} units, expected {exp.item_receipt_quantity}")
        ours = [c for c in children if c[1] in ("CashRfnd", "CustCred") and (c[3] or "").startswith("loop-")]
        if exp.refund_record is None:
            if ours:
                problems.append(f"unexpected refund document(s) {[c[3] for c in ours]}")
        else:
            wanted_type = _REFUND_TYPES[exp.refund_record]
            match = [c for c in ours if c[1] == wanted_type]
            if len(match) != 1:
                problems.append(f"expected one {exp.refund_record}, found {[c[1] for c in ours]}")
            else:
                doc = match[0]
                if _dec(doc[4]) != exp.refund_total:
                    problems.append(f"{exp.refund_record} total {_dec(doc[4])} != expected {exp.refund_total}")
                shipping = sum((_dec(line[4]) for line in view.lines[doc[0]] if line[1] == shipping_item), Decimal("0"))
                if abs(shipping) != exp.shipping_refund_total:
                    problems.append(f"shipping refund line {abs(shipping)} != expected {exp.shipping_refund_total}")
                liability = sum((abs(_dec(line[4])) for line in view.lines[doc[0]] if line[1] in liability_items), Decimal("0"))
                if liability != exp.store_credit_total:
                    problems.append(f"store credit / gift card lines {liability} != expected {exp.store_credit_total}")
        prefix = f"loop-{store}-{rid}-"
        cref = view.by_external.get(prefix + "cref")
        if _dec(cref[4] if cref else 0) != exp.customer_refund_total:
            problems.append(f"customer refund {_dec(cref[4]) if cref else 'none'} != expected {exp.customer_refund_total}")
        dep = view.by_external.get(prefix + "dep")
        if _dec(dep[4] if dep else 0) != exp.deposit_total:
            problems.append(f"customer deposit {_dec(dep[4]) if dep else 'none'} != expected {exp.deposit_total}")
        fee = view.by_external.get(prefix + "fee")
        if _dec(fee[4] if fee else 0) != exp.fee_total:
            problems.append(f"Stripe fee journal {_dec(fee[4]) if fee else 'none'} != expected {exp.fee_total}")
    _check_payment(problems, exp, f"loop-{store}-{rid}-pay", view, ar_account)
    loop_return = loop_backend.get_return(rid) or {}
    if loop_return.get("state") != exp.final_loop_state:
        problems.append(f"Loop state {loop_return.get('state')} != expected {exp.final_loop_state}")
    if bool(loop_backend.is_flagged(rid)) != exp.loop_flagged:
        problems.append(f"Loop flagged {loop_backend.is_flagged(rid)} != expected {exp.loop_flagged}")


def _check_payment(problems: list[str], exp: ExpectedOutcome, external_id: str, view: _NetSuiteView, ar: int | None) -> None:
    """An instant exchange Loop charged: one customer payment of the charge, Dr cash / Cr A/R to the cent."""
    payment = view.by_external.get(external_id)
    if payment is None:
        if exp.payment_total:
            problems.append(f"no customer payment {external_id} (expected {exp.payment_total})")
        return
    total = _dec(payment[4])
    if total != exp.payment_total:
        problems.append(f"customer payment {total} != expected {exp.payment_total}")
    if view.applied.get(payment[0], Decimal("0")) != exp.payment_applied:
        problems.append(f"customer payment applied {view.applied.get(payment[0])} != expected {exp.payment_applied}")
    gl = view.payment_gl.get(payment[0], [])
    credit_ar = sum((c for account, _d, c in gl if account == ar), Decimal("0"))
    debit_cash = sum((d for account, d, _c in gl if account != ar), Decimal("0"))
    if credit_ar != total or debit_cash != total or sum((d - c for _a, d, c in gl), Decimal("0")) != 0:
        problems.append(f"customer payment GL {gl} is not Dr cash {total} / Cr A/R {total}")
