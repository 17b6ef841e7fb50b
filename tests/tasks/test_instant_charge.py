"""The instant-exchange charge: its signal, amount check and Customer Payment body (tasks/instant_charge.py)."""

from __future__ import annotations

from decimal import Decimal

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.netsuite import RecordRole
from returns_sync.tasks.instant_charge import ChargeCheck, charge_amount, instant_charge_due, payment_body
from returns_sync.tasks.netsuite_lookup import InvoiceBalance

D = Decimal
TOL = D("0.01")


def _return(state: str = "expired", *, returned: bool = False, exchange_total: str = "54.00") -> LoopReturn:
    return LoopReturn.model_validate(
        {
            "id": "7001",
            "state": state,
            "currency": "USD",
            "exchange_total": exchange_total,
            "line_items": [{"line_item_id": "1", "sku": "S", "returned_at": "2024-05-01T00:00:00Z" if returned else None}],
            "exchanges": [{"exchange_id": "9", "exchange_order_id": "555", "price": "50.00", "tax": "4.00", "total": "54.00"}],
        }
    )


def test_only_an_expired_instant_exchange_is_charged():
    assert instant_charge_due(_return())
    assert not instant_charge_due(_return("open"))
    assert not instant_charge_due(_return("closed"))
    assert not instant_charge_due(_return(returned=True))  # the goods came back: a plain exchange


def test_charge_is_the_exchange_items_total_and_matches_loop():
    r = _return()
    assert charge_amount(r) == D("54.00")
    assert ChargeCheck(r, currency="USD", tolerance=TOL).problems == []


def test_a_mismatch_with_loops_exchange_total_or_currency_is_a_reason_not_a_posting():
    check = ChargeCheck(_return(exchange_total="60.00"), currency="CAD", tolerance=TOL)
    assert any("exchange_total is 60.00" in p for p in check.problems)
    assert any("in CAD in NetSuite" in p for p in check.problems)


def test_nothing_to_charge_is_refused():
    r = _return(exchange_total="0.00")
    r.exchanges[0].total = D("0")
    assert any("nothing to charge" in p for p in ChargeCheck(r, currency="USD", tolerance=TOL).problems)


def _ext() -> ExternalId:
    return ExternalId("north", "7001", RecordRole.PAY)


def test_payment_applies_to_the_open_invoice_up_to_its_balance():
    invoice = InvoiceBalance(id=31, tranid="INV31", customer_id=8, sales_order_id=20, unpaid=D("20.00"))
    body, applied = payment_body(_ext(), memo="m", customer_id=8, amount=D("54.00"), account_id=115, invoice=invoice)
    assert applied == D("20.00")
    assert body["externalId"] == "loop-north-7001-pay"
    assert body["payment"] == "54.00" and body["account"] == {"id": "115"}
    assert body["apply"] == {"items": [{"doc": {"id": "31"}, "apply": True, "amount": "20.00"}]}


def test_payment_without_an_open_invoice_stays_unapplied():
    paid = InvoiceBalance(id=31, tranid="INV31", customer_id=8, sales_order_id=20, unpaid=D("0.00"))
    for invoice in (None, paid):
        body, applied = payment_body(_ext(), memo="m", customer_id=8, amount=D("54.00"), account_id=None, invoice=invoice)
        assert applied == 0 and "apply" not in body and "account" not in body
