"""The Loop emulator's Detailed Returns List, auth, seeding and rate limit follow loop_api.md §1/§2.1 (plain httpx)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from returns_sandbox.loop.app import create_loop_app
from returns_sandbox.loop.factory import make_return, make_returns
from returns_sandbox.loop.models import LoopBackend
from returns_sandbox.seed.world import ExpectedOutcome, Lifecycle, NetSuiteAccount, ReturnCase, StoreSpec, World

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
KEY, OTHER_KEY = "key-north", "key-south"
LIST = "/api/v1/warehouse/return/list"
UNAUTHORIZED = {"error": {"code": "401", "http_code": "GEN-UNAUTHORIZED", "message": "Unauthorized."}}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def backend():
    backend = LoopBackend(clock=Clock(NOW))
    backend.add_shop(101, name="North", shop_domain="north.myshopify.com", api_keys=[KEY], webhook_secret="whsec-n")
    backend.add_shop(202, name="South", shop_domain="south.myshopify.com", api_keys=[OTHER_KEY], webhook_secret="whsec-s")
    yield backend
    backend.close()


@pytest.fixture
async def client(backend):
    transport = httpx.ASGITransport(app=create_loop_app(backend))
    async with httpx.AsyncClient(transport=transport, base_url="http://loop.test", headers={"X-Authorization": KEY}) as client:
        yield client


def ids(body) -> list[str]:
    return [r["id"] for r in (body["returns"] if isinstance(body, dict) else body)]


def decode_cursor(url: str) -> dict:
    token = parse_qs(urlsplit(url).query)["cursor"][0]
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


class TestAuth:
    async def test_missing_key_is_401_with_the_spec_body(self, client):
        response = await client.get(LIST, headers={"X-Authorization": ""})
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED

    async def test_unknown_key_is_401_on_every_endpoint(self, client):
        for method, path in (
            ("GET", LIST),
            ("GET", "/api/v1/warehouse/return/details?return_id=1"),
            ("POST", "/api/v1/warehouse/return/1/process"),
            ("GET", "/api/v1/webhooks"),
        ):
            response = await client.request(method, path, headers={"X-Authorization": "nope"})
            assert (response.status_code, response.json()) == (401, UNAUTHORIZED)

    async def test_a_key_sees_only_its_shops_returns(self, backend, client):
        backend.add_return(101, make_return(1, created_at=NOW - timedelta(hours=1)))
        backend.add_return(202, make_return(2, created_at=NOW - timedelta(hours=1)))
        assert ids((await client.get(LIST)).json()) == ["1"]
        assert ids((await client.get(LIST, headers={"X-Authorization": OTHER_KEY})).json()) == ["2"]
        other = await client.get("/api/v1/warehouse/return/details", params={"return_id": 2})
        assert other.status_code == 404

    async def test_unknown_route_is_a_laravel_404(self, client):
        response = await client.get("/api/v1/warehouse/nothing")
        assert (response.status_code, response.json()) == (
            404,
            {"message": "The route api/v1/warehouse/nothing could not be found."},
        )


class TestWindowAndStates:
    async def test_without_from_and_to_only_the_last_24_hours(self, backend, client):
        for n, hours in enumerate((25, 23, 1)):
            backend.add_return(101, make_return(n + 1, created_at=NOW - timedelta(hours=hours)))
        assert ids((await client.get(LIST)).json()) == ["2", "3"]

    async def test_default_state_set_hides_cancelled_and_review(self, backend, client):
        for n, state in enumerate(("open", "closed", "cancelled", "expired", "review")):
            backend.add_return(101, make_return(n + 1, created_at=NOW - timedelta(hours=1), state=state))
        assert ids((await client.get(LIST)).json()) == ["1", "2", "4"]
        for n, state in enumerate(("open", "closed", "cancelled", "expired", "review")):
            assert ids((await client.get(LIST, params={"state": state})).json()) == [str(n + 1)]

    async def test_filter_updated_at_selects_on_the_update_time(self, backend, client):
        backend.add_return(101, make_return(1, created_at=NOW - timedelta(days=10), updated_at=NOW - timedelta(hours=1)))
        backend.add_return(101, make_return(2, created_at=NOW - timedelta(hours=2)))
        assert ids((await client.get(LIST)).json()) == ["2"]
        assert ids((await client.get(LIST, params={"filter": "created_at"})).json()) == ["2"]
        assert ids((await client.get(LIST, params={"filter": "updated_at"})).json()) == ["2", "1"]

    @pytest.mark.parametrize(
        "start, end",
        [
            ("2024-04-01 00:00:00", "2024-04-02 00:00:00"),
            ("2024-04-01T00:00:00.000Z", "2024-04-02T00:00:00.000Z"),
            ("2024-04-01T00:00:00Z", "2024-04-02T00:00:00Z"),
            ("2024-04-01 00:00:00+00:00", "2024-04-02 00:00:00+00:00"),
            ("2024-03-31T20:00:00-04:00", "2024-04-01T20:00:00-04:00"),
        ],
    )
    async def test_from_and_to_accept_loops_datetime_spellings_and_are_inclusive(self, backend, client, start, end):
        stamps = [
            datetime(2024, 3, 31, 23, 59, 59, tzinfo=UTC),
            datetime(2024, 4, 1, tzinfo=UTC),
            datetime(2024, 4, 1, 12, tzinfo=UTC),
            datetime(2024, 4, 2, tzinfo=UTC),
            datetime(2024, 4, 2, 0, 0, 1, tzinfo=UTC),
        ]
        for n, stamp in enumerate(stamps):
            backend.add_return(101, make_return(n + 1, created_at=stamp))
        response = await client.get(LIST, params={"from": start, "to": end})
        assert response.status_code == 200
        assert ids(response.json()) == ["2", "3", "4"]

    async def test_an_unencoded_plus_in_the_offset_is_tolerated(self, backend, client):
        backend.add_return(101, make_return(1, created_at=datetime(2024, 4, 1, 6, tzinfo=UTC)))
        response = await client.get(LIST + "?from=2024-04-01%2000:00:00+00:00&to=2024-04-02%2000:00:00+00:00")
        assert (response.status_code, ids(response.json())) == (200, ["1"])

    async def test_only_from_runs_to_now_and_only_to_covers_the_24_hours_before_it(self, backend, client):
        for n, hours in enumerate((50, 30, 20, 1)):
            backend.add_return(101, make_return(n + 1, created_at=NOW - timedelta(hours=hours)))
        since = (NOW - timedelta(hours=40)).strftime("%Y-%m-%d %H:%M:%S")
        assert ids((await client.get(LIST, params={"from": since})).json()) == ["2", "3", "4"]
        until = (NOW - timedelta(hours=10)).strftime("%Y-%m-%d %H:%M:%S")
        assert ids((await client.get(LIST, params={"to": until})).json()) == ["2", "3"]

    async def test_range_of_exactly_120_days_is_allowed_and_one_second_more_is_422(self, client):
        ok = await client.get(LIST, params={"from": "2024-01-01 00:00:00", "to": "2024-04-30 00:00:00"})
        assert ok.status_code == 200
        too_long = await client.get(LIST, params={"from": "2024-01-01 00:00:00", "to": "2024-04-30 00:00:01"})
        assert too_long.status_code == 422
        assert too_long.json() == {
            "message": "The date range may not exceed 120 days.",
            "errors": {"to": ["The date range may not exceed 120 days."]},
        }

    @pytest.mark.parametrize(
        "params, field, message",
        [
            ({"from": "yesterday-ish"}, "from", "The from field must be a valid date."),
            ({"to": "2024-13-45 99:00:00"}, "to", "The to field must be a valid date."),
            ({"state": "archived"}, "state", "The selected state is invalid."),
            ({"filter": "closed_at"}, "filter", "The selected filter is invalid."),
            ({"paginate": "maybe"}, "paginate", "The paginate field must be true or false."),
            (
                {"from": "2024-04-02 00:00:00", "to": "2024-04-01 00:00:00"},
                "to",
                "The to field must be a date after or equal to from.",
            ),
        ],
    )
    async def test_invalid_parameters_are_laravel_422s(self, client, params, field, message):
        response = await client.get(LIST, params=params)
        assert response.status_code == 422
        assert response.json() == {"message": message, "errors": {field: [message]}}

    async def test_several_invalid_parameters_are_reported_together(self, client):
        response = await client.get(LIST, params={"state": "x", "filter": "y"})
        assert response.status_code == 422
        body = response.json()
        assert body["message"] == "The selected filter is invalid. (and 1 more error)"
        assert set(body["errors"]) == {"state", "filter"}


class TestPagination:
    async def test_without_paginate_the_body_is_a_bare_array(self, backend, client):
        backend.add_return(101, make_return(1, created_at=NOW - timedelta(hours=1)))
        for params in ({}, {"paginate": "false"}, {"paginate": "0"}):
            body = (await client.get(LIST, params=params)).json()
            assert isinstance(body, list) and ids(body) == ["1"]

    async def test_pages_cover_everything_once_in_order_and_the_last_has_no_next(self, backend, client):
        for item in make_returns(250, start=NOW - timedelta(hours=20), step=timedelta(minutes=4), first_id=5000):
            backend.add_return(101, item)
        seen, sizes = [], []
        body = (await client.get(LIST, params={"paginate": "true", "pageSize": 100})).json()
        assert body["previousPageUrl"] is None
        while True:
            seen += ids(body)
            sizes.append(len(body["returns"]))
            if body["nextPageUrl"] is None:
                break
            body = (await client.get(body["nextPageUrl"])).json()
        assert sizes == [100, 100, 50]
        assert seen == [str(5000 + n) for n in range(250)]

    async def test_page_size_defaults_to_100_and_caps_at_750(self, backend, client):
        for item in make_returns(760, start=NOW - timedelta(hours=23), step=timedelta(seconds=90), first_id=1):
            backend.add_return(101, item)
        assert len((await client.get(LIST, params={"paginate": "true"})).json()["returns"]) == 100
        assert len((await client.get(LIST, params={"paginate": "true", "pageSize": 750})).json()["returns"]) == 750
        for size, message in (
            (751, "The page size field must not be greater than 750."),
            (0, "The page size field must be at least 1."),
            ("ten", "The page size field must be an integer."),
        ):
            response = await client.get(LIST, params={"paginate": "true", "pageSize": size})
            assert response.status_code == 422
            assert response.json() == {"message": message, "errors": {"pageSize": [message]}}

    async def test_next_page_url_is_a_full_url_on_the_requests_host_keeping_the_other_params(self, backend):
        for item in make_returns(3, start=NOW - timedelta(hours=3), first_id=1):
            backend.add_return(101, item)
        transport = httpx.ASGITransport(app=create_loop_app(backend))
        async with httpx.AsyncClient(
            transport=transport, base_url="https://loop.example:8443", headers={"X-Authorization": KEY}
        ) as c:
            params = {"paginate": "true", "pageSize": 2, "filter": "updated_at", "state": "open", "from": "2024-05-01 00:00:00"}
            body = (await c.get(LIST, params=params)).json()
        url = urlsplit(body["nextPageUrl"])
        assert (url.scheme, url.netloc, url.path) == ("https", "loop.example:8443", LIST)
        query = parse_qs(url.query)
        assert {k: v[0] for k, v in query.items() if k != "cursor"} == {k: str(v) for k, v in params.items()}
        assert decode_cursor(body["nextPageUrl"]) == {
            "updated_at": "2024-05-01 09:01:00.000",
            "id": 2,
            "_pointsToNextItems": True,
        }

    async def test_a_cursor_keeps_pointing_at_the_same_items_when_returns_are_added(self, backend, client):
        for item in make_returns(6, start=NOW - timedelta(hours=6), step=timedelta(minutes=30), first_id=10):
            backend.add_return(101, item)
        first = (await client.get(LIST, params={"paginate": "true", "pageSize": 3})).json()
        again = (await client.get(first["nextPageUrl"])).json()
        backend.add_return(101, make_return(9, created_at=NOW - timedelta(hours=7)))  # sorts before everything
        after_insert = (await client.get(first["nextPageUrl"])).json()
        assert ids(again) == ids(after_insert) == ["13", "14", "15"]

    async def test_equal_timestamps_are_split_across_pages_by_id(self, backend, client):
        stamp = NOW - timedelta(hours=1)
        for rid in (7, 3, 5, 1, 9):
            backend.add_return(101, make_return(rid, created_at=stamp))
        page1 = (await client.get(LIST, params={"paginate": "true", "pageSize": 2})).json()
        page2 = (await client.get(page1["nextPageUrl"])).json()
        page3 = (await client.get(page2["nextPageUrl"])).json()
        assert [ids(p) for p in (page1, page2, page3)] == [["1", "3"], ["5", "7"], ["9"]]
        assert page3["nextPageUrl"] is None

    async def test_previous_page_url_walks_back(self, backend, client):
        for item in make_returns(5, start=NOW - timedelta(hours=5), first_id=1):
            backend.add_return(101, item)
        page1 = (await client.get(LIST, params={"paginate": "true", "pageSize": 2})).json()
        page2 = (await client.get(page1["nextPageUrl"])).json()
        assert decode_cursor(page2["previousPageUrl"])["_pointsToNextItems"] is False
        back = (await client.get(page2["previousPageUrl"])).json()
        assert ids(back) == ids(page1) == ["1", "2"]
        assert back["previousPageUrl"] is None and back["nextPageUrl"] is not None

    async def test_a_damaged_cursor_is_422(self, client):
        response = await client.get(LIST, params={"paginate": "true", "cursor": "not-a-cursor"})
        assert response.status_code == 422
        assert response.json() == {"message": "The cursor is invalid.", "errors": {"cursor": ["The cursor is invalid."]}}


class TestSeeding:
    def test_load_world_creates_one_shop_per_store_and_stores_returns_as_given(self):
        store = StoreSpec(
            key="north",
            name="North",
            shop_domain="north.myshopify.com",
            currency="USD",
            loop_shop_id=777,
            loop_api_key="world-key",
            loop_webhook_secret="world-secret",
            shopify_access_token="t",
            shopify_app_secret="a",
            shopify_location_id=1,
            ns_subsidiary_id=1,
            ns_subsidiary_name="US",
            ns_currency_id=1,
            ns_location_id=1,
            ns_damaged_location_id=2,
            ns_token_id="i",
            ns_token_secret="s",
            sku_field="itemid",
            billing="invoice",
            first_order_number=1001,
        )
        loop_return = make_return(48213377, created_at=NOW - timedelta(hours=2), unit_price=Decimal("10.00"))
        case = ReturnCase(
            store="north",
            loop_return=loop_return,
            lifecycle=Lifecycle(),
            expected=ExpectedOutcome(return_id="48213377", store="north", scenario="refund_full"),
        )
        world = World(
            seed=1,
            now=NOW,
            account=NetSuiteAccount("1_SB1", "ck", "cs"),
            stores=(store,),
            catalog=(),
            customers=(),
            orders=(),
            returns=[case],
        )
        backend = LoopBackend(clock=Clock(NOW))
        try:
            assert not backend.is_seeded()
            backend.load_world(world)
            assert backend.is_seeded()
            assert backend.shop_for_key("world-key") == 777
            assert backend.get_return(48213377) == loop_return
        finally:
            backend.close()


class TestRateLimit:
    async def test_300_requests_a_minute_per_key_then_laravels_429(self, client):
        for _ in range(300):
            assert (await client.get("/api/v1/webhooks")).status_code == 200
        limited = await client.get("/api/v1/webhooks")
        assert limited.status_code == 429
        assert limited.json() == {"message": "Too Many Attempts."}
        assert "retry-after" not in limited.headers
        other = await client.get("/api/v1/webhooks", headers={"X-Authorization": OTHER_KEY})
        assert other.status_code == 200
