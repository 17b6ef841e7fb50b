"""Return authorization approval (the "Default Return Authorization Status" preference) and the INVALID_LOGIN overflow knob."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest

from returns_sandbox.faults import FaultSettings
from returns_sandbox.netsuite.app import create_netsuite_app
from returns_sandbox.netsuite.approval import approval_subsidiaries, set_approval_subsidiaries
from returns_sandbox.netsuite.errors import INVALID_LOGIN_DETAIL, NetSuiteError
from returns_sandbox.netsuite.models import NetSuiteBackend
from returns_sandbox.netsuite.sample import sample_world
from returns_sandbox.seed.stores import NORTH, SOUTH

BASE = "https://1234567-sb1.suitetalk.api.netsuite.com"
RECORD = "/services/rest/record/v1"
SUITEQL = "/services/rest/query/v1/suiteql"
SHIRT_LINE = {"orderLine": 1, "quantity": 1, "rate": 45.00}  # tax is NetSuite's to compute from the line's tax code
NORTH_SO, SOUTH_SO = 7001, 7002


@pytest.fixture
def backend() -> Iterator[NetSuiteBackend]:
    backend = NetSuiteBackend(clock=lambda: datetime(2024, 5, 10, 9, 0, tzinfo=UTC))
    backend.load_world(sample_world())
    # Pending Approval for the north store's subsidiary only.
    with backend.transaction() as svc:
        set_approval_subsidiaries(svc.store, [backend.get_record("salesOrder", NORTH_SO)["subsidiary"]])
    yield backend
    backend.close()


@pytest.fixture
async def client(backend: NetSuiteBackend) -> AsyncIterator[httpx.AsyncClient]:
    app = create_netsuite_app(backend, auth_required=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


def shirt_ra(backend: NetSuiteBackend, so: int = NORTH_SO, **body: object) -> int:
    return backend.transform_record(
        "salesOrder", so, "returnAuthorization", {"item": {"items": [SHIRT_LINE]}, **body}, replace=["item"]
    )


class TestPreference:
    def test_a_new_ra_of_an_approving_subsidiary_is_pending_approval(self, backend: NetSuiteBackend) -> None:
        assert backend.get_record("returnAuthorization", shirt_ra(backend))["status"] == "A"

    def test_other_subsidiaries_keep_pending_receipt(self, backend: NetSuiteBackend) -> None:
        assert backend.get_record("returnAuthorization", shirt_ra(backend, SOUTH_SO))["status"] == "B"

    def test_a_create_that_sets_order_status_b_is_approved_at_once(self, backend: NetSuiteBackend) -> None:
        ra = shirt_ra(backend, orderStatus="B")
        assert backend.get_record("returnAuthorization", ra)["status"] == "B"
        assert backend.is_pending_approval(ra) is False

    def test_the_preference_survives_in_storage_not_in_suiteql_tables(self, backend: NetSuiteBackend) -> None:
        assert approval_subsidiaries(backend.store) == {backend.get_record("salesOrder", NORTH_SO)["subsidiary"]}
        tables = {row[0] for row in backend.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert not any("approval" in name for name in tables)

    def test_the_world_sets_it_per_store(self) -> None:
        world = sample_world()
        north, *others = world.stores
        backend = NetSuiteBackend()
        try:
            backend.load_world(replace(world, stores=(replace(north, ns_ra_approval_required=True), *others)))
            assert approval_subsidiaries(backend.store) == {north.ns_subsidiary_id}
            backend.reset()  # the reloaded world sets it again
            assert approval_subsidiaries(backend.store) == {north.ns_subsidiary_id}
        finally:
            backend.close()

    def test_the_demo_turns_it_on_for_north_whose_sync_approves(self) -> None:
        assert NORTH.ns_ra_approval_required and NORTH.approve_return_authorizations
        assert not SOUTH.ns_ra_approval_required and not SOUTH.approve_return_authorizations


class TestUnapprovedRefusals:
    @pytest.mark.parametrize("target", ["itemReceipt", "creditMemo", "cashRefund"])
    def test_receipts_and_refunds_are_refused_until_approved(self, backend: NetSuiteBackend, target: str) -> None:
        ra = shirt_ra(backend)
        with pytest.raises(NetSuiteError) as caught:
            backend.transform_record("returnAuthorization", ra, target, {})
        assert (caught.value.status, caught.value.code) == (400, "USER_ERROR")
        assert caught.value.detail == f"You can not initialize {target.lower()}: invalid reference {ra}."

    def test_the_warehouse_cannot_receive_an_unapproved_ra(self, backend: NetSuiteBackend) -> None:
        ra = shirt_ra(backend)
        with pytest.raises(NetSuiteError, match="You can not initialize itemreceipt"):
            backend.receive_return(ra)
        assert backend.get_record("returnAuthorization", ra)["item"][0]["quantityReceived"] == "0"

    def test_approval_opens_the_way_to_receipt_and_refund(self, backend: NetSuiteBackend) -> None:
        ra = shirt_ra(backend)
        assert backend.approve_return_authorization(ra) is True
        assert backend.approve_return_authorization(ra) is False  # nothing pending any more
        backend.receive_return(ra)
        backend.transform_record("returnAuthorization", ra, "creditMemo", {})
        assert backend.get_record("returnAuthorization", ra)["status"] == "G"

    def test_closing_every_line_of_an_unapproved_ra_closes_it(self, backend: NetSuiteBackend) -> None:
        ra = shirt_ra(backend)
        backend.close_return_authorization(ra)
        assert backend.get_record("returnAuthorization", ra)["status"] == "H"


class TestOverHttp:
    async def test_status_shows_pending_approval_in_rest_and_suiteql(
        self, backend: NetSuiteBackend, client: httpx.AsyncClient
    ) -> None:
        ra = shirt_ra(backend)
        body = (await client.get(f"{RECORD}/returnAuthorization/{ra}")).json()
        assert body["status"] == {"id": "A", "refName": "Pending Approval"}
        assert body["orderStatus"] == {"id": "A", "refName": "Pending Approval"}
        query = {"q": f"SELECT status FROM transaction WHERE id = {ra}"}
        rows = (await client.post(SUITEQL, json=query, headers={"Prefer": "transient"})).json()["items"]
        assert [row["status"] for row in rows] == ["A"]

    async def test_patch_order_status_b_approves(self, backend: NetSuiteBackend, client: httpx.AsyncClient) -> None:
        ra = shirt_ra(backend)
        refused = await client.post(f"{RECORD}/returnAuthorization/{ra}/!transform/itemReceipt", json={})
        assert refused.status_code == 400
        assert (await client.patch(f"{RECORD}/returnAuthorization/{ra}", json={"orderStatus": "B"})).status_code == 204
        received = await client.post(f"{RECORD}/returnAuthorization/{ra}/!transform/itemReceipt", json={})
        assert received.status_code == 204
        assert backend.get_record("returnAuthorization", ra)["status"] == "F"

    async def test_the_control_route_approves(self, backend: NetSuiteBackend, client: httpx.AsyncClient) -> None:
        ra = shirt_ra(backend)
        answer = await client.post(f"/_sandbox/netsuite/returnAuthorization/{ra}/approve")
        assert answer.json() == {"id": ra, "approved": True}
        assert backend.is_pending_approval(ra) is False


class TestInvalidLoginOnOverflow:
    async def _overflowing(self, backend: NetSuiteBackend, **knobs: object) -> httpx.Response:
        # A limit of 0 puts every request over it.
        app = create_netsuite_app(backend, faults=FaultSettings(concurrency_limit=0, seed=1, **knobs), auth_required=False)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
            response = await client.get(f"{RECORD}/customer/1")
        self.stats = app.stats.as_dict()
        return response

    async def test_an_overflow_is_a_429_by_default(self, backend: NetSuiteBackend) -> None:
        response = await self._overflowing(backend)
        assert response.status_code == 429
        assert response.json()["o:errorDetails"][0]["o:errorCode"] == "CONCURRENCY_LIMIT_EXCEEDED"

    async def test_the_knob_answers_it_as_netsuites_uniform_401(self, backend: NetSuiteBackend) -> None:
        response = await self._overflowing(backend, p_invalid_login_on_overflow=1.0)
        assert response.status_code == 401
        assert response.json() == {
            "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2",
            "title": "Unauthorized",
            "status": 401,
            "o:errorDetails": [{"detail": INVALID_LOGIN_DETAIL, "o:errorCode": "INVALID_LOGIN"}],
        }
        assert response.headers["www-authenticate"].startswith(f'OAuth realm="{backend.account_id}"')
        assert response.headers["content-type"] == "application/vnd.oracle.resource+json; type=error"
        assert self.stats["injected"] == {"invalid_login_on_overflow": 1}

    def test_the_knob_is_a_probability(self) -> None:
        with pytest.raises(ValueError, match="p_invalid_login_on_overflow"):
            FaultSettings().update(p_invalid_login_on_overflow=1.5)
        settings = FaultSettings()
        settings.update(p_invalid_login_on_overflow="0.25")
        assert json.loads(json.dumps(settings.as_dict()))["p_invalid_login_on_overflow"] == 0.25
