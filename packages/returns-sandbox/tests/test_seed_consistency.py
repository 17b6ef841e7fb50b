"""Every seeded return is internally consistent, and its expected outcome equals what its Loop lines add up to."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from returns_sandbox.seed.demo import build_world
from returns_sandbox.seed.world import CatalogItem, Lifecycle, Order, ReturnCase, World

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
ZERO = Decimal("0")
WORLDS = [(7, 300), (11, 300), (5, 1000)]

HALF_CENT = Decimal("0.005")


def D(value: Any) -> Decimal:
    assert isinstance(value, str), f"Loop money must be a string, got {value!r}"
    assert value == f"{Decimal(value):.2f}", f"two decimals expected: {value!r}"
    return Decimal(value)


@pytest.fixture(scope="module", params=WORLDS, ids=lambda p: f"seed{p[0]}-n{p[1]}")
def world(request: pytest.FixtureRequest) -> World:
    seed, returns = request.param
    return build_world(seed=seed, returns=returns, now=NOW)


def good(world: World) -> list[ReturnCase]:
    return [c for c in world.returns if c.expected.quarantine_rule is None]


def orders_by_name(world: World) -> dict[str, Order]:
    return {o.name: o for o in world.orders}


def matches(world: World, store: str, sku: str) -> list[CatalogItem]:
    """The active NetSuite items the store's SKU field matches (how the sync resolves a Loop SKU)."""
    field = world.store(store).sku_field
    return [i for i in world.catalog if i.in_netsuite and not i.is_inactive and getattr(i, field) == sku]


def walk(value: Any, path: str = "world") -> list[str]:
    """Paths of every float anywhere inside ``value`` (dataclasses, dicts, lists, tuples)."""
    if isinstance(value, float):
        return [path]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [p for f in dataclasses.fields(value) for p in walk(getattr(value, f.name), f"{path}.{f.name}")]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in walk(k, f"{path}[key]") + walk(v, f"{path}[{k!r}]")]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [p for i, v in enumerate(value) for p in walk(v, f"{path}[{i}]")]
    return []


class TestTypes:
    def test_no_float_anywhere_in_the_world(self, world: World) -> None:
        assert walk(world) == []

    def test_money_in_the_world_is_decimal_with_cents(self, world: World) -> None:
        for order in world.orders:
            for amount in (order.shipping, order.shipping_tax, *(t.amount for t in order.transactions)):
                assert isinstance(amount, Decimal) and amount == amount.quantize(Decimal("0.01"))
            for line in order.lines:
                for amount in (line.unit_price, line.unit_discount, line.unit_tax):
                    assert isinstance(amount, Decimal) and amount.as_tuple().exponent == -2


