"""The demo's return scenarios: their names, shares of the returns, how many of each a build gets, and the return plan.

Shares are per mille of ``returns`` and follow a merchant's mix (refunds and exchanges dominate;
about 9 % of returns carry bad data split across the five quarantine rules). Small builds first get
one of each scenario in ``PRIORITY`` order (two for the scenarios that must appear in both stores),
then the rest goes to the scenario furthest below its share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from returns_sandbox.seed.orders import OrderDraft
from returns_sandbox.seed.world import Lifecycle

__all__ = [
    "BAD_SCENARIOS",
    "GOOD_SCENARIOS",
    "MIN_RETURNS_FOR_FULL_COVERAGE",
    "ONLY_RECEIVED",
    "PRIORITY",
    "QUARANTINE_RULES",
    "SCENARIOS",
    "ExchangePick",
    "ReturnPlan",
    "ScenarioDef",
    "plan_counts",
]


@dataclass(frozen=True)
class ScenarioDef:
    name: str
    per_mille: int  # share of the returns
    rule: str | None = None  # quarantine rule of a bad-data scenario
    unit: int = 1  # returns per instance (multi_return comes in pairs)
    minimum: int = 1  # instances wanted once the build is large enough (2 = one per store)


SCENARIOS: tuple[ScenarioDef, ...] = (
    ScenarioDef("refund_full", 60),
    ScenarioDef("refund_partial", 70),
    ScenarioDef("refund_handling_fee", 50),
    ScenarioDef("refund_gift_card_split", 30),
    ScenarioDef("store_credit", 60),
    ScenarioDef("store_credit_bonus", 40),
    # Issue 10 item 9: part of a return refunded, part taken as store credit (shares from connector_duplicate).
    ScenarioDef("refund_store_credit_mix", 15),
    ScenarioDef("exchange_same", 30),
    ScenarioDef("exchange_variant", 63),
    ScenarioDef("exchange_upsell_shopify", 25),
    ScenarioDef("exchange_upsell_stripe", 25),
    ScenarioDef("exchange_downsell", 30),
    # Issue 10 item 9: an exchange for a dearer product, Loop's bonus paying part of the difference (from refund_before_inspection).
    ScenarioDef("exchange_bonus", 10),
    # Issue 10 item 9: one unit exchanged for a variant, the others refunded, in one Loop return (from exchange_variant).
    ScenarioDef("exchange_plus_refund", 17, minimum=2),
    ScenarioDef("exchange_instant", 20),
    # Issue 10 item 4: instant exchange, goods never sent back, Loop charges the held card (share from exchange_instant).
    ScenarioDef("exchange_instant_charged", 10),
    ScenarioDef("multi_return", 40, unit=2),
    ScenarioDef("open_not_received", 60),
    ScenarioDef("partial_receipt", 30),
    ScenarioDef("flagged_in_netsuite", 20),
    ScenarioDef("refund_before_inspection", 30, minimum=2),
    ScenarioDef("connector_duplicate", 15),
    ScenarioDef("cancelled_after_ra", 30, minimum=2),
    ScenarioDef("ra_closed_in_netsuite", 20),
    ScenarioDef("cancelled_before_sync", 20),
    ScenarioDef("review_state", 20),
    # Issue 10 (accounting lifecycle): shipping refunded, partial receipt then refunded, refunded long before receipt.
    ScenarioDef("refund_shipping", 30),
    ScenarioDef("partial_receipt_refunded", 20),
    ScenarioDef("refund_before_inspection_aged", 20),
    ScenarioDef("bad_sku_unknown", 20, rule="sku_unknown"),
    ScenarioDef("bad_sku_ambiguous", 15, rule="sku_ambiguous"),
    ScenarioDef("bad_order_not_in_netsuite", 20, rule="order_not_in_netsuite"),
    # Two flavours (more units than ordered; a second return after the first took the units): two wanted.
    ScenarioDef("bad_quantity_exceeds_returnable", 20, rule="quantity_exceeds_returnable", minimum=2),
    ScenarioDef("bad_currency_mismatch", 15, rule="currency_mismatch"),
)
assert sum(s.per_mille for s in SCENARIOS) == 1000

_BY_NAME = {s.name: s for s in SCENARIOS}
GOOD_SCENARIOS: tuple[str, ...] = tuple(s.name for s in SCENARIOS if s.rule is None)
BAD_SCENARIOS: tuple[str, ...] = tuple(s.name for s in SCENARIOS if s.rule is not None)
QUARANTINE_RULES: tuple[str, ...] = tuple(s.rule for s in SCENARIOS if s.rule is not None)

# Which scenarios a small build gets first: one of each main category before the finer variants.
PRIORITY: tuple[str, ...] = (
    "refund_full",
    "refund_partial",
    "store_credit",
    "exchange_variant",
    "exchange_instant",
    "open_not_received",
    "refund_before_inspection",
    "partial_receipt",
    "cancelled_after_ra",
    "bad_sku_unknown",
    "exchange_upsell_stripe",
    "exchange_downsell",
    "refund_handling_fee",
    "connector_duplicate",
    "ra_closed_in_netsuite",
    "multi_return",
    "store_credit_bonus",
    "flagged_in_netsuite",
    "bad_currency_mismatch",
    "cancelled_before_sync",
    "review_state",
    "refund_gift_card_split",
    "exchange_same",
    "exchange_upsell_shopify",
    "bad_order_not_in_netsuite",
    "bad_quantity_exceeds_returnable",
    "bad_sku_ambiguous",
    "refund_shipping",
    "partial_receipt_refunded",
    "refund_before_inspection_aged",
    "exchange_instant_charged",
    "refund_store_credit_mix",
    "exchange_bonus",
    "exchange_plus_refund",
)
assert sorted(PRIORITY) == sorted(_BY_NAME)

# partial_receipt_refunded flavour: support removes the units that never arrived, so Loop refunds only what did.
ONLY_RECEIVED = "refunds_only_received"

MIN_RETURNS_FOR_FULL_COVERAGE: int = sum(s.unit * s.minimum for s in SCENARIOS)


def plan_counts(returns: int) -> dict[str, int]:
    """How many returns of each scenario a build of ``returns`` returns gets (sums to ``returns``).

    Args:
        returns: total number of Loop returns to build (≥ 1).

    Returns:
        scenario name -> number of returns (``multi_return`` is always even), in ``SCENARIOS`` order.
    """
    if returns < 1:
        raise ValueError("returns must be at least 1")
    counts = {s.name: 0 for s in SCENARIOS}
    left = returns
    for name in PRIORITY:
        unit = _BY_NAME[name].unit
        if left >= unit:
            counts[name] += unit
            left -= unit
    for spec in SCENARIOS:
        while spec.minimum > counts[spec.name] // spec.unit and left >= spec.unit:
            counts[spec.name] += spec.unit
            left -= spec.unit
    while left:
        # The scenario furthest below its share (integer maths: per_mille*returns vs 1000*count).
        candidates = [s for s in SCENARIOS if s.unit <= left]
        best = max(candidates, key=lambda s: s.per_mille * returns - 1000 * counts[s.name])
        counts[best.name] += best.unit
        left -= best.unit
    return counts


@dataclass(frozen=True)
class ExchangePick:
    """The item a returned unit is exchanged for."""

    sku: str
    kind: str  # "variant" (same product, incl. the same variant) or "product" (advanced exchange)


@dataclass
class ReturnPlan:
    """How one Loop return is built: everything the Loop JSON and the expected outcome are derived from."""

    scenario: str
    store: str
    draft: OrderDraft
    picks: list[tuple[int, int]]  # (order line index, units returned)
    unit_outcome: str  # "refund" | "credit" | "exchange" (one outcome for every unit of the return)
    initial: str = "open"  # "open" | "processed" (closed, processed in Loop) | "rbi" (closed, refunded unreceived)
    # | "cancelled" | "review"
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    exchanges: list[ExchangePick] = field(default_factory=list)  # one per returned unit, exchanges only
    upsell_via: str | None = None  # "shopify" | "stripe" for advanced-exchange upsells
    instant: bool = False
    out_of_stock: bool = False
    handling_fee: Decimal = Decimal("0.00")
    bonus: Decimal = Decimal("0.00")
    rule: str | None = None
    loop_currency: str | None = None  # set only for the currency-mismatch case
    flavour: str | None = None  # sub-variant of a bad case, for describe_world
    group: int | None = None  # returns sharing an order: built in rank order
    rank: int = 0
    refund_shipping: bool = False  # Loop also refunds the order's shipping (and its tax)
    refund_age_days: int = 0  # "rbi" only: the refund was made this many days before the seed's now
    store_credit_units: int = 0  # "refund" only: the first this many units go to store credit, the rest to the card
    exchange_units: int = 0  # "refund" only: the first this many units are exchanged (one pick each), the rest refunded

    @property
    def unit_count(self) -> int:
        return sum(units for _, units in self.picks)

    @property
    def exchanged_picks(self) -> list[tuple[int, int]]:
        """The picks of the first ``exchange_units`` units (those exchanged in a part-exchange, part-refund return)."""
        return _split_units(self.picks, self.exchange_units)[0]

    @property
    def refunded_picks(self) -> list[tuple[int, int]]:
        """The picks Loop refunds: all but the exchanged units, or only the first received units when the rest were
        removed from the return."""
        if self.exchange_units:
            return _split_units(self.picks, self.exchange_units)[1]
        if self.flavour != ONLY_RECEIVED:
            return list(self.picks)
        left, picks = self.lifecycle.received_quantity or 0, []
        for index, units in self.picks:
            if left > 0:
                picks.append((index, min(units, left)))
                left -= min(units, left)
        return picks


def _split_units(picks: list[tuple[int, int]], first: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """``picks`` split into the first ``first`` units and the rest, each still grouped per order line."""
    head: list[tuple[int, int]] = []
    tail: list[tuple[int, int]] = []
    for index, units in picks:
        taken = min(units, first)
        first -= taken
        if taken:
            head.append((index, taken))
        if units - taken:
            tail.append((index, units - taken))
    return head, tail
