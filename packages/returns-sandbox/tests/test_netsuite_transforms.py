"""The NetSuite emulator's transforms, RA status machine, payments and GL, checked against POSTING.md's worked example."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from returns_sandbox.netsuite.app import create_netsuite_app
from returns_sandbox.netsuite.errors import NetSuiteError
from returns_sandbox.netsuite.models import NetSuiteBackend
from returns_sandbox.netsuite.sample import sample_world

BASE = "https://1234567-sb1.suitetalk.api.netsuite.com"
RECORD = "/services/rest/record/v1"
SHIRT_LINE = {"orderLine": 1, "quantity": 1, "rate": 45.00}


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


def one_shirt_ra(backend: NetSuiteBackend, so: int = 7001, **body: Any) -> int:
    return backend.transform_record(
        "salesOrder", so, "returnAuthorization", {"item": {"items": [SHIRT_LINE]}, **body}, replace=["item"]
    )


def gl(backend: NetSuiteBackend, transaction: int) -> dict[str, tuple[Decimal, Decimal]]:
    """Debit/credit per account role (summed), for readable assertions."""
    roles = {
        backend.account_for(role): role
        for role in (
            "cash",
            "undeposited_funds",
            "stripe_clearing",
            "ar",
            "inventory",
            "tax_payable",
            "customer_deposits",
            "gift_card_liability",
            "income",
            "sales_returns",
            "shipping_income",
            "other_income",
            "cogs",
            "return_incentive_expense",
            "merchant_fees",
        )
    }
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for _, account, debit, credit in backend.gl_lines(transaction):
        d, c = out.get(roles[account], (Decimal(0), Decimal(0)))
        out[roles[account]] = (d + debit, c + credit)
    return out


def assert_every_posting_balances(backend: NetSuiteBackend) -> None:
    rows = backend.store.rows(
        'SELECT "transaction" AS t, SUM(debit) AS d, SUM(credit) AS c FROM transactionaccountingline GROUP BY 1'
    )
    assert rows, "no GL rows at all"
    for row in rows:
        assert Decimal(str(row["d"])).quantize(Decimal("0.01")) == Decimal(str(row["c"])).quantize(Decimal("0.01")), row["t"]


def status(backend: NetSuiteBackend, record_type: str, rid: int) -> str | None:
    return backend.get_record(record_type, rid).get("status")


class TestChainOverHttp:
    async def test_so_ra_ir_cm_customer_refund(self, client: httpx.AsyncClient, backend: NetSuiteBackend) -> None:
        response = await client.post(
            f"{RECORD}/salesOrder/7001/!transform/returnAuthorization?replace=item",
            json={
                "externalId": "loop-north-1-ra",
                "memo": "Loop return 1 · order #1001",
                "custbody_loop_return_id": "1",
                "item": {"items": [SHIRT_LINE]},
            },
        )
        assert response.status_code == 204
        ra = int(response.headers["location"].rsplit("/", 1)[1])
        assert response.headers["location"] == f"{BASE}{RECORD}/returnAuthorization/{ra}"
        body = (await client.get(f"{RECORD}/returnAuthorization/{ra}", params={"expandSubResources": "true"})).json()
        assert body["status"] == {"id": "B", "refName": "Pending Receipt"}
        assert body["orderStatus"] == {"id": "B", "refName": "Pending Receipt"}
        assert body["createdFrom"]["refName"] == "Sales Order #SO1001"
        assert body["tranId"] == "RMA1001" and body["total"] == 48.6
        assert body["item"]["items"][0]["orderLine"] == 1

        response = await client.post(
            f"{RECORD}/returnAuthorization/{ra}/!transform/itemReceipt",
            json={
                "externalId": "loop-north-1-ir-1",
                "item": {"items": [{"orderLine": 1, "itemReceive": True, "quantity": 1, "location": {"id": "11"}}]},
            },
        )
        ir = int(response.headers["location"].rsplit("/", 1)[1])
        assert (await client.get(f"{RECORD}/returnAuthorization/{ra}")).json()["status"] == {
            "id": "F",
            "refName": "Pending Refund",
        }
        assert backend.get_record("itemReceipt", ir)["tranId"] == "IR1001"

        response = await client.post(
            f"{RECORD}/returnAuthorization/{ra}/!transform/creditMemo", json={"externalId": "loop-north-1-cm"}
        )
        cm = int(response.headers["location"].rsplit("/", 1)[1])
        assert (await client.get(f"{RECORD}/returnAuthorization/{ra}")).json()["status"]["refName"] == "Refunded"
        memo = (await client.get(f"{RECORD}/creditMemo/{cm}")).json()
        assert memo["status"] == {"id": "A", "refName": "Open"} and memo["total"] == 48.6 and memo["unapplied"] == 48.6

        response = await client.post(
            f"{RECORD}/customerRefund",
            json={
                "customer": {"id": "401"},
                "externalId": "loop-north-1-cref",
                "apply": {"items": [{"doc": {"id": str(cm)}, "apply": True, "amount": 48.6}]},
            },
        )
        cref = int(response.headers["location"].rsplit("/", 1)[1])
        assert (await client.get(f"{RECORD}/creditMemo/{cm}")).json()["status"] == {"id": "B", "refName": "Fully Applied"}

        # POSTING.md worked example, refund to original payment on an invoiced order.
        assert gl(backend, ir) == {"inventory": (Decimal("20"), 0), "cogs": (0, Decimal("20"))}
        assert gl(backend, cm) == {
            "sales_returns": (Decimal("45"), 0),
            "tax_payable": (Decimal("3.6"), 0),
            "ar": (0, Decimal("48.6")),
        }
        assert gl(backend, cref) == {"ar": (Decimal("48.6"), 0), "cash": (0, Decimal("48.6"))}
        assert_every_posting_balances(backend)

    async def test_duplicate_external_id_on_transform(self, client: httpx.AsyncClient) -> None:
        url = f"{RECORD}/salesOrder/7001/!transform/returnAuthorization?replace=item"
        body = {"externalId": "loop-north-9-ra", "item": {"items": [SHIRT_LINE]}}
        assert (await client.post(url, json=body)).status_code == 204
        again = await client.post(url, json=body)
        assert again.status_code == 400
        assert again.json()["o:errorDetails"][0] == {
            "detail": "Error while accessing a resource. This entity already exists.",
            "o:errorCode": "USER_ERROR",
        }

    async def test_unsupported_transform(self, client: httpx.AsyncClient) -> None:
        response = await client.post(f"{RECORD}/customerRefund/7001/!transform/salesOrder", json={})
        # 7001 is a sales order: a transaction addressed under another type is refused with 400, not 404.
        assert (response.status_code, response.json()["o:errorDetails"][0]["detail"]) == (
            400,
            "Error while accessing a resource. Transaction type specified is incorrect.",
        )
        response = await client.post(f"{RECORD}/salesOrder/7001/!transform/customerRefund", json={})
        assert response.json()["o:errorDetails"][0] == {
            "detail": "Transformation from salesOrder to customerRefund is not supported.",
            "o:errorCode": "USER_ERROR",
        }


class TestReturnAuthorization:
    def test_without_replace_all_lines_are_copied(self, backend: NetSuiteBackend) -> None:
        ra = backend.transform_record("salesOrder", 7001, "returnAuthorization", {"item": {"items": [SHIRT_LINE]}})
        lines = backend.get_record("returnAuthorization", ra)["item"]
        assert [(x["orderLine"], x["quantity"], x["amount"], x["tax1Amt"]) for x in lines] == [
            (1, "1", "45.00", "3.60"),
            (2, "1", "70.00", "5.60"),
            (3, "1", "5.00", "0.40"),
        ]

    def test_a_line_keeps_the_orders_tax_code_and_netsuite_computes_the_tax(self, backend: NetSuiteBackend) -> None:
        ra = backend.transform_record(
            "salesOrder", 7001, "returnAuthorization", {"item": {"items": [{"orderLine": 1, "quantity": 1}]}}, replace=["item"]
        )
        line = backend.get_record("returnAuthorization", ra)["item"][0]
        so_line = backend.get_record("salesOrder", 7001)["item"][0]
        assert line["taxCode"] == so_line["taxCode"] is not None
        assert (line["rate"], line["amount"], line["tax1Amt"]) == ("45.00", "45.00", "3.60")

    def test_zero_value_exchange_line(self, backend: NetSuiteBackend) -> None:
        ra = backend.transform_record(
            "salesOrder",
            7001,
            "returnAuthorization",
            {"item": {"items": [{"orderLine": 1, "quantity": 1, "rate": 0}]}},
            replace=["item"],
        )
        assert backend.get_record("returnAuthorization", ra)["total"] == "0.00"

    def test_second_return_defaults_to_what_is_left(self, backend: NetSuiteBackend) -> None:
        one_shirt_ra(backend)
        ra = backend.transform_record("salesOrder", 7001, "returnAuthorization", {})
        assert [(x["orderLine"], x["quantity"]) for x in backend.get_record("returnAuthorization", ra)["item"]] == [
            (1, "1"),
            (2, "1"),
            (3, "1"),
        ]

    def test_unknown_order_line(self, backend: NetSuiteBackend) -> None:
        with pytest.raises(NetSuiteError) as caught:
            backend.transform_record("salesOrder", 7001, "returnAuthorization", {"item": {"items": [{"orderLine": 9}]}})
        assert (caught.value.code, caught.value.path) == ("INVALID_CONTENT", "item.items[0].orderLine")

    def test_order_must_be_fulfilled(self, backend: NetSuiteBackend) -> None:
        world = sample_world()
        so = backend.create_exchange_sales_order(world.orders[2])
        assert status(backend, "salesOrder", so) == "B"
        with pytest.raises(NetSuiteError) as caught:
            backend.transform_record("salesOrder", so, "returnAuthorization", {})
        assert (caught.value.code, caught.value.detail) == (
            "USER_ERROR",
            f"You can not initialize returnauthorization: invalid reference {so}.",
        )

    def test_pending_approval_then_approved(self, backend: NetSuiteBackend) -> None:
        ra = one_shirt_ra(backend, orderStatus={"id": "A"})
        assert status(backend, "returnAuthorization", ra) == "A"
        with pytest.raises(NetSuiteError):
            backend.transform_record("returnAuthorization", ra, "itemReceipt")
        backend.update_record("returnAuthorization", ra, {"orderStatus": {"id": "B"}})
        assert status(backend, "returnAuthorization", ra) == "B"
        with pytest.raises(NetSuiteError) as caught:
            backend.update_record("returnAuthorization", ra, {"orderStatus": {"id": "G"}})
        assert caught.value.code == "USER_ERROR"

    def test_closing_lines(self, backend: NetSuiteBackend) -> None:
        ra = backend.transform_record(
            "salesOrder", 7001, "returnAuthorization", {"item": {"items": [SHIRT_LINE, {"orderLine": 2}]}}, replace=["item"]
        )
        backend.update_record("returnAuthorization", ra, {"item": {"items": [{"line": 2, "isClosed": True}]}})
        assert status(backend, "returnAuthorization", ra) == "B"
        row = backend.store.row('SELECT isclosed FROM transactionline WHERE "transaction" = ? AND id = 2', (ra,))
        assert row["isclosed"] == "T"
        backend.update_record("returnAuthorization", ra, {"item": {"items": [{"line": 1, "isClosed": True}]}})
        assert status(backend, "returnAuthorization", ra) == "H"
        with pytest.raises(NetSuiteError) as caught:
            backend.transform_record("returnAuthorization", ra, "itemReceipt")
        assert caught.value.code == "USER_ERROR"

    def test_close_after_receipt_of_an_exchange(self, backend: NetSuiteBackend) -> None:
        ra = backend.transform_record(
            "salesOrder",
            7001,
            "returnAuthorization",
            {"item": {"items": [{"orderLine": 1, "quantity": 1, "rate": 0}]}},
            replace=["item"],
        )
        backend.receive_return(ra)
        assert status(backend, "returnAuthorization", ra) == "F"
        backend.close_return_authorization(ra)
        assert status(backend, "returnAuthorization", ra) == "H"


class TestItemReceipt:
    def test_partial_receipts(self, backend: NetSuiteBackend) -> None:
        ra = backend.transform_record(
            "salesOrder", 7001, "returnAuthorization", {"item": {"items": [{"orderLine": 1, "quantity": 2}]}}, replace=["item"]
        )
        first = backend.receive_return(ra, quantity=1)
        assert status(backend, "returnAuthorization", ra) == "E"  # partly received, the received unit waits for its refund
        assert backend.get_record("returnAuthorization", ra)["item"][0]["quantityReceived"] == "1"
        row = backend.store.row(
            'SELECT quantity, quantityshiprecv FROM transactionline WHERE "transaction" = ? AND id = 1', (ra,)
        )
        assert (row["quantity"], row["quantityshiprecv"]) == (2, 1)
        cm = backend.transform_record("returnAuthorization", ra, "creditMemo")
        assert backend.get_record("creditMemo", cm)["total"] == "48.60"
        assert status(backend, "returnAuthorization", ra) == "D"  # partly received, everything received credited
        second = backend.receive_return(ra)
        assert status(backend, "returnAuthorization", ra) == "F"
        assert [backend.get_record("itemReceipt", x)["item"][0]["quantity"] for x in (first, second)] == ["1", "1"]
        backend.transform_record("returnAuthorization", ra, "creditMemo")
        assert status(backend, "returnAuthorization", ra) == "G"

    def test_location_per_line_and_default(self, backend: NetSuiteBackend) -> None:
        ra = backend.transform_record(
            "salesOrder", 7001, "returnAuthorization", {"item": {"items": [SHIRT_LINE, {"orderLine": 2}]}}, replace=["item"]
        )
        ir = backend.transform_record(
            "returnAuthorization", ra, "itemReceipt", {"item": {"items": [{"orderLine": 2, "location": {"id": 21}}]}}
        )
        lines = backend.get_record("itemReceipt", ir)["item"]
        assert [(x["orderLine"], x["location"]) for x in lines] == [(1, 11), (2, 21)]

    def test_item_receive_false_and_replace(self, backend: NetSuiteBackend) -> None:
        ra = backend.transform_record(
            "salesOrder", 7001, "returnAuthorization", {"item": {"items": [SHIRT_LINE, {"orderLine": 2}]}}, replace=["item"]
        )
        ir = backend.transform_record(
            "returnAuthorization", ra, "itemReceipt", {"item": {"items": [{"orderLine": 1, "itemreceive": False}]}}
        )
        assert [x["orderLine"] for x in backend.get_record("itemReceipt", ir)["item"]] == [2]
        ir2 = backend.transform_record(
            "returnAuthorization", ra, "itemReceipt", {"item": {"items": [{"orderLine": 1}]}}, replace=["item"]
        )
        assert [x["orderLine"] for x in backend.get_record("itemReceipt", ir2)["item"]] == [1]
        assert status(backend, "returnAuthorization", ra) == "F"

    def test_cannot_receive_more_than_expected(self, backend: NetSuiteBackend) -> None:
        ra = one_shirt_ra(backend)
        with pytest.raises(NetSuiteError) as caught:
            backend.transform_record(
                "returnAuthorization", ra, "itemReceipt", {"item": {"items": [{"orderLine": 1, "quantity": 2}]}}
            )
        assert caught.value.code == "USER_ERROR" and caught.value.path == "item.items[0].quantity"

    def test_location_is_required(self, backend: NetSuiteBackend) -> None:
        ra = backend.create_record(
            "returnAuthorization", {"entity": {"id": 401}, "item": {"items": [{"item": {"id": 501}, "rate": 1}]}}
        )
        with pytest.raises(NetSuiteError) as caught:
            backend.transform_record("returnAuthorization", ra, "itemReceipt")
        assert caught.value.detail == "Please enter value(s) for: Location"

    def test_credit_needs_a_receipt(self, backend: NetSuiteBackend) -> None:
        ra = one_shirt_ra(backend)
        with pytest.raises(NetSuiteError) as caught:
            backend.transform_record("returnAuthorization", ra, "creditMemo")
        assert caught.value.detail == f"You can not initialize creditmemo: invalid reference {ra}."

    def test_deleting_a_receipt_gives_the_quantity_back(self, backend: NetSuiteBackend) -> None:
        ra = one_shirt_ra(backend)
        ir = backend.receive_return(ra)
        backend.delete_record("itemReceipt", ir)
        assert status(backend, "returnAuthorization", ra) == "B"
        assert backend.gl_lines(ir) == []
        with pytest.raises(NetSuiteError) as caught:
            backend.delete_record("salesOrder", 7001)
        assert caught.value.code == "THIS_RECORD_CANNOT_BE_DELETED_BECAUSE_IT_HAS_DEPENDENT_RECORDS"


class TestRefundDocuments:
    def received(self, backend: NetSuiteBackend, so: int = 7001) -> int:
        ra = one_shirt_ra(backend, so)
        backend.receive_return(ra)
        return ra

    def test_cash_refund_on_a_cash_sale_order(self, backend: NetSuiteBackend) -> None:
        ra = self.received(backend, 7002)
        cr = backend.transform_record("returnAuthorization", ra, "cashRefund", {"externalId": "loop-south-1-cr"})
        assert status(backend, "returnAuthorization", ra) == "G"
        assert backend.get_record("cashRefund", cr)["total"] == "48.60"
        assert gl(backend, cr) == {
            "sales_returns": (Decimal("45"), 0),
            "tax_payable": (Decimal("3.6"), 0),
            "undeposited_funds": (0, Decimal("48.6")),
        }

    def test_handling_fee(self, backend: NetSuiteBackend) -> None:
        ra = self.received(backend, 7002)
        cr = backend.transform_record(
            "returnAuthorization", ra, "cashRefund", {"item": {"items": [{"item": {"id": 601}, "quantity": 1, "rate": -5}]}}
        )
        assert backend.get_record("cashRefund", cr)["total"] == "43.60"
        assert gl(backend, cr) == {
            "sales_returns": (Decimal("45"), 0),
            "tax_payable": (Decimal("3.6"), 0),
            "other_income": (0, Decimal("5")),
            "undeposited_funds": (0, Decimal("43.6")),
        }

    def test_store_credit_with_bonus(self, backend: NetSuiteBackend) -> None:
        ra = self.received(backend)
        cm = backend.transform_record(
            "returnAuthorization",
            ra,
            "creditMemo",
            {"item": {"items": [{"item": {"id": 602}, "rate": -53.60}, {"item": {"id": 603}, "rate": 5}]}},
        )
        memo = backend.get_record("creditMemo", cm)
        assert (memo["total"], memo["status"]) == ("0.00", "B")
        assert gl(backend, cm) == {
            "sales_returns": (Decimal("45"), 0),
            "tax_payable": (Decimal("3.6"), 0),
            "gift_card_liability": (0, Decimal("53.6")),
            "return_incentive_expense": (Decimal("5"), 0),
        }

    def test_price_adjustment_and_gift_card_lines(self, backend: NetSuiteBackend) -> None:
        ra = self.received(backend, 7002)
        cr = backend.transform_record(
            "returnAuthorization",
            ra,
            "cashRefund",
            {"item": {"items": [{"item": {"id": 605}, "rate": -20}, {"item": {"id": 604}, "rate": 10}]}},
        )
        assert gl(backend, cr) == {
            "sales_returns": (Decimal("55"), 0),
            "tax_payable": (Decimal("3.6"), 0),
            "gift_card_liability": (0, Decimal("20")),
            "undeposited_funds": (0, Decimal("38.6")),
        }
        assert_every_posting_balances(backend)

    def test_cannot_credit_twice(self, backend: NetSuiteBackend) -> None:
        ra = self.received(backend)
        backend.transform_record("returnAuthorization", ra, "creditMemo")
        with pytest.raises(NetSuiteError):
            backend.transform_record("returnAuthorization", ra, "cashRefund")

    def test_cash_sale_to_cash_refund(self, backend: NetSuiteBackend) -> None:
        sale = backend.find_by_body_field("cashSale", "createdFrom", 7002)[0]
        cr = backend.transform_record("cashSale", sale, "cashRefund", {"item": {"items": [{"orderLine": 2}]}}, replace=["item"])
        assert backend.get_record("cashRefund", cr)["total"] == "75.60"

    def test_customer_refund_rules(self, backend: NetSuiteBackend) -> None:
        ra = self.received(backend)
        cm = backend.transform_record("returnAuthorization", ra, "creditMemo")
        too_much = {"customer": {"id": 401}, "apply": {"items": [{"doc": {"id": cm}, "apply": True, "amount": 50}]}}
        with pytest.raises(NetSuiteError) as caught:
            backend.create_record("customerRefund", too_much)
        assert caught.value.path == "apply.items[0].amount"
        with pytest.raises(NetSuiteError) as caught:
            backend.create_record("customerRefund", {"customer": {"id": 402}, "apply": {"items": [{"doc": {"id": cm}}]}})
        assert caught.value.code == "USER_ERROR"
        cref = backend.create_record(
            "customerRefund", {"customer": {"id": 401}, "apply": {"items": [{"doc": {"id": cm}, "amount": 8.6}]}}
        )
        assert backend.get_record("creditMemo", cm)["unapplied"] == "40.00"
        with pytest.raises(NetSuiteError):
            backend.delete_record("creditMemo", cm)
        backend.delete_record("customerRefund", cref)
        assert (backend.get_record("creditMemo", cm)["unapplied"], status(backend, "creditMemo", cm)) == ("48.60", "A")

    async def test_customer_deposit(self, client: httpx.AsyncClient, backend: NetSuiteBackend) -> None:
        stripe = backend.account_for("stripe_clearing")
        response = await client.post(
            f"{RECORD}/customerDeposit",
            json={
                "customer": {"id": "401"},
                "salesOrder": {"id": "7001"},
                "payment": 25,
                "account": {"id": str(stripe)},
                "externalId": "loop-north-5-dep",
            },
        )
        dep = int(response.headers["location"].rsplit("/", 1)[1])
        assert gl(backend, dep) == {"stripe_clearing": (Decimal("25"), 0), "customer_deposits": (0, Decimal("25"))}
        wrong = await client.post(
            f"{RECORD}/customerDeposit", json={"customer": {"id": "402"}, "salesOrder": {"id": "7001"}, "payment": 5}
        )
        assert wrong.json()["o:errorDetails"][0]["o:errorCode"] == "USER_ERROR"

    def test_deposit_application_pays_the_invoice_from_the_deposit(self, backend: NetSuiteBackend) -> None:
        # Oracle: a deposit application exists only as customerDeposit/<id>/!transform/depositApplication.
        backend.delete_record("customerPayment", 7004)  # SO 7001's invoice owes its 178.20 again
        dep = backend.create_record("customerDeposit", {"customer": {"id": "401"}, "salesOrder": {"id": "7001"}, "payment": 25})
        body = {"externalId": "loop-north-5-depapp", "apply": {"items": [{"doc": {"id": 7003}, "apply": True, "amount": 25}]}}
        app = backend.transform_record("customerDeposit", dep, "depositApplication", body)
        assert backend.get_record("depositApplication", app)["total"] == "25.00"
        assert backend.get_record("invoice", 7003)["amountRemaining"] == "153.20"
        assert status(backend, "customerDeposit", dep) == "C"  # Fully Applied
        assert gl(backend, app) == {"customer_deposits": (Decimal("25"), 0), "ar": (0, Decimal("25"))}
        with pytest.raises(NetSuiteError, match="unapplied amount"):
            backend.transform_record(
                "customerDeposit", dep, "depositApplication", {"apply": {"items": [{"doc": {"id": 7003}, "amount": 5}]}}
            )

    def test_deposit_application_cannot_be_created_directly(self, backend: NetSuiteBackend) -> None:
        with pytest.raises(NetSuiteError):
            backend.create_record("depositApplication", {"customer": {"id": "401"}})


class TestSuiteQLTables:
    def test_rows_written_by_the_chain(self, backend: NetSuiteBackend) -> None:
        ra = one_shirt_ra(backend, externalId="loop-north-1-ra", custbody_loop_return_id="1")
        ir = backend.receive_return(ra)
        cm = backend.transform_record("returnAuthorization", ra, "creditMemo")
        row = backend.store.row(
            "SELECT tranid, type, status, externalid, createdfrom, foreigntotal, entity, custbody_loop_return_id "
            'FROM "transaction" WHERE id = ?',
            (ra,),
        )
        assert tuple(row) == ("RMA1001", "RtnAuth", "G", "loop-north-1-ra", 7001, 48.6, 401, "1")
        lines = backend.store.rows(
            'SELECT "transaction" AS t, id, mainline, quantity, netamount, createdfrom, orderline, '
            'quantityshiprecv, quantitybilled FROM transactionline WHERE "transaction" IN (?, ?, ?) ORDER BY 1, 2',
            (ra, ir, cm),
        )
        # createdfrom is on the item lines only; the main line carries header facts (location, subsidiary).
        assert [tuple(r) for r in lines] == [
            (ra, 0, "T", None, -48.6, None, None, None, None),
            (ra, 1, "F", 1, 45, 7001, 1, 1, 1),
            (ir, 0, "T", None, 0, None, None, None, None),
            (ir, 1, "F", 1, 0, ra, 1, 1, None),
            (cm, 0, "T", None, -48.6, None, None, None, None),
            (cm, 1, "F", 1, 45, ra, 1, None, None),
        ]
        links = backend.store.rows(
            "SELECT previousdoc, previousline, nextdoc, nextline, linktype FROM previoustransactionlinelink "
            "WHERE nextdoc IN (?, ?, ?) ORDER BY nextdoc",
            (ra, ir, cm),
        )
        assert [tuple(r) for r in links] == [(7001, 1, ra, 1, "RtnAuth"), (ra, 1, ir, 1, "ShipRcpt"), (ra, 1, cm, 1, "RtnCred")]

    def test_sales_side_quantities_are_negative(self, backend: NetSuiteBackend) -> None:
        row = backend.store.row('SELECT quantity, netamount FROM transactionline WHERE "transaction" = 7001 AND id = 1')
        assert tuple(row) == (-2, -90)


class TestLifecycleOperations:
    def test_set_body_field(self, backend: NetSuiteBackend) -> None:
        ra = one_shirt_ra(backend)
        backend.set_body_field("returnAuthorization", ra, "custbody_loop_flag", True)
        assert backend.store.row('SELECT custbody_loop_flag FROM "transaction" WHERE id = ?', (ra,))[0] == "T"
        assert backend.find_by_body_field("returnAuthorization", "custbody_loop_flag", True) == [ra]

    def test_exchange_sales_order_is_idempotent(self, backend: NetSuiteBackend) -> None:
        order = sample_world().orders[2]
        so = backend.create_exchange_sales_order(order)
        assert backend.create_exchange_sales_order(order) == so
        record = backend.get_record("salesOrder", so)
        assert (record["externalId"], record["otherRefNum"], record["status"]) == ("shopify-north-1002", "#1002", "B")
        assert record["tranDate"] == "2024-05-10"

    def test_operations_work_after_a_restart_on_the_same_file(self, tmp_path: Any) -> None:
        path = str(tmp_path / "netsuite.db")
        first = NetSuiteBackend(path)
        first.load_world(sample_world())
        first.close()
        again = NetSuiteBackend(path)
        assert again.is_seeded() and again.account_id == "1234567_SB1"
        so = again.get_record("salesOrder", again.create_exchange_sales_order(sample_world().orders[2]))
        assert (so["location"], so["item"][-1]["item"], so["custbody_shopify_store"]) == (
            11,
            606,
            "north-outfitters.myshopify.com",
        )
        cr = again.post_connector_refund(
            order=sample_world().orders[0], shopify_refund_id="9", amount=Decimal("5"), kind="creditMemo"
        )
        assert again.get_record("creditMemo", cr)["item"][0]["item"] == 604
        again.close()

    def test_connector_refund(self, backend: NetSuiteBackend) -> None:
        order = sample_world().orders[1]
        cr = backend.post_connector_refund(order=order, shopify_refund_id="777", amount=Decimal("48.60"), kind="cashRefund")
        record = backend.get_record("cashRefund", cr)
        assert (record["total"], record["custbody_shopify_refund_id"], record.get("createdFrom")) == ("48.60", "777", None)
        assert backend.find_by_body_field("cashRefund", "custbody_shopify_refund_id", "777") == [cr]
        with pytest.raises(NetSuiteError) as caught:
            backend.post_connector_refund(order=order, shopify_refund_id="777", amount=Decimal("1"), kind="cashRefund")
        assert (caught.value.code, caught.value.detail) == (
            "USER_ERROR",
            "Error while accessing a resource. This entity already exists.",
        )
        assert_every_posting_balances(backend)

    def test_reset_restores_the_world(self, backend: NetSuiteBackend) -> None:
        one_shirt_ra(backend)
        backend.reset()
        assert backend.counts()["SalesOrd"] == 2 and "RtnAuth" not in backend.counts()
        assert backend.consumer_secret_for("consumer-key") == "consumer-secret"
