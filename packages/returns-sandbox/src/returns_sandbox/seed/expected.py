"""What each return should end as, derived from its plan and its store's toggles by docs/LIFECYCLE.md's end-state table.

This module never reads the Loop JSON and shares no code with the posting rules: it works from the
order lines and the plan (units returned, outcome, fee, bonus, exchange items), so tests can hold
the Loop JSON and the sync's results against it.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from functools import partial

from returns_sandbox.money import ZERO, quantize
from returns_sandbox.seed.catalog import Catalog
from returns_sandbox.seed.expected_gl import credit_mode_bonus, exchange_total, expected_gl
from returns_sandbox.seed.loop_json import DOWNSELL_AS_STORE_CREDIT
from returns_sandbox.seed.scenarios import ReturnPlan
from returns_sandbox.seed.world import ExpectedLine, ExpectedOutcome, StoreSpec

__all__ = ["expected_outcome", "refund_record_for", "upsell_fee"]

# Scenarios whose goods arrive and whose money outcome is then posted by refund_sync (RA ends G).
_RECEIVED_MONEY = frozenset(
    {
        "refund_full",
        "refund_partial",
        "refund_handling_fee",
        "refund_gift_card_split",
        "store_credit",
        "store_credit_bonus",
        "multi_return",
        "refund_shipping",
        "refund_store_credit_mix",
        "exchange_plus_refund",
    }
)
# Zero-value exchanges: received, nothing to post, RA closed (H).
_RECEIVED_EXCHANGE = frozenset(
    {
        "exchange_same",
        "exchange_variant",
        "exchange_upsell_shopify",
        "exchange_upsell_stripe",
        "exchange_instant",
        "exchange_bonus",
    }
)


def refund_record_for(store: StoreSpec) -> str:
    """The document a refund to the original payment becomes: ``cashRefund`` or ``creditMemo`` [refund_mode]."""
    if store.refund_mode == "cash_refund":
        return "cashRefund"
    if store.refund_mode == "credit_memo":
        return "creditMemo"
    return "cashRefund" if store.billing == "cash_sale" else "creditMemo"


def _units(plan: ReturnPlan) -> list[tuple[int, int]]:
    return [(index, count) for index, count in plan.picks]


def _ra_parts(plan: ReturnPlan) -> list[tuple[int, int, bool]]:
    """(order line, units, exchanged) per RA line: a part-exchange return has one line for the exchanged units and one
    for the refunded units of an order line (POSTING.md: exchanged units at rate 0, refunded ones at the paid rate)."""
    if plan.exchange_units:
        parts = [(i, n, True) for i, n in plan.exchanged_picks] + [(i, n, False) for i, n in plan.refunded_picks]
        return sorted(parts)
    return [(index, count, plan.unit_outcome == "exchange") for index, count in _units(plan)]


def _ra_lines(plan: ReturnPlan, currency: str, exchange_mode: str = "zero_value") -> tuple[ExpectedLine, ...]:
    lines = []
    for index, count, exchanged in _ra_parts(plan):
        # In credit mode exchanged units keep their paid value: the credit memo later pays the exchange order with it.
        exchange = exchanged and exchange_mode == "zero_value"
        line = plan.draft.lines[index]
        assert line.ns_item_id is not None, "a good return's SKU has a NetSuite item"
        lines.append(
            ExpectedLine(
                sku=line.sku,
                ns_item_id=line.ns_item_id,
                quantity=count,
                rate=Decimal("0.00") if exchange else line.unit_paid,
                # NetSuite computes a line's tax from its code's rate, rounded once per line: Shopify's per-unit
                # tax times the count can differ by cents; the money document carries that as a rounding line.
                tax=Decimal("0.00") if exchange else quantize(line.unit_paid * count * line.tax_rate, currency),
            )
        )
    return tuple(lines)


def _return_total(plan: ReturnPlan, picks: list[tuple[int, int]] | None = None) -> Decimal:
    units = _units(plan) if picks is None else picks
    return sum(((plan.draft.lines[i].unit_paid + plan.draft.lines[i].unit_tax) * n for i, n in units), ZERO)


def _store_credit_part(plan: ReturnPlan) -> Decimal:
    units = [plan.draft.lines[i] for i, n in _units(plan) for _ in range(n)]
    return sum((line.unit_paid + line.unit_tax for line in units[: plan.store_credit_units]), ZERO)


def _shipping_refund(plan: ReturnPlan) -> Decimal:
    return plan.draft.shipping + plan.draft.shipping_tax if plan.refund_shipping else ZERO


def _status_after_closing(plan: ReturnPlan, received: int) -> str:
    """RA status once lines not fully received are closed: H when every line was, else G (the rest is credited).

    The warehouse receives units line by line in RA line order (one RA line per returned order line).
    """
    full_lines = 0
    for _index, count in _units(plan):
        got = min(count, received)
        received -= got
        full_lines += got == count
    return "G" if full_lines else "H"


def _gift_card_part(plan: ReturnPlan, refund: Decimal, currency: str) -> Decimal:
    draft = plan.draft
    if not draft.gift_card_amount:
        return Decimal("0.00")
    return quantize(refund * draft.gift_card_amount / draft.total, currency)


def upsell_fee(store: StoreSpec, upsell: Decimal) -> Decimal:
    """Stripe's fee on an upsell Loop collected: the store's rate x upsell + fixed, never more than the upsell."""
    if upsell <= ZERO or not (store.upsell_fee_rate or store.upsell_fee_fixed):
        return Decimal("0.00")
    fee = quantize(upsell * (store.upsell_fee_rate or ZERO) + (store.upsell_fee_fixed or ZERO), store.currency)
    return min(fee, upsell)


def _credit_mode_exchange(plan: ReturnPlan, store: StoreSpec, catalog: Catalog) -> dict[str, object]:
    """[exchange_mode = credit]: a credit memo for the returned units' full value plus the Loop bonus spent on the
    exchange, applied to the exchange order's invoice up to the exchange's value; a downsell's difference is paid out
    by a customer refund (POSTING.md)."""
    rate = plan.draft.lines[plan.picks[0][0]].tax_rate
    value = _return_total(plan)
    exchange = exchange_total(plan, catalog, store.currency, rate)
    # Loop's exchange bonus pays part of a dearer exchange: the memo carries it as a bonus line (POSTING.md).
    bonus = credit_mode_bonus(plan, store, catalog)
    upsell = max(exchange - value - bonus, ZERO)
    deposit = upsell if plan.scenario == "exchange_upsell_stripe" else Decimal("0.00")
    return {
        "refund_record": "creditMemo",
        "refund_total": value + bonus,
        "customer_refund_total": max(value - exchange, ZERO),
        "exchange_invoice_applied": min(value, exchange) + bonus,
        "deposit_total": deposit,
        "fee_total": upsell_fee(store, deposit),
        "final_loop_state": "closed",
        "final_ra_status": "G",
    }


def expected_outcome(plan: ReturnPlan, return_id: str, store: StoreSpec, catalog: Catalog) -> ExpectedOutcome:
    """The end state of the return ``plan`` built, with ``store``'s toggles and billing applied.

    Args:
        plan: how the return was built.
        return_id: its Loop id.
        store: the store's spec (billing, refund_mode and the LIFECYCLE toggles).
        catalog: prices of advanced-exchange items.

    Returns:
        The ``ExpectedOutcome`` by LIFECYCLE.md's table; bad data: quarantined, Loop state unchanged.
    """
    scenario = plan.scenario
    initial_state = {"open": "open", "processed": "closed", "rbi": "closed", "cancelled": "cancelled", "review": "review"}
    base = partial(ExpectedOutcome, return_id=return_id, store=plan.store, scenario=scenario)
    if plan.rule is not None:
        return base(quarantine_rule=plan.rule, final_loop_state=initial_state[plan.initial])
    if scenario == "cancelled_before_sync":
        return base(final_loop_state="cancelled")

    ra_lines = _ra_lines(plan, store.currency, store.exchange_mode)
    units = plan.unit_count
    currency = store.currency
    record = refund_record_for(store)
    money: dict[str, object] = {}
    if plan.unit_outcome == "refund":
        # Loop refunds the units still on the return (all, unless support removed those that never arrived).
        refund = _return_total(plan, plan.refunded_picks) - plan.handling_fee + _shipping_refund(plan)
        gift_part = _gift_card_part(plan, refund, currency)
        document = refund - gift_part
        # A mixed return: the first units' value is store credit (a negative store-credit line on the same document).
        credited = _store_credit_part(plan)
        document -= credited
        money = {
            "refund_record": record,
            "refund_total": document,
            "store_credit_total": gift_part + credited,
            "customer_refund_total": document if record == "creditMemo" else Decimal("0.00"),
        }
    elif plan.unit_outcome == "credit":
        # Store credit nets to zero and never gets a customer refund: a credit memo, or a cash refund when the
        # store forces cash refunds [refund_mode = cash_refund].
        money = {
            "refund_record": "cashRefund" if store.refund_mode == "cash_refund" else "creditMemo",
            "refund_total": Decimal("0.00"),
            "store_credit_total": _return_total(plan) + plan.bonus,
        }

    def outcome(**fields: object) -> ExpectedOutcome:
        expected = base(ra_lines=ra_lines, **fields)  # type: ignore[arg-type]
        return replace(expected, gl=expected_gl(plan, store, expected, catalog))

    if plan.refund_shipping:
        money["shipping_refund_total"] = plan.draft.shipping
    if scenario == "refund_before_inspection_aged":
        booked = store.create_ra_and_ir_on_refund or (
            store.unbooked_refund_days is not None and plan.refund_age_days >= store.unbooked_refund_days
        )
        if booked:
            return outcome(item_receipt_quantity=units, final_loop_state="closed", final_ra_status="G", **money)
        return outcome(final_loop_state="closed", final_ra_status="B")
    if scenario == "partial_receipt_refunded":
        # The refund credits what Loop refunded (every unit, or only those received when support removed the rest
        # from the return); the RA lines still expecting goods are closed (POSTING.md).
        received = plan.lifecycle.received_quantity or 0
        return outcome(
            item_receipt_quantity=received,
            final_loop_state="closed",
            final_ra_status=_status_after_closing(plan, received),
            **money,
        )

    if scenario in _RECEIVED_MONEY or (scenario == "refund_before_inspection" and store.create_ra_and_ir_on_refund):
        return outcome(item_receipt_quantity=units, final_loop_state="closed", final_ra_status="G", **money)
    if scenario == "refund_before_inspection":
        return outcome(final_loop_state="closed", final_ra_status="B")
    if store.exchange_mode == "credit" and (scenario in _RECEIVED_EXCHANGE or scenario == "exchange_downsell"):
        return outcome(item_receipt_quantity=units, **_credit_mode_exchange(plan, store, catalog))
    if scenario in _RECEIVED_EXCHANGE:
        rate = plan.draft.lines[plan.picks[0][0]].tax_rate
        upsell = exchange_total(plan, catalog, currency, rate) - _return_total(plan) - plan.bonus
        deposit = upsell if scenario == "exchange_upsell_stripe" else Decimal("0.00")
        return outcome(
            item_receipt_quantity=units,
            deposit_total=deposit,
            fee_total=upsell_fee(store, deposit),
            final_loop_state="closed",
            final_ra_status="H",
        )
    if scenario == "exchange_instant_charged":
        # Loop charged the full cost of the new items (Stripe); the $0 exchange order leaves no invoice balance to
        # apply it to, so the payment stays unapplied on the customer. The RA is closed: nothing will arrive.
        rate = plan.draft.lines[plan.picks[0][0]].tax_rate
        charged = exchange_total(plan, catalog, currency, rate)
        return outcome(payment_total=charged, payment_applied=ZERO, final_loop_state="expired", final_ra_status="H")
    if scenario == "exchange_downsell" and plan.flavour == DOWNSELL_AS_STORE_CREDIT:
        rate = plan.draft.lines[plan.picks[0][0]].tax_rate
        difference = _return_total(plan) - exchange_total(plan, catalog, currency, rate)
        # The difference becomes store credit: a document netting to zero, never a customer refund.
        return outcome(
            item_receipt_quantity=units,
            refund_record="cashRefund" if store.refund_mode == "cash_refund" else "creditMemo",
            refund_total=Decimal("0.00"),
            store_credit_total=difference,
            final_loop_state="closed",
            final_ra_status="G",
        )
    if scenario == "exchange_downsell":
        rate = plan.draft.lines[plan.picks[0][0]].tax_rate
        difference = _return_total(plan) - exchange_total(plan, catalog, currency, rate)
        return outcome(
            item_receipt_quantity=units,
            refund_record=record,
            refund_total=difference,
            customer_refund_total=difference if record == "creditMemo" else Decimal("0.00"),
            final_loop_state="closed",
            final_ra_status="G",
        )
    if scenario == "connector_duplicate":
        return outcome(
            item_receipt_quantity=units, skipped_as_connector_duplicate=True, final_loop_state="closed", final_ra_status="F"
        )
    if scenario == "open_not_received":
        return outcome(final_loop_state="open", final_ra_status="B")
    if scenario == "partial_receipt":
        return outcome(
            item_receipt_quantity=plan.lifecycle.received_quantity or 0,
            final_loop_state="review",
            final_ra_status="E",
            loop_flagged=True,
        )
    if scenario == "flagged_in_netsuite":
        return outcome(final_loop_state="review", final_ra_status="B", loop_flagged=True)
    if scenario == "cancelled_after_ra":
        return outcome(final_loop_state="cancelled", final_ra_status="H" if store.close_ra_on_loop_cancel else "B")
    if scenario == "ra_closed_in_netsuite":
        return outcome(
            final_loop_state="cancelled" if store.cancel_loop_on_ra_close else initial_state[plan.initial], final_ra_status="H"
        )
    if scenario == "review_state":
        return outcome(final_loop_state="review", final_ra_status="B")
    raise ValueError(f"no expected outcome for scenario {scenario!r}")
