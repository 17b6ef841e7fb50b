"""Request bodies carry no tax amounts: NetSuite computes tax from the line's code (kept, or named on new lines)."""

from __future__ import annotations

from decimal import Decimal

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.netsuite import LineKind, RecordRole, RecordType
from returns_sync.domain.plan import PlannedLine, PlannedRecord
from returns_sync.domain.tax import TaxEngine
from returns_sync.tasks.netsuite_bodies import customer_refund_body, fee_journal_body, ra_body, refund_body

D = Decimal
SHIRT = PlannedLine(
    kind=LineKind.ITEM, item_id=812, sku="SHIRT", quantity=3, rate=D("10.05"), amount=D("30.15"), tax_amount=D("2.41"),
    tax_code="11", tax_difference=D("-0.01"), order_line=1, ra_index=0,
)  # fmt: skip
SHIPPING = PlannedLine(
    kind=LineKind.SHIPPING, item_id=906, quantity=1, rate=D("5.00"), amount=D("5.00"), tax_amount=D("0.40"), tax_code="11"
)
ROUNDING = PlannedLine(kind=LineKind.TAX_ROUNDING, item_id=907, quantity=1, rate=D("-0.01"), amount=D("-0.01"))


def _record(role: RecordRole, rtype: RecordType, *lines: PlannedLine) -> PlannedRecord:
    return PlannedRecord(
        role=role,
        record_type=rtype,
        external_id=ExternalId("north", "7001", role),
        source=(RecordType.RETURN_AUTHORIZATION, None),
        memo="Loop return 7001 · order #1001",
        lines=list(lines),
        total=sum((line.total for line in lines), D(0)),
    )


def _items(body: dict) -> list[dict]:
    return body["item"]["items"]


def test_the_ra_sends_no_tax_and_no_code_the_transform_keeps_the_orders() -> None:
    body = ra_body(_record(RecordRole.RA, RecordType.RETURN_AUTHORIZATION, SHIRT.model_copy(update={"ra_index": None})))
    assert set(_items(body)[0]) == {"orderLine", "item", "quantity", "rate", "amount"}


def test_the_refund_names_the_code_of_new_taxed_lines_and_sends_the_rounding_line_untaxed() -> None:
    body = refund_body(_record(RecordRole.CR, RecordType.CASH_REFUND, SHIRT, SHIPPING, ROUNDING), {0: 1})
    lines = _items(body)
    assert not any("tax1Amt" in line for line in lines)
    assert [line.get("taxCode") for line in lines] == [None, {"id": "11"}, None]
    assert [line.get("amount") for line in lines] == [D("30.15"), D("5.00"), D("-0.01")]


def test_under_suitetax_no_line_names_a_tax_code_and_no_tax_details_are_sent() -> None:
    record = _record(RecordRole.CR, RecordType.CASH_REFUND, SHIRT, SHIPPING, ROUNDING)
    body = refund_body(record, {0: 1}, tax_engine=TaxEngine.SUITETAX)
    assert not any("taxCode" in line or "tax1Amt" in line for line in _items(body))
    assert "taxDetails" not in body and "taxDetailsOverride" not in body
    assert [line.get("amount") for line in _items(body)] == [D("30.15"), D("5.00"), D("-0.01")]


def test_money_leaves_from_the_stores_account_when_it_names_one() -> None:
    refund = _record(RecordRole.CR, RecordType.CASH_REFUND, SHIRT)
    assert refund_body(refund, {0: 1}, account_id=140)["account"] == {"id": "140"}
    assert "account" not in refund_body(refund, {0: 1})
    payout = _record(RecordRole.CREF, RecordType.CUSTOMER_REFUND).model_copy(update={"total": D("32.56"), "customer_id": 42})
    body = customer_refund_body(payout, credit_memo_id=9001, customer_id=None, account_id=140)
    assert (body["account"], body["customer"]) == ({"id": "140"}, {"id": "42"})
    assert "account" not in customer_refund_body(payout, credit_memo_id=9001, customer_id=42)


def test_the_fee_journal_debits_the_fee_account_and_credits_the_clearing_account() -> None:
    fee = _record(RecordRole.FEE, RecordType.JOURNAL_ENTRY).model_copy(update={"total": D("0.92"), "customer_id": 42})
    body = fee_journal_body(fee, fee_account_id=676, clearing_account_id=115, subsidiary_id=2)
    assert (body["externalId"], body["subsidiary"]) == ("loop-north-7001-fee", {"id": "2"})
    assert [(line["account"], line.get("debit"), line.get("credit")) for line in body["line"]["items"]] == [
        ({"id": "676"}, D("0.92"), None),
        ({"id": "115"}, None, D("0.92")),
    ]
    assert all(line["entity"] == {"id": "42"} for line in body["line"]["items"])
