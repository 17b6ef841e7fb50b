"""Bad input never makes the NetSuite emulator fail with a 500, and never leaves a half-written record behind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from returns_sandbox.netsuite.errors import NetSuiteError
from returns_sandbox.netsuite.models import NetSuiteBackend
from returns_sandbox.netsuite.sample import sample_world

RA_ID = 7006  # the RA the fixture makes: ids 7001-7005 are the world's orders, invoice, payment and cash sale
FIELDS = [
    "entity",
    "customer",
    "item",
    "quantity",
    "rate",
    "amount",
    "tax1Amt",
    "orderLine",
    "line",
    "location",
    "isClosed",
    "itemReceive",
    "externalId",
    "tranDate",
    "memo",
    "apply",
    "doc",
    "payment",
    "orderStatus",
    "custbody_loop_flag",
    "custcol_loop_line_ids",
    "currency",
    "account",
    "items",
    "id",
    "refName",
    "salesOrder",
    "firstName",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["401", "501", "7001", "11", "eid:x", "5/1/2024", "1e999", "A", "-1"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4)),
    max_leaves=12,
)
loose = st.dictionaries(st.sampled_from(FIELDS), values, max_size=5)
ids = st.sampled_from(["401", "402", "501", "502", "601", "602", "11", "21", "7001", "7002", "999", None, "x", 1.5, -3, True])
refs = st.one_of(
    st.fixed_dictionaries({"id": ids}),
    ids,
    st.fixed_dictionaries({"externalId": st.sampled_from(["ra-1", "shopify-north-1001", "no"])}),
)
numbers = st.one_of(
    st.integers(-5, 5), st.decimals(-100, 100, places=2).map(str), st.floats(-1e6, 1e6), st.sampled_from(["", "1e999", None])
)
line = st.fixed_dictionaries(
    {},
    optional={
        "item": refs,
        "quantity": numbers,
        "rate": numbers,
        "amount": numbers,
        "tax1Amt": numbers,
        "location": refs,
        "orderLine": st.one_of(st.integers(-1, 4), st.sampled_from(["1", "x", None, 2.5])),
        "line": st.one_of(st.integers(0, 4), st.none()),
        "isClosed": st.one_of(st.booleans(), st.sampled_from(["T", "maybe", None])),
        "itemReceive": st.booleans(),
        "custcol_loop_line_ids": scalars,
    },
)
apply_line = st.fixed_dictionaries({}, optional={"doc": refs, "apply": st.booleans(), "amount": numbers})
item_document = st.fixed_dictionaries(
    {},
    optional={
        "entity": refs,
        "externalId": st.text(max_size=4),
        "tranDate": st.sampled_from(["2024-05-01", "5/1/2024", "2024-13-01", "", 7]),
        "orderStatus": st.sampled_from([{"id": "A"}, "B", "Z", 1]),
        "item": st.fixed_dictionaries({"items": st.lists(line, max_size=3)}),
        "custbody_loop_flag": scalars,
    },
)
payment = st.fixed_dictionaries(
    {"customer": refs},
    optional={
        "salesOrder": refs,
        "payment": numbers,
        "apply": st.fixed_dictionaries({"items": st.lists(apply_line, max_size=2)}),
    },
)
bodies = st.one_of(loose, item_document, payment)


@pytest.fixture(scope="module")
def backend() -> Iterator[NetSuiteBackend]:
    backend = NetSuiteBackend()
    backend.load_world(sample_world())
    assert backend.transform_record("salesOrder", 7001, "returnAuthorization", {"externalId": "ra-1"}) == RA_ID
    yield backend
    backend.close()


def attempt(call: Any) -> None:
    try:
        call()
    except NetSuiteError as exc:
        assert 400 <= exc.status < 500, exc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=bodies,
    record_type=st.sampled_from(
        [
            "salesOrder",
            "returnAuthorization",
            "creditMemo",
            "customer",
            "customerRefund",
            "customerDeposit",
            "inventoryItem",
            "giftCertificate",
        ]
    ),
)
def test_create_and_patch_never_fail_with_a_server_error(
    backend: NetSuiteBackend, body: dict[str, Any], record_type: str
) -> None:
    attempt(lambda: backend.create_record(record_type, body))
    attempt(lambda: backend.update_record("returnAuthorization", RA_ID, body, replace=["item"]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(loose, item_document),
    pair=st.sampled_from(
        [
            ("salesOrder", 7001, "returnAuthorization"),
            ("returnAuthorization", RA_ID, "itemReceipt"),
            ("returnAuthorization", RA_ID, "creditMemo"),
            ("salesOrder", 7002, "cashSale"),
        ]
    ),
)
def test_transform_never_fails_with_a_server_error(
    backend: NetSuiteBackend, body: dict[str, Any], pair: tuple[str, Any, str]
) -> None:
    attempt(lambda: backend.transform_record(pair[0], pair[1], pair[2], body))


def test_a_refused_write_leaves_nothing_behind(backend: NetSuiteBackend) -> None:
    before = backend.counts()
    with pytest.raises(NetSuiteError):
        backend.create_record("customerRefund", {"customer": {"id": 401}, "apply": {"items": [{"doc": {"id": 7001}}]}})
    assert backend.counts() == before


def test_every_posting_still_balances(backend: NetSuiteBackend) -> None:
    rows = backend.store.rows(
        'SELECT "transaction" AS t, SUM(debit) AS d, SUM(credit) AS c FROM transactionaccountingline GROUP BY 1'
    )
    assert rows and all(round(r["d"] - r["c"], 6) == 0 for r in rows)
