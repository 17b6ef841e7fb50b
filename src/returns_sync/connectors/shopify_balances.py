"""Batched Shopify reads for the reconciliation report: gift cards with their transactions, and refund totals.

Both read up to 50 objects per request through ``nodes(ids:)``. Gift cards need the ``read_gift_cards`` scope and their
transactions ``read_gift_card_transactions`` (shopify.dev/docs/api/admin-graphql/latest/objects/GiftCardDebitTransaction);
a debit's ``amount`` is what the customer spent from the card.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from returns_sync.domain.shopify import gid

__all__ = ["GiftCardBalance", "GiftCardDebit", "read_gift_cards", "read_refund_totals"]

_BATCH = 50
_GIFT_CARDS = """
query GiftCards($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on GiftCard {
      id
      initialValue { amount currencyCode }
      balance { amount currencyCode }
      transactions(first: 100) { nodes { __typename amount { amount } processedAt } }
    }
  }
}
"""
_REFUNDS = """
query RefundTotals($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Refund { id totalRefundedSet { shopMoney { amount currencyCode } } } }
}
"""


class _GraphQL(Protocol):
    def execute(
        self, query: str, variables: dict[str, object] | None = None, *, idempotent: bool | None = None
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class GiftCardDebit:
    processed_at: datetime
    amount: Decimal  # positive: what was spent


@dataclass(frozen=True)
class GiftCardBalance:
    id: str  # numeric id, as Loop names it
    currency: str
    initial_value: Decimal
    balance: Decimal
    debits: tuple[GiftCardDebit, ...]


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), _BATCH):
        yield unique[start : start + _BATCH]


def _numeric(global_id: str) -> str:
    return global_id.rsplit("/", 1)[-1]


def read_gift_cards(client: _GraphQL, card_ids: Iterable[str]) -> dict[str, GiftCardBalance]:
    """The named gift cards (numeric ids) that exist; a card Shopify does not know is left out."""
    found: dict[str, GiftCardBalance] = {}
    for chunk in _chunks(card_ids):
        data = client.execute(_GIFT_CARDS, {"ids": [gid("GiftCard", card) for card in chunk]}, idempotent=True)
        for node in data.get("nodes") or []:
            if not node or "balance" not in node:
                continue
            debits = tuple(
                GiftCardDebit(datetime.fromisoformat(t["processedAt"]), -Decimal(str(t["amount"]["amount"])))
                for t in ((node.get("transactions") or {}).get("nodes") or [])
                if t["__typename"] == "GiftCardDebitTransaction"
            )
            found[_numeric(node["id"])] = GiftCardBalance(
                id=_numeric(node["id"]),
                currency=node["balance"]["currencyCode"],
                initial_value=Decimal(str(node["initialValue"]["amount"])),
                balance=Decimal(str(node["balance"]["amount"])),
                debits=debits,
            )
    return found


def read_refund_totals(client: _GraphQL, refund_ids: Iterable[str]) -> dict[str, Decimal]:
    """What each named refund (numeric ids) returned to the customer, in the shop's currency; unknown ones left out."""
    found: dict[str, Decimal] = {}
    for chunk in _chunks(refund_ids):
        data = client.execute(_REFUNDS, {"ids": [gid("Refund", refund) for refund in chunk]}, idempotent=True)
        for node in data.get("nodes") or []:
            if node and node.get("totalRefundedSet"):
                found[_numeric(node["id"])] = Decimal(str(node["totalRefundedSet"]["shopMoney"]["amount"]))
    return found
