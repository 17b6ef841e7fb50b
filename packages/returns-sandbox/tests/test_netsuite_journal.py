"""Journal entries in the NetSuite emulator: lines of one account with a debit or a credit, balanced, posted at once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from returns_sandbox.netsuite.app import create_netsuite_app
from returns_sandbox.netsuite.constants import RECORD_SPECS
from returns_sandbox.netsuite.errors import NetSuiteError
from returns_sandbox.netsuite.models import NetSuiteBackend
from returns_sandbox.netsuite.sample import sample_world
from returns_sandbox.netsuite.suiteql import run_suiteql

BASE = "https://1234567-sb1.suitetalk.api.netsuite.com"


@pytest.fixture
def backend() -> Iterator[NetSuiteBackend]:
    backend = NetSuiteBackend(clock=lambda: datetime(2024, 5, 10, 9, 0, tzinfo=UTC))
    backend.load_world(sample_world())
    yield backend
    backend.close()


@pytest.fixture
async def client(backend: NetSuiteBackend) -> AsyncIterator[httpx.AsyncClient]:
    app = create_netsuite_app(backend, auth_required=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


def _sql(backend: NetSuiteBackend, query: str) -> list[dict[str, Any]]:
    with backend.lock:
        return run_suiteql(backend.conn, query, limit=1000, offset=0).items


def _fee_body(backend: NetSuiteBackend, debit: str = "0.92", credit: str = "0.92") -> dict[str, Any]:
    return {
        "externalId": "loop-north-7001-fee",
        "subsidiary": {"id": "1"},
        "memo": "Stripe fee",
        "line": {
            "items": [
                {"account": {"id": str(backend.account_for("merchant_fees"))}, "debit": debit, "entity": {"id": "401"}},
                {"account": {"id": str(backend.account_for("stripe_clearing"))}, "credit": credit},
            ]
        },
    }


class TestJournalEntry:
    async def test_oracles_example_shape_posts_each_line_to_its_account(self, client, backend) -> None:
        response = await client.post("/services/rest/record/v1/journalEntry", json=_fee_body(backend))
        assert response.status_code == 204, response.text
        je = int(response.headers["location"].rsplit("/", 1)[1])
        rows = _sql(backend, f"SELECT account, debit, credit FROM transactionaccountingline WHERE transaction = {je}")
        got = sorted((int(r["account"]), Decimal(r["debit"] or "0"), Decimal(r["credit"] or "0")) for r in rows)
        assert got == sorted(
            [
                (backend.account_for("merchant_fees"), Decimal("0.92"), Decimal("0")),
                (backend.account_for("stripe_clearing"), Decimal("0"), Decimal("0.92")),
            ]
        )
        header = _sql(backend, f"SELECT type, externalid, foreigntotal FROM transaction WHERE id = {je}")[0]
        assert (header["type"], header["externalid"], Decimal(header["foreigntotal"])) == (
            "Journal",
            "loop-north-7001-fee",
            Decimal("0.92"),
        )

    def test_out_of_balance_is_refused(self, backend: NetSuiteBackend) -> None:
        with pytest.raises(NetSuiteError) as caught:
            backend.create_record("journalEntry", _fee_body(backend, credit="0.90"))
        assert (caught.value.code, caught.value.path) == ("USER_ERROR", "line")
        assert "out of balance" in caught.value.detail

    def test_a_line_with_both_sides_is_refused(self, backend: NetSuiteBackend) -> None:
        body = _fee_body(backend)
        body["line"]["items"][0]["credit"] = "0.92"
        with pytest.raises(NetSuiteError) as caught:
            backend.create_record("journalEntry", body)
        assert caught.value.path == "line.items[0]"

    def test_subsidiary_is_required(self, backend: NetSuiteBackend) -> None:
        body = _fee_body(backend)
        del body["subsidiary"]
        with pytest.raises(NetSuiteError) as caught:
            backend.create_record("journalEntry", body)
        assert caught.value.detail == "Please enter value(s) for: Subsidiary"

    def test_the_same_external_id_twice_is_refused(self, backend: NetSuiteBackend) -> None:
        backend.create_record("journalEntry", _fee_body(backend))
        with pytest.raises(NetSuiteError) as caught:
            backend.create_record("journalEntry", _fee_body(backend))
        assert caught.value.code == "USER_ERROR"


def _shipped_order(backend: NetSuiteBackend, customer: str) -> int:
    """A sales order for one jacket, shipped (Pending Billing): the emulator has no fulfilment record to make it so."""
    so = backend.create_record(
        "salesOrder", {"entity": {"id": customer}, "item": {"items": [{"item": {"id": "502"}, "quantity": 1, "rate": "50.00"}]}}
    )
    with backend.transaction() as svc:
        record = svc.store.require(RECORD_SPECS["salesOrder"], so)
        record["status"] = "F"
        for line in record["item"]:
            line["quantityFulfilled"] = line["quantity"]
        svc.store.save(record)
    return so


def _open_invoice(backend: NetSuiteBackend) -> dict[str, Any]:
    """An exchange order for Ann (customer 401, north), billed by an open invoice."""
    invoice = backend.transform_record("salesOrder", _shipped_order(backend, "401"), "invoice", {})
    return backend.get_record("invoice", invoice)


def _credit_memo(backend: NetSuiteBackend, apply: list[dict[str, Any]]) -> int:
    ra = backend.transform_record(
        "salesOrder", 7001, "returnAuthorization", {"item": {"items": [{"orderLine": 1, "quantity": 1}]}}, replace=["item"]
    )
    backend.receive_return(ra)
    return backend.transform_record("returnAuthorization", ra, "creditMemo", {"apply": {"items": apply}})


class TestCreditMemoApplication:
    def test_a_credit_memo_pays_the_exchange_orders_invoice_and_posts_nothing_more(self, backend) -> None:
        invoice = _open_invoice(backend)
        cm = _credit_memo(backend, [{"doc": {"id": str(invoice["id"])}, "apply": True, "amount": "48.60"}])
        memo, paid = backend.get_record("creditMemo", cm), backend.get_record("invoice", invoice["id"])
        assert (memo["total"], memo["applied"], memo["unapplied"], memo["status"]) == ("48.60", "48.60", "0.00", "B")
        assert Decimal(paid["amountRemaining"]) == Decimal(invoice["total"]) - Decimal("48.60")
        rows = _sql(backend, f"SELECT account, credit FROM transactionaccountingline WHERE transaction = {cm} AND credit > 0")
        assert [(int(r["account"]), Decimal(r["credit"])) for r in rows] == [(backend.account_for("ar"), Decimal("48.60"))]

    def test_more_than_the_invoice_still_owes_is_refused(self, backend) -> None:
        invoice = _open_invoice(backend)
        too_much = str(Decimal(invoice["total"]) + 1)
        with pytest.raises(NetSuiteError) as caught:
            _credit_memo(backend, [{"doc": {"id": str(invoice["id"])}, "apply": True, "amount": too_much}])
        assert caught.value.path == "apply.items[0].amount"

    def test_another_customers_invoice_is_refused(self, backend) -> None:
        invoice = backend.transform_record("salesOrder", _shipped_order(backend, "402"), "invoice", {})
        with pytest.raises(NetSuiteError) as caught:
            _credit_memo(backend, [{"doc": {"id": str(invoice)}, "apply": True, "amount": "10.00"}])
        assert "does not belong to customer" in caught.value.detail
