"""Posting rules (POSTING.md): plan the RA and the money records a Loop return becomes, and the whole plan.

Item receipts are planned in ``lines.py`` (they follow the RA lines unit by unit).

The money document of a return balances by construction. Its lines are the RA lines (exchange
lines at 0.00 in ``zero_value`` mode, so crediting them refunds the RA in full), the refunded
shipping, the handling fee (negative), then whatever explains the difference between what the
returned items are worth and what Loop paid out (``excess``):

- with exchanged units in ``zero_value`` mode it is the advanced-exchange price difference
  (price-adjustment line, e.g. +10.00 on a downsell; negative when refund credit went into the exchange);
- in ``credit`` exchange mode the exchanged lines are on the credit memo at their paid value and the
  excess is simply less credit applied to the exchange order, plus a bonus line for Loop's exchange bonus spent on it;
- otherwise, with store credit, a positive excess is Loop's bonus (bonus line);
- anything else is an unexplained ``adjustment`` line: it fails the reconciliation check, and the refund suite
  quarantines the return (rule ``unexplained_difference``), so such a line is never posted.

Then the store credit (``-gift_card``) and the part refunded to a gift card (``-`` that part) as
negative lines, so the document total is exactly what goes back to the card.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from returns_sync.domain.deposits import plan_deposit
from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.lines import ReturnLineGroup, group_return_lines, line_amount, plan_item_receipts
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.money import ZERO, quantize
from returns_sync.domain.netsuite import LineKind, RecordRole, RecordType, SalesOrderSnapshot
from returns_sync.domain.outcomes import Payout, classify_outcome, exchange_bonus_spent, payout
from returns_sync.domain.plan import (
    ExchangeOrderMissingError,
    MissingSettingError,
    PlannedLine,
    PlannedRecord,
    PlanningError,
    PostingPlan,
    PostingSettings,
    UnreceivedUnits,
    gl_preview,
    return_memo,
)
from returns_sync.domain.reconciliation import plan_totals, reconcile
from returns_sync.domain.refunded_units import credit_what_loop_refunded
from returns_sync.domain.tax import LineTax, netsuite_line_tax, price_difference_tax, shipping_line_tax, tax_problems
from returns_sync.domain.unreceived import split_unreceived

__all__ = [
    "plan_deposit",
    "plan_posting",
    "plan_refund",
    "plan_return_authorization",
    "shipping_left_out",
]


def plan_return_authorization(
    loop_return: LoopReturn,
    so: SalesOrderSnapshot,
    groups: list[ReturnLineGroup],
    settings: PostingSettings,
    *,
    strict: bool = True,
) -> PlannedRecord:
    """The RA: ``!transform`` of the SO with one line per group (LIFECYCLE.md sync 1).

    Money lines carry the paid unit rate and Loop's tax for the units; exchanged lines carry rate
    0.00 and no tax in ``zero_value`` exchange mode (their paid value stays in ``paid_amount``).

    Args:
        strict: refuse any group problem (SKU, SO line, quantity above returnable) and a currency
            mismatch; with False only problems that make a line impossible (no unique item) refuse.

    Raises:
        PlanningError: with the problems in words.
    """
    currency = so.currency
    problems: list[str] = []
    if not groups:
        problems.append(f"Loop return {loop_return.id} has no returned lines")
    for group in groups:
        if strict or group.blocking:
            problems += group.problems
    if strict and loop_return.currency.upper() != currency.upper():
        problems.append(f"Loop return is in {loop_return.currency} but sales order {so.tranid} is in {currency}")
    problems += _split_order_lines(groups, so)
    if problems:
        raise PlanningError(f"Loop return {loop_return.id} cannot get a return authorization: {'; '.join(problems)}", problems)

    zero_value = settings.exchange_mode == "zero_value"
    lines = []
    for group in groups:
        carries_value = not (group.is_exchange and zero_value)
        rate = group.unit_rate if carries_value else quantize(ZERO, currency)
        assert group.item_id is not None  # blocking groups refused above
        amount = line_amount(rate, group.quantity, currency)
        # NetSuite computes the line's tax from the SO line's code; Loop's figure may differ by rounding.
        netsuite_tax = netsuite_line_tax(amount, group.tax_rate, currency)
        loop_tax = group.tax if carries_value else quantize(ZERO, currency)
        lines.append(
            PlannedLine(
                kind=LineKind.EXCHANGE if group.is_exchange else LineKind.ITEM,
                item_id=group.item_id,
                sku=group.sku,
                quantity=group.quantity,
                rate=rate,
                amount=amount,
                tax_amount=netsuite_tax,
                tax_difference=loop_tax - netsuite_tax,
                tax_code=group.tax_code,
                order_line=group.order_line,
                description=group.title or group.sku or "",
                loop_line_item_ids=group.loop_line_item_ids,
                location_id=settings.main_location_id or group.location_id or so.location_id,
                paid_amount=group.amount,
                paid_tax=group.tax,
            )
        )
    return PlannedRecord(
        role=RecordRole.RA,
        record_type=RecordType.RETURN_AUTHORIZATION,
        external_id=ExternalId(settings.store, loop_return.id, RecordRole.RA),
        source=(RecordType.SALES_ORDER, so.id),
        memo=return_memo(loop_return, so, with_exchange=True),
        custom_fields={settings.ra_loop_id_field: loop_return.id},
        customer_id=so.customer_id,
        location_id=settings.main_location_id or so.location_id,
        lines=lines,
        total=quantize(sum((line.total for line in lines), ZERO), currency),
    )


def _split_order_lines(groups: list[ReturnLineGroup], so: SalesOrderSnapshot) -> list[str]:
    """Sales-order lines whose units the return splits between an exchange and money (refund or credit).

    The RA is a transform of the SO, and the transform matches request lines to SO lines by ``orderLine``: two request
    lines for one SO line (one at rate 0 for the exchanged units, one at the paid rate) would become one line, and the
    RA would no longer be what the plan says. No source says how NetSuite takes that, so the return is held before
    anything is posted rather than half-posted.
    """
    kinds: dict[int, set[bool]] = {}
    for group in groups:
        if group.order_line is not None:
            kinds.setdefault(group.order_line, set()).add(group.is_exchange)
    return [
        f"sales order {so.tranid} line {line}: the return exchanges some of its units and refunds or credits others; "
        "one return authorization line cannot carry both (split the return in Loop, or enter the RA by hand)"
        for line, seen in sorted(kinds.items())
        if len(seen) > 1
    ]


def _special_line(
    kind: LineKind,
    settings: PostingSettings,
    amount: Decimal,
    why: str,
    description: str,
    tax: LineTax | None = None,
) -> PlannedLine:
    """A one-unit line on a special item; ``amount`` is already in the currency's exponent; untaxed without ``tax``."""
    return PlannedLine(
        kind=kind,
        item_id=settings.item_for(kind, why),
        quantity=1,
        rate=amount,
        amount=amount,
        tax_amount=tax.netsuite if tax is not None else ZERO.quantize(amount),
        tax_code=tax.code if tax is not None else None,
        tax_difference=tax.loop - tax.netsuite if tax is not None else ZERO,
        description=description,
    )