class TestLoopTotals:
    def test_line_sums_equal_the_return_totals(self, world: World) -> None:
        for case in world.returns:
            r, lines = case.loop_return, case.loop_return["line_items"]
            product, discount, tax = (sum((D(li[k]) for li in lines), ZERO) for k in ("price", "discount", "tax"))
            assert product == D(r["return_product_total"]), case.return_id
            assert discount == D(r["return_discount_total"])
            assert tax == D(r["return_tax_total"])
            assert D(r["return_total"]) == product - discount + tax == D(r["total"])
            for li in lines:
                assert D(li["refund"]) == D(li["refund_item"]) + D(li["refund_tax"])

    def test_the_credit_reconciles_with_refund_gift_card_exchange_and_fee(self, world: World) -> None:
        for case in world.returns:
            r = case.loop_return
            credit = D(r["return_credit_total"])
            assert credit >= D(r["return_total"])
            # Refunded shipping is paid out on top of the returned goods' credit.
            shipping = D(r["refund_shipping_total"]) + D(r["refund_shipping_tax_total"])
            assert credit + shipping == D(r["refund"]) + D(r["gift_card"]) + D(r["exchange_credit_total"]) + D(
                r["handling_fee"]
            ), case.return_id
            assert D(r["exchange_total"]) == D(r["exchange_credit_total"]) + D(r["upsell"])
            ex = r["exchanges"]
            assert D(r["exchange_product_total"]) == sum((D(e["price"]) for e in ex), ZERO)
            assert D(r["exchange_discount_total"]) == sum((D(e["discount"]) for e in ex), ZERO)
            assert D(r["exchange_tax_total"]) == sum((D(e["tax"]) for e in ex), ZERO)
            assert D(r["exchange_total"]) == sum((D(e["total"]) for e in ex), ZERO)

    def test_refunds_split_the_refund_by_gateway(self, world: World) -> None:
        for case in world.returns:
            r = case.loop_return
            assert sum((D(p["amount"]) for p in r["refunds"]), ZERO) == D(r["refund"])
            assert all(p["currency"] == r["currency"] and D(p["amount"]) > ZERO for p in r["refunds"])

    def test_outcome_amounts(self, world: World) -> None:
        for case in world.returns:
            r = case.loop_return
            lines = r["line_items"]
            outcomes = {li["outcome"] for li in lines}
            if outcomes == {"refund", "credit"}:
                # A mixed return: the credit lines' value is the store credit, the refund lines' go to the card.
                credit = sum((D(li["refund"]) for li in lines if li["outcome"] == "credit"), ZERO)
                assert D(r["gift_card"]) == credit > ZERO
                assert D(r["refund"]) + credit == D(r["return_total"]) - D(r["handling_fee"])
                continue
            if outcomes == {"exchange", "refund"}:
                # Loop's "exchange+refund": the exchanged units' value pays the exchange, the refunded units' goes back.
                exchanged = [li for li in lines if li["outcome"] == "exchange"]
                refunded = sum((D(li["refund"]) for li in lines if li["outcome"] == "refund"), ZERO)
                assert r["outcome"] == "exchange+refund" and len(r["exchanges"]) == len(exchanged)
                assert all(D(li["refund"]) == ZERO and li["exchange_variant"] for li in exchanged)
                assert D(r["exchange_credit_total"]) == D(r["exchange_total"]) and D(r["upsell"]) == ZERO
                assert D(r["refund"]) == refunded == D(r["return_total"]) - D(r["exchange_credit_total"]) > ZERO
                continue
            assert len(outcomes) == 1
            if outcomes == {"refund"}:
                assert r["outcome"] == "refund"
                shipping = D(r["refund_shipping_total"]) + D(r["refund_shipping_tax_total"])
                assert D(r["refund"]) == D(r["return_total"]) - D(r["handling_fee"]) + shipping
                assert sum((D(li["refund"]) for li in lines), ZERO) == D(r["return_total"])
            elif outcomes == {"credit"}:
                assert r["outcome"] == "credit" and D(r["refund"]) == ZERO
                assert D(r["gift_card"]) == D(r["return_credit_total"])
            else:
                assert r["outcome"] in ("exchange", "upsell") and len(r["exchanges"]) == len(lines)
                assert all(D(li["refund"]) == ZERO and li["exchange_variant"] for li in lines)
                assert (r["outcome"] == "upsell") == (D(r["upsell"]) > ZERO)


