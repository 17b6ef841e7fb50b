"""ShopifyClient edge cases over httpx.MockTransport: throttles, retries, error classes, userErrors, GIDs, Decimal money."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import pickle
from decimal import Decimal

import httpx
import pytest

from returns_sync.connectors.errors import AuthenticationError, ErrorKind, PermanentApiError, RateLimitedError, TransientApiError
from returns_sync.connectors.retry import SERVER_WAIT_JITTER, RetryPolicy
from returns_sync.connectors.shopify import ORDER_QUERY, ShopifyClient, ShopifyUserError, verify_shopify_webhook

BASE = "https://north-outfitters.myshopify.com"
PATH = "/admin/api/2025-10/graphql.json"
TOKEN = "shpat_secret_token_value"


def cost(requested=10, actual=10, available=1990.0, maximum=2000.0, rate=100.0):
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {"maximumAvailable": maximum, "currentlyAvailable": available, "restoreRate": rate},
        }
    }


def ok(data, **kwargs):
    return httpx.Response(200, json={"data": data, "extensions": cost(**kwargs)})


def throttled(requested=752, available=666, rate=50.0, status=200):
    return httpx.Response(
        status,
        json={
            "errors": [
                {
                    "message": "Throttled",
                    "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
                }
            ],
            "extensions": {
                "cost": {
                    "requestedQueryCost": requested,
                    "actualQueryCost": None,
                    "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": available, "restoreRate": rate},
                }
            },
        },
    )


class Script:
    """Answers with ``responses`` in order (an exception instance is raised instead); records each request."""

    def __init__(self, *responses):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.responses.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def bodies(self):
        return [json.loads(r.content) for r in self.requests]


class FakeTime:
    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def fake_time():
    return FakeTime()


def client_for(script: Script, fake_time: FakeTime, **retry) -> ShopifyClient:
    """A client over ``script`` on fake time: its retry policy (``retry``: policy fields) sleeps on ``fake_time``."""
    http = httpx.Client(base_url=BASE, transport=httpx.MockTransport(script), headers={"X-Shopify-Access-Token": TOKEN})
    return ShopifyClient(http, retry=RetryPolicy(sleep=fake_time.sleep, **retry), clock=fake_time.clock)


def within_jitter(waits: list[float], asked: list[float]) -> bool:
    """Each wait is what the server asked for, plus at most the policy's jitter on top."""
    return len(waits) == len(asked) and all(a <= w <= a * (1 + SERVER_WAIT_JITTER) for w, a in zip(waits, asked))


ORDER = {
    "id": "gid://shopify/Order/5001",
    "legacyResourceId": "5001",
    "name": "#1001",
    "createdAt": "2025-10-01T12:00:00Z",
    "displayFinancialStatus": "PAID",
    "tags": ["vip"],
    "currencyCode": "USD",
    "note": None,
    "totalRefundedSet": {"shopMoney": {"amount": "0.0", "currencyCode": "USD"}},
    "lineItems": {
        "pageInfo": {"hasNextPage": False, "endCursor": "c1"},
        "nodes": [
            {
                "id": "gid://shopify/LineItem/9001",
                "name": "Tee",
                "sku": "TEE",
                "quantity": 2,
                "currentQuantity": 2,
                "refundableQuantity": 2,
                "variant": {
                    "id": "gid://shopify/ProductVariant/1",
                    "sku": "TEE",
                    "inventoryItem": {"id": "gid://shopify/InventoryItem/30322695"},
                },
                "originalUnitPriceSet": {"shopMoney": {"amount": "19.99", "currencyCode": "USD"}},
                "discountedUnitPriceSet": {"shopMoney": {"amount": "17.99", "currencyCode": "USD"}},
                "taxLines": [
                    {"title": "VAT", "rate": 0.2, "priceSet": {"shopMoney": {"amount": "7.196", "currencyCode": "USD"}}}
                ],
            }
        ],
    },
    "refunds": [],
    "transactions": [
        {
            "id": "gid://shopify/OrderTransaction/7001",
            "kind": "SALE",
            "status": "SUCCESS",
            "gateway": "shopify_payments",
            "test": False,
            "amountSet": {"shopMoney": {"amount": "43.17", "currencyCode": "USD"}},
            "parentTransaction": None,
        }
    ],
}


