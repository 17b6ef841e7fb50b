"""The GL impact of each posting transaction: ``transactionaccountingline`` rows that always balance.

Rules (POSTING.md, ordinary double entry; a positive signed amount is a debit):

* Invoice / Cash Sale: Cr each line's income account (the item's), Cr Sales Tax Payable, Dr A/R (invoice) or
  the body ``account`` / Undeposited Funds (cash sale); inventory lines also Dr COGS / Cr Inventory Asset at
  average cost, since the emulator has no item fulfilment record.
* Credit Memo / Cash Refund: Dr Sales Returns for inventory lines, other lines post to their item's account
  with the line's sign (handling fee −5.00 credits Other Income), Dr Sales Tax Payable, and the total is
  credited to A/R (credit memo) or to the body ``account`` / Undeposited Funds (cash refund).
* Item Receipt: Dr the item's asset account / Cr its COGS account at average cost × quantity.
* Customer Refund: Dr A/R / Cr the body ``account`` (default Checking).
* Customer Deposit: Dr the body ``account`` (e.g. Stripe Clearing; default Undeposited Funds) / Cr Customer Deposits.
* Customer Payment: Dr the body ``account`` (default Undeposited Funds) / Cr A/R.
* Journal Entry: each line debits or credits its own ``account`` as sent (journals.py checks they balance).
* Sales Order, Return Authorization: non-posting.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from returns_sandbox.money import quantize

__all__ = ["LedgerContext", "Posting", "postings_for"]


@dataclass(frozen=True)
class Posting:
    line: int  # transactionline id (0 = the mainline)
    account: int
    debit: Decimal
    credit: Decimal


class LedgerContext(Protocol):
    def currency_symbol(self, currency_id: Any) -> str: ...

    def item_row(self, item_id: Any) -> Any: ...

    def account_for(self, role: str) -> int: ...


def _d(value: Any) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    return Decimal(str(value))


def postings_for(type_code: str, record: dict[str, Any], ctx: LedgerContext) -> list[Posting]:
    """GL rows for ``record`` (a canonical transaction of SuiteQL type ``type_code``); empty when non-posting."""
    currency = ctx.currency_symbol(record.get("currency"))
    entries: list[tuple[int, int, Decimal]] = []
    if type_code in ("CustInvc", "CashSale", "CustCred", "CashRfnd"):
        entries = _item_document(type_code, record, ctx, currency)
    elif type_code == "ItemRcpt":
        for line in record.get("item") or []:
            entries.extend(_cost_entries(line, ctx, currency, into_stock=True))
    elif type_code == "CustRfnd":
        total = _d(record.get("total"))
        entries = [(0, ctx.account_for("ar"), total), (0, int(record.get("account") or ctx.account_for("cash")), -total)]
    elif type_code == "CustDep":
        amount = _d(record.get("payment"))
        entries = [
            (0, int(record.get("account") or ctx.account_for("undeposited_funds")), amount),
            (0, ctx.account_for("customer_deposits"), -amount),
        ]
    elif type_code == "DepAppl":
        # The deposit's liability pays the invoice: Dr Customer Deposits / Cr A/R for what was applied.
        amount = _d(record.get("total"))
        entries = [(0, ctx.account_for("customer_deposits"), amount), (0, ctx.account_for("ar"), -amount)]
    elif type_code == "Journal":
        entries = [
            (int(line["line"]), int(line["account"]), _d(line.get("debit")) - _d(line.get("credit")))
            for line in record.get("line") or []
        ]
    elif type_code == "CustPymt":
        amount = _d(record.get("payment"))
        entries = [
            (0, int(record.get("account") or ctx.account_for("undeposited_funds")), amount),
            (0, ctx.account_for("ar"), -amount),
        ]
    postings = [
        Posting(line, account, max(amount, Decimal(0)), max(-amount, Decimal(0)))
        for line, account, amount in entries
        if amount != 0
    ]
    debits = sum((p.debit for p in postings), Decimal(0))
    credits = sum((p.credit for p in postings), Decimal(0))
    if debits != credits:  # an emulator bug, never a client error
        raise AssertionError(f"unbalanced GL for {type_code} {record.get('id')}: {debits} != {credits}")
    return postings


def _item_document(type_code: str, record: dict[str, Any], ctx: LedgerContext, currency: str) -> list[tuple[int, int, Decimal]]:
    returns_side = type_code in ("CustCred", "CashRfnd")
    sign = Decimal(1) if returns_side else Decimal(-1)
    entries: list[tuple[int, int, Decimal]] = []
    cost_entries: list[tuple[int, int, Decimal]] = []
    tax = Decimal(0)
    for line in record.get("item") or []:
        item = ctx.item_row(line.get("item"))
        is_inventory = item is not None and item["itemtype"] == "InvtPart"
        if returns_side and is_inventory:
            account = ctx.account_for("sales_returns")
        else:
            account = int(item["incomeaccount"]) if item is not None and item["incomeaccount"] else ctx.account_for("income")
        entries.append((int(line["line"]), account, sign * _d(line.get("amount"))))
        tax += _d(line.get("tax1Amt"))
        if not returns_side:
            cost_entries.extend(_cost_entries(line, ctx, currency, into_stock=False))
    if tax:
        entries.append((0, ctx.account_for("tax_payable"), sign * tax))
    if type_code in ("CustInvc", "CustCred"):
        counter = int(record.get("account") or ctx.account_for("ar"))
    else:
        counter = int(record.get("account") or ctx.account_for("undeposited_funds"))
    entries.append((0, counter, -sum((amount for _, _, amount in entries), Decimal(0))))
    return entries + cost_entries


def _cost_entries(line: dict[str, Any], ctx: LedgerContext, currency: str, *, into_stock: bool) -> list[tuple[int, int, Decimal]]:
    item = ctx.item_row(line.get("item"))
    if item is None or item["itemtype"] != "InvtPart":
        return []
    cost = quantize(_d(item["averagecost"]) * _d(line.get("quantity")), currency)
    asset = int(item["assetaccount"] or ctx.account_for("inventory"))
    cogs = int(item["expenseaccount"] or ctx.account_for("cogs"))
    direction = Decimal(1) if into_stock else Decimal(-1)
    return [(int(line["line"]), asset, direction * cost), (int(line["line"]), cogs, -direction * cost)]
