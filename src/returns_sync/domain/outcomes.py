"""Classify a Loop return into the outcome that decides its NetSuite posting, and split what Loop paid out.

Loop's own ``outcome`` string is not used: combinations ("exchange+refund"?) are undocumented. The
outcome is derived from the returned units, the exchanges and the money totals instead:

1. Each returned unit is an *exchange* unit or a *money* unit (:func:`unit_kind`): the line's own
   ``outcome`` (``exchange``/``upsell`` -> exchange, ``credit``/``gift_card``/``store_credit`` -> credit,
   ``refund`` -> refund) wins; else a line with ``exchange_variant`` is an exchange; else the return
   decides: any ``exchanges[]`` -> exchange, store credit issued and no refund -> credit, otherwise refund.
2. With exchange units:
   - money units too -> ``mixed`` (some units refunded or credited, some exchanged);
   - ``upsell`` > 0 -> ``advanced_exchange_upsell`` (the customer paid the difference);
   - Loop paid money back (refund or gift card) -> ``advanced_exchange_downsell``;
   - the exchange order exists before the goods are back -> ``instant_exchange`` (see :func:`is_instant_exchange`);
   - else ``exchange``.
3. Without exchange units:
   - units refunded *and* units credited (by line outcome), or both a refund and store credit paid -> ``mixed``;
   - store credit (``gift_card``) paid -> ``store_credit``; a refund paid -> ``refund``;
   - nothing paid yet: all units credit -> ``store_credit``, else ``refund``.
   A refund split across gateways (part back to a gift card) is still ``refund``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from returns_sync.domain.loop import LoopLineItem, LoopReturn
from returns_sync.domain.money import ZERO, quantize

__all__ = [
    "Outcome",
    "Payout",
    "UnitKind",
    "classify_outcome",
    "exchange_bonus_spent",
    "is_gift_card_gateway",
    "is_instant_exchange",
    "payout",
    "unit_kind",
]


class Outcome(StrEnum):
    """What a Loop return amounts to for NetSuite (POSTING.md's rows)."""

    REFUND = "refund"
    STORE_CREDIT = "store_credit"
    EXCHANGE = "exchange"
    ADVANCED_EXCHANGE_UPSELL = "advanced_exchange_upsell"
    ADVANCED_EXCHANGE_DOWNSELL = "advanced_exchange_downsell"
    INSTANT_EXCHANGE = "instant_exchange"
    MIXED = "mixed"

    def is_exchange(self) -> bool:
        """Every returned unit is exchanged (the RA lines carry no value in ``zero_value`` mode)."""
        return self in (
            Outcome.EXCHANGE,
            Outcome.ADVANCED_EXCHANGE_UPSELL,
            Outcome.ADVANCED_EXCHANGE_DOWNSELL,
            Outcome.INSTANT_EXCHANGE,
        )


class UnitKind(StrEnum):
    """What happens to one returned unit."""

    REFUND = "refund"
    CREDIT = "credit"
    EXCHANGE = "exchange"


_EXCHANGE_WORDS = {"exchange", "upsell", "instant_exchange", "advanced_exchange", "shop_now"}
_CREDIT_WORDS = {"credit", "store_credit", "gift_card", "giftcard", "gift"}
_REFUND_WORDS = {"refund"}


def _word(value: str | None) -> str:
    return re.sub(r"[\s\-]+", "_", (value or "").strip().lower())


def unit_kind(line: LoopLineItem, loop_return: LoopReturn) -> UnitKind:
    """Whether ``line`` (one returned unit) is exchanged, refunded or turned into store credit."""
    word = _word(line.outcome)
    if word in _EXCHANGE_WORDS:
        return UnitKind.EXCHANGE
    if word in _CREDIT_WORDS:
        return UnitKind.CREDIT
    if word in _REFUND_WORDS:
        return UnitKind.REFUND
    if line.exchange_variant:
        return UnitKind.EXCHANGE
    if loop_return.exchanges:
        return UnitKind.EXCHANGE
    if loop_return.gift_card > ZERO and loop_return.refund <= ZERO:
        return UnitKind.CREDIT
    return UnitKind.REFUND


def is_instant_exchange(loop_return: LoopReturn) -> bool:
    """The exchange order was created before the goods came back (Loop's Instant Exchange).

    Loop documents no flag for it; an explicit ``instant_exchange``/``is_instant_exchange`` field, an
    outcome string mentioning "instant", or an exchange order that exists while no unit has
    ``returned_at`` yet all count. Once the goods are back the return reads as a plain exchange,
    which posts the same way.
    """
    extra = loop_return.model_extra or {}
    if any(bool(extra.get(key)) for key in ("instant_exchange", "is_instant_exchange")):
        return True
    if "instant" in _word(loop_return.outcome):
        return True
    has_order = any(exchange.exchange_order_id for exchange in loop_return.exchanges)
    nothing_back = bool(loop_return.line_items) and all(line.returned_at is None for line in loop_return.line_items)
    return has_order and nothing_back


class Payout(BaseModel):
    """What Loop paid out for a return, split the way NetSuite needs it (all quantized to the currency)."""

    model_config = ConfigDict(frozen=True)

    currency: str
    card: Decimal  # back to the original non-gift-card payment (cash refund / customer refund)
    gift_card_refund: Decimal  # back to the gift card the order was partly paid with
    store_credit: Decimal  # new store credit (Loop's ``gift_card``), bonus included

    @property
    def refund(self) -> Decimal:
        """Everything that went back to the original payment methods."""
        return self.card + self.gift_card_refund

    @property
    def total(self) -> Decimal:
        return self.card + self.gift_card_refund + self.store_credit


def is_gift_card_gateway(gateway: str | None) -> bool:
    """Shopify/Loop gateway names for gift cards: ``gift_card``, ``Gift Card``, ``shopify_gift_card`` ..."""
    return "giftcard" in re.sub(r"[^a-z]", "", (gateway or "").lower())


def payout(loop_return: LoopReturn, currency: str | None = None) -> Payout:
    """Split Loop's refund by ``refunds[]`` gateway (gift-card part vs card part) next to the store credit.

    ``refund`` is authoritative for the amount back to the original payment; ``refunds[]`` only
    tells which part of it went to a gift card. When ``refund`` is zero but ``refunds[]`` is not
    (some webhook shapes), the parts' sum is used.
    """
    cur = currency or loop_return.currency
    parts = loop_return.refunds
    gift_card_part = sum((part.amount for part in parts if is_gift_card_gateway(part.gateway)), ZERO)
    refunded = loop_return.refund if loop_return.refund > ZERO else sum((part.amount for part in parts), ZERO)
    return Payout(
        currency=cur,
        card=quantize(refunded - gift_card_part, cur),
        gift_card_refund=quantize(gift_card_part, cur),
        store_credit=quantize(loop_return.gift_card, cur),
    )


def classify_outcome(loop_return: LoopReturn, *, instant: bool | None = None) -> Outcome:
    """Classify ``loop_return`` by the rules in this module's docstring.

    Args:
        loop_return: the Loop return.
        instant: what the caller knows about Instant Exchange (e.g. the ledger saw the exchange
            order before the RA); None = use :func:`is_instant_exchange`.
    """
    kinds = {unit_kind(line, loop_return) for line in loop_return.line_items}
    paid = payout(loop_return)
    has_exchange = UnitKind.EXCHANGE in kinds or (not loop_return.line_items and bool(loop_return.exchanges))
    if has_exchange:
        if kinds - {UnitKind.EXCHANGE}:
            return Outcome.MIXED
        if loop_return.upsell > ZERO:
            return Outcome.ADVANCED_EXCHANGE_UPSELL
        if paid.total > ZERO:
            return Outcome.ADVANCED_EXCHANGE_DOWNSELL
        if instant if instant is not None else is_instant_exchange(loop_return):
            return Outcome.INSTANT_EXCHANGE
        return Outcome.EXCHANGE
    if {UnitKind.REFUND, UnitKind.CREDIT} <= kinds:
        return Outcome.MIXED
    if paid.refund > ZERO and paid.store_credit > ZERO:
        return Outcome.MIXED
    if paid.store_credit > ZERO:
        return Outcome.STORE_CREDIT
    if paid.refund > ZERO:
        return Outcome.REFUND
    return Outcome.STORE_CREDIT if kinds == {UnitKind.CREDIT} else Outcome.REFUND


def exchange_bonus_spent(loop_return: LoopReturn, paid: Payout, value: Decimal) -> Decimal:
    """Loop's exchange bonus spent on the exchange order, for a ``credit``-mode credit memo's bonus line.

    Loop's bonus "is deducted from the purchase subtotal, so it functions like a discount" on the exchange
    (https://help.loopreturns.com/en/articles/1912193): Loop credits the exchange ``exchange_credit_total``, which
    with what it paid out exceeds the returned goods' ``value`` by the bonus spent. Never more than the bonus Loop
    granted (``return_credit_total`` - ``return_total``) and never negative: figures that disagree leave the memo
    short of Loop's exchange credit, which the ``exchange_credit_total`` check then refuses.

    Args:
        paid: Loop's payout as the document pays it out.
        value: what the returned goods are worth on the document (paid price, Loop's tax, shipping, less the fee).
    """
    cur = paid.currency
    granted = quantize(loop_return.return_credit_total - loop_return.return_total, cur)
    spent = quantize(loop_return.exchange_credit_total, cur) + paid.total - value
    return max(min(spent, granted), quantize(ZERO, cur))
