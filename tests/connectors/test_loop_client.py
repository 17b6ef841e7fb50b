"""LoopClient edge cases over httpx.MockTransport: list parameters, Loop's odd error bodies, retries, money, signatures.

How pages follow each other (cursor, boundary seconds) is in test_loop_listing.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import pickle
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from returns_sync.connectors.auth import LoopApiKeyAuth
from returns_sync.connectors.errors import (
    AuthenticationError,
    PermanentApiError,
    RateLimitedError,
    RecordRejected,
    TransientApiError,
)
from returns_sync.connectors.loop import ALL_STATES, LoopActionError, LoopClient, verify_loop_signature
from returns_sync.connectors.loop_webhooks import parse_loop_webhook
from returns_sync.connectors.retry import RetryPolicy

BASE = "https://api.loopreturns.com"
LIST = BASE + "/api/v1/warehouse/return/list"
T0 = datetime(2024, 4, 1, tzinfo=UTC)
T1 = datetime(2024, 4, 2, 6, 30, 15, 500000, tzinfo=UTC)
Handler = Callable[[httpx.Request], httpx.Response]


def make_client(handler: Handler, **retry) -> tuple[LoopClient, list[float], list[httpx.Request]]:
    """A client over ``handler`` whose retry policy records its waits instead of sleeping (``retry``: policy fields)."""
    sleeps: list[float] = []
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    http = httpx.Client(transport=httpx.MockTransport(record), base_url=BASE, auth=LoopApiKeyAuth("secret-key"))
    return LoopClient(http, retry=RetryPolicy(sleep=sleeps.append, **retry)), sleeps, seen


def scripted(*responses: httpx.Response | Exception) -> Handler:
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler


def loop_return(rid: str, **fields) -> dict:
    return {"id": rid, "state": "open", "updated_at": "2024-04-01T10:00:00.000Z", "line_items": [], **fields}


def page(returns: list[dict], next_url: str | None = None) -> httpx.Response:
    return httpx.Response(200, json={"returns": returns, "nextPageUrl": next_url, "previousPageUrl": None})


def params_of(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}


class TestPaging:
    def test_each_state_is_queried_with_the_updated_at_filter(self):
        client, _, seen = make_client(lambda r: page([]))
        assert list(client.iter_return_pages(updated_from=T0, updated_to=T1)) == []
        assert [params_of(r)["state"] for r in seen] == list(ALL_STATES) == ["open", "closed", "cancelled", "expired", "review"]
        assert params_of(seen[0]) == {
            "from": "2024-04-01 00:00:00",
            "to": "2024-04-02 06:30:16",
            "filter": "updated_at",
            "state": "open",
            "paginate": "true",
            "pageSize": "250",
        }

    def test_ranges_over_120_days_are_split_into_accepted_windows(self):
        client, _, seen = make_client(lambda r: page([]))
        start = datetime(2024, 1, 1, tzinfo=UTC)
        list(
            client.iter_return_pages(updated_from=start, updated_to=start + timedelta(days=300), states=iter(["open", "review"]))
        )
        windows = [(params_of(r)["from"], params_of(r)["to"]) for r in seen if params_of(r)["state"] == "open"]
        assert len(windows) == 3
        assert windows[0][0] == "2024-01-01 00:00:00" and windows[-1][1] == "2024-10-27 00:00:00"
        for (_, end), (start, _) in itertools.pairwise(windows):
            assert end == start  # contiguous
        for a, b in windows:
            span = datetime.fromisoformat(b) - datetime.fromisoformat(a)
            assert span <= timedelta(days=120)
        assert len(seen) == 6

    def test_a_return_seen_in_two_windows_is_yielded_once(self):
        client, _, _ = make_client(lambda r: page([loop_return("7")]))
        pages = list(client.iter_return_pages(updated_from=T0, updated_to=T0 + timedelta(days=200), states=["open"]))
        assert [[r.id for r in p] for p in pages] == [["7"]]

    def test_a_bare_array_is_a_single_page(self):
        client, _, seen = make_client(lambda r: httpx.Response(200, json=[loop_return("1"), loop_return("2")]))
        pages = list(client.iter_return_pages(updated_from=T0, updated_to=T1, states=["open"]))
        assert [[r.id for r in p] for p in pages] == [["1", "2"]] and len(seen) == 1

    def test_money_may_be_a_number_or_a_string(self):
        item = loop_return(
            "1",
            refund=42.3,
            total="42.30",
            gift_card=None,
            return_tax_total=1,
            refunds=[{"gateway": "stripe", "amount": 20.1, "currency": "USD", "provider_refund_id": 987654321}],
            line_items=[{"line_item_id": 55, "price": "45.00", "discount": 4.5, "tax": "1.80"}],
        )
        client, _, _ = make_client(lambda r: page([item]))
        [[ret]] = list(client.iter_return_pages(updated_from=T0, updated_to=T1, states=["open"]))
        assert (ret.refund, ret.total, ret.gift_card, ret.return_tax_total) == (
            Decimal("42.3"),
            Decimal("42.30"),
            Decimal("0"),
            Decimal("1"),
        )
        assert (ret.refunds[0].amount, ret.refunds[0].provider_refund_id) == (Decimal("20.1"), "987654321")
        assert ret.line_items[0].line_item_id == "55" and ret.line_items[0].paid_unit_price == Decimal("40.50")

    def test_a_return_of_an_unknown_shape_is_rejected_with_the_record(self):
        client, _, _ = make_client(lambda r: page([{"id": "9", "state": "archived"}]))
        with pytest.raises(RecordRejected) as info:
            list(client.iter_return_pages(updated_from=T0, updated_to=T1, states=["open"]))
        assert info.value.rule == "loop_return_shape" and info.value.record == {"id": "9", "state": "archived"}

    def test_with_on_malformed_each_record_is_read_alone_and_the_page_goes_on(self):
        good = {"id": "8", "state": "open"}
        bad = [
            {"id": "9", "state": "open", "refunds": None},
            {"id": "10", "state": "open", "line_items": [{"line_item_id": 1, "price": "NaN"}]},
            {"id": "11", "state": "open", "created_at": "yesterday"},
            {"id": "12", "state": "archived"},
            {"id": "13", "state": "open", "exchanges": None},
        ]
        client, _, _ = make_client(lambda r: page([bad[0], good, *bad[1:]]))
        held: list = []
        [[ret]] = list(client.iter_return_pages(updated_from=T0, updated_to=T1, states=["open"], on_malformed=held.append))
        assert ret.id == "8"
        assert [(m.loop_return_id, m.field) for m in held] == [
            ("9", "refunds"),
            ("10", "line_items[0].price"),
            ("11", "created_at"),
            ("12", "state"),
            ("13", "exchanges"),
        ]
        assert held[1].message == "Loop return 10 cannot be read: line_items[0].price is 'NaN', expected a finite money amount"

    def test_get_return_never_sends_an_id_that_cannot_be_loops(self):
        client, _, seen = make_client(lambda r: httpx.Response(422, json={"message": "The return id must be an integer."}))
        for bad_id in ("abc", "1 OR 1=1", "", "0", "-5"):
            with pytest.raises(RecordRejected) as info:
                client.get_return(bad_id)
            assert info.value.rule == "loop_return_shape"
        assert seen == []

    def test_get_return_of_a_malformed_return_is_rejected_with_its_field(self):
        client, _, _ = make_client(lambda r: httpx.Response(200, json={"id": 9, "state": "open", "refunds": None}))
        with pytest.raises(RecordRejected) as info:
            client.get_return("9")
        assert info.value.reason == "Loop return 9 cannot be read: refunds is null, expected a list"

    def test_arguments_are_checked(self):
        client, _, _ = make_client(lambda r: page([]))
        with pytest.raises(ValueError, match="timezone-aware"):
            list(client.iter_return_pages(updated_from=datetime(2024, 1, 1), updated_to=T1))
        with pytest.raises(ValueError, match="page_size"):
            list(client.iter_return_pages(updated_from=T0, updated_to=T1, page_size=751))


def _action_client(body, status: int = 200):
    return make_client(lambda r: httpx.Response(status, json=body))[0]


class TestActionBodies:
    def test_true_is_success_and_details_are_sent(self):
        client, _, seen = make_client(lambda r: httpx.Response(200, json=True))
        client.process_return("11", {"netsuite_ra": "RA1"})
        assert seen[0].method == "POST" and seen[0].url.path == "/api/v1/warehouse/return/11/process"
        assert seen[0].content == b'{"netsuite_ra":"RA1"}'

    @pytest.mark.parametrize(
        "action, body, code, state, already_done",
        [
            (
                "process",
                {"errors": {"message": "Return is closed and therefore cannot be processed.", "code": "UNPROCESSABLE_RETURN"}},
                "UNPROCESSABLE_RETURN",
                "closed",
                True,
            ),
            (
                "process",
                {
                    "errors": {
                        "message": "Return is flagged and therefore cannot be processed.",
                        "code": "UNPROCESSABLE_FLAGGED_RETURN",
                    }
                },
                "UNPROCESSABLE_FLAGGED_RETURN",
                "flagged",
                False,
            ),
            ("process", {"message": "Return is cancelled and therefore cannot be processed."}, None, "cancelled", False),
            (
                "cancel",
                {"errors": {"message": "Return is cancelled and therefore cannot be processed.", "code": "UNPROCESSABLE_RETURN"}},
                "UNPROCESSABLE_RETURN",
                "cancelled",
                True,
            ),
            ("cancel", {"content": "Return is expired and cannot be processed."}, None, "expired", False),
            (
                "flag",
                {
                    "errors": {
                        "message": "Return is flagged and therefore cannot be processed.",
                        "code": "UNPROCESSABLE_FLAGGED_RETURN",
                    }
                },
                "UNPROCESSABLE_FLAGGED_RETURN",
                "flagged",
                True,
            ),
            (
                "flag",
                {"errors": {"message": "Return is closed and therefore cannot be processed.", "code": "UNPROCESSABLE_RETURN"}},
                "UNPROCESSABLE_RETURN",
                "closed",
                False,
            ),
            (
                "close",
                {"errors": {"message": "Return is closed and therefore cannot be processed.", "code": "UNPROCESSABLE_RETURN"}},
                "UNPROCESSABLE_RETURN",
                "closed",
                True,
            ),
        ],
    )
    def test_http_200_error_bodies_raise_loop_action_error(self, action, body, code, state, already_done):
        client = _action_client(body)
        with pytest.raises(LoopActionError) as info:
            getattr(client, f"{action}_return")("11")
        error = info.value
        assert (error.code, error.state, error.already_done, error.status_code, error.action) == (
            code,
            state,
            already_done,
            200,
            action,
        )
        assert error.message == (body.get("errors") or body).get("message", body.get("content"))
        assert isinstance(error, PermanentApiError) and "secret-key" not in str(error)

    def test_an_unexpected_200_body_is_not_taken_for_success(self):
        client = make_client(lambda r: httpx.Response(200, text="<html>maintenance</html>"))[0]
        with pytest.raises(LoopActionError, match="did not confirm close"):
            client.close_return("11")

    def test_remove_line_items_422_bodies(self):
        client, _, seen = make_client(lambda r: httpx.Response(422, json={"message": "Not all line items qualify for removal"}))
        with pytest.raises(LoopActionError) as info:
            client.remove_line_items("11", [1101, "1102"])
        assert (info.value.status_code, info.value.message, info.value.already_done) == (
            422,
            "Not all line items qualify for removal",
            False,
        )
        assert params_of(seen[0]) == {"line_item_id": "1101,1102"}

    def test_invalid_note_and_unknown_return(self):
        note = _action_client({"errors": {"message": "Content is required and must be less than 255 characters."}}, 422)
        with pytest.raises(LoopActionError, match="less than 255 characters"):
            note.create_note("11", "x" * 300)
        missing = _action_client({"message": "Return not found.", "errors": {"code": "NOT_FOUND"}}, 404)
        with pytest.raises(LoopActionError) as info:
            missing.flag_return("11")
        assert (info.value.code, info.value.status_code) == ("NOT_FOUND", 404)

    def test_401_is_an_authentication_error_with_the_spec_code(self):
        client = _action_client({"error": {"code": "401", "http_code": "GEN-UNAUTHORIZED", "message": "Unauthorized."}}, 401)
        with pytest.raises(AuthenticationError) as info:
            client.process_return("11")
        assert (info.value.code, info.value.message) == ("GEN-UNAUTHORIZED", "Unauthorized.")
        assert not isinstance(info.value, LoopActionError)

    def test_action_errors_survive_pickling(self):
        error = LoopActionError(
            "Return is closed and therefore cannot be processed.",
            action="process",
            return_id="11",
            state="closed",
            code="UNPROCESSABLE_RETURN",
            status_code=200,
        )
        copy = pickle.loads(pickle.dumps(error))
        assert (copy.code, copy.action, copy.state, copy.already_done, copy.return_id) == (
            "UNPROCESSABLE_RETURN",
            "process",
            "closed",
            True,
            "11",
        )

    def test_no_notes_is_an_empty_list(self):
        assert _action_client(False, 422).list_notes("11") == []
        notes = [{"id": 1, "content": "hi", "created_at": "2024-05-01T12:00:00.000Z"}]
        assert _action_client({"notes": notes}).list_notes("11") == notes


class TestRetries:
    def test_a_get_retries_429_with_backoff_when_no_retry_after_is_sent(self):
        client, sleeps, seen = make_client(
            scripted(httpx.Response(429, json={"message": "Too Many Attempts."}), httpx.Response(200, json=loop_return("1"))),
            backoff_base=2.0,
        )
        assert client.get_return("1").id == "1"
        assert len(seen) == 2 and len(sleeps) == 1 and 0.0 <= sleeps[0] <= 2.0

    def test_retry_after_is_honoured_when_present(self):
        client, sleeps, _ = make_client(
            scripted(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json=loop_return("1")))
        )
        client.get_return("1")
        assert len(sleeps) == 1 and 7.0 <= sleeps[0] <= 7.7

    def test_transient_get_failures_back_off_exponentially_then_raise(self):
        client, sleeps, seen = make_client(
            lambda r: httpx.Response(503, json={"message": "Service Unavailable"}), max_attempts=4, backoff_base=1.0
        )
        with pytest.raises(TransientApiError) as info:
            client.get_return("1")
        assert len(seen) == 4 and info.value.status_code == 503 and info.value.message == "Service Unavailable"
        assert len(sleeps) == 3 and all(0 <= wait <= 2**n for n, wait in enumerate(sleeps))

    def test_get_read_timeouts_are_retried(self):
        client, _, seen = make_client(scripted(httpx.ReadTimeout("slow"), httpx.Response(200, json=loop_return("1"))))
        assert client.get_return("1").id == "1" and len(seen) == 2

    def test_rate_limit_exhausted_raises_rate_limited(self):
        client, sleeps, seen = make_client(lambda r: httpx.Response(429, json={"message": "Too Many Attempts."}), max_attempts=3)
        with pytest.raises(RateLimitedError):
            client.list_webhooks()
        assert len(seen) == 3 and len(sleeps) == 2

    def test_a_post_retries_429_because_it_was_not_executed(self):
        client, _, seen = make_client(
            scripted(httpx.Response(429, json={"message": "Too Many Attempts."}), httpx.Response(200, json=True))
        )
        client.process_return("11")
        assert len(seen) == 2

    def test_a_post_does_not_retry_a_503_which_may_have_committed(self):
        client, _, seen = make_client(lambda r: httpx.Response(503, json={"message": "Service Unavailable"}))
        with pytest.raises(TransientApiError) as info:
            client.cancel_return("11")
        assert len(seen) == 1 and info.value.maybe_committed is True

    def test_a_read_timeout_on_a_post_may_have_committed(self):
        client, _, seen = make_client(scripted(httpx.ReadTimeout("no answer")))
        with pytest.raises(TransientApiError) as info:
            client.process_return("11")
        assert info.value.maybe_committed is True and len(seen) == 1

    def test_a_post_retries_when_the_connection_was_never_made(self):
        client, _, seen = make_client(scripted(httpx.ConnectError("refused"), httpx.Response(200, json=True)))
        client.flag_return("11")
        assert len(seen) == 2

    def test_a_validation_error_is_permanent_and_not_retried(self):
        body = {
            "message": "The date range may not exceed 120 days.",
            "errors": {"to": ["The date range may not exceed 120 days."]},
        }
        client, sleeps, seen = make_client(lambda r: httpx.Response(422, json=body))
        with pytest.raises(PermanentApiError, match="may not exceed 120 days"):
            list(client.iter_return_pages(updated_from=T0, updated_to=T1, states=["open"]))
        assert len(seen) == 1 and sleeps == []


class TestClientSetup:
    def test_from_credentials(self):
        with LoopClient.from_credentials(base_url="https://api.loopreturns.com/", api_key="k-123", timeout=12.0) as client:
            http = client._http
            assert str(http.base_url) == "https://api.loopreturns.com"
            assert http.timeout == httpx.Timeout(12.0, connect=10.0)
            assert isinstance(http.auth, LoopApiKeyAuth) and "k-123" not in repr(http.auth)
        assert http.is_closed

    def test_webhook_subscriptions_are_created_active(self):
        client, _, seen = make_client(lambda r: httpx.Response(200, json={"id": 5, "status": "active"}))
        client.create_webhook(topic="return", trigger="return.closed", url="https://sync.example/hook")
        assert (
            seen[0].content == b'{"topic":"return","trigger":"return.closed","url":"https://sync.example/hook","status":"active"}'
        )


class TestSignature:
    def sign(self, body: bytes, secret: str) -> str:
        return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()

    def test_valid_signature(self):
        body = b'{"topic":"return","trigger":"return.closed","id":"11","label_url":"https:\\/\\/x"}'
        assert verify_loop_signature(body, self.sign(body, "whsec"), "whsec")
        assert parse_loop_webhook(body).loop_return_id == "11"

    @pytest.mark.parametrize("header", [None, "", "bm9wZQ=="])
    def test_missing_or_wrong_signature(self, header):
        assert not verify_loop_signature(b"{}", header, "whsec")

    def test_tampered_body_or_other_secret(self):
        body = b'{"id":"11"}'
        signature = self.sign(body, "whsec")
        assert not verify_loop_signature(b'{"id":"12"}', signature, "whsec")
        assert not verify_loop_signature(body, signature, "other")
        assert not verify_loop_signature(body, signature, "")