class TestExpectedAgainstLoop:
    def test_ra_lines_group_the_loop_units_by_sku(self, world: World) -> None:
        for case in good(world):
            e, r = case.expected, case.loop_return
            if not e.ra_lines:
                assert e.scenario == "cancelled_before_sync"
                continue
            zero_value = world.store(case.store).exchange_mode == "zero_value"
            # One RA line per SKU, and per exchanged/kept-value part in a part-exchange return.
            by_sku: dict[tuple[str, bool], list[dict[str, Any]]] = defaultdict(list)
            for li in r["line_items"]:
                by_sku[(li["sku"], li["outcome"] == "exchange" and zero_value)].append(li)
            assert {ln.sku for ln in e.ra_lines} == {sku for sku, _ in by_sku}, case.return_id
            # In credit mode exchanged units keep their value on the RA (the credit memo pays the exchange order).
            exchange = r["line_items"][0]["outcome"] == "exchange" and zero_value
            for line in e.ra_lines:
                units = by_sku[(line.sku, zero_value and line.rate == ZERO)]
                assert line.quantity == len(units)
                if units[0]["outcome"] == "exchange" and zero_value:
                    assert line.rate == ZERO and line.tax == ZERO
                else:
                    assert all(line.rate == D(u["price"]) - D(u["discount"]) for u in units)
                    # NetSuite rounds the line's tax once; Loop (Shopify) rounded each unit: at most half a cent per unit apart.
                    assert abs(line.tax - sum((D(u["tax"]) for u in units), ZERO)) <= HALF_CENT * len(units)
                [item] = matches(world, case.store, line.sku)
                assert item.ns_id == line.ns_item_id
            if not exchange:
                valued = [u for u in r["line_items"] if not (u["outcome"] == "exchange" and zero_value)]
                loop_tax = sum((D(u["tax"]) for u in valued), ZERO)
                paid = sum((D(u["price"]) - D(u["discount"]) + D(u["tax"]) for u in valued), ZERO)
                assert sum((ln.rate * ln.quantity for ln in e.ra_lines), ZERO) + loop_tax == paid

    def test_documents_equal_what_loop_moved(self, world: World) -> None:
        for case in good(world):
            e, r = case.expected, case.loop_return
            store = world.store(case.store)
            gift_part = sum((D(p["amount"]) for p in r["refunds"] if p["gateway"] == "gift_card"), ZERO)
            if e.refund_record is None:
                assert e.refund_total == e.customer_refund_total == e.store_credit_total == ZERO
                continue
            if store.exchange_mode == "credit" and r["line_items"][0]["outcome"] != "refund" and r["exchanges"]:
                # The memo credits the returned value plus any Loop bonus spent on the exchange: Loop's refund goes back
                # to the card, the rest pays the exchange.
                credited = D(r["refund"]) + D(r["exchange_credit_total"])
                assert e.refund_record == "creditMemo" and e.refund_total == credited, case.return_id
                bonus = D(r["return_credit_total"]) - D(r["return_total"])
                assert credited - D(r["return_total"]) == (bonus if case.expected.scenario == "exchange_bonus" else ZERO)
                assert e.customer_refund_total == D(r["refund"])
                assert e.exchange_invoice_applied == D(r["exchange_credit_total"])
                continue
            forced = {"cash_refund": "cashRefund", "credit_memo": "creditMemo"}.get(store.refund_mode)
            if D(r["gift_card"]) > ZERO and D(r["refund"]) > ZERO:
                # Mixed refund and store credit: one document, the card part its total, the store credit a line on it.
                assert e.refund_record == (forced or ("cashRefund" if store.billing == "cash_sale" else "creditMemo"))
                assert e.refund_total == D(r["refund"]) - gift_part, case.return_id
                assert e.store_credit_total == D(r["gift_card"]) + gift_part
                assert e.customer_refund_total == (e.refund_total if e.refund_record == "creditMemo" else ZERO)
                continue
            if D(r["gift_card"]) > ZERO:
                assert e.refund_record == (forced if forced == "cashRefund" else "creditMemo")
                assert e.refund_total == ZERO and e.customer_refund_total == ZERO
                assert e.store_credit_total == D(r["gift_card"])
                continue
            assert e.refund_record == (forced or ("cashRefund" if store.billing == "cash_sale" else "creditMemo"))
            if case.lifecycle.remove_unreceived_after_review:
                # Support removes the units that never arrived; Loop then refunds the received ones (the first).
                received = case.lifecycle.received_quantity or 0
                assert e.refund_total == sum((D(li["refund"]) for li in r["line_items"][:received]), ZERO) > ZERO
                continue
            assert e.refund_total == D(r["refund"]) - gift_part, case.return_id
            assert e.store_credit_total == gift_part
            assert e.customer_refund_total == (e.refund_total if e.refund_record == "creditMemo" else ZERO)

    def test_deposits_are_the_upsell_paid_outside_shopify(self, world: World) -> None:
        for case in good(world):
            upsell = D(case.loop_return["upsell"])
            if case.expected.scenario == "exchange_upsell_stripe":
                assert case.expected.deposit_total == upsell > ZERO
            else:
                assert case.expected.deposit_total == ZERO

    def test_receipts_and_end_states(self, world: World) -> None:
        for case in good(world):
            e, units = case.expected, len(case.loop_return["line_items"])
            assert 0 <= e.item_receipt_quantity <= units
            if e.scenario == "partial_receipt_refunded":
                # Loop refunded everything; the units that never came back are credited apart and their RA lines closed.
                assert 0 < e.item_receipt_quantity == case.lifecycle.received_quantity < units
                assert e.final_ra_status in ("G", "H") and e.final_loop_state == "closed" and not e.loop_flagged
            elif e.final_ra_status in ("G", "F") or (e.final_ra_status == "H" and e.item_receipt_quantity):
                assert e.item_receipt_quantity == units
            if e.scenario == "partial_receipt":
                assert 0 < e.item_receipt_quantity == case.lifecycle.received_quantity < units
                assert e.final_ra_status == "E" and e.loop_flagged
            if e.skipped_as_connector_duplicate:
                assert e.refund_record is None and e.final_ra_status == "F"

    def test_bad_returns_expect_nothing_and_keep_their_loop_state(self, world: World) -> None:
        for case in world.returns:
            e = case.expected
            if e.quarantine_rule is None:
                continue
            assert e.ra_lines == () and e.final_ra_status is None and e.item_receipt_quantity == 0
            assert e.refund_record is None and e.final_loop_state == case.loop_return["state"]


