"""The money an upsell collected through Loop (Stripe) becomes in NetSuite: the Customer Deposit, in credit exchange
mode its application to the exchange invoice, and the processor fee's Journal Entry (POSTING.md, upsell rows)."""

from __future__ import annotations

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.money import ZERO, quantize
from returns_sync.domain.netsuite import RecordRole, RecordType, SalesOrderSnapshot
from returns_sync.domain.plan import ExchangeOrderMissingError, PlannedRecord, PostingSettings, return_memo

__all__ = ["plan_deposit"]


def plan_deposit(
    loop_return: LoopReturn, so: SalesOrderSnapshot, settings: PostingSettings, *, exchange_so_id: int | None
) -> list[PlannedRecord]:
    """Customer Deposit ``-dep`` on the exchange order's SO for Loop's gross ``upsell`` collected outside Shopify,
    in ``credit`` exchange mode its Deposit Application ``-depapp`` on the exchange order's invoice, and, when the
    store sets a processor fee, the Journal Entry ``-fee`` booking it (POSTING.md, upsell and credit-mode rows).

    Loop reports no fee for the upsells it collects through Stripe: the fee is "assessed and tracked separately
    within Stripe" (https://help.loopreturns.com/en/articles/1914625), so it is the store's
    ``upsell_fee_rate`` x upsell + ``upsell_fee_fixed``, rounded to the currency and never more than the upsell.

    Raises:
        ExchangeOrderMissingError: the exchange order is not in NetSuite yet (wait, do not quarantine).
    """
    cur = so.currency
    amount = quantize(loop_return.upsell, cur)
    if exchange_so_id is None:
        raise ExchangeOrderMissingError(
            f"upsell {amount} of Loop return {loop_return.id} waits for the exchange order's sales order in NetSuite"
        )
    memo = return_memo(loop_return, so)
    deposit = PlannedRecord(
        role=RecordRole.DEP,
        record_type=RecordType.CUSTOMER_DEPOSIT,
        external_id=ExternalId(settings.store, loop_return.id, RecordRole.DEP),
        source=(RecordType.SALES_ORDER, exchange_so_id),
        memo=memo,
        customer_id=so.customer_id,
        apply_to_sales_order_id=exchange_so_id,
        total=amount,
    )
    records = [deposit]
    if settings.exchange_mode == "credit":
        # The exchange order is invoiced at full price and the credit memo pays the returned value; the deposit pays
        # the rest, applied to the same invoice (Oracle's deposit application: customerDeposit/!transform).
        records.append(
            PlannedRecord(
                role=RecordRole.DEPAPP,
                record_type=RecordType.DEPOSIT_APPLICATION,
                external_id=ExternalId(settings.store, loop_return.id, RecordRole.DEPAPP),
                source=(RecordType.CUSTOMER_DEPOSIT, None),
                memo=memo,
                customer_id=so.customer_id,
                apply_to_sales_order_id=exchange_so_id,
                total=amount,
            )
        )
    fee = min(quantize(amount * settings.upsell_fee_rate + settings.upsell_fee_fixed, cur), amount)
    if fee <= ZERO:
        return records
    journal = PlannedRecord(
        role=RecordRole.FEE,
        record_type=RecordType.JOURNAL_ENTRY,
        external_id=ExternalId(settings.store, loop_return.id, RecordRole.FEE),
        source=(RecordType.SALES_ORDER, exchange_so_id),
        memo=f"{memo} · Stripe fee on upsell {amount}",
        customer_id=so.customer_id,
        apply_to_sales_order_id=exchange_so_id,
        total=fee,
    )
    return [*records, journal]
