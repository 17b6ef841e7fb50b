"""NetSuiteClient over httpx.MockTransport: URLs, Location parsing, NetSuite's error bodies, retries and secrecy."""

from __future__ import annotations

import json
import logging
import pickle
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

from returns_sync.connectors import errors
from returns_sync.connectors.netsuite import NetSuiteClient, account_host, parse_error_body
from returns_sync.connectors.netsuite_models import id_from_location
from returns_sync.connectors.retry import RetryPolicy

BASE = "https://1234567-sb1.suitetalk.api.netsuite.com"
RECORDS = f"{BASE}/services/rest/record/v1"
SECRETS = {
    "consumer_key": "ck-visible-key",
    "consumer_secret": "cs-TOP-secret-1",
    "token_id": "tk-visible-id",
    "token_secret": "ts-TOP-secret-2",
}

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that answers from a script and remembers every request."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer


def make_client(handler: Handler, *, max_concurrency: int = 4, **retry: Any) -> tuple[NetSuiteClient, list[float]]:
    """A client over ``handler`` whose retry policy records its waits instead of sleeping (``retry``: policy fields)."""
    sleeps: list[float] = []
    retry.setdefault("sleep", sleeps.append)
    http = httpx.Client(base_url=BASE, transport=httpx.MockTransport(handler))
    return NetSuiteClient(http, max_concurrency=max_concurrency, retry=RetryPolicy(**retry)), sleeps


def ns_error(status: int, code: str, detail: str, *, headers: dict[str, str] | None = None) -> httpx.Response:
    titles = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        429: "Too Many Requests",
        500: "Internal Server Error",
    }
    body = {
        "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
        "title": titles.get(status, "Error"),
        "status": status,
        "o:errorDetails": [{"detail": detail, "o:errorCode": code}],
    }
    return httpx.Response(status, json=body, headers=headers)


def created(location: str) -> httpx.Response:
    return httpx.Response(204, headers={"Location": location})


CONCURRENCY = ns_error(429, "CONCURRENCY_LIMIT_EXCEEDED", "Concurrent request limit exceeded. Request blocked.")
INVALID_LOGIN = ns_error(
    401,
    "INVALID_LOGIN",
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
    "Setup > Users/Roles > User Management > View Login Audit Trail.",
)


class TestAccountHost:
    @pytest.mark.parametrize(
        ("account", "host"),
        [
            ("1234567", "1234567.suitetalk.api.netsuite.com"),
            ("1234567_SB1", "1234567-sb1.suitetalk.api.netsuite.com"),
            ("123456_SB12", "123456-sb12.suitetalk.api.netsuite.com"),
            ("1234567_RP", "1234567-rp.suitetalk.api.netsuite.com"),
            ("TSTDRV123", "tstdrv123.suitetalk.api.netsuite.com"),
        ],
    )
    def test_host(self, account: str, host: str) -> None:
        assert account_host(account) == host

    @pytest.mark.parametrize("account", ["", "1234567 SB1", "evil.com/x", "1234567_SB1_x", "1234567-SB1"])
    def test_rejects_other_shapes(self, account: str) -> None:
        with pytest.raises(errors.ConfigurationError, match="account id"):
            account_host(account)


class TestFromCredentials:
    def test_derives_base_url_and_signs_with_uppercase_realm(self) -> None:
        with respx.mock(assert_all_called=True) as router:
            route = router.get(f"{RECORDS}/customer/5").mock(return_value=httpx.Response(200, json={"id": "5"}))
            with NetSuiteClient.from_credentials(base_url=None, account_id="1234567_SB1", **SECRETS) as client:
                assert str(client.base_url) == BASE
                assert client.get_record("customer", 5, expand_sub_resources=False) == {"id": "5"}
        header = route.calls[0].request.headers["Authorization"]
        assert header.startswith('OAuth realm="1234567_SB1", ')
        assert 'oauth_signature_method="HMAC-SHA256"' in header

    def test_explicit_timeout_and_pool(self) -> None:
        client = NetSuiteClient.from_credentials(
            base_url="http://127.0.0.1:8701/", account_id="1234567", timeout=12.5, max_concurrency=3, **SECRETS
        )
        with client:
            http = client._http
            assert http.timeout == httpx.Timeout(12.5, connect=10.0)
            assert str(client.base_url) == "http://127.0.0.1:8701"
            assert client.max_concurrency == 3

    def test_repr_hides_secrets(self) -> None:
        with NetSuiteClient.from_credentials(base_url=None, account_id="1234567_SB1", **SECRETS) as client:
            text = repr(client) + repr(client._http.auth)
        assert "1234567-sb1" in text
        for value in SECRETS.values():
            assert value not in text


