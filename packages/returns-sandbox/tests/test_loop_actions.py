"""The Loop emulator's Get Return Details, return actions, notes and admin lifecycle follow loop_api.md §2.1-§2.2."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from returns_sandbox.loop import rules
from returns_sandbox.loop.app import create_loop_app
from returns_sandbox.loop.errors import ActionRefused
from returns_sandbox.loop.factory import make_return
from returns_sandbox.loop.models import LoopBackend

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=3)
KEY = "key-north"
BASE = "/api/v1/warehouse/return"
DETAILS = BASE + "/details"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def backend(clock):
    backend = LoopBackend(clock=clock)
    backend.add_shop(101, name="North", shop_domain="north.myshopify.com", api_keys=[KEY], webhook_secret="whsec-n")
    yield backend
    backend.close()


@pytest.fixture
async def client(backend):
    transport = httpx.ASGITransport(app=create_loop_app(backend))
    async with httpx.AsyncClient(transport=transport, base_url="http://loop.test", headers={"X-Authorization": KEY}) as client:
        yield client


def add(backend: LoopBackend, return_id: int, **kwargs) -> dict:
    kwargs.setdefault("created_at", NOW - timedelta(days=2))
    body = make_return(return_id, **kwargs)
    backend.add_return(101, body)
    return body


def closed_body(state: str, code: str = "UNPROCESSABLE_RETURN") -> dict:
    return {"errors": {"message": f"Return is {state} and therefore cannot be processed.", "code": code}}


class TestGetReturnDetails:
    async def test_by_return_id(self, backend, client):
        body = add(backend, 11)
        response = await client.get(DETAILS, params={"return_id": 11})
        assert (response.status_code, response.json()) == (200, body)

    async def test_by_shopify_order_id_gives_the_most_recent_return(self, backend, client):
        add(backend, 11, provider_order_id="900", created_at=NOW - timedelta(days=3))
        add(backend, 12, provider_order_id="900", created_at=NOW - timedelta(days=1))
        add(backend, 13, provider_order_id="901", created_at=NOW)
        assert (await client.get(DETAILS, params={"order_id": 900})).json()["id"] == "12"

    @pytest.mark.parametrize("name", ["#1042", "1042"])
    async def test_by_order_name_with_or_without_hash(self, backend, client, name):
        add(backend, 11, order_name="#1042")
        assert (await client.get(DETAILS, params={"order_name": name})).json()["id"] == "11"

    async def test_unknown_return_is_404(self, client):
        response = await client.get(DETAILS, params={"return_id": 404404})
        assert (response.status_code, response.json()) == (404, {"message": "Return not found.", "errors": {"code": "NOT_FOUND"}})

    @pytest.mark.parametrize(
        "params, field, message",
        [
            ({}, "return_id", "The return id field is required when none of order id / order name are present."),
            ({"return_id": "abc"}, "return_id", "The return id field must be an integer."),
            ({"order_id": "x1"}, "order_id", "The order id field must be an integer."),
            ({"return_id": 1, "currency_type": "euro"}, "currency_type", "The selected currency type is invalid."),
        ],
    )
    async def test_invalid_lookups_are_422(self, client, params, field, message):
        response = await client.get(DETAILS, params=params)
        assert (response.status_code, response.json()) == (422, {"message": message, "errors": {field: [message]}})

    async def test_presentment_currency_overlays_the_presentment_amounts(self, backend, client):
        body = make_return(11, created_at=NOW)
        body["presentment"] = {"currency": "CAD", "refund": "57.10"}
        backend.add_return(101, body)
        shop = (await client.get(DETAILS, params={"return_id": 11, "currency_type": "shop"})).json()
        presented = (await client.get(DETAILS, params={"return_id": 11, "currency_type": "presentment"})).json()
        assert (shop["currency"], shop["refund"]) == ("USD", "42.30")
        assert (presented["currency"], presented["refund"]) == ("CAD", "57.10")


class TestRenderKnob:
    async def test_fields_are_served_exactly_as_given_with_a_fresh_updated_at(self, backend, client, clock):
        add(backend, 11, state="open")
        clock.now = LATER
        answer = await client.post("/_sandbox/loop/returns/11/render", json={"refunds": None, "state": "archived"})
        assert answer.status_code == 200
        served = (await client.get(DETAILS, params={"return_id": 11})).json()
        assert served["refunds"] is None and served["state"] == "archived"
        assert served["updated_at"].startswith(LATER.strftime("%Y-%m-%dT%H:%M:%S"))
        listed = await client.get(BASE + "/list", params={"state": "open", "from": "2024-04-01", "to": "2024-06-01"})
        assert [r["id"] for r in listed.json()] == ["11"]  # still indexed as the open return it is

    async def test_a_body_that_is_no_object_is_refused(self, backend, client):
        add(backend, 11)
        assert (await client.post("/_sandbox/loop/returns/11/render", json=[1])).status_code == 400


class TestProcessReturn:
    async def test_success_is_literal_true_and_closes_with_processed_outcomes(self, backend, client, clock):
        add(backend, 11, outcome="refund")
        clock.now = LATER
        response = await client.post(f"{BASE}/11/process")
        assert (response.status_code, response.text) == (200, "true")
        stored = backend.get_return(11)
        assert stored["state"] == "closed" and stored["was_processed"] is True
        assert stored["updated_at"] == "2024-05-01T15:00:00.000Z"
        assert stored["outcomes_processed_at"] == {
            "return_processed": "2024-05-01T15:00:00.000Z",
            "refund_processed": "2024-05-01T15:00:00.000Z",
            "gift_card_processed": None,
            "exchange_processed": None,
        }
        assert stored["line_items"][0]["returned_at"] is None  # the API leaves lines as they are

    @pytest.mark.parametrize("outcome, key", [("credit", "gift_card_processed"), ("exchange", "exchange_processed")])
    async def test_the_executed_outcome_gets_its_timestamp(self, backend, client, outcome, key):
        add(backend, 11, outcome=outcome)
        await client.post(f"{BASE}/11/process")
        done = backend.get_return(11)["outcomes_processed_at"]
        assert done[key] == "2024-05-01T12:00:00.000Z" and done["refund_processed"] is None

    @pytest.mark.parametrize(
        "state, body",
        [
            ("closed", closed_body("closed")),
            ("expired", closed_body("expired")),
            ("cancelled", {"message": "Return is cancelled and therefore cannot be processed."}),
            ("review", {"message": "Return is review and therefore cannot be processed."}),
        ],
    )
    async def test_wrong_state_is_http_200_with_an_error_body(self, backend, client, state, body):
        add(backend, 11, state=state)
        response = await client.post(f"{BASE}/11/process")
        assert (response.status_code, response.json()) == (200, body)
        assert backend.get_return(11)["state"] == state

    async def test_a_flagged_return_cannot_be_processed(self, backend, client):
        add(backend, 11)
        assert (await client.post(f"{BASE}/11/flag")).text == "true"
        response = await client.post(f"{BASE}/11/process")
        assert (response.status_code, response.json()) == (200, closed_body("flagged", "UNPROCESSABLE_FLAGGED_RETURN"))

    async def test_unknown_return_is_404(self, client):
        response = await client.post(f"{BASE}/999/process")
        assert (response.status_code, response.json()) == (404, {"message": "Return not found.", "errors": {"code": "NOT_FOUND"}})

    async def test_additional_details_become_a_note_and_are_kept(self, backend, client):
        add(backend, 11)
        assert (await client.post(f"{BASE}/11/process", json={"netsuite_ra": "RA123", "item_receipt": "IR9"})).text == "true"
        assert backend.additional_details(11) == [{"netsuite_ra": "RA123", "item_receipt": "IR9"}]
        notes = (await client.get(f"{BASE}/11/notes")).json()["notes"]
        assert notes[0]["content"] == "Additional details: netsuite_ra: RA123, item_receipt: IR9"

    async def test_the_hook_result_is_merged_into_the_stored_return(self, backend, client):
        add(backend, 11, outcome="exchange")
        seen = []

        def hook(shop_id, ret):
            seen.append((shop_id, ret["state"]))
            return {"exchanges": [dict(ret["exchanges"][0], exchange_order_id="7001", exchange_order_name="#1011-EX")]}

        backend.on_processed = hook
        await client.post(f"{BASE}/11/process")
        assert seen == [(101, "closed")]
        assert backend.get_return(11)["exchanges"][0]["exchange_order_name"] == "#1011-EX"

    async def test_a_failing_hook_leaves_the_return_open_although_the_api_said_true(self, backend, client, clock):
        original = add(backend, 11)
        backend.on_processed = lambda shop_id, ret: 1 / 0
        clock.now = LATER
        assert (await client.post(f"{BASE}/11/process")).text == "true"
        assert backend.get_return(11) == original

    async def test_with_a_delay_processing_happens_after_the_response(self, backend, client):
        add(backend, 11)
        backend.process_delay_seconds = 0.2
        assert (await client.post(f"{BASE}/11/process")).text == "true"
        assert backend.get_return(11)["state"] == "open"
        for _ in range(100):
            if backend.get_return(11)["state"] == "closed":
                break
            await asyncio.sleep(0.02)
        assert backend.get_return(11)["state"] == "closed"


class TestCancelFlagClose:
    @pytest.mark.parametrize(
        "state, flag_first, body",
        [
            ("expired", False, {"content": "Return is expired and cannot be processed."}),
            ("open", True, {"content": "Return is flagged and cannot be processed."}),
            ("closed", False, closed_body("closed")),
            ("cancelled", False, closed_body("cancelled")),
        ],
    )
    async def test_cancel_refusals(self, backend, client, state, flag_first, body):
        add(backend, 11, state=state)
        if flag_first:
            await client.post(f"{BASE}/11/flag")
        response = await client.post(f"{BASE}/11/cancel")
        assert (response.status_code, response.json()) == (200, body)

    @pytest.mark.parametrize("state", ["open", "review"])
    async def test_cancel_open_or_unflagged_review(self, backend, client, clock, state):
        add(backend, 11, state=state)
        clock.now = LATER
        assert (await client.post(f"{BASE}/11/cancel")).text == "true"
        stored = backend.get_return(11)
        assert (stored["state"], stored["updated_at"]) == ("cancelled", "2024-05-01T15:00:00.000Z")

    async def test_flag_puts_an_open_return_into_review(self, backend, client):
        add(backend, 11)
        assert (await client.post(f"{BASE}/11/flag")).text == "true"
        assert backend.get_return(11)["state"] == "review" and backend.is_flagged(11)
        again = await client.post(f"{BASE}/11/flag")
        assert again.json() == closed_body("flagged", "UNPROCESSABLE_FLAGGED_RETURN")

    @pytest.mark.parametrize("state", ["closed", "cancelled", "expired", "review"])
    async def test_flag_refuses_other_states(self, backend, client, state):
        add(backend, 11, state=state)
        response = await client.post(f"{BASE}/11/flag")
        assert (response.status_code, response.json()) == (200, closed_body(state))

    @pytest.mark.parametrize("state", ["open", "review"])
    async def test_close_does_not_execute_outcomes(self, backend, client, state):
        add(backend, 11, state=state)
        assert (await client.post(f"{BASE}/11/close")).text == "true"
        stored = backend.get_return(11)
        assert stored["state"] == "closed" and stored["was_processed"] is False
        assert stored["outcomes_processed_at"]["refund_processed"] is None

    @pytest.mark.parametrize(
        "state, body",
        [
            ("closed", closed_body("closed")),
            ("expired", closed_body("expired")),
            ("cancelled", {"message": "Return is cancelled and therefore cannot be processed."}),
        ],
    )
    async def test_close_refusals(self, backend, client, state, body):
        add(backend, 11, state=state)
        response = await client.post(f"{BASE}/11/close")
        assert (response.status_code, response.json()) == (200, body)


class TestRemoveLineItems:
    async def test_line_item_id_is_required(self, backend, client):
        add(backend, 11)
        response = await client.post(f"{BASE}/11/remove")
        assert (response.status_code, response.json()) == (422, {"error": {"message": "The line item id field is required."}})

    async def test_only_open_returns_can_be_modified(self, backend, client):
        add(backend, 11, state="closed")
        response = await client.post(f"{BASE}/11/remove", params={"line_item_id": "1101"})
        assert (response.status_code, response.json()) == (422, {"message": "Return cannot be modified."})

    async def test_exchange_lines_do_not_qualify(self, backend, client):
        add(backend, 11, line_outcomes=["exchange", "refund"])
        none = await client.post(f"{BASE}/11/remove", params={"line_item_id": "1101"})
        assert (none.status_code, none.json()) == (422, {"message": "There are no line items that qualify for removal"})
        some = await client.post(f"{BASE}/11/remove", params={"line_item_id": "1101,1102"})
        assert (some.status_code, some.json()) == (422, {"message": "Not all line items qualify for removal"})

    async def test_removing_lines_reduces_the_totals_and_processes(self, backend, client):
        add(backend, 11, lines=2)
        assert (await client.post(f"{BASE}/11/remove", params={"line_item_id": "1102"})).text == "true"
        stored = backend.get_return(11)
        assert [line["line_item_id"] for line in stored["line_items"]] == ["1101"]
        assert (stored["refund"], stored["return_total"], stored["return_product_total"]) == ("42.30", "42.30", "45.00")
        assert stored["state"] == "closed" and stored["outcomes_processed_at"]["refund_processed"]

    def test_refund_parts_not_yet_executed_follow_the_smaller_refund(self):
        ret = make_return(11, lines=2, created_at=NOW)
        ret["refunds"] = [
            {"gateway": "shopify_payments", "amount": "63.45", "currency": "USD", "provider_refund_id": None},
            {"gateway": "gift_card", "amount": "21.15", "currency": "USD", "provider_refund_id": None},
        ]
        after = rules.remove_lines(ret, ["1102"])
        assert after["refund"] == "42.30"
        assert [(part["gateway"], part["amount"]) for part in after["refunds"]] == [
            ("shopify_payments", "31.73"),
            ("gift_card", "10.57"),
        ]

    async def test_a_processing_failure_is_a_500_and_changes_nothing(self, backend, client):
        original = add(backend, 11, lines=2)
        backend.on_processed = lambda shop_id, ret: 1 / 0
        response = await client.post(f"{BASE}/11/remove", params={"line_item_id": "1102"})
        assert (response.status_code, response.json()) == (500, {"message": "An error was encountered during processing."})
        assert backend.get_return(11) == original


class TestNotes:
    async def test_no_notes_is_422_false(self, backend, client):
        add(backend, 11)
        response = await client.get(f"{BASE}/11/notes")
        assert (response.status_code, response.text) == (422, "false")

    async def test_created_notes_are_listed(self, backend, client):
        add(backend, 11)
        assert (await client.post(f"{BASE}/11/note", json={"content": "2 of 3 units received"})).text == "true"
        assert (await client.post(f"{BASE}/11/note", json={"content": "x" * 254})).text == "true"
        notes = (await client.get(f"{BASE}/11/notes")).json()["notes"]
        assert [(n["content"], n["created_at"]) for n in notes] == [
            ("2 of 3 units received", "2024-05-01T12:00:00.000Z"),
            ("x" * 254, "2024-05-01T12:00:00.000Z"),
        ]
        assert isinstance(notes[0]["id"], int)

    @pytest.mark.parametrize("payload", [{"content": "x" * 255}, {}, {"content": ""}, {"content": 12}])
    async def test_content_is_required_and_under_255_characters(self, backend, client, payload):
        add(backend, 11)
        response = await client.post(f"{BASE}/11/note", json=payload)
        assert response.status_code == 422
        assert response.json() == {"errors": {"message": "Content is required and must be less than 255 characters."}}

    async def test_notes_of_an_unknown_return_are_404(self, client):
        assert (await client.get(f"{BASE}/5/notes")).status_code == 404

    async def test_a_key_without_the_returns_scope_is_refused_and_nothing_is_written(self, backend, client):
        backend.add_shop(
            101, name="North", shop_domain="north.myshopify.com", api_keys=["key-webhooks"], webhook_secret="whsec-n", scopes=()
        )
        add(backend, 11)
        unauthorized = {"error": {"code": "401", "http_code": "GEN-UNAUTHORIZED", "message": "Unauthorized."}}
        headers = {"X-Authorization": "key-webhooks"}
        refused = await client.post(f"{BASE}/11/note", json={"content": "RMA1"}, headers=headers)
        listed = await client.get(f"{BASE}/11/notes", headers=headers)
        assert (refused.status_code, refused.json()) == (401, unauthorized)
        assert (listed.status_code, listed.json()) == (401, unauthorized)
        assert (await client.get(f"{BASE}/11/notes")).status_code == 422  # still no note on the return


class TestAdminLifecycle:
    async def test_process_in_admin_marks_every_line_returned(self, backend, client, clock):
        add(backend, 11, lines=2, state="review")
        clock.now = LATER
        response = await client.post("/_sandbox/loop/returns/11/process")
        assert response.status_code == 200 and response.json()["ok"] is True
        stored = backend.get_return(11)
        assert stored["state"] == "closed" and stored["was_processed"] is True
        assert [line["returned_at"] for line in stored["line_items"]] == ["2024-05-01T15:00:00.000Z"] * 2

    async def test_admin_refusals_are_409_with_the_vendor_body(self, backend, client):
        add(backend, 11, state="cancelled")
        response = await client.post("/_sandbox/loop/returns/11/process")
        assert (response.status_code, response.json()) == (409, {"ok": False, "error": closed_body("cancelled")})
        with pytest.raises(ActionRefused):
            backend.process_in_admin(11)

    async def test_review_done_reopens_a_flagged_return_for_processing(self, backend, client):
        add(backend, 11)
        await client.post(f"{BASE}/11/flag")
        assert (await client.post("/_sandbox/loop/returns/11/review-done")).status_code == 200
        assert backend.get_return(11)["state"] == "open" and not backend.is_flagged(11)
        assert (await client.post(f"{BASE}/11/process")).text == "true"

    async def test_cancel_in_admin_works_on_flagged_returns(self, backend, client):
        add(backend, 11)
        await client.post(f"{BASE}/11/flag")
        backend.cancel_in_admin(11)
        assert backend.get_return(11)["state"] == "cancelled"

    async def test_expire_turns_an_open_return_expired_and_refuses_a_closed_one(self, backend, client):
        add(backend, 11)
        backend.expire(11)
        stored = backend.get_return(11)
        assert stored["state"] == "expired"
        # Loop documents no charge field: the expiry changes the state only.
        assert set(stored) == set(backend.get_return(11))
        with pytest.raises(ActionRefused):
            backend.expire(11)
        assert (await client.post(f"{BASE}/11/process")).json() == closed_body("expired")

    async def test_mark_received_sets_returned_at_on_the_given_lines(self, backend, client, clock):
        add(backend, 11, lines=3)
        clock.now = LATER
        response = await client.post("/_sandbox/loop/returns/11/receive", json={"line_item_ids": [1101, 1103]})
        assert response.status_code == 200
        stored = backend.get_return(11)
        assert [line["returned_at"] for line in stored["line_items"]] == [
            "2024-05-01T15:00:00.000Z",
            None,
            "2024-05-01T15:00:00.000Z",
        ]
        assert stored["state"] == "open" and stored["updated_at"] == "2024-05-01T15:00:00.000Z"

    async def test_unknown_operation_and_return(self, backend, client):
        add(backend, 11)
        assert (await client.post("/_sandbox/loop/returns/11/explode")).status_code == 404
        assert (await client.post("/_sandbox/loop/returns/99/process")).status_code == 404
        assert (await client.get("/_sandbox/loop/returns/11")).json()["return"]["id"] == "11"
