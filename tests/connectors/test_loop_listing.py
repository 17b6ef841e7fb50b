"""How LoopClient walks Loop's list pages, over httpx.MockTransport: its own parameters on every page, only the
cursor from ``nextPageUrl``, and no return lost (or repeated) when many share the second a page ends in."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from returns_sync.connectors.auth import LoopApiKeyAuth
from returns_sync.connectors.loop import LoopClient
from returns_sync.connectors.pagination import PaginationError
from returns_sync.connectors.retry import RetryPolicy

BASE = "https://api.loopreturns.com"
LIST = "/api/v1/warehouse/return/list"
T0 = datetime(2024, 4, 1, tzinfo=UTC)
BURST = datetime(2024, 4, 1, 10, 0, 0, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def encode_cursor(second: str) -> str:
    raw = json.dumps({"updated_at": second, "_pointsToNextItems": True}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def params_of(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}


class StrictLoopList:
    """A Detailed Returns List that pages as Loop documents: whole-second cursor without an id, compared
    strictly (``inclusive=True`` repeats the boundary second instead), and a ``nextPageUrl`` with only
    ``to``, ``filter``, ``pageSize`` and ``cursor`` - on another host, to prove the client never follows it."""

    def __init__(self, returns: list[dict], *, inclusive: bool = False) -> None:
        self.returns = sorted(returns, key=lambda r: (r["updated_at"][:19], int(r["id"])))
        self.inclusive = inclusive
        self.requests: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["X-Authorization"] == "secret-key"
        assert request.url.host == "api.loopreturns.com"
        params = params_of(request)
        self.requests.append(params)
        start, end = (self._time(params[k]) for k in ("from", "to"))
        rows = [
            r
            for r in self.returns
            if r["state"] == params.get("state", r["state"]) and start <= self._time(r["updated_at"]) <= end
        ]
        if "cursor" not in params and params.get("paginate") != "true":
            return httpx.Response(200, json=rows)
        if "cursor" in params:
            second = json.loads(base64.urlsafe_b64decode(params["cursor"] + "==="))["updated_at"]
            after = (lambda s: s >= second) if self.inclusive else (lambda s: s > second)
            rows = [r for r in rows if after(r["updated_at"][:19].replace("T", " "))]
        size = int(params["pageSize"])
        page, more = rows[:size], len(rows) > size
        next_url = None
        if more:
            last = page[-1]["updated_at"][:19].replace("T", " ")
            query = {"to": params["to"], "filter": params["filter"], "pageSize": size, "cursor": encode_cursor(last)}
            next_url = f"https://elsewhere.example{LIST}?{urlencode(query)}"
        return httpx.Response(200, json={"returns": page, "nextPageUrl": next_url, "previousPageUrl": None})

    @staticmethod
    def _time(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=UTC)


def client_over(handler) -> LoopClient:
    http = httpx.Client(transport=httpx.MockTransport(handler), base_url=BASE, auth=LoopApiKeyAuth("secret-key"))
    return LoopClient(http, retry=RetryPolicy(sleep=lambda _: None))


def loop_return(rid: int, at: datetime, state: str = "open") -> dict:
    return {"id": str(rid), "state": state, "updated_at": stamp(at), "line_items": []}


def burst_world(before: int, ties: int, after: int) -> list[dict]:
    """``before`` returns a minute apart, then ``ties`` returns in one second, then ``after`` more."""
    rows = [loop_return(100 + n, BURST - timedelta(minutes=before - n)) for n in range(before)]
    rows += [loop_return(500 + n, BURST) for n in range(ties)]
    rows += [loop_return(900 + n, BURST + timedelta(minutes=n + 1)) for n in range(after)]
    return rows


def read_all(client: LoopClient, **kwargs) -> list[str]:
    kwargs.setdefault("states", ["open"])
    pages = client.iter_return_pages(updated_from=T0, updated_to=T0 + timedelta(days=1), **kwargs)
    return [r.id for page in pages for r in page]


class TestOwnParametersOnEveryPage:
    def test_later_pages_resend_from_state_and_paginate_with_the_cursor_only_taken_from_next_page_url(self):
        fake = StrictLoopList([loop_return(n, T0 + timedelta(minutes=n)) for n in range(1, 6)])
        assert read_all(client_over(fake), page_size=2) == ["1", "2", "3", "4", "5"]
        pages = [p for p in fake.requests if p.get("paginate") == "true"]
        assert len(pages) == 3
        for later in pages[1:]:
            assert {k: v for k, v in later.items() if k != "cursor"} == pages[0]
            assert later["cursor"]
        assert pages[0] == {
            "from": "2024-04-01 00:00:00",
            "to": "2024-04-02 00:00:00",
            "filter": "updated_at",
            "state": "open",
            "paginate": "true",
            "pageSize": "2",
        }

    def test_a_next_page_url_without_a_cursor_stops_with_an_error(self):
        body = {"returns": [loop_return(1, T0)], "nextPageUrl": BASE + LIST + "?to=x&pageSize=1", "previousPageUrl": None}
        with pytest.raises(PaginationError, match="no cursor"):
            read_all(client_over(lambda r: httpx.Response(200, json=body)))

    def test_a_repeated_cursor_stops_with_an_error(self):
        def handler(request: httpx.Request) -> httpx.Response:
            if params_of(request).get("paginate") != "true" and "cursor" not in params_of(request):
                return httpx.Response(200, json=[])  # the boundary second, read whole
            next_url = f"{BASE}{LIST}?cursor={encode_cursor('2024-04-01 00:00:00')}"
            return httpx.Response(200, json={"returns": [loop_return(1, T0)], "nextPageUrl": next_url})

        with pytest.raises(PaginationError, match="repeated"):
            read_all(client_over(handler))


class TestSameSecondTies:
    @pytest.mark.parametrize("page_size", [1, 3, 7, 20, 21, 100])
    def test_no_return_sharing_the_boundary_second_is_lost(self, page_size):
        # 95 earlier returns put the 100-row boundary (Loop's default page) inside the 25 ties.
        world = burst_world(before=95, ties=25, after=10)
        ids = read_all(client_over(StrictLoopList(world)), page_size=page_size)
        assert sorted(ids) == sorted(r["id"] for r in world)
        assert len(ids) == len(set(ids))

    def test_the_boundary_second_is_read_whole_without_paging(self):
        fake = StrictLoopList(burst_world(before=3, ties=25, after=0))
        read_all(client_over(fake), page_size=5)
        tie_reads = [p for p in fake.requests if "paginate" not in p]
        second = {"from": "2024-04-01T10:00:00.000Z", "to": "2024-04-01T10:00:00.999Z", "filter": "updated_at", "state": "open"}
        assert tie_reads == [second]

    def test_an_inclusive_cursor_repeating_the_boundary_second_yields_each_return_once(self):
        world = burst_world(before=4, ties=22, after=4)
        ids = read_all(client_over(StrictLoopList(world, inclusive=True)), page_size=30)
        assert sorted(ids) == sorted(r["id"] for r in world) and len(ids) == len(set(ids))

    def test_an_opaque_cursor_falls_back_to_the_last_returns_second(self):
        world = burst_world(before=2, ties=6, after=0)
        served = {"paged": 0}

        def handler(request: httpx.Request) -> httpx.Response:
            params = params_of(request)
            if "paginate" not in params:
                assert params["from"] == "2024-04-01T10:00:00.000Z"
                return httpx.Response(200, json=world[2:])
            served["paged"] += 1
            if "cursor" in params:
                return httpx.Response(200, json={"returns": [], "nextPageUrl": None})
            return httpx.Response(200, json={"returns": world[:4], "nextPageUrl": f"{BASE}{LIST}?cursor=opaque-token"})

        ids = read_all(client_over(handler), page_size=4)
        assert sorted(ids) == sorted(r["id"] for r in world) and served["paged"] == 2

    def test_a_boundary_second_loop_pages_anyway_is_an_error(self):
        def handler(request: httpx.Request) -> httpx.Response:
            next_url = f"{BASE}{LIST}?cursor={encode_cursor('2024-04-01 10:00:00')}"
            return httpx.Response(200, json={"returns": [loop_return(1, BURST)], "nextPageUrl": next_url})

        with pytest.raises(PaginationError, match="paged the unpaginated read"):
            read_all(client_over(handler))

    def test_a_page_whose_end_cannot_be_placed_in_time_is_an_error(self):
        body = {"returns": [{"id": "1", "state": "open", "line_items": []}], "nextPageUrl": f"{BASE}{LIST}?cursor=opaque"}
        with pytest.raises(PaginationError, match="which second"):
            read_all(client_over(lambda r: httpx.Response(200, json=body)))


class TestPageSize:
    def test_the_clients_page_size_is_the_default_and_a_call_may_override_it(self):
        fake = StrictLoopList([])
        http = httpx.Client(transport=httpx.MockTransport(fake), base_url=BASE, auth=LoopApiKeyAuth("secret-key"))
        client = LoopClient(http, page_size=40)
        read_all(client)
        read_all(client, page_size=7)
        assert [p["pageSize"] for p in fake.requests] == ["40", "7"]
        with pytest.raises(ValueError, match="page_size"):
            LoopClient(http, page_size=751)


class TestListedReturns:
    """``iter_listed_return_pages`` walks the same pages and keeps each return small until it is read."""

    def test_the_same_returns_as_parsed_and_each_reads_back_as_the_parsed_one(self):
        world = burst_world(before=3, ties=5, after=2)
        client = client_over(StrictLoopList(world))
        window = {"updated_from": T0, "updated_to": T0 + timedelta(days=1), "states": ["open"], "page_size": 2}
        parsed = [r for page in client.iter_return_pages(**window) for r in page]
        listed = [r for page in client.iter_listed_return_pages(**window) for r in page]
        assert [r.id for r in listed] == [r.id for r in parsed] and len(listed) == len(world)
        assert [r.read() for r in listed] == parsed
        assert [(r.state, r.updated_at, r.created_at) for r in listed] == [(r.state, r.updated_at, r.created_at) for r in parsed]

    def test_a_malformed_return_is_reported_and_the_rest_are_listed(self):
        world = [loop_return(1, T0 + timedelta(minutes=1)), {**loop_return(2, T0 + timedelta(minutes=2)), "line_items": None}]
        malformed = []
        pages = client_over(StrictLoopList(world)).iter_listed_return_pages(
            updated_from=T0, updated_to=T0 + timedelta(days=1), states=["open"], on_malformed=malformed.append
        )
        assert [r.id for page in pages for r in page] == ["1"]
        assert [m.loop_return_id for m in malformed] == ["2"]