class TestRecords:
    def test_get_record_expands_and_selects_fields(self) -> None:
        recorder = Recorder(httpx.Response(200, json={"id": "42", "tranId": "RMA7"}))
        client, _ = make_client(recorder)
        assert client.get_record("returnAuthorization", "42", fields=["tranId", "status"]) == {"id": "42", "tranId": "RMA7"}
        request = recorder.requests[0]
        assert request.method == "GET"
        assert request.url.path == "/services/rest/record/v1/returnAuthorization/42"
        assert dict(request.url.params) == {"expandSubResources": "true", "fields": "tranId,status"}

    def test_get_record_without_expansion_sends_no_query(self) -> None:
        recorder = Recorder(httpx.Response(200, json={"id": "1"}))
        client, _ = make_client(recorder)
        client.get_record("customer", 1, expand_sub_resources=False)
        assert recorder.requests[0].url.query == b""

    def test_get_by_external_id_uses_eid_path(self) -> None:
        recorder = Recorder(httpx.Response(200, json={"id": "9", "externalId": "loop-main-1-ra"}))
        client, _ = make_client(recorder)
        assert client.get_record_by_external_id("returnAuthorization", "loop-main-1-ra")["id"] == "9"
        assert recorder.requests[0].url.raw_path.startswith(b"/services/rest/record/v1/returnAuthorization/eid:loop-main-1-ra?")

    def test_get_by_external_id_404_is_none(self) -> None:
        client, _ = make_client(Recorder(ns_error(404, "NONEXISTENT_ID", "The record instance does not exist.")))
        assert client.get_record_by_external_id("customer", "nobody") is None

    def test_get_by_external_id_other_errors_raise(self) -> None:
        client, _ = make_client(Recorder(ns_error(400, "INVALID_PARAMETER", "Invalid parameter eid.")))
        with pytest.raises(errors.PermanentApiError, match="Invalid parameter eid."):
            client.get_record_by_external_id("customer", "x")

    def test_path_segments_are_escaped(self) -> None:
        recorder = Recorder(httpx.Response(200, json={}))
        client, _ = make_client(recorder)
        client.get_record("customer", "eid:a/b?c", expand_sub_resources=False)
        assert recorder.requests[0].url.raw_path == b"/services/rest/record/v1/customer/eid:a%2Fb%3Fc"
        with pytest.raises(ValueError):
            client.get_record("customer", "bad\nid")

    def test_list_records_pages_until_has_more_is_false(self) -> None:
        pages = [
            {"count": 2, "hasMore": True, "offset": 0, "totalResults": 3, "items": [{"id": "1"}, {"id": "2"}]},
            {"count": 1, "hasMore": False, "offset": 2, "totalResults": 3, "items": [{"id": "3"}]},
        ]
        recorder = Recorder(*(httpx.Response(200, json=page) for page in pages))
        client, _ = make_client(recorder)
        ids = [item["id"] for item in client.list_records("customer", q="email START_WITH barbara", limit=2)]
        assert ids == ["1", "2", "3"]
        assert [dict(r.url.params) for r in recorder.requests] == [
            {"limit": "2", "offset": "0", "q": "email START_WITH barbara"},
            {"limit": "2", "offset": "2", "q": "email START_WITH barbara"},
        ]

    @pytest.mark.parametrize(
        ("location", "expected"),
        [
            (f"{RECORDS}/customer/647", "647"),
            ("/services/rest/record/v1/customer/647", "647"),
            (f"{RECORDS}/customer/647/", "647"),
            ("http://127.0.0.1:8701/services/rest/record/v1/returnAuthorization/88", "88"),
        ],
    )
    def test_create_parses_location(self, location: str, expected: str) -> None:
        recorder = Recorder(created(location))
        client, _ = make_client(recorder)
        assert client.create_record("customer", {"companyName": "Acme", "externalId": "c-1"}) == expected
        request = recorder.requests[0]
        assert request.method == "POST"
        assert request.url.path == "/services/rest/record/v1/customer"
        assert json.loads(request.content) == {"companyName": "Acme", "externalId": "c-1"}

    def test_create_without_location_may_have_committed(self) -> None:
        client, _ = make_client(Recorder(httpx.Response(204)))
        with pytest.raises(errors.PermanentApiError, match="no Location") as info:
            client.create_record("customer", {})
        assert info.value.maybe_committed is True

    def test_transform_replaces_item_sublist(self) -> None:
        recorder = Recorder(created(f"{RECORDS}/returnAuthorization/300"))
        client, _ = make_client(recorder)
        body = {"externalId": "loop-main-1-ra", "item": {"items": [{"orderLine": 1, "quantity": 1}]}}
        assert client.transform("salesOrder", 7, "returnAuthorization", body) == "300"
        request = recorder.requests[0]
        assert request.url.raw_path == b"/services/rest/record/v1/salesOrder/7/!transform/returnAuthorization?replace=item"
        assert json.loads(request.content) == body

    def test_transform_replaces_only_sublists_the_body_carries(self) -> None:
        recorder = Recorder(created(f"{RECORDS}/itemReceipt/301"), created(f"{RECORDS}/creditMemo/302"))
        client, _ = make_client(recorder)
        client.transform("returnAuthorization", 300, "itemReceipt", {"externalId": "loop-main-1-ir-1"})
        client.transform(
            "returnAuthorization", 300, "creditMemo", {"item": {"items": []}, "apply": {"items": []}}, replace="item,apply,x"
        )
        assert recorder.requests[0].url.query == b""
        assert recorder.requests[1].url.params["replace"] == "item,apply"

    def test_transform_without_body_copies_everything(self) -> None:
        recorder = Recorder(created(f"{RECORDS}/itemReceipt/301"))
        client, _ = make_client(recorder)
        assert client.transform("returnAuthorization", 300, "itemReceipt") == "301"
        assert recorder.requests[0].url.query == b""
        assert json.loads(recorder.requests[0].content) == {}

    def test_update_upsert_delete(self) -> None:
        recorder = Recorder(httpx.Response(204), created(f"{RECORDS}/customer/12"), httpx.Response(204), httpx.Response(204))
        client, _ = make_client(recorder)
        assert client.update_record("returnAuthorization", 300, {"item": {"items": []}}, replace="item") is None
        assert client.upsert_by_external_id("customer", "c-12", {"companyName": "Acme"}) == "12"
        assert client.upsert_by_external_id("customer", "c-12", {"companyName": "Acme"}) is None
        client.delete_record("customer", 12)
        assert [(r.method, r.url.raw_path) for r in recorder.requests] == [
            ("PATCH", b"/services/rest/record/v1/returnAuthorization/300?replace=item"),
            ("PUT", b"/services/rest/record/v1/customer/eid:c-12"),
            ("PUT", b"/services/rest/record/v1/customer/eid:c-12"),
            ("DELETE", b"/services/rest/record/v1/customer/12"),
        ]


