"""Hypothesis: whatever Loop puts in a page, reading it never raises and holds back exactly the corrupted returns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from returns_sync.connectors.loop import LoopClient
from returns_sync.connectors.retry import RetryPolicy
from returns_sync.domain.loop_records import MalformedReturn

# Per field, values Loop never sends there: each one alone makes a return unreadable.
CORRUPTIONS: dict[str, st.SearchStrategy[Any]] = {
    "refunds": st.sampled_from([None, "none", 3, {"a": 1}]),
    "line_items": st.sampled_from([None, "[]", 0, [{"price": "NaN"}], [{"price": "1,5"}], [None]]),
    "exchanges": st.sampled_from([None, "", 1.5]),
    "state": st.text(max_size=12).filter(lambda s: s not in {"open", "closed", "cancelled", "expired", "review"}),
    "created_at": st.sampled_from(["not a date", "2024-13-45", "", [], 12.5e300]),
    "total": st.sampled_from(["NaN", "Infinity", "-inf", "12,50", "abc", True, [], {}]),
}


def good(rid: int) -> dict[str, Any]:
    return {"id": rid, "state": "open", "updated_at": "2024-04-01T10:00:00Z", "line_items": [], "refunds": [], "exchanges": []}


@st.composite
def pages(draw: st.DrawFn) -> tuple[list[dict[str, Any]], set[int]]:
    ids = draw(st.lists(st.integers(1, 10**9), min_size=1, max_size=12, unique=True))
    corrupted: set[int] = set()
    records = []
    for rid in ids:
        record = good(rid)
        if draw(st.booleans()):
            field = draw(st.sampled_from(sorted(CORRUPTIONS)))
            record[field] = draw(CORRUPTIONS[field])
            corrupted.add(rid)
        records.append(record)
    return records, corrupted


@settings(max_examples=150, deadline=None)
@given(pages())
def test_reading_a_page_never_raises_and_holds_back_only_the_corrupted_returns(
    drawn: tuple[list[dict[str, Any]], set[int]],
) -> None:
    records, corrupted = drawn

    def answer(request: httpx.Request) -> httpx.Response:
        state = parse_qs(urlsplit(str(request.url)).query).get("state", [""])[0]
        body = records if state == "open" else []
        return httpx.Response(200, json={"returns": body, "nextPageUrl": None, "previousPageUrl": None})

    http = httpx.Client(transport=httpx.MockTransport(answer), base_url="https://api.loopreturns.com")
    client = LoopClient(http, retry=RetryPolicy(sleep=lambda _: None))
    held: list[MalformedReturn] = []
    start, end = datetime(2024, 4, 1, tzinfo=UTC), datetime(2024, 4, 2, tzinfo=UTC)
    read = [r.id for page in client.iter_return_pages(updated_from=start, updated_to=end, on_malformed=held.append) for r in page]

    assert sorted(read) == sorted(str(r["id"]) for r in records if r["id"] not in corrupted)
    assert sorted(m.loop_return_id or "" for m in held) == sorted(str(rid) for rid in corrupted)
    assert all(m.reason and m.field for m in held)