class TestThrottling:
    def test_throttled_200_waits_for_the_bucket_and_resends(self, fake_time):
        script = Script(throttled(), ok({"shop": {"name": "x"}}))
        assert client_for(script, fake_time).execute("{ shop { name } }") == {"shop": {"name": "x"}}
        assert within_jitter(fake_time.sleeps, [2.0])  # ceil((752 - 666) / 50)
        assert script.bodies()[0] == script.bodies()[1]

    def test_throttled_429_is_handled_the_same_way(self, fake_time):
        script = Script(throttled(status=429, requested=300, available=0, rate=100.0), ok({"x": 1}))
        client_for(script, fake_time).execute("{ x }")
        assert within_jitter(fake_time.sleeps, [3.0])

    def test_rest_style_429_uses_retry_after(self, fake_time):
        script = Script(
            httpx.Response(429, headers={"Retry-After": "2.0"}, json={"errors": "Exceeded 2 calls per second for api client."}),
            ok({"x": 1}),
        )
        client_for(script, fake_time).execute("{ x }")
        assert within_jitter(fake_time.sleeps, [2.0])

    def test_throttled_mutation_is_resent(self, fake_time):
        script = Script(
            throttled(requested=10, available=4, rate=100.0), ok({"tagsAdd": {"node": {"tags": ["a"]}, "userErrors": []}})
        )
        data = client_for(script, fake_time).execute('mutation { tagsAdd(id: "x", tags: ["a"]) { userErrors { message } } }')
        assert data["tagsAdd"]["userErrors"] == [] and len(script.requests) == 2 and within_jitter(fake_time.sleeps, [1.0])

    def test_gives_up_with_rate_limited_error(self, fake_time):
        script = Script(*[throttled() for _ in range(3)])
        with pytest.raises(RateLimitedError) as info:
            client_for(script, fake_time, max_attempts=3).execute("{ x }")
        assert info.value.code == "THROTTLED" and info.value.message == "Throttled" and info.value.retry_after == 2.0
        assert info.value.kind is ErrorKind.RATE_LIMITED

    def test_pauses_before_sending_when_the_last_status_cannot_cover_the_query(self, fake_time):
        query = "{ orders(first: 50) { nodes { id } } }"
        script = Script(
            ok({"orders": 1}, requested=52, actual=52, available=20.0, rate=10.0), ok({"orders": 2}, requested=52, actual=52)
        )
        client = client_for(script, fake_time)
        client.execute(query)
        fake_time.now += 1.0  # one second later the bucket holds 30; 22 more points at 10/s: ceil(2.2) = 3 s
        client.execute(query)
        assert fake_time.sleeps == [3.0]
        assert client.throttle_status == {"maximumAvailable": 2000.0, "currentlyAvailable": 1990.0, "restoreRate": 100.0}