class TestErrors:
    @pytest.mark.parametrize(
        ("status", "code", "detail", "kind"),
        [
            (400, "INVALID_KEY_OR_REF", "Invalid customer reference key 99999.", errors.PermanentApiError),
            (400, "USER_ERROR", "You cannot receive more than the returned quantity.", errors.PermanentApiError),
            (400, "INVALID_VALUE", "Invalid value for field quantity.", errors.PermanentApiError),
            (400, "NONEXISTENT_FIELD", "Record does not have field custbody_x.", errors.PermanentApiError),
            (400, "DUP_RCRD", "A record with the same external ID already exists.", errors.PermanentApiError),
            (404, "NONEXISTENT_ID", "The record instance does not exist.", errors.PermanentApiError),
            (
                403,
                "INSUFFICIENT_PERMISSION",
                "Permission Violation: You need the 'Lists > Customers' permission.",
                errors.AuthenticationError,
            ),
            (401, "INVALID_LOGIN", INVALID_LOGIN.json()["o:errorDetails"][0]["detail"], errors.AuthenticationError),
        ],
    )
    def test_permanent_errors_carry_code_and_detail(
        self, status: int, code: str, detail: str, kind: type[errors.ApiError]
    ) -> None:
        recorder = Recorder(ns_error(status, code, detail))
        client, sleeps = make_client(recorder)
        with pytest.raises(kind) as info:
            client.create_record("creditMemo", {"entity": {"id": "99999"}})
        error = info.value
        assert type(error) is kind
        assert (error.vendor, error.status_code, error.code, error.message) == ("netsuite", status, code, detail)
        assert str(error) == f"netsuite {status} {code}: {detail}"
        # INVALID_LOGIN may be a concurrency overflow in disguise: tried once more (TestRecords below), then raised.
        tries = 2 if code == "INVALID_LOGIN" else 1
        assert len(recorder.requests) == tries and len(sleeps) == tries - 1

    def test_invalid_login_is_tried_once_more_then_raised(self) -> None:
        # NetSuite sends the same 401 for a concurrency overflow as for a revoked token: one more try only.
        recorder = Recorder(INVALID_LOGIN)
        client, sleeps = make_client(recorder)
        with pytest.raises(errors.AuthenticationError) as info:
            client.get_record("customer", 1)
        assert info.value.code == "INVALID_LOGIN" and info.value.message.startswith("Invalid login attempt.")
        assert len(recorder.requests) == 2 and len(sleeps) == 1

    def test_a_create_refused_once_with_invalid_login_is_sent_again_and_created_once(self) -> None:
        created = httpx.Response(204, headers={"Location": f"{RECORDS}/creditMemo/77"})
        recorder = Recorder(INVALID_LOGIN, created)
        client, sleeps = make_client(recorder)
        assert client.create_record("creditMemo", {"entity": {"id": "5"}}) == "77"
        assert [r.method for r in recorder.requests] == ["POST", "POST"] and len(sleeps) == 1

    def test_unexpected_error_is_transient(self) -> None:
        client, _ = make_client(Recorder(ns_error(500, "UNEXPECTED_ERROR", "An unexpected error occurred.")), max_attempts=1)
        with pytest.raises(errors.TransientApiError, match="An unexpected error occurred.") as info:
            client.get_record("customer", 1)
        assert info.value.code == "UNEXPECTED_ERROR"

    def test_non_json_body_falls_back_to_reason(self) -> None:
        client, _ = make_client(Recorder(httpx.Response(502, text="<html>Bad Gateway</html>")), max_attempts=1)
        with pytest.raises(errors.TransientApiError) as info:
            client.get_record("customer", 1)
        assert (info.value.code, info.value.message, info.value.status_code) == (None, "Bad Gateway", 502)

    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            (
                {
                    "title": "Bad Request",
                    "status": 400,
                    "o:errorDetails": [{"detail": "d", "o:errorCode": "C", "o:errorPath": "entity"}],
                },
                ("C", "d"),
            ),
            ({"title": "Not Found", "status": 404}, (None, "Not Found")),
            ({"o:errorDetails": []}, (None, None)),
            ({"o:errorDetails": "nonsense"}, (None, None)),
            (["not", "an", "object"], (None, None)),
        ],
    )
    def test_parse_error_body_shapes(self, body: Any, expected: tuple[str | None, str | None]) -> None:
        assert parse_error_body(httpx.Response(400, json=body)) == expected

    def test_errors_survive_pickling(self) -> None:
        client, _ = make_client(Recorder(ns_error(400, "USER_ERROR", "nope")))
        with pytest.raises(errors.PermanentApiError) as info:
            client.update_record("customer", 1, {})
        clone = pickle.loads(pickle.dumps(info.value))
        assert (type(clone), clone.code, clone.message) == (errors.PermanentApiError, "USER_ERROR", "nope")


