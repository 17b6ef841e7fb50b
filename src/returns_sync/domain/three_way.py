"""The three-way reconciliation of Loop, Shopify and NetSuite for one store: pure comparison, no I/O.

The report's readers are a controller and an operations lead; every finding says in words what is wrong and
carries the amount at stake. Inputs are plain facts read from each system (tasks/reconciliation.py reads them).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from returns_sync.domain.netsuite import RaStatus, RecordType

__all__ = [
    "Finding",
    "FindingKind",
    "GiftCardFact",
    "LiabilityLine",
    "LiabilitySummary",
    "LoopFact",
    "NetSuiteDoc",
    "RaFact",
    "ReconciliationInput",
    "ReconciliationReport",
    "ReconciliationRules",
    "reconcile_store",
]

ZERO = Decimal("0")
# Money leaves the customer's account on these; a credit memo alone only moves A/R (POSTING.md).
_PAID_OUT = (RecordType.CASH_REFUND, RecordType.CUSTOMER_REFUND)
_MONEY_DOCS = (RecordType.CASH_REFUND, RecordType.CREDIT_MEMO)
_WAITING_FOR_REFUND = (RaStatus.PENDING_REFUND, RaStatus.PENDING_REFUND_PARTIALLY_RECEIVED)
_NEEDS_NO_RA = ("cancelled", "expired")


class FindingKind(StrEnum):
    MISSING_IN_NETSUITE = "missing in NetSuite"
    MISSING_IN_SHOPIFY = "missing in Shopify"
    MISSING_IN_LOOP = "missing in Loop"
    DUPLICATE = "duplicate"
    AMOUNT_DRIFT = "amount drift"
    STUCK_RETURN_AUTHORIZATION = "RA pending refund too long"
    UNBOOKED_REFUND = "refunded in Loop, not booked"
    QUARANTINED = "quarantined"
    LIABILITY_DIFFERENCE = "store-credit liability difference"

    @property
    def heading(self) -> str:
        """The kind as a heading: first letter up, names (Shopify, NetSuite, RA) kept as they are."""
        return self.value[0].upper() + self.value[1:]


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    loop_return_id: str | None
    what: str  # one plain sentence
    amount: Decimal | None = None
    day: date | None = None  # when it happened, for the drift chart


@dataclass(frozen=True)
class LoopFact:
    """What Loop says about one return."""

    return_id: str
    state: str
    currency: str
    lines: int
    refund: Decimal  # to the original payment methods, gift-card gateway included
    refund_to_gift_card: Decimal  # the part of ``refund`` put back on a gift card the customer paid with
    store_credit: Decimal  # Loop's gift_card: credit issued as a new gift card
    money_processed_at: datetime | None  # when Loop paid out the refund or issued the credit
    shopify_refund_ids: tuple[str, ...] = ()
    gift_card_id: str | None = None


@dataclass(frozen=True)
class RaFact:
    id: int
    tranid: str
    loop_return_id: str
    status: RaStatus
    last_modified: datetime | None


@dataclass(frozen=True)
class NetSuiteDoc:
    """A money document of a return: ours, the Shopify connector's, or someone's by hand on the RA."""

    id: int
    record_type: RecordType
    tranid: str | None
    loop_return_id: str
    total: Decimal
    ours: bool


@dataclass(frozen=True)
class GiftCardFact:
    id: str
    initial_value: Decimal
    balance: Decimal
    debits: tuple[tuple[date, Decimal], ...] = ()

    @property
    def redeemed(self) -> Decimal:
        return sum((amount for _, amount in self.debits), ZERO)


@dataclass(frozen=True)
class ReconciliationRules:
    now: datetime
    amount_tolerance: Decimal  # per line, as StoreSettings.amount_tolerance
    stuck_after_days: int


@dataclass(frozen=True)
class ReconciliationInput:
    store: str
    currency: str
    loop: tuple[LoopFact, ...]
    shopify_refunds: dict[str, Decimal]  # refund id -> amount Shopify says went back
    return_authorizations: tuple[RaFact, ...]
    documents: tuple[NetSuiteDoc, ...]
    quarantine: dict[str, str]  # Loop return id -> reason
    gift_cards: dict[str, GiftCardFact]
    liability_postings: tuple[tuple[date, Decimal], ...]  # GL credit − debit on the store-credit account, by day
    liability_account: int | None = None


@dataclass(frozen=True)
class LiabilityLine:
    loop_return_id: str
    gift_card_id: str | None
    issued: Decimal
    redeemed: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.issued - self.redeemed


@dataclass(frozen=True)
class LiabilitySummary:
    lines: tuple[LiabilityLine, ...]
    refunded_to_gift_cards: Decimal  # put back on cards customers paid with: liability again, no card id from Loop
    gl_balance: Decimal | None  # None: no account configured

    @property
    def issued(self) -> Decimal:
        return sum((line.issued for line in self.lines), ZERO) + self.refunded_to_gift_cards

    @property
    def redeemed(self) -> Decimal:
        return sum((line.redeemed for line in self.lines), ZERO)

    @property
    def outstanding(self) -> Decimal:
        return self.issued - self.redeemed

    @property
    def difference(self) -> Decimal | None:
        return None if self.gl_balance is None else self.gl_balance - self.outstanding


@dataclass(frozen=True)
class ReconciliationReport:
    store: str
    currency: str
    generated_at: datetime
    findings: tuple[Finding, ...]
    liability: LiabilitySummary
    backlog: dict[str, int]  # open work by state, for the backlog chart
    liability_over_time: tuple[tuple[date, Decimal, Decimal], ...] = field(default=())  # day, outstanding, GL

    def of(self, kind: FindingKind) -> list[Finding]:
        return [f for f in self.findings if f.kind is kind]


def _day(moment: datetime | None) -> date | None:
    return moment.date() if moment else None


def reconcile_store(data: ReconciliationInput, rules: ReconciliationRules) -> ReconciliationReport:
    """Every disagreement between Loop, Shopify and NetSuite for ``data.store``, plus its store-credit liability."""
    ras = {ra.loop_return_id: ra for ra in data.return_authorizations}
    docs: dict[str, list[NetSuiteDoc]] = defaultdict(list)
    for doc in data.documents:
        docs[doc.loop_return_id].append(doc)
    loop_ids = {fact.return_id for fact in data.loop}
    findings: list[Finding] = []
    for rid, reason in sorted(data.quarantine.items()):
        findings.append(Finding(FindingKind.QUARANTINED, rid, reason))
    for fact in data.loop:
        if fact.return_id in data.quarantine:
            continue  # its reason says why NetSuite has nothing; no second finding for the same cause
        findings += _compare_return(fact, ras.get(fact.return_id), docs.get(fact.return_id, []), data, rules)
    for rid, ra in sorted(ras.items()):
        if rid not in loop_ids:
            findings.append(
                Finding(FindingKind.MISSING_IN_LOOP, rid, f"RA {ra.tranid} names Loop return {rid}, which Loop does not list")
            )
    liability = _liability(data)
    difference = liability.difference
    if difference is not None and abs(difference) > rules.amount_tolerance:
        findings.append(
            Finding(
                FindingKind.LIABILITY_DIFFERENCE,
                None,
                f"GL account {data.liability_account} carries {liability.gl_balance}, outstanding store credit is "
                f"{liability.outstanding}: difference {difference}",
                difference,
            )
        )
    return ReconciliationReport(
        store=data.store,
        currency=data.currency,
        generated_at=rules.now,
        findings=tuple(findings),
        liability=liability,
        backlog=_backlog(data, findings),
        liability_over_time=_liability_over_time(data),
    )


def _compare_return(
    fact: LoopFact, ra: RaFact | None, docs: list[NetSuiteDoc], data: ReconciliationInput, rules: ReconciliationRules
) -> list[Finding]:
    rid = fact.return_id
    found: list[Finding] = []
    allowed = rules.amount_tolerance * max(fact.lines, 1)
    paid_in_loop = fact.money_processed_at is not None and (fact.refund > 0 or fact.store_credit > 0)
    if ra is None and fact.state not in _NEEDS_NO_RA:
        found.append(Finding(FindingKind.MISSING_IN_NETSUITE, rid, f"Loop return {rid} ({fact.state}) has no RA in NetSuite"))
    money_docs = [d for d in docs if d.record_type in _MONEY_DOCS]
    # Every outcome books its money on one credit memo or one cash refund (POSTING.md); a second one, ours, the
    # Shopify connector's or keyed by hand on the RA, credits the customer twice.
    if len(money_docs) > 1:
        names = ", ".join(f"{d.record_type.value} {d.tranid or d.id}{'' if d.ours else ' (not ours)'}" for d in money_docs)
        found.append(
            Finding(
                FindingKind.DUPLICATE,
                rid,
                f"{len(money_docs)} refund documents for Loop return {rid}: {names}",
                sum((d.total for d in money_docs[1:]), ZERO),
                _day(fact.money_processed_at),
            )
        )
    if paid_in_loop and not money_docs:
        age = (rules.now - fact.money_processed_at).days if fact.money_processed_at else 0
        money = fact.refund + fact.store_credit
        found.append(
            Finding(
                FindingKind.UNBOOKED_REFUND, rid, f"Loop paid out {money} {age} days ago; NetSuite has no refund document", money
            )
        )
    if ra is not None and ra.status in _WAITING_FOR_REFUND and not money_docs and not paid_in_loop:
        since = ra.last_modified
        if since is not None and rules.now - since > timedelta(days=rules.stuck_after_days):
            found.append(
                Finding(
                    FindingKind.STUCK_RETURN_AUTHORIZATION,
                    rid,
                    f"RA {ra.tranid} has waited for its refund since {since.date()} (over {rules.stuck_after_days} days)",
                )
            )
    if fact.refund > 0 and fact.money_processed_at is not None:
        found += _compare_refund(fact, data.shopify_refunds, docs, allowed)
    return found


def _compare_refund(fact: LoopFact, shopify: dict[str, Decimal], docs: list[NetSuiteDoc], allowed: Decimal) -> list[Finding]:
    rid, day = fact.return_id, _day(fact.money_processed_at)
    found: list[Finding] = []
    known = [shopify[r] for r in fact.shopify_refund_ids if r in shopify]
    if not known:
        found.append(
            Finding(
                FindingKind.MISSING_IN_SHOPIFY,
                rid,
                f"Loop refunded {fact.refund} but Shopify has no such refund",
                fact.refund,
                day,
            )
        )
    elif abs(sum(known, ZERO) - fact.refund) > allowed:
        drift = sum(known, ZERO) - fact.refund
        found.append(
            Finding(
                FindingKind.AMOUNT_DRIFT,
                rid,
                f"Shopify refunded {sum(known, ZERO)}, Loop {fact.refund}: drift {drift}",
                drift,
                day,
            )
        )
    paid = [d for d in docs if d.ours and d.record_type in _PAID_OUT]
    if paid:
        # The gift-card part goes back on the card as a liability line, not out as cash (POSTING.md).
        expected = fact.refund - fact.refund_to_gift_card
        booked = sum((d.total for d in paid), ZERO)
        if abs(booked - expected) > allowed:
            found.append(
                Finding(
                    FindingKind.AMOUNT_DRIFT,
                    rid,
                    f"NetSuite paid out {booked}, Loop {expected}: drift {booked - expected}",
                    booked - expected,
                    day,
                )
            )
    return found


def _liability(data: ReconciliationInput) -> LiabilitySummary:
    lines = []
    for fact in data.loop:
        if fact.store_credit <= 0 or fact.money_processed_at is None:
            continue
        card = data.gift_cards.get(fact.gift_card_id) if fact.gift_card_id else None
        lines.append(LiabilityLine(fact.return_id, fact.gift_card_id, fact.store_credit, card.redeemed if card else ZERO))
    to_cards = sum((f.refund_to_gift_card for f in data.loop if f.money_processed_at is not None), ZERO)
    gl = sum((amount for _, amount in data.liability_postings), ZERO) if data.liability_account else None
    return LiabilitySummary(tuple(lines), to_cards, gl)


def _liability_over_time(data: ReconciliationInput) -> tuple[tuple[date, Decimal, Decimal], ...]:
    moves: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for fact in data.loop:
        if fact.money_processed_at is not None:
            moves[fact.money_processed_at.date()] += fact.store_credit + fact.refund_to_gift_card
            card = data.gift_cards.get(fact.gift_card_id) if fact.gift_card_id else None
            for day, amount in card.debits if card else ():
                moves[day] -= amount
    gl_moves: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for day, amount in data.liability_postings:
        gl_moves[day] += amount
    outstanding = gl = ZERO
    series = []
    for day in sorted(set(moves) | set(gl_moves)):
        outstanding += moves.get(day, ZERO)
        gl += gl_moves.get(day, ZERO)
        series.append((day, outstanding, gl))
    return tuple(series)


def _backlog(data: ReconciliationInput, findings: list[Finding]) -> dict[str, int]:
    backlog: Counter[str] = Counter()
    for ra in data.return_authorizations:
        if ra.status not in (RaStatus.REFUNDED, RaStatus.CLOSED, RaStatus.CANCELLED):
            backlog[f"RA {ra.status.name.lower().replace('_', ' ')}"] += 1
    for finding in findings:
        if finding.kind in (FindingKind.UNBOOKED_REFUND, FindingKind.QUARANTINED, FindingKind.MISSING_IN_NETSUITE):
            backlog[str(finding.kind)] += 1
    return dict(sorted(backlog.items()))