def _document_type(so: SalesOrderSnapshot, settings: PostingSettings, paid: Payout, credit_exchange: bool) -> RecordRole:
    if credit_exchange:
        return RecordRole.CM
    if settings.refund_mode == "cash_refund":
        return RecordRole.CR
    if settings.refund_mode == "credit_memo" or paid.card <= ZERO:
        # Store credit (nothing back to a card) stays an open credit: a credit memo, never a customer refund.
        return RecordRole.CM
    return RecordRole.CR if so.billing == "cash_sale" else RecordRole.CM


def _refund_document(
    loop_return: LoopReturn,
    ra_lines: list[PlannedLine],
    so: SalesOrderSnapshot,
    settings: PostingSettings,
    paid: Payout,
    exchange_so_id: int | None,
) -> PlannedRecord | None:
    cur = so.currency
    zero_value = settings.exchange_mode == "zero_value"
    money = [line for line in ra_lines if line.kind is LineKind.ITEM]
    exchanged = [line for line in ra_lines if line.kind is LineKind.EXCHANGE]
    credit_exchange = bool(exchanged) and not zero_value

    # Without a shipping item the shipping refund stays off the document (plan_refund took it out of ``paid``).
    shipped = settings.shipping_item_id is not None
    shipping = quantize(loop_return.refund_shipping_total if shipped else ZERO, cur)
    shipping_tax = quantize(loop_return.refund_shipping_tax_total if shipped else ZERO, cur)
    if not (money or credit_exchange or paid.total > ZERO or shipping or shipping_tax):
        return None  # a plain exchange: nothing to credit, the RA gets closed instead

    lines = [line.model_copy(update={"ra_index": index}) for index, line in enumerate(ra_lines)]

    def add(kind: LineKind, amount: Decimal, why: str, description: str, tax: LineTax | None = None) -> None:
        lines.append(_special_line(kind, settings, amount, why, description, tax))

    if shipping or shipping_tax:
        taxed = shipping_line_tax(so, settings.shipping_item_id, shipping, shipping_tax)
        add(LineKind.SHIPPING, shipping, f"a shipping refund of {shipping}", "Shipping refund", taxed)
    fee = quantize(loop_return.handling_fee, cur)
    if fee > ZERO:
        add(LineKind.HANDLING_FEE, -fee, f"a handling fee of {fee}", "Loop handling fee")

    # What the returned goods are worth in Loop's figures (paid price and Loop's tax), less the fee.
    value = sum((line.total + line.tax_difference for line in money), ZERO) + shipping + shipping_tax - max(fee, ZERO)
    excess = paid.total - value
    if exchanged and zero_value:
        if excess:
            net, difference_tax = price_difference_tax(so, exchanged[0].order_line, excess)
            why = f"an exchange price difference of {excess}"
            add(LineKind.PRICE_ADJUSTMENT, net, why, "Exchange price difference", difference_tax)
    elif credit_exchange:
        # The exchanged lines' credit not paid out is applied to the exchange order; a Loop bonus spent on it is a
        # bonus line (Dr Return Incentive Expense) so the memo pays all Loop credited the exchange (POSTING.md).
        bonus = exchange_bonus_spent(loop_return, paid, value)
        if bonus > ZERO:
            add(LineKind.BONUS, bonus, f"a Loop exchange bonus of {bonus}", "Loop exchange bonus")
    elif excess > ZERO and paid.store_credit > ZERO:
        add(LineKind.BONUS, excess, f"a Loop credit bonus of {excess}", "Loop store-credit bonus")
    elif excess:
        add(LineKind.ADJUSTMENT, excess, f"a difference of {excess} to Loop's payout", "Difference to Loop's payout")
    # One line takes what Loop's per-unit tax and NetSuite's per-line tax differ by, in the same request.
    rounding = sum((line.tax_difference for line in lines), ZERO)
    if rounding:
        add(LineKind.TAX_ROUNDING, rounding, f"a tax rounding difference of {rounding}", "Tax rounding (Loop vs NetSuite)")
    if paid.store_credit:
        add(LineKind.STORE_CREDIT, -paid.store_credit, f"store credit of {paid.store_credit}", "Store credit (Loop gift card)")
    if paid.gift_card_refund:
        refunded = paid.gift_card_refund
        add(LineKind.GIFT_CARD_PAYMENT, -refunded, f"a gift-card refund of {refunded}", "Refund to gift card")

    role = _document_type(so, settings, paid, credit_exchange)
    return PlannedRecord(
        role=role,
        record_type=RecordType.CASH_REFUND if role is RecordRole.CR else RecordType.CREDIT_MEMO,
        external_id=ExternalId(settings.store, loop_return.id, role),
        source=(RecordType.RETURN_AUTHORIZATION, None),
        memo=return_memo(loop_return, so),
        customer_id=so.customer_id,
        apply_to_sales_order_id=exchange_so_id if credit_exchange else None,
        lines=lines,
        total=quantize(sum((line.total for line in lines), ZERO), cur),
    )