class TestRetries:
    def test_get_retries_concurrency_limit_then_succeeds(self) -> None:
        recorder = Recorder(CONCURRENCY, CONCURRENCY, httpx.Response(200, json={"id": "1"}))
        client, sleeps = make_client(recorder)
        assert client.get_record("customer", 1) == {"id": "1"}
        assert len(recorder.requests) == 3
        assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0

    def test_each_attempt_is_signed_afresh(self) -> None:
        recorder = Recorder(CONCURRENCY, httpx.Response(200, json={}))
        sleeps: list[float] = []
        with respx.mock() as router:
            router.get(f"{RECORDS}/customer/1").mock(side_effect=recorder)
            client = NetSuiteClient.from_credentials(
                base_url=None, account_id="1234567_SB1", retry=RetryPolicy(sleep=sleeps.append), **SECRETS
            )
            client.get_record("customer", 1)
        first, second = (r.headers["Authorization"] for r in recorder.requests)

        def nonce(header: str) -> str:
            return header.split('oauth_nonce="')[1].split('"')[0]

        assert nonce(first) != nonce(second)

    def test_backoff_grows_exponentially_with_full_jitter(self) -> None:
        recorder = Recorder(CONCURRENCY)
        client, sleeps = make_client(recorder, max_attempts=5, backoff_base=0.5)
        with pytest.raises(errors.RateLimitedError) as info:
            client.get_record("customer", 1)
        assert info.value.code == "CONCURRENCY_LIMIT_EXCEEDED"
        assert len(recorder.requests) == 5 and len(sleeps) == 4
        for attempt, delay in enumerate(sleeps, start=1):
            assert 0 <= delay <= 0.5 * 2 ** (attempt - 1)
        assert len(set(sleeps)) == 4

    def test_retry_after_is_honoured(self) -> None:
        recorder = Recorder(
            ns_error(429, "CONCURRENCY_LIMIT_EXCEEDED", "busy", headers={"Retry-After": "7"}), httpx.Response(200, json={})
        )
        client, sleeps = make_client(recorder)
        client.get_record("customer", 1)
        assert len(sleeps) == 1 and 7.0 <= sleeps[0] <= 7.7  # never sooner than asked, a little jitter on top

    def test_retry_after_beyond_max_wait_is_raised_not_waited(self) -> None:
        recorder = Recorder(ns_error(429, "CONCURRENCY_LIMIT_EXCEEDED", "busy", headers={"Retry-After": "3600"}))
        client, sleeps = make_client(recorder, max_wait=30)
        with pytest.raises(errors.RateLimitedError) as info:
            client.get_record("customer", 1)
        assert info.value.retry_after == 3600 and sleeps == [] and len(recorder.requests) == 1

    @pytest.mark.parametrize(
        "failure",
        [
            ns_error(503, "UNEXPECTED_ERROR", "Service unavailable."),
            httpx.Response(502, text="bad gateway"),
            httpx.ConnectError("connection refused"),
            httpx.ReadTimeout("read timed out"),
            httpx.RemoteProtocolError("server disconnected"),
        ],
    )
    def test_reads_retry_transient_failures(self, failure: httpx.Response | Exception) -> None:
        recorder = Recorder(failure, httpx.Response(200, json={"ok": True}))
        client, sleeps = make_client(recorder)
        assert client.get_record("customer", 1) == {"ok": True}
        assert len(recorder.requests) == 2 and len(sleeps) == 1

    def test_reads_give_up_after_max_attempts_on_transport_errors(self) -> None:
        recorder = Recorder(httpx.ConnectError("refused"))
        client, sleeps = make_client(recorder, max_attempts=3)
        with pytest.raises(errors.TransientApiError, match="ConnectError") as info:
            client.get_record("customer", 1)
        assert info.value.maybe_committed is False
        assert isinstance(info.value.__cause__, httpx.ConnectError)
        assert len(recorder.requests) == 3 and len(sleeps) == 2

    def test_post_is_not_retried_on_400(self) -> None:
        recorder = Recorder(ns_error(400, "INVALID_KEY_OR_REF", "Invalid item reference key 5."))
        client, sleeps = make_client(recorder)
        with pytest.raises(errors.PermanentApiError, match="Invalid item reference key 5."):
            client.create_record("creditMemo", {})
        assert len(recorder.requests) == 1 and sleeps == []

    @pytest.mark.parametrize(
        "not_executed", [CONCURRENCY, ns_error(429, "", "Too many"), httpx.ConnectError("refused"), httpx.ConnectTimeout("slow")]
    )
    def test_post_retries_what_proves_it_was_not_executed(self, not_executed: httpx.Response | Exception) -> None:
        recorder = Recorder(not_executed, created(f"{RECORDS}/customer/5"))
        client, sleeps = make_client(recorder)
        assert client.create_record("customer", {"externalId": "c-5"}) == "5"
        assert len(recorder.requests) == 2 and len(sleeps) == 1

    @pytest.mark.parametrize(
        "lost", [httpx.ReadTimeout("read timed out"), httpx.RemoteProtocolError("disconnected"), httpx.ReadError("reset")]
    )
    def test_write_without_answer_may_have_committed(self, lost: Exception) -> None:
        recorder = Recorder(lost)
        client, sleeps = make_client(recorder)
        with pytest.raises(errors.TransientApiError, match="may have been applied") as info:
            client.transform("salesOrder", 7, "returnAuthorization", {"externalId": "loop-main-1-ra"})
        assert info.value.maybe_committed is True
        assert len(recorder.requests) == 1 and sleeps == []

    @pytest.mark.parametrize("method", ["create", "update", "upsert", "delete"])
    def test_writes_are_not_retried_on_5xx(self, method: str) -> None:
        recorder = Recorder(ns_error(503, "UNEXPECTED_ERROR", "Service unavailable."))
        client, sleeps = make_client(recorder)
        call = {
            "create": lambda: client.create_record("customer", {}),
            "update": lambda: client.update_record("customer", 1, {}),
            "upsert": lambda: client.upsert_by_external_id("customer", "c-1", {}),
            "delete": lambda: client.delete_record("customer", 1),
        }[method]
        with pytest.raises(errors.TransientApiError) as info:
            call()
        assert info.value.maybe_committed is True
        assert len(recorder.requests) == 1 and sleeps == []

    def test_backoff_does_not_hold_a_slot(self) -> None:
        """While one caller sleeps between attempts, another caller's request still runs (max_concurrency=1)."""
        recorder = Recorder(CONCURRENCY, httpx.Response(200, json={"id": "x"}))
        inner: list[dict] = []
        holder: dict[str, NetSuiteClient] = {}

        def sleep(_: float) -> None:
            inner.append(holder["client"].get_record("customer", 2))  # would deadlock if the slot were held

        client, _ = make_client(recorder, max_concurrency=1, sleep=sleep)
        holder["client"] = client
        assert client.get_record("customer", 1) == {"id": "x"}
        assert inner == [{"id": "x"}]


