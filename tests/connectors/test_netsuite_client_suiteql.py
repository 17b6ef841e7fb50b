"""SuiteQL paging, value inlining and the client's concurrency cap, over httpx.MockTransport."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlglot
from hypothesis import given
from hypothesis import strategies as st

from returns_sync.connectors import errors
from returns_sync.connectors.netsuite import (
    MAX_SUITEQL_ROWS,
    NetSuiteClient,
    NetSuiteRowLimitError,
    NetSuiteTooManyRowsError,
    PaginationError,
    suiteql_list,
    suiteql_literal,
)
from returns_sync.connectors.retry import RetryPolicy

BASE = "https://1234567-sb1.suitetalk.api.netsuite.com"
QUERY = "SELECT id, tranid, status FROM transaction WHERE type = 'RtnAuth' ORDER BY id"


def client_for(handler: Any, *, sleep: Any = lambda _: None, **kwargs: Any) -> NetSuiteClient:
    http = httpx.Client(base_url=BASE, transport=httpx.MockTransport(handler))
    return NetSuiteClient(http, retry=RetryPolicy(sleep=sleep), **kwargs)


class SuiteQLServer:
    """Serves ``rows`` the way NetSuite pages SuiteQL: limit/offset from the query string, links on each item."""

    def __init__(self, rows: list[dict[str, str]]) -> None:
        self.rows = rows
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        limit, offset = int(request.url.params["limit"]), int(request.url.params["offset"])
        items = [{"links": [], **row} for row in self.rows[offset : offset + limit]]
        return httpx.Response(
            200,
            json={
                "links": [{"rel": "self", "href": str(request.url)}],
                "count": len(items),
                "hasMore": offset + limit < len(self.rows),
                "offset": offset,
                "totalResults": len(self.rows),
                "items": items,
            },
        )


ROWS = [{"id": str(n), "tranid": f"RMA{n}", "status": "B"} for n in range(1, 6)]


class TestPaging:
    def test_three_pages(self) -> None:
        server = SuiteQLServer(ROWS)
        rows = list(client_for(server).suiteql(QUERY, page_size=2))
        assert rows == ROWS  # "links" dropped, values untouched strings
        assert [(r.url.params["limit"], r.url.params["offset"]) for r in server.requests] == [("2", "0"), ("2", "2"), ("2", "4")]
        for request in server.requests:
            assert request.method == "POST"
            assert request.url.path == "/services/rest/query/v1/suiteql"
            assert request.headers["Prefer"] == "transient"
            assert request.headers["Content-Type"] == "application/json"
            assert json.loads(request.content) == {"q": QUERY}

    def test_pages_lazily(self) -> None:
        server = SuiteQLServer(ROWS)
        rows = client_for(server).suiteql(QUERY, page_size=2)
        assert next(rows) == ROWS[0]
        assert len(server.requests) == 1

    def test_stops_when_has_more_is_false_even_on_a_full_page(self) -> None:
        server = SuiteQLServer(ROWS[:2])
        assert len(list(client_for(server).suiteql(QUERY, page_size=2))) == 2
        assert len(server.requests) == 1

    def test_empty_result(self) -> None:
        assert list(client_for(SuiteQLServer([])).suiteql(QUERY)) == []

    def test_refuses_a_repeated_offset(self) -> None:
        """A server that ignores ``offset`` would loop forever; the paginator stops it on the repeat."""
        requests: list[httpx.Request] = []

        def stuck(request: httpx.Request) -> httpx.Response:
            requests.append(request)
            return httpx.Response(200, json={"count": 2, "hasMore": True, "offset": 0, "items": ROWS[:2]})

        with pytest.raises(PaginationError, match="repeated page token 2"):
            list(client_for(stuck).suiteql(QUERY, page_size=2))
        assert len(requests) == 2

    def test_refuses_to_page_past_100000_rows(self) -> None:
        calls: list[int] = []

        def endless(request: httpx.Request) -> httpx.Response:
            offset = int(request.url.params["offset"])
            calls.append(offset)
            return httpx.Response(200, json={"count": 1000, "hasMore": True, "offset": offset, "items": [{"id": str(offset)}]})

        with pytest.raises(NetSuiteRowLimitError, match="more than 100000 rows") as info:
            list(client_for(endless).suiteql(QUERY))
        assert info.value.code == "ROW_LIMIT" and isinstance(info.value, errors.PermanentApiError)
        assert calls[-1] == MAX_SUITEQL_ROWS - 1000 and len(calls) == 100

    @pytest.mark.parametrize("size", [0, -1, 1001])
    def test_page_size_bounds(self, size: int) -> None:
        with pytest.raises(ValueError, match="page size"):
            list(client_for(SuiteQLServer(ROWS)).suiteql(QUERY, page_size=size))

    def test_query_error_is_permanent_with_detail(self) -> None:
        body = {
            "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
            "title": "Bad Request",
            "status": 400,
            "o:errorDetails": [
                {
                    "detail": "Invalid search query. Detailed unprocessed description follows. Unknown identifier 'nope'.",
                    "o:errorCode": "INVALID_PARAMETER",
                }
            ],
        }
        client = client_for(lambda request: httpx.Response(400, json=body))
        with pytest.raises(errors.PermanentApiError) as info:
            list(client.suiteql("SELECT nope FROM transaction"))
        assert info.value.code == "INVALID_PARAMETER"
        assert info.value.message.startswith("Invalid search query.")

    def test_suiteql_retries_like_a_read(self) -> None:
        answers = [
            httpx.Response(429, json={"o:errorDetails": [{"detail": "busy", "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED"}]}),
            httpx.Response(503, text="unavailable"),
        ]
        server = SuiteQLServer(ROWS)
        sleeps: list[float] = []
        client = client_for(lambda request: answers.pop(0) if answers else server(request), sleep=sleeps.append)
        assert list(client.suiteql(QUERY)) == ROWS
        assert len(sleeps) == 2


class TestSuiteqlOne:
    def test_none(self) -> None:
        assert client_for(SuiteQLServer([])).suiteql_one(QUERY) is None

    def test_one(self) -> None:
        server = SuiteQLServer(ROWS[:1])
        assert client_for(server).suiteql_one(QUERY) == ROWS[0]
        assert server.requests[0].url.params["limit"] == "2"

    def test_several(self) -> None:
        with pytest.raises(NetSuiteTooManyRowsError):
            client_for(SuiteQLServer(ROWS)).suiteql_one(QUERY)


def _parsed_string(literal: str) -> str:
    """What an Oracle-dialect SQL parser reads back from ``SELECT <literal>``: an independent check of the escaping."""
    expression = sqlglot.parse_one(f"SELECT {literal} AS v FROM dual", read="oracle").expressions[0].this
    assert isinstance(expression, sqlglot.exp.Literal) and expression.is_string
    return expression.this


class TestLiteral:
    @pytest.mark.parametrize(
        ("value", "literal"),
        [
            ("RMA1001", "'RMA1001'"),
            ("O'Brien", "'O''Brien'"),
            ("''", "''''''"),
            ("", "''"),
            ("back\\slash", "'back\\slash'"),
            ("é ü 漢字", "'é ü 漢字'"),
            (42, "42"),
            (-7, "-7"),
            (Decimal("12.50"), "12.50"),
            (Decimal("1E+3"), "1000"),
        ],
    )
    def test_examples(self, value: Any, literal: str) -> None:
        assert suiteql_literal(value) == literal

    @pytest.mark.parametrize("value", ["a\x00b", "line\nbreak", "tab\t", "\r", "del\x7f", "\x85", "sep\u2028"])
    def test_control_characters_are_refused(self, value: str) -> None:
        with pytest.raises(ValueError, match="control character"):
            suiteql_literal(value)

    @pytest.mark.parametrize("value", [True, 1.5, None, b"bytes", ["list"]])
    def test_other_types_are_refused(self, value: Any) -> None:
        with pytest.raises(TypeError):
            suiteql_literal(value)

    @pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity")])
    def test_non_finite_decimals_are_refused(self, value: Decimal) -> None:
        with pytest.raises(ValueError):
            suiteql_literal(value)

    @given(st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"))))
    def test_any_printable_text_round_trips(self, value: str) -> None:
        literal = suiteql_literal(value)
        inner = literal[1:-1]
        assert literal[0] == literal[-1] == "'"
        assert "'" not in inner.replace("''", "")  # no quote can close the literal early
        assert inner.replace("''", "'") == value
        assert _parsed_string(literal) == value

    @given(st.text(min_size=1).filter(lambda s: any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in s)))
    def test_any_text_with_a_control_character_is_refused(self, value: str) -> None:
        with pytest.raises(ValueError):
            suiteql_literal(value)

    @given(st.integers(min_value=-(10**30), max_value=10**30))
    def test_integers_are_bare(self, value: int) -> None:
        assert int(suiteql_literal(value)) == value

    def test_list(self) -> None:
        assert suiteql_list(["SKU-1", "O'Neil", 3]) == "('SKU-1', 'O''Neil', 3)"
        with pytest.raises(ValueError, match="at least one"):
            suiteql_list([])


class TestConcurrency:
    @pytest.mark.parametrize("limit", [1, 3])
    def test_never_more_than_max_concurrency_in_flight(self, limit: int) -> None:
        lock = threading.Lock()
        state = {"now": 0, "peak": 0, "calls": 0}

        def slow(request: httpx.Request) -> httpx.Response:
            with lock:
                state["now"] += 1
                state["calls"] += 1
                state["peak"] = max(state["peak"], state["now"])
            time.sleep(0.03)
            with lock:
                state["now"] -= 1
            return httpx.Response(200, json={"id": request.url.path.rsplit("/", 1)[-1]})

        client = client_for(slow, max_concurrency=limit)
        results: list[dict] = []
        failures: list[Exception] = []

        def call(n: int) -> None:
            try:
                results.append(client.get_record("customer", n))
            except Exception as exc:
                failures.append(exc)

        threads = [threading.Thread(target=call, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert failures == []
        assert sorted(int(r["id"]) for r in results) == list(range(16))
        assert state["peak"] == limit  # the cap is reached (threads really overlap) and never passed

    def test_semaphore_covers_suiteql_and_writes(self) -> None:
        lock = threading.Lock()
        state = {"now": 0, "peak": 0}

        def slow(request: httpx.Request) -> httpx.Response:
            with lock:
                state["now"] += 1
                state["peak"] = max(state["peak"], state["now"])
            time.sleep(0.02)
            with lock:
                state["now"] -= 1
            if request.url.path.endswith("suiteql"):
                return httpx.Response(200, json={"count": 0, "hasMore": False, "offset": 0, "items": []})
            return httpx.Response(204, headers={"Location": f"{BASE}/services/rest/record/v1/customer/1"})

        client = client_for(slow, max_concurrency=2)
        work = [lambda: list(client.suiteql(QUERY)), lambda: client.create_record("customer", {})] * 6
        threads = [threading.Thread(target=job) for job in work]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert state["peak"] == 2

    def test_max_concurrency_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="max_concurrency"):
            client_for(lambda r: httpx.Response(200), max_concurrency=0)
