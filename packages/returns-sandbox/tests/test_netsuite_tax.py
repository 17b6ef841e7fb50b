"""Tax in the NetSuite emulator: codes and rates, tax computed per line, ``tax1Amt`` under the name-validation header, SuiteTax."""

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
from returns_sandbox.netsuite.suiteql import run_suiteql
from returns_sandbox.netsuite.tax import add_tax_code

BASE = "https://1234567-sb1.suitetalk.api.netsuite.com"
RECORD = "/services/rest/record/v1"
SO = 7001  # sample world: 2 × Shirt 45.00 (line 1), 1 × Jacket 70.00 (line 2), shipping 5.00 (line 3), all at 8 %


def _backend(*, suitetax: bool = False) -> NetSuiteBackend:
    backend = NetSuiteBackend(clock=lambda: datetime(2024, 5, 10, 9, 0, tzinfo=UTC), suitetax=suitetax)
    backend.load_world(sample_world())
    return backend


@pytest.fixture
def backend() -> Iterator[NetSuiteBackend]:
    backend = _backend()
    yield backend
    backend.close()


@pytest.fixture
def suitetax() -> Iterator[NetSuiteBackend]:
    backend = _backend(suitetax=True)
    yield backend
    backend.close()


@pytest.fixture
async def client(backend: NetSuiteBackend) -> AsyncIterator[httpx.AsyncClient]:
    app = create_netsuite_app(backend, auth_required=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


def _ra(backend: NetSuiteBackend, *lines: dict[str, Any]) -> dict[str, Any]:
    rid = backend.transform_record("salesOrder", SO, "returnAuthorization", {"item": {"items": list(lines)}}, replace=["item"])
    return backend.get_record("returnAuthorization", rid)


def _sql(backend: NetSuiteBackend, query: str) -> list[dict[str, Any]]:
    with backend.lock:
        return run_suiteql(backend.conn, query, limit=1000, offset=0).items


class TestLegacyTax:
    def test_tax_codes_are_in_suiteql_with_their_rate_as_netsuite_shows_it(self, backend: NetSuiteBackend) -> None:
        rows = _sql(
            backend,
            "SELECT tl.id, tl.taxcode, BUILTIN.DF(tl.taxcode) AS code, s.rate FROM transactionline tl "
            f"JOIN salestaxitem s ON s.id = tl.taxcode WHERE tl.transaction = {SO} AND tl.mainline = 'F' ORDER BY tl.id",
        )
        assert [(row["id"], row["rate"]) for row in rows] == [("1", "8.00%"), ("2", "8.00%"), ("3", "8.00%")]
        assert rows[0]["code"] == "Sales Tax 8.00%"

    def test_tax_is_computed_per_line_from_the_code_and_rounded_half_up(self, backend: NetSuiteBackend) -> None:
        code = backend.get_record("salesOrder", SO)["item"][0]["taxCode"]
        # 3 × 10.05 = 30.15 at 8 % = 2.412 -> 2.41 for the line (per unit it would be 3 × 0.80 = 2.40).
        rid = backend.create_record(
            "salesOrder",
            {
                "entity": {"id": "401"},
                "item": {"items": [{"item": {"id": "501"}, "quantity": 3, "rate": "10.05", "taxCode": {"id": code}}]},
            },
        )
        record = backend.get_record("salesOrder", rid)
        assert (record["item"][0]["tax1Amt"], record["taxTotal"], record["total"]) == ("2.41", "2.41", "32.56")

    def test_half_a_cent_rounds_up(self, backend: NetSuiteBackend) -> None:
        with backend.lock:
            add_tax_code(backend.conn, 77, "GST 5%", Decimal("0.05"), backend.account_for("tax_payable"))
        rid = backend.create_record(
            "salesOrder",
            {"entity": {"id": "401"}, "item": {"items": [{"item": {"id": "501"}, "rate": "0.10", "taxCode": {"id": 77}}]}},
        )
        assert backend.get_record("salesOrder", rid)["item"][0]["tax1Amt"] == "0.01"  # 0.005: half-up, not to even

    def test_a_line_without_a_code_carries_no_tax(self, backend: NetSuiteBackend) -> None:
        rid = backend.create_record(
            "salesOrder", {"entity": {"id": "401"}, "item": {"items": [{"item": {"id": "501"}, "rate": 10}]}}
        )
        assert backend.get_record("salesOrder", rid)["taxTotal"] == "0.00"

    def test_an_unknown_tax_code_is_refused_naming_the_field(self, backend: NetSuiteBackend) -> None:
        with pytest.raises(NetSuiteError) as caught:
            _ra(backend, {"orderLine": 1, "quantity": 1, "taxCode": {"id": "999"}})
        assert (caught.value.code, caught.value.path) == ("INVALID_CONTENT", "item.items[0].taxCode")
        assert "taxCode" in caught.value.detail

    def test_the_transformed_credit_keeps_the_code_and_posts_tax_to_tax_payable(self, backend: NetSuiteBackend) -> None:
        ra = _ra(backend, {"orderLine": 1, "quantity": 1})
        backend.receive_return(ra["id"])
        cm = backend.transform_record("returnAuthorization", ra["id"], "creditMemo", {})
        record = backend.get_record("creditMemo", cm)
        assert (record["item"][0]["taxCode"], record["taxTotal"], record["total"]) == (ra["item"][0]["taxCode"], "3.60", "48.60")
        tax_account = backend.account_for("tax_payable")
        revenue = {backend.account_for("income"), backend.account_for("sales_returns")}
        rows = _sql(backend, f"SELECT account, debit FROM transactionaccountingline WHERE transaction = {cm}")
        by_account = {int(row["account"]): Decimal(row["debit"] or "0") for row in rows}
        assert by_account[tax_account] == Decimal("3.60")
        assert sum(by_account[a] for a in revenue if a in by_account) == Decimal("45.00")


class TestTaxAmountInARequest:
    """``tax1Amt`` is computed, never taken: refused under the default ``Error``, dropped under ``Warning``/``Ignore``."""

    BODY = {"item": {"items": [{"orderLine": 1, "quantity": 1, "tax1Amt": 9.99}]}}
    URL = f"{RECORD}/salesOrder/{SO}/!transform/returnAuthorization?replace=item"

    @pytest.mark.parametrize("header", [None, "Error", "error"])
    async def test_refused_by_default_naming_the_property(self, client: httpx.AsyncClient, header: str | None) -> None:
        headers = {"X-NetSuite-PropertyNameValidation": header} if header else {}
        response = await client.post(self.URL, json=self.BODY, headers=headers)
        assert response.status_code == 400
        assert response.json()["o:errorDetails"] == [
            {
                "detail": "Invalid field name 'tax1Amt' for record type returnAuthorization.",
                "o:errorCode": "NONEXISTENT_FIELD",
                "o:errorPath": "item.items[0].tax1Amt",
            }
        ]

    @pytest.mark.parametrize("header", ["Warning", "Ignore"])
    async def test_dropped_when_validation_is_relaxed(
        self, client: httpx.AsyncClient, backend: NetSuiteBackend, header: str
    ) -> None:
        response = await client.post(self.URL, json=self.BODY, headers={"X-NetSuite-PropertyNameValidation": header})
        assert response.status_code == 204
        rid = int(response.headers["Location"].rsplit("/", 1)[-1])
        assert backend.get_record("returnAuthorization", rid)["item"][0]["tax1Amt"] == "3.60"  # computed, not 9.99

    async def test_nothing_is_half_posted(self, client: httpx.AsyncClient, backend: NetSuiteBackend) -> None:
        before = _sql(backend, "SELECT COUNT(*) AS n FROM transaction")[0]["n"]
        await client.post(self.URL, json=self.BODY)
        assert _sql(backend, "SELECT COUNT(*) AS n FROM transaction")[0]["n"] == before


class TestSuiteTax:
    def test_tax_comes_as_tax_details_rows(self, suitetax: NetSuiteBackend) -> None:
        ra = _ra(suitetax, {"orderLine": 1, "quantity": 1}, {"orderLine": 2, "quantity": 1})
        assert "taxCode" not in ra["item"][0]
        details = ra["taxDetails"]
        assert [(row["taxDetailsReference"], row["taxBasis"], row["taxRate"], row["taxAmount"]) for row in details] == [
            ("ITEM_1", "45.00", "8.00", "3.60"),
            ("ITEM_2", "70.00", "8.00", "5.60"),
        ]
        assert (ra["taxTotal"], ra["total"]) == ("9.20", "124.20")

    def test_a_line_tax_code_is_not_a_property(self, suitetax: NetSuiteBackend) -> None:
        with pytest.raises(NetSuiteError) as caught:
            _ra(suitetax, {"orderLine": 1, "quantity": 1, "taxCode": {"id": "1"}})
        assert (caught.value.code, caught.value.path) == ("NONEXISTENT_FIELD", "item.items[0].taxCode")

    def test_tax_details_without_the_override_are_refused(self, suitetax: NetSuiteBackend) -> None:
        rows = {
            "items": [
                {"taxDetailsReference": "ITEM_1", "taxType": 1, "taxCode": 1, "taxBasis": 45, "taxRate": 8, "taxAmount": 3.59}
            ]
        }
        with pytest.raises(NetSuiteError) as caught:
            suitetax.transform_record(
                "salesOrder", SO, "returnAuthorization",
                {"item": {"items": [{"orderLine": 1, "quantity": 1}]}, "taxDetails": rows}, replace=["item"],
            )  # fmt: skip
        assert (caught.value.code, caught.value.path) == ("USER_ERROR", "taxDetails")

    def test_the_override_takes_the_rows_as_sent(self, suitetax: NetSuiteBackend) -> None:
        rows = {
            "items": [
                {"taxDetailsReference": "ITEM_1", "taxType": 1, "taxCode": 1, "taxBasis": 45, "taxRate": 8, "taxAmount": 3.59}
            ]
        }
        rid = suitetax.transform_record(
            "salesOrder", SO, "returnAuthorization",
            {"item": {"items": [{"orderLine": 1, "quantity": 1}]}, "taxDetailsOverride": True, "taxDetails": rows},
            replace=["item"],
        )  # fmt: skip
        ra = suitetax.get_record("returnAuthorization", rid)
        assert (ra["taxTotal"], ra["total"]) == ("3.59", "48.59")

    def test_an_override_row_must_name_a_line_of_the_record(self, suitetax: NetSuiteBackend) -> None:
        rows = {
            "items": [{"taxDetailsReference": "ITEM_9", "taxType": 1, "taxCode": 1, "taxBasis": 45, "taxRate": 8, "taxAmount": 1}]
        }
        with pytest.raises(NetSuiteError) as caught:
            suitetax.transform_record(
                "salesOrder", SO, "returnAuthorization",
                {"item": {"items": [{"orderLine": 1, "quantity": 1}]}, "taxDetailsOverride": True, "taxDetails": rows},
                replace=["item"],
            )  # fmt: skip
        assert caught.value.path == "taxDetails.items[0].taxDetailsReference"

    def test_legacy_accounts_know_no_tax_details(self, backend: NetSuiteBackend) -> None:
        with pytest.raises(NetSuiteError) as caught:
            backend.transform_record("salesOrder", SO, "returnAuthorization", {"taxDetailsOverride": True})
        assert (caught.value.code, caught.value.path) == ("NONEXISTENT_FIELD", "taxDetailsOverride")