class TestSecrecy:
    def test_secrets_never_reach_messages_or_logs(self, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG)
        answers = Recorder(CONCURRENCY, ns_error(400, "USER_ERROR", "Bad line."), httpx.ReadTimeout("timed out"))
        with respx.mock() as router:
            router.route(host="1234567-sb1.suitetalk.api.netsuite.com").mock(side_effect=answers)
            client = NetSuiteClient.from_credentials(
                base_url=None, account_id="1234567_SB1", retry=RetryPolicy(sleep=lambda _: None), **SECRETS
            )
            raised: list[BaseException] = []
            for call in (lambda: client.create_record("customer", {}), lambda: client.create_record("customer", {})):
                try:
                    call()
                except errors.ApiError as exc:
                    raised.append(exc)
        assert len(raised) == 2
        text = caplog.text + "".join(f"{exc!s} {exc!r} {exc.message}" for exc in raised) + repr(client)
        assert "retry 1/4" in caplog.text  # the retry was logged
        for secret in (SECRETS["consumer_secret"], SECRETS["token_secret"]):
            assert secret not in text
        assert "Authorization" not in "".join(str(exc) for exc in raised)


class TestModels:
    @pytest.mark.parametrize("location", [None, "", "   "])
    def test_id_from_missing_location(self, location: str | None) -> None:
        assert id_from_location(location) is None
