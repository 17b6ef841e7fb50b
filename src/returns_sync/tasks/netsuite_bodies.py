"""Turn planned records into NetSuite REST request bodies (references, sublists, custom fields).

No body carries a tax amount: REST computes each line's tax from its tax code (a transformed line keeps
the sales order line's code; a new taxed line names its code) and refuses ``tax1Amt`` under the default
``X-NetSuite-PropertyNameValidation: Error`` (packages/returns-sandbox/docs/netsuite.md, "Tax"). Under SuiteTax
no line names a code either: the tax engine determines it, and the request sends no ``taxDetails``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TypeAlias

from returns_sync.domain.plan import PlannedLine, PlannedRecord
from returns_sync.domain.tax import TaxEngine

__all__ = [
    "JsonValue",
    "RequestBody",
    "close_lines_body",
    "customer_refund_body",
    "deposit_application_body",
    "deposit_body",
    "fee_journal_body",
    "fit_memo",
    "ra_body",
    "receipt_body",
    "ref",
    "refund_body",
]


# A NetSuite REST body as the tasks build it: JSON, with amounts as Decimal (the client writes them as numbers).
JsonValue: TypeAlias = "str | int | bool | Decimal | list[JsonValue] | dict[str, JsonValue] | None"
RequestBody: TypeAlias = dict[str, JsonValue]


# NetSuite documents no length for the standard ``memo`` field; its free-form text fields hold 300 characters
# (https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_N2842731.html), the strictest plausible
# bound. A memo built from Loop's text (order and exchange names) is cut to it rather than refused mid-batch by a 400.
MEMO_MAX_CHARS = 300


def fit_memo(memo: str) -> str:
    """``memo`` cut to ``MEMO_MAX_CHARS``, ending in ``…`` when it was cut (a memo informs; it never identifies)."""
    return memo if len(memo) <= MEMO_MAX_CHARS else memo[: MEMO_MAX_CHARS - 1] + "…"


def ref(internal_id: int | str | None) -> RequestBody | None:
    return {"id": str(internal_id)} if internal_id is not None else None


def _header(record: PlannedRecord) -> RequestBody:
    body: RequestBody = {"externalId": str(record.external_id), "memo": fit_memo(record.memo)}
    body.update(record.custom_fields)
    return body


def _ids(line: PlannedLine) -> str | None:
    return ",".join(line.loop_line_item_ids) or None


def ra_body(record: PlannedRecord, *, loop_line_ids_field: str | None = "custcol_loop_line_ids") -> RequestBody:
    """``salesOrder/{id}/!transform/returnAuthorization?replace=item``: one line per returned SKU."""
    body = _header(record)
    if record.location_id:
        body["location"] = ref(record.location_id)
    items: list[JsonValue] = []
    for line in record.lines:
        item: dict[str, JsonValue] = {
            "orderLine": line.order_line,
            "item": ref(line.item_id),
            "quantity": line.quantity,
            "rate": line.rate,
            "amount": line.amount,
            "description": line.description or None,
        }
        if line.location_id:
            item["location"] = ref(line.location_id)
        if loop_line_ids_field and _ids(line):
            item[loop_line_ids_field] = _ids(line)
        items.append({k: v for k, v in item.items() if v is not None})
    body["item"] = {"items": items}
    return body


def receipt_body(record: PlannedRecord, ra_lines: Mapping[int, int]) -> RequestBody:
    """``returnAuthorization/{id}/!transform/itemReceipt?replace=item``; ``ra_lines`` maps plan index -> RA line."""
    body = _header(record)
    body["item"] = {
        "items": [
            {
                "orderLine": ra_lines[line.ra_index if line.ra_index is not None else -1],
                "itemReceive": True,
                "quantity": line.quantity,
                "location": ref(line.location_id),
            }
            for line in record.lines
        ]
    }
    return body


def refund_body(
    record: PlannedRecord,
    ra_lines: Mapping[int, int],
    *,
    tax_engine: TaxEngine = TaxEngine.LEGACY,
    account_id: int | None = None,
    apply_to_invoice: int | None = None,
    applied: Decimal = Decimal(0),
) -> RequestBody:
    """``returnAuthorization/{id}/!transform/creditMemo|cashRefund?replace=item``.

    Lines that credit RA lines reference them (``orderLine``); fee, store-credit, bonus, price
    adjustment and gift-card lines are new lines on their own items. A new taxed line names its
    legacy tax code; under SuiteTax ``taxCode`` is no line property, so none is sent. ``account_id``: the
    account a cash refund pays out of [cash_refund_account]; None keeps NetSuite's default.
    ``apply_to_invoice``: the exchange order's invoice a credit-mode credit memo pays ``applied`` of.
    """
    send_codes = tax_engine is TaxEngine.LEGACY
    body = _header(record)
    if account_id:
        body["account"] = ref(account_id)
    if apply_to_invoice is not None and applied > 0:
        # Credit-mode exchange: the credit not paid out pays the exchange order's invoice (POSTING.md).
        body["apply"] = {"items": [{"doc": ref(apply_to_invoice), "apply": True, "amount": applied}]}
    items: list[dict[str, JsonValue]] = []
    for line in record.lines:
        if line.ra_index is not None:
            items.append(
                {
                    "orderLine": ra_lines[line.ra_index],
                    "quantity": line.quantity,
                    "rate": line.rate,
                    "amount": line.amount,
                }
            )
        else:
            items.append(
                {
                    "item": ref(line.item_id),
                    "quantity": line.quantity,
                    "rate": line.rate,
                    "amount": line.amount,
                    "taxCode": ref(line.tax_code) if send_codes else None,
                    "description": line.description or None,
                }
            )
    body["item"] = {"items": [{k: v for k, v in item.items() if v is not None} for item in items]}
    return body


def customer_refund_body(
    record: PlannedRecord, *, credit_memo_id: str | int, customer_id: int | None, account_id: int | None = None
) -> RequestBody:
    """A customer refund paying out the credit memo, from ``account_id`` [customer_refund_account] when set."""
    body = _header(record)
    body["customer"] = ref(customer_id or record.customer_id)
    if account_id:
        body["account"] = ref(account_id)
    body["apply"] = {"items": [{"doc": ref(credit_memo_id), "apply": True, "amount": record.total}]}
    return body


def deposit_body(record: PlannedRecord, *, account_id: int | None) -> RequestBody:
    """A customer deposit on the exchange order for an upsell collected outside Shopify."""
    body = _header(record)
    body["customer"] = ref(record.customer_id)
    body["salesOrder"] = ref(record.apply_to_sales_order_id)
    body["payment"] = record.total
    if account_id:
        body["account"] = ref(account_id)
    return body


def deposit_application_body(record: PlannedRecord, *, invoice_id: int) -> RequestBody:
    """The body of ``customerDeposit/<id>/!transform/depositApplication``: the deposit applied to one invoice.

    Oracle's REST "Deposit Application" page: created only by that transform, with an ``apply`` sublist keyed by
    ``doc`` (https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/article_0830101547.html).
    """
    body = _header(record)
    body["apply"] = {"items": [{"doc": ref(invoice_id), "apply": True, "amount": record.total}]}
    return body


def fee_journal_body(
    record: PlannedRecord, *, fee_account_id: int, clearing_account_id: int, subsidiary_id: int | None
) -> RequestBody:
    """``journalEntry``: Dr the merchant-fee account / Cr the clearing account the upsell deposit went to.

    Oracle's REST journal entry takes ``subsidiary`` and a ``line`` sublist of ``account`` with ``debit`` or
    ``credit`` (https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_0223040947.html); the
    customer rides on the lines as ``entity`` so the fee shows on the customer's history.
    """
    body = _header(record)
    if subsidiary_id:
        body["subsidiary"] = ref(subsidiary_id)
    lines: list[JsonValue] = [
        {"account": ref(fee_account_id), "debit": record.total, "memo": fit_memo(record.memo), "entity": ref(record.customer_id)},
        {
            "account": ref(clearing_account_id),
            "credit": record.total,
            "memo": fit_memo(record.memo),
            "entity": ref(record.customer_id),
        },
    ]
    body["line"] = {"items": [{k: v for k, v in line.items() if v is not None} for line in lines if isinstance(line, dict)]}
    return body


def close_lines_body(line_numbers: list[int], *, memo: str | None = None) -> RequestBody:
    """PATCH an RA closing ``line_numbers`` (keyed on ``line``)."""
    body: RequestBody = {"item": {"items": [{"line": n, "isClosed": True} for n in line_numbers]}}
    if memo:
        body["memo"] = fit_memo(memo)
    return body