def shipping_left_out(loop_return: LoopReturn, settings: PostingSettings, currency: str) -> Decimal:
    """Loop's shipping refund (tax included) the document leaves out because StoreSettings.shipping_item is empty."""
    if settings.shipping_item_id is not None:
        return quantize(ZERO, currency)
    return quantize(loop_return.refund_shipping_total + loop_return.refund_shipping_tax_total, currency)


def plan_refund(
    loop_return: LoopReturn,
    ra_lines: list[PlannedLine],
    so: SalesOrderSnapshot,
    settings: PostingSettings,
    *,
    upsell_paid_in_shopify: bool,
    exchange_so_id: int | None,
) -> list[PlannedRecord]:
    """The money records of a return, in posting order (POSTING.md, LIFECYCLE.md sync 4).

    - the refund document (``-cr`` Cash Refund or ``-cm`` Credit Memo, see the module docstring), when
      any money moves or the RA has money lines; a credit memo refunding a card also gets a ``-cref``
      Customer Refund for the card part;
    - a ``-dep`` Customer Deposit for ``upsell`` unless the exchange order's Shopify payment covered it, with a
      ``-fee`` Journal Entry for the processor's fee on it when the store sets one;
    - without a refund document (exchanges in ``zero_value`` mode), ``close_ra`` for every RA line.

    Args:
        ra_lines: the lines of the RA as planned (``PlannedRecord.lines`` of the ``ra`` record).
        upsell_paid_in_shopify: the exchange order has a successful Shopify payment covering ``upsell``.
        exchange_so_id: NetSuite SO of the exchange order (credit-mode application and deposits).

    Raises:
        MissingSettingError: a special item the document needs is not configured.
        ExchangeOrderMissingError: an upsell deposit is due but ``exchange_so_id`` is None.
    """
    paid = payout(loop_return, so.currency)
    left_out = shipping_left_out(loop_return, settings, so.currency)
    if left_out:
        # Loop's refund includes the shipping; what NetSuite gets back to the card is the rest (reported, never posted).
        paid = paid.model_copy(update={"card": paid.card - min(left_out, paid.card)})
    records: list[PlannedRecord] = []
    document = _refund_document(loop_return, ra_lines, so, settings, paid, exchange_so_id)
    if document is not None:
        records.append(document)
        if document.role is RecordRole.CM and paid.card > ZERO:
            records.append(
                PlannedRecord(
                    role=RecordRole.CREF,
                    record_type=RecordType.CUSTOMER_REFUND,
                    external_id=ExternalId(settings.store, loop_return.id, RecordRole.CREF),
                    source=(RecordType.CREDIT_MEMO, None),
                    memo=document.memo,
                    customer_id=so.customer_id,
                    total=paid.card,
                )
            )
    if loop_return.upsell > ZERO and not upsell_paid_in_shopify:
        records += plan_deposit(loop_return, so, settings, exchange_so_id=exchange_so_id)
    if document is None and ra_lines:
        records.append(
            PlannedRecord(
                role=RecordRole.CLOSE_RA,
                record_type=RecordType.RETURN_AUTHORIZATION,
                external_id=ExternalId(settings.store, loop_return.id, RecordRole.RA),
                source=(RecordType.RETURN_AUTHORIZATION, None),
                # The close is a PATCH of the RA: it also brings the memo up to date with the exchange order.
                memo=return_memo(loop_return, so, with_exchange=True),
                lines=[line.model_copy(update={"ra_index": index}) for index, line in enumerate(ra_lines)],
                total=quantize(ZERO, so.currency),
            )
        )
    return records