class TestRetriesAndErrors:
    def test_5xx_is_retried_with_jittered_backoff(self, fake_time):
        script = Script(
            httpx.Response(503, json={"errors": "Service Unavailable"}), httpx.Response(502, text="bad gateway"), ok({"x": 1})
        )
        assert client_for(script, fake_time).execute("{ x }") == {"x": 1}
        assert len(fake_time.sleeps) == 2 and 0 <= fake_time.sleeps[0] <= 0.5 and 0 <= fake_time.sleeps[1] <= 1.0

    @pytest.mark.parametrize(
        "failure", [httpx.Response(503, json={"errors": "Service Unavailable"}), httpx.ReadTimeout("timed out")]
    )
    def test_a_mutation_that_may_have_run_is_not_resent(self, fake_time, failure):
        script = Script(failure)
        with pytest.raises(TransientApiError) as info:
            client_for(script, fake_time).refund_create({"orderId": "gid://shopify/Order/1"})
        assert info.value.maybe_committed is True and len(script.requests) == 1 and fake_time.sleeps == []

    def test_an_idempotent_mutation_is_resent_after_a_5xx(self, fake_time):
        script = Script(
            httpx.Response(503, json={"errors": "Service Unavailable"}),
            ok({"tagsAdd": {"node": {"id": "gid://shopify/Order/1", "tags": ["returned"]}, "userErrors": []}}),
        )
        assert client_for(script, fake_time).tags_add("gid://shopify/Order/1", ["returned"]) == ["returned"]
        assert len(script.requests) == 2

    def test_internal_server_error_in_a_200_is_retried(self, fake_time):
        ise = httpx.Response(
            200,
            json={
                "errors": [
                    {
                        "message": "Internal error. Looks like something went wrong on our end.",
                        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "r"},
                    }
                ]
            },
        )
        script = Script(ise, ok({"x": 1}))
        assert client_for(script, fake_time).execute("{ x }") == {"x": 1}

    def test_5xx_exhausted_is_transient(self, fake_time):
        script = Script(*[httpx.Response(503, json={"errors": "Service Unavailable"})] * 2)
        with pytest.raises(TransientApiError) as info:
            client_for(script, fake_time, max_attempts=2).execute("{ x }")
        assert (info.value.status_code, info.value.message) == (503, "Service Unavailable")

    def test_401_is_an_authentication_error_without_the_token(self, fake_time):
        body = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
        script = Script(httpx.Response(401, json=body))
        with pytest.raises(AuthenticationError) as info:
            client_for(script, fake_time).execute("{ x }")
        assert info.value.message == body["errors"] and info.value.status_code == 401
        assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
        assert len(script.requests) == 1

    def test_404_unknown_version_is_permanent(self, fake_time):
        with pytest.raises(PermanentApiError) as info:
            client_for(Script(httpx.Response(404, json={"errors": "Not Found"})), fake_time).execute("{ x }")
        assert (info.value.status_code, info.value.message) == (404, "Not Found")

    @pytest.mark.parametrize(
        ("error", "code"),
        [
            (
                {
                    "message": "Query cost is 1723, which exceeds the single query max cost limit (1000).",
                    "extensions": {"code": "MAX_COST_EXCEEDED", "cost": 1723, "maxCost": 1000},
                },
                "MAX_COST_EXCEEDED",
            ),
            (
                {
                    "message": "Access denied for orders field. Required access: `read_orders` access scope.",
                    "extensions": {"code": "ACCESS_DENIED"},
                },
                "ACCESS_DENIED",
            ),
            ({"message": "Syntax Error: Expected Name, found <EOF>.", "locations": [{"line": 1, "column": 9}]}, "GRAPHQL_ERROR"),
        ],
    )
    def test_graphql_errors_are_permanent_and_not_retried(self, fake_time, error, code):
        script = Script(httpx.Response(200, json={"errors": [error], "extensions": cost(requested=0, actual=0)}))
        with pytest.raises(PermanentApiError) as info:
            client_for(script, fake_time).execute("{ x }")
        assert (info.value.code, info.value.message) == (code, error["message"])
        assert len(script.requests) == 1 and fake_time.sleeps == []

    def test_user_errors_raise_shopify_user_error(self, fake_time):
        errors = [
            {"field": ["refundLineItems", "0", "quantity"], "message": "Quantity cannot refund more items than were purchased"}
        ]
        script = Script(ok({"refundCreate": {"refund": None, "userErrors": errors}}))
        with pytest.raises(ShopifyUserError) as info:
            client_for(script, fake_time).refund_create({"orderId": "gid://shopify/Order/1"})
        assert info.value.user_errors == errors and info.value.mutation == "refundCreate" and info.value.code == "USER_ERROR"
        assert (
            str(info.value)
            == "shopify 200 USER_ERROR: refundCreate: refundLineItems.0.quantity: Quantity cannot refund more items than were purchased"
        )
        assert isinstance(info.value, PermanentApiError) and info.value.kind is ErrorKind.PERMANENT
        clone = pickle.loads(pickle.dumps(info.value))
        assert (type(clone), clone.user_errors, clone.mutation) == (ShopifyUserError, errors, "refundCreate")

    def test_mutation_timeout_is_not_resent(self, fake_time):
        script = Script(httpx.ReadTimeout("timed out"))
        with pytest.raises(TransientApiError) as info:
            client_for(script, fake_time).execute('mutation { tagsAdd(id: "x", tags: ["a"]) { userErrors { message } } }')
        assert info.value.maybe_committed is True and len(script.requests) == 1

    def test_query_timeout_and_refused_connection_are_retried(self, fake_time):
        script = Script(httpx.ReadTimeout("timed out"), httpx.ConnectError("refused"), ok({"x": 1}))
        assert client_for(script, fake_time).execute("{ x }") == {"x": 1}
        assert len(script.requests) == 3

    def test_mutation_whose_connection_was_refused_is_resent(self, fake_time):
        script = Script(httpx.ConnectError("refused"), ok({"tagsAdd": {"userErrors": []}}))
        client_for(script, fake_time).execute('# tag it\nmutation { tagsAdd(id: "x", tags: ["a"]) { userErrors { message } } }')
        assert len(script.requests) == 2