class TestWorkedExample:
    """POSTING.md: #1001, 2 × Shirt at 50.00, 10 % discount, 8 % tax; one shirt back -> 45.00 + 3.60 = 48.60."""

    def test_one_shirt_back(self) -> None:
        from returns_sandbox.seed.catalog import build_catalog
        from returns_sandbox.seed.expected import expected_outcome
        from returns_sandbox.seed.loop_json import render_return
        from returns_sandbox.seed.orders import IdAllocator, LineSpec, OrderDraft, build_customers, percent_discount, price_lines
        from returns_sandbox.seed.scenarios import ExchangePick, ReturnPlan
        from returns_sandbox.seed.stores import NORTH

        catalog, ids, rng = build_catalog(), IdAllocator(), random.Random(0)
        shirt = catalog.by_sku["SHIRT-BLU-M"]
        specs = [LineSpec(shirt.sku, shirt.display_name, 2, shirt.price, shirt.ns_id)]
        lines = price_lines(specs, percent_discount(specs, Decimal("0.10"), "USD", "WELCOME10"), Decimal("0.08"), "USD", [1])
        assert (lines[0].unit_price, lines[0].unit_discount, lines[0].unit_tax) == (
            Decimal("50.00"),
            Decimal("5.00"),
            Decimal("3.60"),
        )
        customer = build_customers(rng, "north", 1, ids)[0]
        draft = OrderDraft(
            store="north",
            created_at=datetime(2025, 5, 1, tzinfo=UTC),
            customer=customer,
            specs=specs,
            number=1001,
            shopify_id=5001,
            lines=lines,
            shipping=Decimal("5.00"),
        )
        cases = {
            "refund_full": ReturnPlan("refund_full", "north", draft, [(0, 1)], "refund"),
            "refund_handling_fee": ReturnPlan(
                "refund_handling_fee", "north", draft, [(0, 1)], "refund", handling_fee=Decimal("5.00")
            ),
            "store_credit_bonus": ReturnPlan("store_credit_bonus", "north", draft, [(0, 1)], "credit", bonus=Decimal("5.00")),
            # Both shirts back: one exchanged for size L, the other refunded (Loop's "exchange+refund").
            "exchange_plus_refund": ReturnPlan(
                "exchange_plus_refund",
                "north",
                draft,
                [(0, 2)],
                "refund",
                exchanges=[ExchangePick("SHIRT-BLU-L", "variant")],
                exchange_units=1,
                lifecycle=Lifecycle(warehouse="netsuite"),
            ),
        }
        results = {}
        for name, plan in cases.items():
            rendered = render_return(
                plan, return_id=1, created_at=datetime(2025, 6, 2, 9, tzinfo=UTC), now=NOW, rng=rng, ids=ids, catalog=catalog
            )
            results[name] = (rendered.loop_return, expected_outcome(plan, "1", NORTH, catalog))

        loop, expected = results["refund_full"]
        [line] = expected.ra_lines
        assert (line.quantity, line.rate, line.tax) == (1, Decimal("45.00"), Decimal("3.60"))
        assert (loop["return_total"], loop["refund"], loop["line_items"][0]["refund"]) == ("48.60", "48.60", "48.60")
        assert (expected.refund_record, expected.refund_total) == ("cashRefund", Decimal("48.60"))

        loop, expected = results["refund_handling_fee"]
        assert (loop["refund"], loop["handling_fee"], expected.refund_total) == ("43.60", "5.00", Decimal("43.60"))

        loop, expected = results["store_credit_bonus"]
        assert (loop["return_credit_total"], loop["gift_card"], loop["refund"]) == ("53.60", "53.60", "0.00")
        assert (expected.refund_record, expected.refund_total, expected.store_credit_total) == (
            "creditMemo",
            ZERO,
            Decimal("53.60"),
        )

        # POSTING.md: the exchanged shirt on the RA at rate 0, the refunded one at 45.00 + 3.60; the cash refund credits
        # the refunded shirt only; both shirts are received at cost 20.00.
        loop, expected = results["exchange_plus_refund"]
        assert loop["outcome"] == "exchange+refund"
        assert [li["outcome"] for li in loop["line_items"]] == ["exchange", "refund"]
        assert (loop["return_total"], loop["exchange_credit_total"], loop["refund"]) == ("97.20", "48.60", "48.60")
        assert sorted((ln.quantity, ln.rate, ln.tax) for ln in expected.ra_lines) == [
            (1, Decimal("0.00"), Decimal("0.00")),
            (1, Decimal("45.00"), Decimal("3.60")),
        ]
        assert (expected.refund_record, expected.refund_total, expected.item_receipt_quantity) == (
            "cashRefund",
            Decimal("48.60"),
            2,
        )
        assert expected.gl == (
            ("cr", "sales_returns", Decimal("45.00")),
            ("cr", "tax_payable", Decimal("3.60")),
            ("cr", "undeposited_funds", Decimal("-48.60")),
            ("ir", "cogs", Decimal("-40.00")),
            ("ir", "inventory", Decimal("40.00")),
        )