def _group_checks(
    loop_return: LoopReturn, so: SalesOrderSnapshot, groups: list[ReturnLineGroup]
) -> tuple[dict[str, bool], list[str]]:
    """POSTING.md's checks that need no plan: SKU -> one item, lines on the SO, quantities, currency, signs."""
    problems = [problem for group in groups for problem in group.problems]
    currency_ok = loop_return.currency.upper() == so.currency.upper()
    if not currency_ok:
        problems.append(f"Loop return is in {loop_return.currency} but sales order {so.tranid} is in {so.currency}")
    loop_amounts = {
        "refund": loop_return.refund,
        "gift_card": loop_return.gift_card,
        "handling_fee": loop_return.handling_fee,
        "upsell": loop_return.upsell,
        "refund_shipping_total": loop_return.refund_shipping_total,
        "refund_shipping_tax_total": loop_return.refund_shipping_tax_total,
    }
    loop_amounts.update({f"refunds[{part.gateway}]": part.amount for part in loop_return.refunds})
    negative = [f"Loop reports a negative {name} ({amount})" for name, amount in loop_amounts.items() if amount < ZERO]
    problems += negative
    checks = {
        "skus_match_one_item": bool(groups) and all(group.item_id is not None for group in groups),
        "lines_on_sales_order": all(group.order_line is not None for group in groups),
        "quantity_within_returnable": not any(group.exceeds_returnable for group in groups),
        "currency_matches": currency_ok,
        "amounts_non_negative": not negative and all(group.amount >= ZERO and group.tax >= ZERO for group in groups),
    }
    return checks, list(dict.fromkeys(problems))


