"""Build the deterministic demo ``World``: four stores, a catalogue, orders already in NetSuite and Loop returns of every outcome.

``build_world(seed=7, returns=300, now=...)`` is a pure function of its arguments: one
``random.Random(seed)`` drives every choice, ids come from fixed counters, and every timestamp is an
offset before ``now`` (orders days to weeks before; returns created and updated in the 24 hours
before, so Loop's default list window sees them all). Each store's latest-updated open returns share one
``updated_at`` second (``SAME_SECOND_BURST`` of them when there are that many).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from returns_sandbox.seed.builders import ScenarioBuilder
from returns_sandbox.seed.catalog import ACCOUNTS, SPECIAL_ITEMS, build_catalog
from returns_sandbox.seed.expected import expected_outcome
from returns_sandbox.seed.loop_json import DOWNSELL_AS_STORE_CREDIT, render_return
from returns_sandbox.seed.orders import IdAllocator, OrderDraft, build_customers
from returns_sandbox.seed.scenarios import (
    MIN_RETURNS_FOR_FULL_COVERAGE,
    SCENARIOS,
    ReturnPlan,
    plan_counts,
)
from returns_sandbox.seed.stores import NETSUITE_ACCOUNT, STORE_KEYS, STORES, store_by_key
from returns_sandbox.seed.world import Order, OrderTransaction, ReturnCase, World

__all__ = ["MIN_RETURNS_FOR_FULL_COVERAGE", "SAME_SECOND_BURST", "build_world", "describe_world"]

# Returns are spread over [now - 23h30m, now - 20m]: inside Loop's default 24-hour window, with room after.
_WINDOW_START = timedelta(hours=23, minutes=30)
_WINDOW_END = timedelta(minutes=20)
_SKU_UNKNOWN_FLAVOURS = ("shopify_only", "inactive", "no_custom_sku")
# Loop stamps whole seconds and one job (a carrier's label sync, a bulk edit) touches many returns at once.
# Its list pages on a whole-second cursor without an id, so a page ending inside such a second loses the rest
# of it for a client that does not re-read the second (packages/returns-sandbox/docs/loop.md, "Fidelity").
SAME_SECOND_BURST = 24


def _as_utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)


def _instances(counts: dict[str, int], rng: random.Random) -> list[tuple[str, str, int, str | None]]:
    """(scenario, store, k, flavour) per instance; stores alternate so every scenario with ≥ 2 instances is in both."""
    counts = dict(counts)
    qty = counts["bad_quantity_exceeds_returnable"]
    # The "second return after a prior one" flavour brings its prior good return, taken from refund_full's share.
    after_prior = min((qty + 1) // 2, counts["refund_full"])
    counts["refund_full"] -= after_prior
    out = []
    for spec in SCENARIOS:
        n = counts[spec.name] // spec.unit
        # Toggle-dependent scenarios start in north, so two instances always cover both stores' settings.
        offset = 0 if spec.name in ("refund_before_inspection", "cancelled_after_ra") else rng.randrange(2)
        for k in range(n):
            store = STORE_KEYS[(k + offset) % 2]
            flavour = None
            if spec.name == "refund_before_inspection_aged":
                store = "south"  # the store whose toggle is off and which books after unbooked_refund_days
            elif spec.name == "bad_sku_ambiguous":
                store = "north"  # only north matches on the custom SKU field the twin items share
            elif spec.name == "bad_sku_unknown":
                flavour = _SKU_UNKNOWN_FLAVOURS[k % 3]
                if flavour == "no_custom_sku":
                    store = "north"
            elif spec.name == "bad_quantity_exceeds_returnable":
                flavour = "after_prior_return" if k % 2 == 0 and k // 2 < after_prior else "more_than_ordered"
            out.append((spec.name, store, k, flavour))
    return _share_with_east(out)


# Scenarios whose posting depends on the store's money modes (refund_mode, exchange_mode, fee, refund account), with
# the stride (and the instance within it) east and west take them at. Most of these returns start open, and north and
# south must each keep over 100 open returns at the default 300, so their same-second burst straddles Loop's default
# page of 100 (_share_one_second). East moves first, so a collision stays in east.
_EAST_STRIDES: dict[str, int] = {
    "exchange_same": 3,
    "exchange_upsell_shopify": 3,
    "exchange_upsell_stripe": 3,
    "exchange_downsell": 3,
    "exchange_bonus": 3,
    "exchange_variant": 8,
    "refund_full": 10,
    "refund_handling_fee": 6,
    "refund_gift_card_split": 3,
    "store_credit": 8,
    "store_credit_bonus": 3,
    "refund_store_credit_mix": 3,
}
# West bills cash sales but forces credit memos [refund_mode = credit_memo]: the scenarios where money leaves.
_WEST_STRIDES: dict[str, int] = {
    "refund_full": 7,
    "refund_handling_fee": 5,
    "refund_gift_card_split": 4,
    "refund_shipping": 4,
    "store_credit": 7,
    "store_credit_bonus": 4,
    "exchange_downsell": 4,
    "refund_store_credit_mix": 3,
}


def _moves_to(name: str, store: str, k: int) -> str | None:
    east = _EAST_STRIDES.get(name)
    if east and k % east == east - 1:
        return "east"
    west = _WEST_STRIDES.get(name)
    # West takes from south only: north keeps its open returns past Loop's default page of 100.
    if west and store == "south" and k % west in (west - 1, west - 2):
        return "west"
    return None


def _share_with_east(instances: list[tuple[str, str, int, str | None]]) -> list[tuple[str, str, int, str | None]]:
    """Every n-th instance of a money-mode scenario goes to ``east`` (cash-refund mode, credit-mode exchanges) or
    ``west`` (credit-memo mode on cash sales).

    North and south keep their first two instances, so small builds still cover both; west takes only south's; the
    rest of the seed is
    untouched, and a scenario reaches east or west from its n-th instance on (``_EAST_STRIDES``, ``_WEST_STRIDES``).
    """
    return [(name, _moves_to(name, store, k) or store, k, flavour) for name, store, k, flavour in instances]


def _pay_some_downsells_as_store_credit(plans: list[ReturnPlan]) -> None:
    """Every third zero-value downsell (from the second on) gets its difference as store credit (POSTING.md's downsell
    row, "or GC Liability"): north and south each get one from six downsells on."""
    downsells = [p for p in plans if p.scenario == "exchange_downsell" and store_by_key(p.store).exchange_mode == "zero_value"]
    for index, plan in enumerate(downsells):
        if index % 3 == 1:
            plan.flavour = DOWNSELL_AS_STORE_CREDIT


def _finalise_orders(drafts: list[OrderDraft], ids: IdAllocator) -> None:
    """Number the orders per store in creation order; assign Shopify, NetSuite and Loop ids and the sale transactions."""
    ordered = sorted(enumerate(drafts), key=lambda pair: (pair[1].created_at, pair[0]))
    next_number = {s.key: s.first_order_number for s in STORES}
    for _, draft in ordered:
        store = draft.store
        draft.number = next_number[store]
        next_number[store] += 1
        draft.shopify_id = ids.next(f"shopify_order:{store}")
        draft.lines = tuple(replace(line, shopify_line_id=ids.next(f"shopify_line:{store}")) for line in draft.lines)
        draft.loop_order_id = ids.next("loop_order")
        if draft.in_netsuite:
            draft.ns_so_id = ids.next("ns_so")
        total = draft.total
        if draft.gift_card_amount:
            draft.transactions.append(
                OrderTransaction(ids.next(f"shopify_txn:{store}"), "SALE", "gift_card", draft.gift_card_amount)
            )
            total -= draft.gift_card_amount
        draft.transactions.append(OrderTransaction(ids.next(f"shopify_txn:{store}"), "SALE", "shopify_payments", total))


def _chronological(plans: list[ReturnPlan], rng: random.Random) -> list[ReturnPlan]:
    """Shuffle the returns in time; returns sharing an order keep their intended order (first return first)."""
    plans = list(plans)
    rng.shuffle(plans)
    groups: dict[int, list[int]] = {}
    for position, plan in enumerate(plans):
        if plan.group is not None:
            groups.setdefault(plan.group, []).append(position)
    for positions in groups.values():
        members = sorted((plans[p] for p in positions), key=lambda p: p.rank)
        for position, plan in zip(positions, members):
            plans[position] = plan
    return plans


def _share_one_second(cases: list[ReturnCase]) -> None:
    """Per store, the ``SAME_SECOND_BURST`` latest-updated open returns all get the last one's ``updated_at``.

    They are the tail of the store's ``state=open, filter=updated_at`` list, so any page size under the
    burst puts a page boundary inside it (with 300 returns, Loop's default of 100 does too). Each moves
    forward to a time its store already has, so ``created_at <= updated_at < now`` holds; nothing derives from it.
    """
    for store in STORE_KEYS:
        open_cases = [c for c in cases if c.store == store and c.loop_return["state"] == "open"]
        open_cases.sort(key=lambda c: (c.loop_return["updated_at"], int(c.return_id)))
        burst = open_cases[-SAME_SECOND_BURST:]
        if burst:
            second = burst[-1].loop_return["updated_at"]
            for case in burst:
                case.loop_return["updated_at"] = second


def build_world(*, seed: int = 7, returns: int = 300, now: datetime) -> World:
    """Build the demo world.

    Args:
        seed: drives every random choice; the same (seed, returns, now) gives an identical world.
        returns: number of Loop returns (≥ 1). From ``MIN_RETURNS_FOR_FULL_COVERAGE`` (31) every scenario and
            quarantine rule is present; smaller builds get the main categories first (see ``scenarios.PRIORITY``).
        now: the world's current time (naive = UTC). Returns are created and updated in the 24 hours before it.

    Returns:
        The ``World``: stores, catalogue, customers, orders (incl. instant-exchange EX orders), returns with
        lifecycle and expected outcome, special items and accounts.

    Example:
        >>> world = build_world(seed=7, returns=300, now=datetime(2025, 6, 2, 12, 0, tzinfo=timezone.utc))
        >>> len(world.returns)
        300
    """
    now = _as_utc(now)
    rng = random.Random(seed)
    catalog = build_catalog()
    ids = IdAllocator()
    customers = {key: build_customers(rng, key, max(12, returns // 3), ids) for key in STORE_KEYS}
    builder = ScenarioBuilder(rng, catalog, now, customers)
    plans: list[ReturnPlan] = []
    for name, store, k, flavour in _instances(plan_counts(returns), rng):
        plans.extend(builder.build(name, store, k, flavour))
    _pay_some_downsells_as_store_credit(plans)
    for _ in range(max(2, returns // 4)):
        # Orders nobody returned: the emulators hold more than the returns touch, as a real shop does.
        builder.order(rng.choice(STORE_KEYS), days=(1, 60))
    _finalise_orders(builder.drafts, ids)

    start, span = now - _WINDOW_START, _WINDOW_START - _WINDOW_END
    cases: list[ReturnCase] = []
    exchange_orders: list[Order] = []
    previous = start
    ordered = _chronological(plans, rng)
    for index, plan in enumerate(ordered):
        created = start + timedelta(seconds=int(span.total_seconds() * (index + rng.uniform(0.15, 0.85)) / len(ordered)))
        created = max(created, previous + timedelta(seconds=1))
        previous = created
        return_id = ids.next("loop_return")
        rendered = render_return(plan, return_id=return_id, created_at=created, now=now, rng=rng, ids=ids, catalog=catalog)
        expected = expected_outcome(plan, str(return_id), store_by_key(plan.store), catalog)
        cases.append(ReturnCase(plan.store, rendered.loop_return, plan.lifecycle, expected, rendered.exchange_order))
        if plan.instant and rendered.exchange_order is not None:
            exchange_orders.append(rendered.exchange_order)

    _share_one_second(cases)

    orders = [d.freeze(store_by_key(d.store).currency, store_by_key(d.store).billing) for d in builder.drafts]
    orders.extend(exchange_orders)
    orders.sort(key=lambda o: (o.created_at, o.shopify_id))
    return World(
        seed=seed,
        now=now,
        account=NETSUITE_ACCOUNT,
        stores=STORES,
        catalog=catalog.items,
        customers=tuple(c for key in STORE_KEYS for c in customers[key]),
        orders=tuple(orders),
        returns=cases,
        special_items={role: ns_id for role, (ns_id, _) in SPECIAL_ITEMS.items()},
        accounts=dict(ACCOUNTS),
    )


def describe_world(world: World) -> dict[str, Any]:
    """A JSON-friendly summary for the CLI: counts per store, scenario, quarantine rule and initial Loop state."""
    scenarios = Counter(case.expected.scenario for case in world.returns)
    rules = Counter(case.expected.quarantine_rule for case in world.returns if case.expected.quarantine_rule)
    bad = sum(rules.values())
    per_store: dict[str, dict[str, int]] = {}
    for store in world.stores:
        mine = [c for c in world.returns if c.store == store.key]
        per_store[store.key] = {
            "returns": len(mine),
            "orders": sum(1 for o in world.orders if o.store == store.key and o.exchange_for_return is None),
            "exchange_orders": sum(1 for o in world.orders if o.store == store.key and o.exchange_for_return is not None),
            "quarantined": sum(1 for c in mine if c.expected.quarantine_rule),
        }
    return {
        "seed": world.seed,
        "now": world.now.isoformat(),
        "returns": len(world.returns),
        "orders": len(world.orders),
        "catalog_items": sum(1 for item in world.catalog if item.item_type == "InvtPart"),
        "customers": len(world.customers),
        "bad_data_returns": bad,
        "bad_data_percent": str((Decimal(100 * bad) / max(1, len(world.returns))).quantize(Decimal("0.1"))),
        "stores": per_store,
        "scenarios": {spec.name: scenarios[spec.name] for spec in SCENARIOS if scenarios[spec.name]},
        "scenarios_by_store": {
            store.key: dict(sorted(Counter(c.expected.scenario for c in world.returns if c.store == store.key).items()))
            for store in world.stores
        },
        "quarantine_rules": dict(sorted(rules.items())),
        "initial_loop_states": dict(sorted(Counter(str(c.loop_return["state"]) for c in world.returns).items())),
        "final_ra_status": dict(sorted(Counter(str(c.expected.final_ra_status) for c in world.returns).items())),
    }