class TestOrders:
    def test_order_money_adds_up(self, world: World) -> None:
        for order in world.orders:
            rate = order.lines[0].tax_rate
            for line in order.lines:
                assert Decimal("0") <= line.unit_discount <= line.unit_price
                if order.exchange_for_return is None:
                    assert line.unit_tax == (line.unit_paid * rate).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
            sales = sum((t.amount for t in order.transactions if t.kind == "SALE"), ZERO)
            if order.exchange_for_return is None or sales:
                assert sales == order.total, order.name
            refunds = sum((t.amount for t in order.transactions if t.kind == "REFUND"), ZERO)
            assert refunds <= sales

    def test_discount_codes_allocate_exactly(self, world: World) -> None:
        discounted = [o for o in world.orders if o.note and o.note.startswith("Discount code SAVE")]
        assert discounted
        for order in discounted:
            amount = Decimal(order.note.removeprefix("Discount code SAVE"))
            assert sum((ln.unit_discount * ln.quantity for ln in order.lines), ZERO) == amount, order.name

    def test_each_stores_tax(self, world: World) -> None:
        rates = {(o.store, ln.tax_rate) for o in world.orders for ln in o.lines}
        assert rates == {
            ("north", Decimal("0.08")),
            ("south", Decimal("0.13")),
            ("east", Decimal("0.07")),
            ("west", Decimal("0.06")),
        }

    def test_gift_card_orders_are_split(self, world: World) -> None:
        orders = orders_by_name(world)
        for case in world.returns:
            if case.expected.scenario == "refund_gift_card_split":
                gateways = {t.gateway for t in orders[case.loop_return["order_name"]].transactions if t.kind == "SALE"}
                assert gateways == {"gift_card", "shopify_payments"}
                assert {p["gateway"] for p in case.loop_return["refunds"]} == {"gift_card", "shopify_payments"}