class TestTypedHelpers:
    def test_get_order_builds_the_gid_and_parses_decimal_money(self, fake_time):
        script = Script(ok({"order": ORDER}, requested=843, actual=40))
        order = client_for(script, fake_time).get_order(5001)
        request = script.bodies()[0]
        assert request["variables"] == {"id": "gid://shopify/Order/5001"} and request["query"] == ORDER_QUERY
        assert str(script.requests[0].url) == BASE + PATH
        assert order.numeric_id == 5001 and order.name == "#1001" and order.tags == ["vip"]
        [line] = order.line_items
        assert line.unit_price == Decimal("19.99") and line.unit_paid == Decimal("17.99") and line.tax == Decimal("7.196")
        assert isinstance(line.unit_price, Decimal) and line.inventory_item_id == "gid://shopify/InventoryItem/30322695"
        assert order.transactions[0].amount == Decimal("43.17")
        assert order.refundable_by_parent() == {"gid://shopify/OrderTransaction/7001": Decimal("43.17")}

    def test_get_order_accepts_a_gid_and_returns_none_for_null(self, fake_time):
        script = Script(ok({"order": None}))
        assert client_for(script, fake_time).get_order("gid://shopify/Order/77") is None
        assert script.bodies()[0]["variables"] == {"id": "gid://shopify/Order/77"}

    @pytest.mark.parametrize("bad", ["gid://shopify/Customer/5", "#1001", "abc"])
    def test_get_order_refuses_other_ids(self, fake_time, bad):
        with pytest.raises(ValueError):
            client_for(Script(), fake_time).get_order(bad)

    def test_get_order_fetches_further_line_pages(self, fake_time):
        first = {
            **ORDER,
            "lineItems": {"pageInfo": {"hasNextPage": True, "endCursor": "c1"}, "nodes": ORDER["lineItems"]["nodes"]},
        }
        more = {
            "lineItems": {
                "pageInfo": {"hasNextPage": False, "endCursor": "c2"},
                "nodes": [{**ORDER["lineItems"]["nodes"][0], "id": "gid://shopify/LineItem/9002", "sku": "CAP"}],
            }
        }
        script = Script(ok({"order": first}), ok({"order": more}))
        order = client_for(script, fake_time).get_order(5001)
        assert [line.sku for line in order.line_items] == ["TEE", "CAP"]
        assert script.bodies()[1]["variables"] == {"id": "gid://shopify/Order/5001", "after": "c1"}

    def test_find_order_by_name_requires_an_exact_name(self, fake_time):
        script = Script(
            ok(
                {
                    "orders": {
                        "nodes": [{"id": "gid://shopify/Order/1", "name": "#10010"}],
                        "pageInfo": {"hasNextPage": False, "endCursor": None},
                    }
                }
            )
        )
        assert client_for(script, fake_time).find_order_by_name("1001") is None
        assert script.bodies()[0]["variables"]["q"] == 'name:"#1001"'

    def test_append_order_note_reads_then_writes(self, fake_time):
        script = Script(
            ok({"order": {"id": "gid://shopify/Order/1", "note": "Gift wrap"}}),
            ok({"orderUpdate": {"order": {"id": "gid://shopify/Order/1", "note": "Gift wrap\nNS CM-42"}, "userErrors": []}}),
            ok({"order": {"id": "gid://shopify/Order/1", "note": "Gift wrap\nNS CM-42"}}),
        )
        client = client_for(script, fake_time)
        assert client.append_order_note("gid://shopify/Order/1", "NS CM-42") == "Gift wrap\nNS CM-42"
        assert script.bodies()[1]["variables"] == {"input": {"id": "gid://shopify/Order/1", "note": "Gift wrap\nNS CM-42"}}
        assert client.append_order_note("gid://shopify/Order/1", "NS CM-42") == "Gift wrap\nNS CM-42"
        assert len(script.requests) == 3  # already there: no second write

    def test_refund_create_sends_decimal_amounts_as_strings(self, fake_time):
        refund = {
            "id": "gid://shopify/Refund/1",
            "note": "Loop 1",
            "totalRefundedSet": {"shopMoney": {"amount": "25.0", "currencyCode": "USD"}},
            "refundLineItems": {"nodes": []},
            "transactions": {
                "nodes": [
                    {
                        "id": "gid://shopify/OrderTransaction/2",
                        "kind": "REFUND",
                        "status": "SUCCESS",
                        "amountSet": {"shopMoney": {"amount": "25.0"}},
                        "parentTransaction": {"id": "gid://shopify/OrderTransaction/7001"},
                    }
                ]
            },
        }
        script = Script(ok({"refundCreate": {"refund": refund, "userErrors": []}}))
        result = client_for(script, fake_time).refund_create(
            {"orderId": "gid://shopify/Order/1", "transactions": [{"amount": Decimal("25.00")}]}
        )
        assert script.bodies()[0]["variables"]["input"]["transactions"] == [{"amount": "25.00"}]
        assert result.amount == Decimal("25.0") and result.transactions[0].parent_id == "gid://shopify/OrderTransaction/7001"

    def test_tags_add_returns_the_tags(self, fake_time):
        script = Script(ok({"tagsAdd": {"node": {"id": "gid://shopify/Order/1", "tags": ["vip", "returned"]}, "userErrors": []}}))
        assert client_for(script, fake_time).tags_add("gid://shopify/Order/1", ["returned"]) == ["vip", "returned"]

    def test_iter_orders_follows_cursors(self, fake_time):
        def page(names, has_next, cursor):
            return ok(
                {
                    "orders": {
                        "nodes": [{"id": f"gid://shopify/Order/{i}", "name": n} for i, n in enumerate(names)],
                        "pageInfo": {"hasNextPage": has_next, "endCursor": cursor},
                    }
                }
            )

        script = Script(page(["#1", "#2"], True, "a"), page(["#3"], False, "b"))
        names = [o.name for o in client_for(script, fake_time).iter_orders("updated_at:>='2025-10-01'", page_size=2)]
        assert names == ["#1", "#2", "#3"]
        assert [b["variables"]["after"] for b in script.bodies()] == [None, "a"]