def plan_posting(
    loop_return: LoopReturn,
    so: SalesOrderSnapshot,
    item_matches: Mapping[str, list[int]],
    returned_so_far: Mapping[int, int],
    settings: PostingSettings,
    *,
    upsell_paid_in_shopify: bool,
    exchange_so_id: int | None = None,
    received: Mapping[int | str, int] | None = None,
    unit_costs: Mapping[int, Decimal] | None = None,
    instant: bool | None = None,
    received_in_netsuite: Mapping[int, int] | None = None,
) -> PostingPlan:
    """The whole story of a return: RA, receipt(s), money records, GL preview and the checks.

    Never raises for bad data: a plan that cannot be built has no records and says why in
    ``problems``; failed checks are in ``checks`` (False) and ``problems`` (in words).

    Args:
        received: units received (see :func:`plan_item_receipts`); None = all units.
        unit_costs: NetSuite item id -> unit cost, for the receipt's Inventory / COGS entries.
        instant: known Instant Exchange, see :func:`classify_outcome`.
        received_in_netsuite: RA plan index -> units NetSuite received, when Loop refunded a return NetSuite
            received only in part: the money document credits the missing units apart (see ``unreceived.py``).

    Raises:
        UnbalancedPlanError: the GL entries do not balance (a bug, never data).
    """
    groups = group_return_lines(loop_return, so, item_matches, returned_so_far)
    checks, problems = _group_checks(loop_return, so, groups)
    base = {
        "store": settings.store,
        "loop_return_id": loop_return.id,
        "outcome": classify_outcome(loop_return, instant=instant),
        "currency": so.currency,
    }
    try:
        ra = plan_return_authorization(loop_return, so, groups, settings, strict=False)
    except PlanningError as exc:
        return PostingPlan(**base, checks=checks, problems=list(dict.fromkeys(problems + exc.problems)))
    records = [ra, *plan_item_receipts(loop_return, ra.lines, received, settings, 1)]

    unreceived: list[UnreceivedUnits] = []
    not_refunded: list[UnreceivedUnits] = []

    def money_records(paid_in_shopify: bool) -> list[PlannedRecord]:
        unreceived.clear()
        not_refunded.clear()
        planned = plan_refund(
            loop_return, ra.lines, so, settings, upsell_paid_in_shopify=paid_in_shopify, exchange_so_id=exchange_so_id
        )
        cut = []
        for record in planned:
            if record.role in (RecordRole.CM, RecordRole.CR):
                # Loop refunded fewer units than the RA holds: credit those it paid for (refunded_units.py).
                record, left = credit_what_loop_refunded(record, loop_return, groups, received_in_netsuite, settings, so.currency)
                not_refunded.extend(left)
                if received_in_netsuite:
                    record, missing = split_unreceived(record, groups, received_in_netsuite, settings, so.currency)
                    unreceived.extend(missing)
            cut.append(record)
        return cut

    checks["settings_complete"] = checks["exchange_order_known"] = True
    try:
        records += money_records(upsell_paid_in_shopify)
    except ExchangeOrderMissingError as exc:
        checks["exchange_order_known"] = False
        problems += exc.problems
        records += money_records(True)  # everything but the deposit
    except MissingSettingError as exc:
        checks["settings_complete"] = False
        problems += exc.problems

    differences = tax_problems(records, settings.tolerance)
    checks["tax_matches_netsuite"] = not differences
    problems += differences

    left_out = shipping_left_out(loop_return, settings, so.currency)
    draft = PostingPlan(**base, records=records, shipping_left_out=left_out)
    gl = gl_preview(draft, unit_costs)
    for row in reconcile(draft, loop_return, settings.tolerance):
        checks[f"{row.name}_reconciles"] = row.ok
        if not row.ok:
            problems.append(row.message)
    applied = plan_totals(draft).applied_to_exchange
    if applied.amount < ZERO:
        checks["amounts_non_negative"] = False
        problems.append(f"Loop paid out {-applied.amount} more than the exchanged items' credit")
    checks["balanced"] = True  # gl_preview raised otherwise
    return PostingPlan(
        **base,
        records=records,
        gl_preview=gl,
        checks=checks,
        problems=problems,
        shipping_left_out=left_out,
        refunded_not_received=unreceived,
        not_refunded=not_refunded,
    )
