"""Money-side records created by POST: customer refunds applied to credit memos, customer payments, customer deposits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from returns_sandbox.netsuite import errors
from returns_sandbox.netsuite.constants import RECORD_SPECS
from returns_sandbox.netsuite.records import RecordStore, dec, money

__all__ = [
    "Effects",
    "apply_credit_memo",
    "apply_deposit",
    "credit_memo_amounts",
    "invoice_amounts",
    "prepare_payment",
    "undo_payment",
]

# (linked document, its line in the link or None, whether the document changed and must be saved)
Effects = list[tuple[dict[str, Any], int | None, bool]]


def credit_memo_amounts(memo: dict[str, Any], currency: str) -> None:
    """Recompute ``unapplied`` and the status of a credit memo (B Fully Applied when nothing is left)."""
    applied = dec(memo.get("applied"))
    unapplied = dec(memo.get("total")) - applied
    memo["applied"] = money(applied, currency)
    memo["unapplied"] = money(unapplied, currency)
    memo["status"] = "B" if unapplied <= 0 else "A"


def invoice_amounts(invoice: dict[str, Any], currency: str) -> None:
    """Recompute ``amountRemaining`` and the status of an invoice (B Paid In Full when nothing is due)."""
    paid = dec(invoice.get("amountPaid"))
    remaining = dec(invoice.get("total")) - paid
    invoice["amountPaid"] = money(paid, currency)
    invoice["amountRemaining"] = money(remaining, currency)
    invoice["status"] = "B" if remaining <= 0 else "A"


def _customer_document(store: RecordStore, doc_type: str, line: dict[str, Any], path: str, customer: Any) -> dict[str, Any]:
    """The ``doc_type`` record an ``apply`` line names, refused unless it exists and belongs to ``customer``."""
    if line.get("doc") is None:
        raise errors.missing_value("Document", f"{path}.doc")
    doc = store.load(RECORD_SPECS[doc_type], line["doc"])
    if doc is None:
        raise errors.invalid_value("doc", line["doc"], f"{path}.doc")
    if doc.get("entity") != customer:
        raise errors.user_error(f"The document {line['doc']} does not belong to customer {customer}.", path=f"{path}.doc")
    return doc


def prepare_payment(store: RecordStore, record: dict[str, Any]) -> Effects:
    """Validate a new customerRefund / customerPayment / customerDeposit and return the records it changes.

    Fills the record's ``total`` (and ``payment``), ``status`` and default ``account``.
    """
    kind = record["recordType"]
    customer = record.get("customer")
    if customer is None:
        raise errors.missing_value("Customer", "customer")
    currency = store.currency_symbol(record.get("currency"))
    if kind == "customerDeposit":
        return _deposit(store, record, currency)
    doc_type = "creditMemo" if kind == "customerRefund" else "invoice"
    field_paid = "applied" if kind == "customerRefund" else "amountPaid"
    field_left = "unapplied" if kind == "customerRefund" else "amountRemaining"
    effects: Effects = []
    total = Decimal(0)
    for index, line in enumerate(record.get("apply") or []):
        if line.get("apply") is False:
            continue
        path = f"apply.items[{index}]"
        doc = _customer_document(store, doc_type, line, path, customer)
        left = dec(doc.get(field_left))
        amount = dec(line["amount"]) if line.get("amount") is not None else left
        if amount <= 0 or amount > left:
            raise errors.user_error(
                f"The amount applied to document {line['doc']} must be more than 0 and no more than {money(left, currency)}.",
                path=f"{path}.amount",
            )
        line.update(apply=True, amount=money(amount, currency), type=RECORD_SPECS[doc_type].label)
        doc[field_paid] = str(dec(doc.get(field_paid)) + amount)
        (credit_memo_amounts if kind == "customerRefund" else invoice_amounts)(doc, currency)
        effects.append((doc, 0, True))
        total += amount
    if kind == "customerRefund":
        if total <= 0:
            raise errors.user_error("You must enter at least one line item for this transaction.")
        record["total"] = money(total, currency)
        record.setdefault("account", store.account_for("cash"))
        record["status"] = None
        return effects
    payment = dec(record["payment"]) if record.get("payment") is not None else total
    if payment <= 0 or payment < total:
        raise errors.user_error("The payment amount must be more than 0 and cover the amounts applied.", path="payment")
    record.update(payment=money(payment, currency), total=money(payment, currency))
    record.setdefault("account", store.account_for("undeposited_funds"))
    # A: part of the payment applied to no invoice stays a credit on the customer ("Payment : Unapplied").
    record["status"] = "A" if payment > total else "B"
    return effects


def apply_credit_memo(store: RecordStore, memo: dict[str, Any]) -> Effects:
    """Apply a new credit memo to the customer's open invoices named in its ``apply`` sublist.

    A credit memo's Apply subtab credits open invoices of the same customer, each by at most what is still
    due, and in all by at most the memo's total (the netsuite gem's ``CreditMemoApplyList``:
    https://rubydoc.info/gems/netsuite/NetSuite/Records/CreditMemoApplyList; Oracle, "Applying a Credit Memo":
    the credit is applied to open invoices and any rest stays unapplied). Applying posts nothing to the GL:
    both documents already sit on A/R.
    """
    currency = store.currency_symbol(memo.get("currency"))
    effects: Effects = []
    applied = Decimal(0)
    for index, line in enumerate(memo.get("apply") or []):
        if line.get("apply") is False:
            continue
        path = f"apply.items[{index}]"
        invoice = _customer_document(store, "invoice", line, path, memo.get("entity"))
        due = dec(invoice.get("amountRemaining"))
        amount = dec(line["amount"]) if line.get("amount") is not None else due
        if amount <= 0 or amount > due:
            raise errors.user_error(
                f"The amount applied to document {line['doc']} must be more than 0 and no more than {money(due, currency)}.",
                path=f"{path}.amount",
            )
        line.update(apply=True, amount=money(amount, currency), type=RECORD_SPECS["invoice"].label)
        invoice["amountPaid"] = str(dec(invoice.get("amountPaid")) + amount)
        invoice_amounts(invoice, currency)
        effects.append((invoice, 0, True))
        applied += amount
    if applied > dec(memo.get("total")):
        raise errors.user_error(
            f"The credit memo applies {money(applied, currency)}, more than its total {money(dec(memo.get('total')), currency)}.",
            path="apply",
        )
    memo["applied"] = str(dec(memo.get("applied")) + applied)
    credit_memo_amounts(memo, currency)
    return effects


def _deposit(store: RecordStore, record: dict[str, Any], currency: str) -> Effects:
    payment = dec(record.get("payment"))
    if record.get("payment") is None:
        raise errors.missing_value("Payment Amount", "payment")
    if payment <= 0:
        raise errors.invalid_value("payment", record["payment"], "payment")
    effects: Effects = []
    if record.get("salesOrder") is not None:
        order = store.load(RECORD_SPECS["salesOrder"], record["salesOrder"])
        if order is None:
            raise errors.invalid_reference("sales order", record["salesOrder"], "salesOrder")
        if order.get("entity") != record["customer"]:
            raise errors.user_error(
                f"Sales order {record['salesOrder']} does not belong to customer {record['customer']}.", path="salesOrder"
            )
        effects.append((order, None, False))
    record.update(payment=money(payment, currency), total=money(payment, currency), status="A")
    record.setdefault("account", store.account_for("undeposited_funds"))
    return effects


def undo_payment(store: RecordStore, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The documents a deleted customer refund / payment had applied to, with those amounts given back."""
    kind = record["recordType"]
    if kind not in ("customerRefund", "customerPayment"):
        return []
    doc_type = "creditMemo" if kind == "customerRefund" else "invoice"
    field_paid = "applied" if kind == "customerRefund" else "amountPaid"
    changed = []
    for line in record.get("apply") or []:
        doc = store.load(RECORD_SPECS[doc_type], line.get("doc"))
        if doc is None or not line.get("apply"):
            continue
        currency = store.currency_symbol(doc.get("currency"))
        doc[field_paid] = str(max(dec(doc.get(field_paid)) - dec(line.get("amount")), Decimal(0)))
        (credit_memo_amounts if kind == "customerRefund" else invoice_amounts)(doc, currency)
        changed.append(doc)
    return changed