class TestConstruction:
    def test_from_credentials_sets_token_version_and_timeout(self):
        client = ShopifyClient.from_credentials(base_url=BASE + "/", access_token=TOKEN, api_version="2026-01", timeout=12.5)
        try:
            assert client._http.timeout == httpx.Timeout(12.5)
            assert str(client._http.base_url) == BASE
            assert TOKEN not in repr(client._http.auth)
            request = next(client._http.auth.auth_flow(httpx.Request("POST", BASE + "/admin/api/2026-01/graphql.json")))
            assert request.headers["X-Shopify-Access-Token"] == TOKEN
            assert client._path == "/admin/api/2026-01/graphql.json"
        finally:
            client.close()


class TestWebhookVerification:
    BODY = b'{"id":1,"order_id":5001}'

    def sign(self, secret: str) -> str:
        return base64.b64encode(hmac.new(secret.encode(), self.BODY, hashlib.sha256).digest()).decode()

    def test_valid_and_invalid(self):
        assert verify_shopify_webhook(self.BODY, self.sign("s1"), "s1")
        assert not verify_shopify_webhook(self.BODY, self.sign("s1"), "s2")
        assert not verify_shopify_webhook(self.BODY + b" ", self.sign("s1"), "s1")
        assert not verify_shopify_webhook(self.BODY, None, "s1")
        assert not verify_shopify_webhook(self.BODY, "ünïcode", "s1")

    def test_any_secret_during_rotation(self):
        assert verify_shopify_webhook(self.BODY, self.sign("old"), ["new", "old"])
        assert not verify_shopify_webhook(self.BODY, self.sign("older"), ["new", "old"])