class TestQuantities:
    def test_good_returns_never_exceed_the_ordered_quantity_and_bad_ones_do(self, world: World) -> None:
        orders = orders_by_name(world)
        taken: dict[tuple[str, str], int] = Counter()
        bad_lines: list[tuple[str, str]] = []
        for case in world.returns:
            for li in case.loop_return["line_items"]:
                key = (case.loop_return["order_name"], li["provider_line_item_id"])
                taken[key] += 1
            if case.expected.quarantine_rule == "quantity_exceeds_returnable":
                bad_lines.append((case.loop_return["order_name"], case.loop_return["line_items"][0]["provider_line_item_id"]))
        ordered = {(o.name, str(ln.shopify_line_id)): ln.quantity for o in orders.values() for ln in o.lines}
        for key, units in taken.items():
            if key in bad_lines:
                assert units > ordered[key]
            else:
                assert units <= ordered[key], key
        assert bad_lines

    def test_multi_returns_share_an_order_and_both_stay_valid(self, world: World) -> None:
        multi = Counter(c.loop_return["order_name"] for c in world.returns if c.expected.scenario == "multi_return")
        assert multi and set(multi.values()) == {2}


class TestBadData:
    def test_each_rule_is_the_only_thing_wrong(self, world: World) -> None:
        orders = orders_by_name(world)
        for case in world.returns:
            r, rule = case.loop_return, case.expected.quarantine_rule
            order = orders[r["order_name"]]
            counts = [len(matches(world, case.store, li["sku"])) for li in r["line_items"]]
            assert (0 in counts) == (rule == "sku_unknown"), case.return_id
            assert any(n > 1 for n in counts) == (rule == "sku_ambiguous"), case.return_id
            assert (order.ns_so_id is None) == (rule == "order_not_in_netsuite")
            assert (r["currency"] != order.currency) == (rule == "currency_mismatch")
            assert order.ns_currency in (None, order.currency)


class TestLifecycleAndInitialState:
    def test_initial_states_follow_the_lifecycle(self, world: World) -> None:
        for case in world.returns:
            r, life = case.loop_return, case.lifecycle
            processed = r["outcomes_processed_at"]
            if life.warehouse == "netsuite":
                assert r["state"] == "open"
            if r["state"] == "closed" and not r["refund_before_inspection"]:
                assert r["was_processed"] and processed["return_processed"] and life.warehouse == "loop"
                assert all(
                    li["returned_at"] and li["disposition"]["disposition_outcome"] in ("restock", "dispose")
                    for li in r["line_items"]
                )
            if r["refund_before_inspection"]:
                assert r["state"] == "closed" and not r["was_processed"] and processed["refund_processed"]
                assert all(li["returned_at"] is None for li in r["line_items"]) and life.warehouse is None
            if r["state"] == "open":
                assert not r["was_processed"] and all(li["returned_at"] is None for li in r["line_items"])
                assert processed["refund_processed"] is None and processed["gift_card_processed"] is None

    def test_scenario_states(self, world: World) -> None:
        for case in world.returns:
            scenario, state, life = case.expected.scenario, case.loop_return["state"], case.lifecycle
            if scenario == "cancelled_before_sync":
                assert state == "cancelled"
            if scenario == "review_state":
                assert state == "review"
            if scenario == "connector_duplicate":
                assert state == "closed" and life.shopify_connector_posts_refund
            if scenario in (
                "open_not_received",
                "flagged_in_netsuite",
                "cancelled_after_ra",
                "ra_closed_in_netsuite",
                "partial_receipt",
            ):
                assert state == "open"
            assert life.cancel_in_loop == (scenario == "cancelled_after_ra")
            assert life.close_ra_in_netsuite == (scenario == "ra_closed_in_netsuite")
            assert life.flag_in_netsuite == (scenario == "flagged_in_netsuite")

    def test_processed_refunds_carry_shopify_refund_ids(self, world: World) -> None:
        orders = orders_by_name(world)
        for case in world.returns:
            r = case.loop_return
            done = r["outcomes_processed_at"]["refund_processed"] is not None
            ids = {p["provider_refund_id"] for p in r["refunds"]}
            if not done:
                assert ids <= {None}
            elif r["refunds"]:
                [refund_id] = ids  # one Shopify refund, split over its gateways
                assert refund_id is not None and refund_id.isdigit()
            if done and D(r["refund"]) > ZERO:
                order = orders[r["order_name"]]
                shopify_refunds = sum((t.amount for t in order.transactions if t.kind == "REFUND"), ZERO)
                assert shopify_refunds >= D(r["refund"]) > ZERO