def apply_deposit(store: RecordStore, application: dict[str, Any], deposit: dict[str, Any]) -> Effects:
    """Apply a customer deposit to open invoices of its customer (a deposit application's ``apply`` sublist).

    Each invoice takes at most what it still owes and all of them at most what the deposit has left
    (Oracle, "Applying a Customer Deposit"; REST "Deposit Application":
    https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/article_0830101547.html). The deposit keeps
    what it has applied; it is Fully Applied (C) when nothing is left.
    """
    currency = store.currency_symbol(deposit.get("currency"))
    left = dec(deposit.get("payment")) - dec(deposit.get("_applied"))
    effects: Effects = []
    applied = Decimal(0)
    for index, line in enumerate(application.get("apply") or []):
        if line.get("apply") is False:
            continue
        path = f"apply.items[{index}]"
        invoice = _customer_document(store, "invoice", line, path, deposit.get("customer"))
        due = dec(invoice.get("amountRemaining"))
        amount = dec(line["amount"]) if line.get("amount") is not None else min(due, left - applied)
        if amount <= 0 or amount > due:
            raise errors.user_error(
                f"The amount applied to document {line['doc']} must be more than 0 and no more than {money(due, currency)}.",
                path=f"{path}.amount",
            )
        line.update(apply=True, amount=money(amount, currency), type=RECORD_SPECS["invoice"].label)
        invoice["amountPaid"] = str(dec(invoice.get("amountPaid")) + amount)
        invoice_amounts(invoice, currency)
        effects.append((invoice, 0, True))
        applied += amount
    if applied <= 0:
        raise errors.user_error("You must enter at least one line item for this transaction.")
    if applied > left:
        raise errors.user_error(
            f"The total applied ({money(applied, currency)}) exceeds the deposit's unapplied amount ({money(left, currency)}).",
            path="apply",
        )
    application.update(total=money(applied, currency), status=None, account=store.account_for("customer_deposits"))
    deposit["_applied"] = str(dec(deposit.get("_applied")) + applied)
    if applied == left:
        deposit["status"] = "C"
    return [*effects, (deposit, None, False)]
