"""The one retry policy: jitter bounds, server-requested waits, the attempt limit, and what a write may resend.

The second half drives the three clients through the same injected policy over ``httpx.MockTransport``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from returns_sync.connectors import errors
from returns_sync.connectors.errors import (
    PermanentApiError,
    RateLimitedError,
    TransientApiError,
    error_for_response,
    error_for_transport,
    request_never_sent,
)
from returns_sync.connectors.loop import LoopClient
from returns_sync.connectors.netsuite import NetSuiteClient
from returns_sync.connectors.retry import SERVER_WAIT_JITTER, RetryPolicy
from returns_sync.connectors.shopify import ShopifyClient


class Failing:
    """An attempt that raises each of ``failures`` in turn, then returns ``"ok"``; counts its calls."""

    def __init__(self, *failures: BaseException, forever: BaseException | None = None) -> None:
        self.failures = list(failures)
        self.forever = forever
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.forever is not None:
            raise self.forever
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def recording(**fields: Any) -> tuple[RetryPolicy, list[float]]:
    waits: list[float] = []
    return RetryPolicy(sleep=waits.append, **fields), waits


def transient() -> TransientApiError:
    return TransientApiError("503 Service Unavailable", vendor="test", status_code=503)


def post_failing_with(exc: httpx.TransportError) -> errors.SyncError:
    return error_for_transport(exc, vendor="test", what="POST /records", idempotent=False)


class TestBackoff:
    def test_every_wait_is_full_jitter_under_a_doubling_ceiling(self) -> None:
        policy, waits = recording(max_attempts=8, backoff_base=0.5, max_backoff=4.0)
        for _ in range(25):
            with pytest.raises(TransientApiError):
                policy.call(Failing(forever=transient()), vendor="test", what="GET /x")
        ceilings = [min(4.0, 0.5 * 2**n) for n in range(7)]
        assert len(waits) == 25 * 7
        for index, wait in enumerate(waits):
            assert 0.0 <= wait <= ceilings[index % 7]
        first_waits = waits[::7]
        assert len(set(first_waits)) > 1  # jittered, not a fixed schedule

    def test_attempts_stop_at_max_attempts_and_the_last_error_is_raised(self) -> None:
        policy, waits = recording(max_attempts=3)
        error = transient()
        attempt = Failing(forever=error)
        with pytest.raises(TransientApiError) as info:
            policy.call(attempt, vendor="test", what="GET /x")
        assert info.value is error and attempt.calls == 3 and len(waits) == 2

    def test_success_after_failures_returns_the_value(self) -> None:
        policy, waits = recording()
        attempt = Failing(transient(), transient())
        assert policy.call(attempt, vendor="test", what="GET /x") == "ok"
        assert attempt.calls == 3 and len(waits) == 2

    @pytest.mark.parametrize(
        "failure",
        [
            PermanentApiError("400 bad line", vendor="test", status_code=400),
            errors.AuthenticationError("401", vendor="test", status_code=401),
            errors.ConfigurationError("no base URL"),
            ValueError("a bug"),
        ],
    )
    def test_permanent_errors_and_bugs_are_not_retried(self, failure: BaseException) -> None:
        policy, waits = recording()
        attempt = Failing(forever=failure)
        with pytest.raises(type(failure)):
            policy.call(attempt, vendor="test", what="GET /x")
        assert attempt.calls == 1 and waits == []

    def test_a_policy_needs_one_attempt(self) -> None:
        with pytest.raises(ValueError):
            RetryPolicy(max_attempts=0)


def invalid_login() -> errors.AuthenticationError:
    return errors.AuthenticationError("Invalid login attempt.", vendor="netsuite", code="INVALID_LOGIN", status_code=401)


class TestPossiblySpuriousInvalidLogin:
    """NetSuite answers some concurrency overflows with 401 INVALID_LOGIN: one more try, then a credentials failure."""

    def test_one_spurious_invalid_login_is_tried_again_after_a_backoff(self) -> None:
        policy, waits = recording(backoff_base=0.5)
        attempt = Failing(invalid_login())
        assert policy.call(attempt, vendor="netsuite", what="POST /record/v1/creditMemo") == "ok"
        assert attempt.calls == 2 and len(waits) == 1 and 0.5 <= waits[0] <= 1.0

    def test_a_second_invalid_login_in_a_row_is_a_credentials_failure(self) -> None:
        policy, waits = recording()
        error = invalid_login()
        attempt = Failing(forever=error)
        with pytest.raises(errors.AuthenticationError) as info:
            policy.call(attempt, vendor="netsuite", what="GET /record/v1/customer/1")
        assert info.value is error and attempt.calls == 2 and len(waits) == 1

    def test_other_failures_do_not_use_up_the_auth_retry(self) -> None:
        policy, _ = recording(max_attempts=5)
        attempt = Failing(transient(), invalid_login(), transient())
        assert policy.call(attempt, vendor="netsuite", what="GET /x") == "ok"
        assert attempt.calls == 4

    def test_auth_retries_zero_stops_at_the_first(self) -> None:
        policy, waits = recording(auth_retries=0)
        attempt = Failing(forever=invalid_login())
        with pytest.raises(errors.AuthenticationError):
            policy.call(attempt, vendor="netsuite", what="GET /x")
        assert attempt.calls == 1 and waits == []

    def test_other_credentials_refusals_are_not_tried_again(self) -> None:
        policy, waits = recording()
        attempt = Failing(
            forever=errors.AuthenticationError("403", vendor="netsuite", code="INSUFFICIENT_PERMISSION", status_code=403)
        )
        with pytest.raises(errors.AuthenticationError):
            policy.call(attempt, vendor="netsuite", what="GET /x")
        assert attempt.calls == 1 and waits == []


class TestServerRequestedWaits:
    def test_retry_after_is_waited_never_less_with_a_little_jitter_on_top(self) -> None:
        policy, waits = recording()
        for _ in range(20):
            policy.call(Failing(RateLimitedError("busy", vendor="test", retry_after=3.0)), vendor="test", what="GET /x")
        assert all(3.0 <= wait <= 3.0 * (1 + SERVER_WAIT_JITTER) for wait in waits)
        assert len(set(waits)) > 1

    def test_a_wait_beyond_max_wait_is_raised_at_once_with_its_retry_after(self) -> None:
        policy, waits = recording(max_wait=30.0)
        attempt = Failing(RateLimitedError("busy", vendor="test", retry_after=3600.0))
        with pytest.raises(RateLimitedError) as info:
            policy.call(attempt, vendor="test", what="GET /x")
        assert info.value.retry_after == 3600.0 and attempt.calls == 1 and waits == []

    def test_a_rate_limit_without_retry_after_backs_off(self) -> None:
        policy, waits = recording(backoff_base=0.5)
        policy.call(Failing(RateLimitedError("busy", vendor="test")), vendor="test", what="GET /x")
        assert len(waits) == 1 and 0.0 <= waits[0] <= 0.5


class TestWhatAWriteMayResend:
    @pytest.mark.parametrize(
        "exc", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("busy"), httpx.ProxyError("no")]
    )
    def test_a_post_that_never_left_is_resent(self, exc: httpx.TransportError) -> None:
        assert request_never_sent(exc)
        policy, waits = recording()
        attempt = Failing(post_failing_with(exc))
        assert policy.call(attempt, vendor="test", what="POST /records") == "ok"
        assert attempt.calls == 2 and len(waits) == 1

    @pytest.mark.parametrize(
        "exc",
        [
            httpx.ReadTimeout("no answer"),
            httpx.WriteTimeout("half sent"),
            httpx.ReadError("reset"),
            httpx.RemoteProtocolError("gone"),
        ],
    )
    def test_a_post_that_may_have_been_applied_is_raised_for_a_look_up(self, exc: httpx.TransportError) -> None:
        assert not request_never_sent(exc)
        error = post_failing_with(exc)
        assert isinstance(error, TransientApiError) and error.maybe_committed and "may have been applied" in str(error)
        policy, waits = recording()
        attempt = Failing(error)
        with pytest.raises(TransientApiError):
            policy.call(attempt, vendor="test", what="POST /records")
        assert attempt.calls == 1 and waits == []

    def test_the_same_lost_answer_on_a_read_is_resent(self) -> None:
        error = error_for_transport(httpx.ReadTimeout("no answer"), vendor="test", what="GET /records/1", idempotent=True)
        assert isinstance(error, TransientApiError) and not error.maybe_committed
        policy, _ = recording()
        assert policy.call(Failing(error), vendor="test", what="GET /records/1") == "ok"

    def test_a_5xx_on_a_post_may_have_committed_but_a_429_was_refused(self) -> None:
        server_error = error_for_response(httpx.Response(503), vendor="test", idempotent=False)
        refused = error_for_response(httpx.Response(429, headers={"Retry-After": "1"}), vendor="test", idempotent=False)
        assert isinstance(server_error, TransientApiError) and server_error.maybe_committed
        assert isinstance(refused, RateLimitedError) and not refused.maybe_committed and refused.retry_after == 1.0
        policy, _ = recording()
        assert not policy.should_retry(server_error) and policy.should_retry(refused)

    def test_a_bad_scheme_is_a_configuration_error(self) -> None:
        error = error_for_transport(httpx.UnsupportedProtocol("ftp"), vendor="test", what="GET /", idempotent=True)
        assert isinstance(error, errors.ConfigurationError)


# -- the three clients, one policy -------------------------------------------------------------------------

Script = list[httpx.Response | Exception]


def _transport(script: Script, requests: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        answer = script.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handler)


def loop_read(policy: RetryPolicy, script: Script, requests: list[httpx.Request]) -> Callable[[], Any]:
    client = LoopClient(
        httpx.Client(base_url="https://api.loopreturns.com", transport=_transport(script, requests)), retry=policy
    )
    return client.list_webhooks


def loop_write(policy: RetryPolicy, script: Script, requests: list[httpx.Request]) -> Callable[[], Any]:
    client = LoopClient(
        httpx.Client(base_url="https://api.loopreturns.com", transport=_transport(script, requests)), retry=policy
    )
    return lambda: client.process_return("11")


def netsuite_read(policy: RetryPolicy, script: Script, requests: list[httpx.Request]) -> Callable[[], Any]:
    client = NetSuiteClient(httpx.Client(base_url="https://1-sb1.example", transport=_transport(script, requests)), retry=policy)
    return lambda: client.get_record("customer", 1)


def netsuite_write(policy: RetryPolicy, script: Script, requests: list[httpx.Request]) -> Callable[[], Any]:
    client = NetSuiteClient(httpx.Client(base_url="https://1-sb1.example", transport=_transport(script, requests)), retry=policy)
    return lambda: client.create_record("customer", {"externalId": "c-1"})


def shopify_read(policy: RetryPolicy, script: Script, requests: list[httpx.Request]) -> Callable[[], Any]:
    client = ShopifyClient(httpx.Client(base_url="https://s.myshopify.com", transport=_transport(script, requests)), retry=policy)
    return lambda: client.execute("{ shop { name } }")


def shopify_write(policy: RetryPolicy, script: Script, requests: list[httpx.Request]) -> Callable[[], Any]:
    client = ShopifyClient(httpx.Client(base_url="https://s.myshopify.com", transport=_transport(script, requests)), retry=policy)
    # A mutation without an idempotency key (refundCreate carries one since 2026-04 and is resent on purpose).
    return lambda: client.execute(
        'mutation { orderUpdate(input: {id: "gid://shopify/Order/1", tags: ["a"]}) { userErrors { message } } }'
    )


READS = {
    "loop": (loop_read, httpx.Response(200, json={"webhooks": []})),
    "netsuite": (netsuite_read, httpx.Response(200, json={"id": "1"})),
    "shopify": (shopify_read, httpx.Response(200, json={"data": {"shop": {"name": "x"}}})),
}
WRITES = {
    "loop": (loop_write, httpx.Response(200, json=True)),
    "netsuite": (
        netsuite_write,
        httpx.Response(204, headers={"Location": "https://1-sb1.example/services/rest/record/v1/customer/5"}),
    ),
    "shopify": (shopify_write, httpx.Response(200, json={"data": {"orderUpdate": {"userErrors": []}}})),
}


class TestEveryClientUsesThePolicy:
    @pytest.mark.parametrize("vendor", sorted(READS))
    def test_a_read_is_retried_through_the_injected_policy_until_it_gives_up(self, vendor: str) -> None:
        make, _ = READS[vendor]
        policy, waits = recording(max_attempts=3, backoff_base=0.25)
        requests: list[httpx.Request] = []
        call = make(policy, [httpx.Response(503, json={})] * 3, requests)
        with pytest.raises(TransientApiError) as info:
            call()
        assert len(requests) == 3 and len(waits) == 2 and waits[0] <= 0.25 and waits[1] <= 0.5
        assert info.value.vendor == vendor and info.value.status_code == 503 and not info.value.maybe_committed

    @pytest.mark.parametrize("vendor", sorted(READS))
    def test_a_read_whose_answer_was_lost_is_resent(self, vendor: str) -> None:
        make, success = READS[vendor]
        policy, waits = recording()
        requests: list[httpx.Request] = []
        make(policy, [httpx.ReadTimeout("no answer"), success], requests)()
        assert len(requests) == 2 and len(waits) == 1

    @pytest.mark.parametrize("vendor", sorted(WRITES))
    def test_a_write_that_never_left_is_resent(self, vendor: str) -> None:
        make, success = WRITES[vendor]
        policy, waits = recording()
        requests: list[httpx.Request] = []
        make(policy, [httpx.ConnectError("refused"), success], requests)()
        assert len(requests) == 2 and len(waits) == 1

    @pytest.mark.parametrize("vendor", sorted(WRITES))
    @pytest.mark.parametrize("lost", [httpx.ReadTimeout("no answer"), httpx.Response(503, json={})], ids=["timeout", "503"])
    def test_a_write_that_may_have_been_applied_is_not_resent(self, vendor: str, lost: Any) -> None:
        make, _ = WRITES[vendor]
        policy, waits = recording()
        requests: list[httpx.Request] = []
        with pytest.raises(TransientApiError) as info:
            make(policy, [lost], requests)()
        assert info.value.maybe_committed and len(requests) == 1 and waits == []

    @pytest.mark.parametrize("vendor", sorted(WRITES))
    def test_a_write_refused_with_429_waits_its_retry_after_and_is_resent(self, vendor: str) -> None:
        make, success = WRITES[vendor]
        policy, waits = recording()
        requests: list[httpx.Request] = []
        make(policy, [httpx.Response(429, headers={"Retry-After": "4"}, json={}), success], requests)()
        assert len(requests) == 2 and len(waits) == 1 and 4.0 <= waits[0] <= 4.0 * (1 + SERVER_WAIT_JITTER)
