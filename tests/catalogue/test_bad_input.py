"""The catalogue of bad input (docs/BAD_INPUT.md): each kind, fed to the product's real code path, ends as the catalogue says.

Three outcomes only: the record is held back with rule ``loop_return_shape`` and a reason naming the field and
value; the request is refused before any call; or the API's answer becomes a classified error with a plain
message. Nothing here may raise anything else, and nothing may be read as an empty answer.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from returns_sync.connectors.errors import ErrorKind, RecordRejected, TransientApiError, classify_exception
from returns_sync.connectors.loop import LoopClient
from returns_sync.connectors.netsuite import NetSuiteClient
from returns_sync.connectors.retry import RetryPolicy
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.loop_records import MALFORMED_RULE, MalformedReturn, read_return
from returns_sync.domain.money import Money
from returns_sync.tasks.netsuite_bodies import MEMO_MAX_CHARS, close_lines_body, fit_memo

LOOP = "https://api.loopreturns.com"
NETSUITE = "https://1234567-sb1.suitetalk.api.netsuite.com"


def good_return(**fields: Any) -> dict[str, Any]:
    line = {"line_item_id": 7, "sku": "TEE-M", "price": "25.00", "refund": "25.00", "returned_at": None}
    return {
        "id": 4821,
        "state": "open",
        "currency": "USD",
        "created_at": "2024-04-01T09:00:00Z",
        "updated_at": "2024-04-01T10:00:00Z",
        "total": "25.00",
        "line_items": [line],
        "exchanges": [],
        "refunds": [],
        **fields,
    }


# -- kinds 1-15: a Loop return in a shape the sync cannot read is held back, naming the field and value ------------

SHAPES: list[tuple[str, Any, str, str]] = [
    # (case id, the record, field named in the reason, words the reason must hold)
    ("refunds-null", good_return(refunds=None), "refunds", "is null, expected a list"),
    ("line_items-null", good_return(line_items=None), "line_items", "is null, expected a list"),
    ("exchanges-null", good_return(exchanges=None), "exchanges", "is null, expected a list"),
    ("line_items-object", good_return(line_items={"0": {}}), "line_items", "expected a list"),
    ("price-NaN", good_return(line_items=[{**good_return()["line_items"][0], "price": "NaN"}]), "line_items[0].price", "'NaN'"),
    ("total-Infinity", good_return(total="Infinity"), "total", "'Infinity'"),
    ("total-comma-decimal", good_return(total="12,50"), "total", "'12,50'"),
    ("total-boolean", good_return(total=True), "total", "True"),
    ("created_at-not-a-date", good_return(created_at="not a date"), "created_at", "expected a date and time"),
    ("updated_at-not-a-date", good_return(updated_at="yesterday"), "updated_at", "expected a date and time"),
    ("state-undocumented", good_return(state="archived"), "state", "'archived'"),
    ("id-not-numeric", good_return(id="abc"), "id", "expected a Loop return id"),
    ("id-missing", {k: v for k, v in good_return().items() if k != "id"}, "id", "is null"),
    ("id-negative", good_return(id=-4), "id", "expected a Loop return id"),
    ("record-not-an-object", "<return 4821>", "(the record)", "expected an object"),
]


@pytest.mark.parametrize(("record", "field", "words"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_a_return_in_a_shape_loop_never_documented_is_held_back_with_its_field(record: Any, field: str, words: str) -> None:
    read = read_return(record)
    assert isinstance(read, MalformedReturn), read
    assert read.field == field
    assert words in read.reason
    assert field in read.message and "cannot be read" in read.message


def test_the_well_formed_return_the_shapes_start_from_is_read() -> None:
    # Guards the table: every case above differs from a record that parses in exactly one field.
    assert isinstance(read_return(good_return()), LoopReturn)


# -- kinds 16-18: ids that cannot be Loop's are refused before any call (Loop would answer 422) ---------------------


def loop_client(handler: Callable[[httpx.Request], httpx.Response]) -> tuple[LoopClient, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return handler(request)

    http = httpx.Client(transport=httpx.MockTransport(record), base_url=LOOP)
    return LoopClient(http, retry=RetryPolicy(sleep=lambda _: None, max_attempts=1)), sent


@pytest.mark.parametrize(
    "bad_id", ["abc", "0", "1" * 25, "12; 13", " 4821"], ids=["letters", "zero", "25-digits", "two-ids", "padded"]
)
def test_an_id_that_cannot_be_loops_is_refused_before_any_call(bad_id: str) -> None:
    client, sent = loop_client(lambda r: httpx.Response(200, json=good_return()))
    with pytest.raises(RecordRejected) as caught:
        client.get_return(bad_id)
    assert caught.value.rule == MALFORMED_RULE
    assert "expected a Loop return id" in caught.value.reason
    assert sent == []


# -- kinds 19-25: an answer that is no JSON becomes a classified, transient error with a plain message --------------

HTML_PAGE = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
NOT_JSON: list[tuple[str, httpx.Response, str]] = [
    ("html-page-with-200", httpx.Response(200, text=HTML_PAGE, headers={"Content-Type": "text/html"}), "HTML page"),
    (
        "truncated-json",
        httpx.Response(200, text='{"returns": [{"id": 4821, "state": "op', headers={"Content-Type": "application/json"}),
        "cut off",
    ),
    ("empty-body", httpx.Response(200, text="", headers={"Content-Type": "application/json"}), "empty body"),
]


@pytest.mark.parametrize(("answer", "words"), [n[1:] for n in NOT_JSON], ids=[n[0] for n in NOT_JSON])
def test_a_loop_list_page_that_is_no_json_fails_transiently_instead_of_reading_as_empty(
    answer: httpx.Response, words: str
) -> None:
    from datetime import UTC, datetime

    client, _ = loop_client(lambda r: answer)
    with pytest.raises(TransientApiError) as caught:
        list(client.iter_return_pages(updated_from=datetime(2024, 4, 1, tzinfo=UTC), updated_to=datetime(2024, 4, 2, tzinfo=UTC)))
    assert classify_exception(caught.value) is ErrorKind.TRANSIENT
    assert words in str(caught.value) and "instead of JSON" in str(caught.value)


@pytest.mark.parametrize(("answer", "words"), [n[1:] for n in NOT_JSON], ids=[n[0] for n in NOT_JSON])
def test_loop_return_details_that_are_no_json_fail_transiently(answer: httpx.Response, words: str) -> None:
    client, _ = loop_client(lambda r: answer)
    with pytest.raises(TransientApiError, match=words):
        client.get_return("4821")


def netsuite_client(answer: httpx.Response) -> NetSuiteClient:
    http = httpx.Client(base_url=NETSUITE, transport=httpx.MockTransport(lambda r: answer))
    return NetSuiteClient(http, max_concurrency=1, retry=RetryPolicy(sleep=lambda _: None, max_attempts=1))


@pytest.mark.parametrize(("answer", "words"), [n[1:] for n in NOT_JSON], ids=[n[0] for n in NOT_JSON])
def test_a_netsuite_record_that_is_no_json_fails_transiently(answer: httpx.Response, words: str) -> None:
    with pytest.raises(TransientApiError, match=words):
        netsuite_client(answer).get_record("returnAuthorization", "77")


@pytest.mark.parametrize(("answer", "words"), [n[1:] for n in NOT_JSON], ids=[n[0] for n in NOT_JSON])
def test_a_suiteql_page_that_is_no_json_fails_transiently(answer: httpx.Response, words: str) -> None:
    with pytest.raises(TransientApiError, match=words):
        list(netsuite_client(answer).suiteql("SELECT id FROM transaction"))


def test_an_html_error_page_with_a_5xx_is_a_transient_error_not_a_crash() -> None:
    answer = httpx.Response(502, text=HTML_PAGE, headers={"Content-Type": "text/html"})
    with pytest.raises(TransientApiError) as caught:
        netsuite_client(answer).get_record("returnAuthorization", "77")
    assert caught.value.status_code == 502


# -- kinds 26-27: currencies with 0 and 3 decimals keep their own minor unit (ISO 4217) ---------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [("1234.5", "JPY", "1235"), ("0.4", "JPY", "0"), ("1.2345", "KWD", "1.235"), ("10", "KWD", "10.000")],
    ids=["JPY-half-yen-rounds-up", "JPY-below-half-yen", "KWD-four-decimals", "KWD-whole"],
)
def test_zero_and_three_decimal_currencies_round_to_their_minor_unit(amount: str, currency: str, expected: str) -> None:
    money = Money(amount, currency)
    assert money.amount == Decimal(expected)
    assert str(money.amount) == expected


def test_a_jpy_return_is_read_with_its_yen_amounts_exact() -> None:
    read = read_return(
        good_return(currency="JPY", total="3300", line_items=[{**good_return()["line_items"][0], "price": "3300"}])
    )
    assert isinstance(read, LoopReturn)
    assert Money(read.total, read.currency) == Money("3300", "JPY")


# -- kind 28: text over NetSuite's field limits is cut before sending, never a 400 mid-batch -----------------------


def test_an_over_long_memo_is_cut_to_netsuites_limit() -> None:
    long_name = "#" + "9" * 500  # an order name Loop passed through unchecked ends up in the memo
    memo = f"Loop return 4821 · order {long_name}"
    assert len(fit_memo(memo)) == MEMO_MAX_CHARS and fit_memo(memo).endswith("…")
    assert close_lines_body([1], memo=memo)["memo"] == fit_memo(memo)
    assert fit_memo("Loop return 4821 · order #1001") == "Loop return 4821 · order #1001"
