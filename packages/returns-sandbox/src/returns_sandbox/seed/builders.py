"""Per-scenario builders: the Shopify order each return is made on and the plan of the return itself."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypedDict, Unpack

from returns_sandbox.money import quantize
from returns_sandbox.seed.catalog import AMBIGUOUS_SKUS, INACTIVE_SKUS, NO_CUSTOM_SKU_SKUS, SHOPIFY_ONLY_SKUS, Catalog
from returns_sandbox.seed.orders import LineSpec, OrderDraft, fixed_discount, percent_discount, price_lines
from returns_sandbox.seed.scenarios import ONLY_RECEIVED, ExchangePick, ReturnPlan
from returns_sandbox.seed.stores import SHIPPING_TAXED, TAX_RATES, store_by_key
from returns_sandbox.seed.world import Customer, Lifecycle


class PlanExtras(TypedDict, total=False):
    """The optional ReturnPlan fields the builders pass through."""

    handling_fee: Decimal
    loop_currency: str | None
    group: int | None
    rank: int


__all__ = ["HANDLING_FEES", "ScenarioBuilder"]

HANDLING_FEES: dict[str, Decimal] = {
    "north": Decimal("5.00"),
    "south": Decimal("6.00"),
    "east": Decimal("4.00"),
    "west": Decimal("3.00"),
}
_SHIPPING = {
    "north": (Decimal("5.00"), Decimal("7.95")),
    "south": (Decimal("9.00"), Decimal("12.50")),
    "east": (Decimal("6.00"), Decimal("9.95")),
    "west": (Decimal("4.50"), Decimal("8.00")),
}
_EXCHANGE_BONUSES = (Decimal("5.00"), Decimal("10.00"))
_PERCENT_CODES = (("WELCOME10", Decimal("0.10")), ("SPRING15", Decimal("0.15")), ("VIP20", Decimal("0.20")))
_FIXED_CODES = (("SAVE10", Decimal("10.00")), ("SAVE15", Decimal("15.00")), ("SAVE20", Decimal("20.00")))
_OTHER_CURRENCY = {"USD": "CAD", "CAD": "USD"}


class ScenarioBuilder:
    """Builds the order draft(s) and return plan(s) of one scenario instance; keeps every draft it made."""

    def __init__(self, rng: random.Random, catalog: Catalog, now: datetime, customers: dict[str, list[Customer]]) -> None:
        self.rng = rng
        self.catalog = catalog
        self.now = now
        self.customers = customers
        self.drafts: list[OrderDraft] = []
        self._groups = 0

    # -- orders ------------------------------------------------------------------------------------

    def order(
        self,
        store: str,
        *,
        first: str | None = None,
        first_filter: Callable[[str], bool] | None = None,
        first_qty: int | None = None,
        n_lines: int | None = None,
        gift: bool = False,
        in_netsuite: bool = True,
        min_units: int = 1,
        days: tuple[int, int] = (3, 40),
    ) -> OrderDraft:
        """A new priced order of ``store``; ``first`` / ``first_filter`` / ``first_qty`` pin its first line."""
        rng, pool = self.rng, self.catalog.clean_skus[store]
        while True:
            count = n_lines or rng.choices((1, 2, 3, 4), weights=(45, 30, 17, 8))[0]
            if first is not None:
                head = first
            else:
                candidates = [s for s in pool if first_filter is None or first_filter(s)]
                head = rng.choice(candidates)
            rest = rng.sample([s for s in pool if s != head], count - 1)
            skus = [head, *rest]
            qtys = [rng.choices((1, 2, 3), weights=(75, 18, 7))[0] for _ in skus]
            if first_qty is not None:
                qtys[0] = first_qty
            if sum(qtys) >= min_units:
                break
        specs = [
            LineSpec(
                sku, self.catalog.by_sku[sku].display_name, q, self.catalog.price(sku), self.catalog.by_sku[sku].ns_id or None
            )
            for sku, q in zip(skus, qtys)
        ]
        spec = store_by_key(store)
        draft = OrderDraft(
            store=store,
            created_at=self.now - timedelta(days=rng.randint(*days), seconds=rng.randint(0, 86399)),
            customer=rng.choice(self.customers[store]),
            specs=specs,
            in_netsuite=in_netsuite,
        )
        roll = rng.random()
        discount = None
        if roll < 0.30:
            code, pct = rng.choice(_PERCENT_CODES)
            discount = percent_discount(specs, pct, spec.currency, code)
        elif roll < 0.42:
            code, amount = rng.choice(_FIXED_CODES)
            discount = fixed_discount(specs, amount, code)
        draft.discount_code = discount.code if discount else None
        draft.lines = price_lines(specs, discount, TAX_RATES[store], spec.currency, [0] * len(specs))
        if rng.random() < 0.45:
            draft.shipping = rng.choice(_SHIPPING[store])
            if SHIPPING_TAXED[store]:
                draft.shipping_tax = quantize(draft.shipping * TAX_RATES[store], spec.currency)
        if gift:
            total = draft.total
            options = [a for a in (Decimal("20.00"), Decimal("25.00"), Decimal("50.00")) if a <= total - Decimal("10.00")]
            draft.gift_card_amount = rng.choice(options) if options else quantize(total / 2, spec.currency)
        self.drafts.append(draft)
        return draft

    # -- picks -------------------------------------------------------------------------------------

    def pick_units(
        self, draft: OrderDraft, *, low: int = 1, high: int | None = None, proper: bool = False
    ) -> list[tuple[int, int]]:
        """A random selection of the order's units, grouped back per line (in line order)."""
        units = [i for i, line in enumerate(draft.lines) for _ in range(line.quantity)]
        top = len(units) - 1 if proper else len(units)
        top = min(top, high) if high else top
        chosen = sorted(self.rng.sample(units, self.rng.randint(min(low, top), top)))
        return [(i, chosen.count(i)) for i in sorted(set(chosen))]

    @staticmethod
    def all_units(draft: OrderDraft) -> list[tuple[int, int]]:
        return [(i, line.quantity) for i, line in enumerate(draft.lines)]

    def variant_of(self, store: str, sku: str) -> str:
        """Another size/colour of the same product (the same SKU only when the product has no other)."""
        code = self.catalog.product_of[sku]
        clean = set(self.catalog.clean_skus[store])
        others = [s for s in self.catalog.variants_of[code] if s != sku and s in clean]
        return self.rng.choice(others) if others else sku

    def exchange_picks(
        self, store: str, draft: OrderDraft, picks: list[tuple[int, int]], *, same: bool = False
    ) -> list[ExchangePick]:
        return [
            ExchangePick(draft.lines[i].sku if same else self.variant_of(store, draft.lines[i].sku), "variant")
            for i, units in picks
            for _ in range(units)
        ]

    # -- lifecycles --------------------------------------------------------------------------------

    def received(self, *, exchange: bool = False, instant: bool = False) -> tuple[str, Lifecycle]:
        """Where goods that do arrive are received, and the Loop state that implies at the start."""
        roll = self.rng.random()
        if instant:
            if roll < 0.5:
                return "open", Lifecycle(warehouse="netsuite")
            return ("open" if roll < 0.75 else "processed"), Lifecycle(warehouse="loop")
        if exchange:
            return "open", Lifecycle(warehouse="netsuite" if roll < 0.6 else "loop")
        if roll < 0.5:
            return "open", Lifecycle(warehouse="netsuite")
        return ("processed" if roll < 0.8 else "open"), Lifecycle(warehouse="loop")

    def misc_outcome(self, store: str, draft: OrderDraft, picks: list[tuple[int, int]], plan: ReturnPlan) -> ReturnPlan:
        """Give a plan whose money never moves a realistic outcome mix: refund 70 %, credit 15 %, exchange 15 %."""
        roll = self.rng.random()
        if roll < 0.70:
            plan.unit_outcome = "refund"
        elif roll < 0.85:
            plan.unit_outcome = "credit"
        else:
            plan.unit_outcome = "exchange"
            plan.exchanges = self.exchange_picks(store, draft, picks)
        return plan

    def _group(self) -> int:
        self._groups += 1
        return self._groups

    # -- scenarios ---------------------------------------------------------------------------------

    def build(self, name: str, store: str, k: int, flavour: str | None = None) -> list[ReturnPlan]:
        """The plans of instance ``k`` of scenario ``name`` in ``store`` (two for pairs)."""
        method = getattr(self, f"_{name}")
        return method(store, k, flavour) if name.startswith("bad_") else method(store, k)

    def _refund(
        self, name: str, store: str, draft: OrderDraft, picks: list[tuple[int, int]], **extra: Unpack[PlanExtras]
    ) -> ReturnPlan:
        initial, life = self.received()
        return ReturnPlan(name, store, draft, picks, "refund", initial=initial, lifecycle=life, **extra)

    def _refund_full(self, store: str, k: int) -> list[ReturnPlan]:
        draft = self.order(store, n_lines=self.rng.choice((1, 1, 2, 2, 3)))
        return [self._refund("refund_full", store, draft, self.all_units(draft))]

    def _refund_partial(self, store: str, k: int) -> list[ReturnPlan]:
        draft = self.order(store, min_units=2)
        return [self._refund("refund_partial", store, draft, self.pick_units(draft, proper=True, high=4))]

    def _refund_handling_fee(self, store: str, k: int) -> list[ReturnPlan]:
        draft = self.order(store)
        return [
            self._refund("refund_handling_fee", store, draft, self.pick_units(draft, high=3), handling_fee=HANDLING_FEES[store])
        ]

    def _refund_gift_card_split(self, store: str, k: int) -> list[ReturnPlan]:
        draft = self.order(store, gift=True)
        return [self._refund("refund_gift_card_split", store, draft, self.pick_units(draft, high=3))]

    def _store_credit(self, store: str, k: int, bonus: bool = False) -> list[ReturnPlan]:
        draft = self.order(store)
        initial, life = self.received()
        name = "store_credit_bonus" if bonus else "store_credit"
        plan = ReturnPlan(name, store, draft, self.pick_units(draft, high=3), "credit", initial=initial, lifecycle=life)
        if bonus:
            plan.bonus = self.rng.choice((Decimal("5.00"), Decimal("10.00")))
        return [plan]

    def _store_credit_bonus(self, store: str, k: int) -> list[ReturnPlan]:
        return self._store_credit(store, k, bonus=True)

    def _refund_store_credit_mix(self, store: str, k: int) -> list[ReturnPlan]:
        """Part of the return back to the card, part as store credit (Loop's outcome per line)."""
        draft = self.order(store, min_units=2)
        plan = self._refund("refund_store_credit_mix", store, draft, self.pick_units(draft, low=2, high=3))
        plan.store_credit_units = self.rng.randint(1, plan.unit_count - 1)
        return [plan]

    def _exchange_plus_refund(self, store: str, k: int) -> list[ReturnPlan]:
        """One Loop return, outcome per unit: one unit of the first order line exchanged for another variant, one or two
        units of the other lines refunded.

        The exchanged and the refunded units sit on different SO lines. Split across one SO line, the sync plans two RA
        lines with the same ``orderLine`` and the NetSuite emulator's transform keeps only the last, so the return
        diverges from its RA (an open defect; docs/loop.md, "Exchange plus refund").
        """
        draft = self.order(store, n_lines=self.rng.choice((2, 3)))
        others = [i for i, line in enumerate(draft.lines) if i > 0 for _ in range(line.quantity)]
        chosen = sorted(self.rng.sample(others, self.rng.randint(1, min(2, len(others)))))
        picks = [(0, 1)] + [(i, chosen.count(i)) for i in sorted(set(chosen))]
        initial, life = self.received(exchange=True)
        plan = ReturnPlan("exchange_plus_refund", store, draft, picks, "refund", initial=initial, lifecycle=life)
        plan.exchange_units = 1
        plan.exchanges = self.exchange_picks(store, draft, plan.exchanged_picks)
        return [plan]

    def _exchange(self, name: str, store: str, *, same: bool = False, instant: bool = False) -> list[ReturnPlan]:
        draft = self.order(store)
        picks = self.pick_units(draft, high=1 if instant else 2)
        picks = picks[:1]
        initial, life = self.received(exchange=True, instant=instant)
        return [
            ReturnPlan(
                name,
                store,
                draft,
                picks,
                "exchange",
                initial=initial,
                lifecycle=life,
                exchanges=self.exchange_picks(store, draft, picks, same=same),
                instant=instant,
            )
        ]

    def _exchange_same(self, store: str, k: int) -> list[ReturnPlan]:
        return self._exchange("exchange_same", store, same=True)

    def _exchange_variant(self, store: str, k: int) -> list[ReturnPlan]:
        return self._exchange("exchange_variant", store)

    def _exchange_instant(self, store: str, k: int) -> list[ReturnPlan]:
        return self._exchange("exchange_instant", store, instant=True)

    def _exchange_instant_charged(self, store: str, k: int) -> list[ReturnPlan]:
        """Instant exchange whose goods never go back: Loop expires it and charges the card (no warehouse event)."""
        plans = self._exchange("exchange_instant_charged", store, instant=True)
        plans[0].initial, plans[0].lifecycle = "open", Lifecycle(expires_in_loop=True)
        return plans

    def _advanced(
        self, name: str, store: str, *, up: bool, via: str | None, bonus: Decimal = Decimal("0.00")
    ) -> list[ReturnPlan]:
        price = self.catalog.price
        if up:
            draft = self.order(store, first_filter=lambda s: price(s) <= Decimal("140.00"), first_qty=1)
            paid = draft.lines[0].unit_paid
            # The bonus pays part of the difference; the customer still pays at least 5.00 more.
            choices = [s for s in self.catalog.clean_skus[store] if price(s) >= paid + bonus + Decimal("5.00")]
        else:
            draft = self.order(store, first_filter=lambda s: price(s) >= Decimal("38.00"), first_qty=1)
            paid = draft.lines[0].unit_paid
            choices = [s for s in self.catalog.clean_skus[store] if price(s) <= paid - Decimal("5.00")]
        initial, life = self.received(exchange=True)
        return [
            ReturnPlan(
                name,
                store,
                draft,
                [(0, 1)],
                "exchange",
                initial=initial,
                lifecycle=life,
                exchanges=[ExchangePick(self.rng.choice(choices), "product")],
                upsell_via=via,
                bonus=bonus,
            )
        ]

    def _exchange_bonus(self, store: str, k: int) -> list[ReturnPlan]:
        """Loop's exchange bonus: extra credit toward a dearer product; the customer pays the rest in Shopify."""
        return self._advanced("exchange_bonus", store, up=True, via="shopify", bonus=self.rng.choice(_EXCHANGE_BONUSES))

    def _exchange_upsell_shopify(self, store: str, k: int) -> list[ReturnPlan]:
        return self._advanced("exchange_upsell_shopify", store, up=True, via="shopify")

    def _exchange_upsell_stripe(self, store: str, k: int) -> list[ReturnPlan]:
        return self._advanced("exchange_upsell_stripe", store, up=True, via="stripe")

    def _exchange_downsell(self, store: str, k: int) -> list[ReturnPlan]:
        return self._advanced("exchange_downsell", store, up=False, via=None)

    def _multi_return(self, store: str, k: int) -> list[ReturnPlan]:
        draft = self.order(store, first_qty=self.rng.choice((2, 3)))
        group = self._group()
        first_picks = [(0, 1)]
        if len(draft.lines) > 1 and self.rng.random() < 0.5:
            first_picks.append((1, 1))
        first = self._refund("multi_return", store, draft, first_picks, group=group, rank=0)
        initial, life = self.received()
        outcome = "refund" if self.rng.random() < 0.7 else "credit"
        second = ReturnPlan("multi_return", store, draft, [(0, 1)], outcome, initial=initial, lifecycle=life, group=group, rank=1)
        return [first, second]

    def _open_not_received(self, store: str, k: int) -> list[ReturnPlan]:
        draft = self.order(store)
        picks = self.pick_units(draft, high=3)
        return [self.misc_outcome(store, draft, picks, ReturnPlan("open_not_received", store, draft, picks, "refund"))]

    def _partial_receipt(self, store: str, k: int) -> list[ReturnPlan]:
        draft = self.order(store, min_units=2)
        picks = self.pick_units(draft, low=2, high=4)
        units = sum(u for _, u in picks)
        life = Lifecycle(warehouse="netsuite", received_quantity=self.rng.randint(1, units - 1))
        outcome = "refund" if self.rng.random() < 0.75 else "credit"
        return [ReturnPlan("partial_receipt", store, draft, picks, outcome, lifecycle=life)]

    def _flagged_in_netsuite(self, store: str, k: int) -> list[ReturnPlan]:
        draft = self.order(store)
        picks = self.pick_units(draft, high=3)
        plan = ReturnPlan("flagged_in_netsuite", store, draft, picks, "refund", lifecycle=Lifecycle(flag_in_netsuite=True))
        return [self.misc_outcome(store, draft, picks, plan)]

    def _refund_before_inspection(self, store: str, k: int) -> list[ReturnPlan]:
        draft = self.order(store)
        return [ReturnPlan("refund_before_inspection", store, draft, self.pick_units(draft, high=3), "refund", initial="rbi")]

    def _connector_duplicate(self, store: str, k: int) -> list[ReturnPlan]:
        draft = self.order(store)
        life = Lifecycle(warehouse="loop", shopify_connector_posts_refund=True)
        return [
            ReturnPlan(
                "connector_duplicate", store, draft, self.pick_units(draft, high=3), "refund", initial="processed", lifecycle=life
            )
        ]

    def _cancelled_after_ra(self, store: str, k: int) -> list[ReturnPlan]:
        draft = self.order(store)
        picks = self.pick_units(draft, high=3)
        plan = ReturnPlan("cancelled_after_ra", store, draft, picks, "refund", lifecycle=Lifecycle(cancel_in_loop=True))
        return [self.misc_outcome(store, draft, picks, plan)]

    def _ra_closed_in_netsuite(self, store: str, k: int) -> list[ReturnPlan]:
        draft = self.order(store)
        picks = self.pick_units(draft, high=3)
        plan = ReturnPlan("ra_closed_in_netsuite", store, draft, picks, "refund", lifecycle=Lifecycle(close_ra_in_netsuite=True))
        return [self.misc_outcome(store, draft, picks, plan)]

    def _cancelled_before_sync(self, store: str, k: int) -> list[ReturnPlan]:
        draft = self.order(store)
        picks = self.pick_units(draft, high=3)
        plan = ReturnPlan("cancelled_before_sync", store, draft, picks, "refund", initial="cancelled")
        return [self.misc_outcome(store, draft, picks, plan)]

    def _review_state(self, store: str, k: int) -> list[ReturnPlan]:
        draft = self.order(store)
        picks = self.pick_units(draft, high=2)
        plan = ReturnPlan("review_state", store, draft, picks, "refund", initial="review")
        if self.rng.random() < 0.6:
            # Loop holds an exchange whose new item went out of stock for the merchant to resolve.
            plan.unit_outcome, plan.out_of_stock = "exchange", True
            plan.exchanges = self.exchange_picks(store, draft, picks)
        return [plan]

    # -- issue 10: shipping refunds, refunds ahead of the goods ---------------------------------------

    def _refund_shipping(self, store: str, k: int) -> list[ReturnPlan]:
        draft = self.order(store)
        if not draft.shipping:
            draft.shipping = _SHIPPING[store][k % 2]
            if SHIPPING_TAXED[store]:
                draft.shipping_tax = quantize(draft.shipping * TAX_RATES[store], store_by_key(store).currency)
        plan = self._refund("refund_shipping", store, draft, self.all_units(draft))
        plan.refund_shipping = True
        return [plan]

    def _partial_receipt_refunded(self, store: str, k: int) -> list[ReturnPlan]:
        draft = self.order(store, min_units=2)
        picks = self.pick_units(draft, low=2, high=4)
        units = sum(u for _, u in picks)
        received = self.rng.randint(1, units - 1)
        if k % 2:
            # Support refunds only what arrived: the other units come off the Loop return (Remove Line Items).
            life = Lifecycle(warehouse="netsuite", received_quantity=received, remove_unreceived_after_review=True)
            return [ReturnPlan("partial_receipt_refunded", store, draft, picks, "refund", lifecycle=life, flavour=ONLY_RECEIVED)]
        life = Lifecycle(warehouse="netsuite", received_quantity=received, process_after_review=True)
        return [ReturnPlan("partial_receipt_refunded", store, draft, picks, "refund", lifecycle=life)]

    def _refund_before_inspection_aged(self, store: str, k: int) -> list[ReturnPlan]:
        draft = self.order(store, days=(30, 40))
        plan = ReturnPlan("refund_before_inspection_aged", store, draft, self.pick_units(draft, high=3), "refund", initial="rbi")
        plan.refund_age_days = 20
        return [plan]

    # -- bad data ----------------------------------------------------------------------------------

    def _bad(
        self,
        name: str,
        rule: str,
        store: str,
        draft: OrderDraft,
        picks: list[tuple[int, int]],
        k: int,
        flavour: str | None,
        **extra: Unpack[PlanExtras],
    ) -> ReturnPlan:
        # Every third bad return was already processed in Loop: the refund is out, the goods are in, NetSuite has nothing.
        processed = k % 3 == 2 and rule != "quantity_exceeds_returnable"
        life = Lifecycle(warehouse="loop") if processed else Lifecycle()
        return ReturnPlan(
            name,
            store,
            draft,
            picks,
            "refund",
            initial="processed" if processed else "open",
            lifecycle=life,
            rule=rule,
            flavour=flavour,
            **extra,
        )

    def _with_bad_line(self, store: str, sku: str) -> tuple[OrderDraft, list[tuple[int, int]]]:
        draft = self.order(store, first=sku, first_qty=1, n_lines=self.rng.choice((1, 2)))
        picks = [(0, 1)] + ([(1, 1)] if len(draft.lines) > 1 and self.rng.random() < 0.5 else [])
        return draft, picks

    def _bad_sku_unknown(self, store: str, k: int, flavour: str | None) -> list[ReturnPlan]:
        pool = {"shopify_only": SHOPIFY_ONLY_SKUS, "inactive": INACTIVE_SKUS, "no_custom_sku": NO_CUSTOM_SKU_SKUS}
        draft, picks = self._with_bad_line(store, self.rng.choice(pool[flavour or "shopify_only"]))
        return [self._bad("bad_sku_unknown", "sku_unknown", store, draft, picks, k, flavour)]

    def _bad_sku_ambiguous(self, store: str, k: int, flavour: str | None) -> list[ReturnPlan]:
        draft, picks = self._with_bad_line(store, self.rng.choice(AMBIGUOUS_SKUS))
        return [self._bad("bad_sku_ambiguous", "sku_ambiguous", store, draft, picks, k, flavour)]

    def _bad_order_not_in_netsuite(self, store: str, k: int, flavour: str | None) -> list[ReturnPlan]:
        # Placed in the last few days: the Shopify connector has not synced it yet.
        draft = self.order(store, in_netsuite=False, days=(1, 3))
        return [
            self._bad(
                "bad_order_not_in_netsuite", "order_not_in_netsuite", store, draft, self.pick_units(draft, high=3), k, flavour
            )
        ]

    def _bad_currency_mismatch(self, store: str, k: int, flavour: str | None) -> list[ReturnPlan]:
        draft = self.order(store)
        return [
            self._bad(
                "bad_currency_mismatch",
                "currency_mismatch",
                store,
                draft,
                self.pick_units(draft, high=3),
                k,
                flavour,
                loop_currency=_OTHER_CURRENCY[store_by_key(store).currency],
            )
        ]

    def _bad_quantity_exceeds_returnable(self, store: str, k: int, flavour: str | None) -> list[ReturnPlan]:
        name, rule = "bad_quantity_exceeds_returnable", "quantity_exceeds_returnable"
        if flavour == "after_prior_return":
            # The first return (a good full refund) takes every unit; the second asks for one more.
            draft = self.order(store, n_lines=1, first_qty=self.rng.choice((1, 2)))
            group = self._group()
            prior = self._refund("refund_full", store, draft, self.all_units(draft), group=group, rank=0)
            bad = self._bad(name, rule, store, draft, [(0, 1)], k, flavour, group=group, rank=1)
            return [prior, bad]
        draft = self.order(store, first_qty=self.rng.choice((1, 2)))
        return [self._bad(name, rule, store, draft, [(0, draft.lines[0].quantity + 1)], k, flavour or "more_than_ordered")]