class TestExchangeOrders:
    def test_every_exchange_has_its_ex_order(self, world: World) -> None:
        in_world = {o.shopify_id: o for o in world.orders}
        for case in world.returns:
            r = case.loop_return
            if not r["exchanges"]:
                assert case.exchange_order is None
                continue
            ex = case.exchange_order
            assert ex is not None and ex.exchange_for_return == case.return_id
            assert sum((ln.quantity for ln in ex.lines), 0) == len(r["exchanges"])
            assert ex.total == D(r["upsell"])
            instant = case.expected.scenario in ("exchange_instant", "exchange_instant_charged")
            assert (ex.shopify_id in in_world) == instant
            if instant:
                assert ex.ns_so_id is not None and r["outcomes_processed_at"]["exchange_processed"]
                assert {e["exchange_order_id"] for e in r["exchanges"]} == {str(ex.shopify_id)}
                assert {e["exchange_order_name"] for e in r["exchanges"]} == {ex.name}
            else:
                assert {e["exchange_order_id"] for e in r["exchanges"]} == {None} and ex.ns_so_id is None

    def test_upsell_payment_channel(self, world: World) -> None:
        for case in world.returns:
            ex = case.exchange_order
            if case.expected.scenario in ("exchange_upsell_shopify", "exchange_bonus"):
                assert [(t.kind, t.gateway, t.amount) for t in ex.transactions] == [
                    ("SALE", "shopify_payments", D(case.loop_return["upsell"]))
                ]
            elif ex is not None:
                assert ex.transactions == ()

    def test_variant_exchanges_stay_within_the_product(self, world: World) -> None:
        for case in world.returns:
            if case.expected.scenario in ("exchange_variant", "exchange_same", "exchange_instant"):
                for li, ex in zip(case.loop_return["line_items"], case.loop_return["exchanges"]):
                    assert li["sku"].split("-")[0] == ex["sku"].split("-")[0] and ex["type"] == "variant"
                    if case.expected.scenario == "exchange_same":
                        assert ex["sku"] == li["sku"]

    def test_exchange_plus_refund_reaches_north_and_south(self, world: World) -> None:
        stores = Counter(c.store for c in world.returns if c.expected.scenario == "exchange_plus_refund")
        assert set(stores) == {"north", "south"} and all(n >= 2 for n in stores.values()), stores
        for case in world.returns:
            if case.expected.scenario == "exchange_plus_refund":
                # The exchange order carries only the exchanged units, at no charge.
                exchanged = sum(1 for li in case.loop_return["line_items"] if li["outcome"] == "exchange")
                assert case.exchange_order is not None
                assert sum(line.quantity for line in case.exchange_order.lines) == exchanged
