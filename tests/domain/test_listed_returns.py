"""A listed Loop return kept small reads back exactly as Loop's JSON parsed, for every shape the sandbox makes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from returns_sandbox.loop.factory import make_return
from returns_sync.domain.listed_returns import ListedReturn
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.loop_records import read_return

T0 = datetime(2026, 3, 2, 14, 11, 5, tzinfo=UTC)


def _item(**kwargs) -> dict:
    # Through JSON, as Loop's answer reaches the connector.
    return json.loads(json.dumps(make_return(48213377, created_at=T0, updated_at=T0 + timedelta(hours=2), **kwargs)))


@pytest.mark.parametrize(
    "shape",
    [
        {"outcome": "refund", "lines": 1},
        {"outcome": "credit", "lines": 3, "unit_price": Decimal("19.99"), "unit_tax": Decimal("1.65")},
        {"outcome": "exchange", "lines": 2},
        {"outcome": "refund", "lines": 3, "line_outcomes": ["refund", "exchange", "credit"], "state": "closed"},
    ],
)
def test_a_packed_return_reads_back_equal_to_its_json_parsed(shape):
    item = _item(**shape)
    parsed = read_return(item)
    assert isinstance(parsed, LoopReturn)
    listed = ListedReturn.packed(item, parsed)
    assert listed.read() == parsed and listed.read() is not parsed
    assert (listed.id, listed.state, listed.created_at, listed.updated_at) == (
        parsed.id,
        parsed.state,
        parsed.created_at,
        parsed.updated_at,
    )
    assert listed.order_name_key == parsed.order_name_key


def test_a_packed_return_holds_a_fraction_of_its_json():
    item = _item(outcome="exchange", lines=4)
    parsed = read_return(item)
    assert isinstance(parsed, LoopReturn)
    packed = ListedReturn.packed(item, parsed)._packed
    assert packed is not None and len(packed) < len(json.dumps(item)) / 2


def test_a_return_read_by_id_is_held_as_it_is():
    parsed = read_return(_item())
    assert isinstance(parsed, LoopReturn)
    assert ListedReturn.holding(parsed).read() is parsed
