"""A listed Loop return kept small reads back exactly as Loop's JSON parsed, for every shape the sandbox makes."""

from __future__ import annotations

import gc
import json
import os
import pickle
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from returns_sandbox.loop.factory import make_return
from returns_sync.domain.listed_returns import ListedReturn
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.loop_records import read_return
from returns_sync.domain.packed_shelf import PackedShelf

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


_SHAPES = [
    {"outcome": "refund", "lines": 1},
    {"outcome": "credit", "lines": 3, "unit_price": Decimal("19.99"), "unit_tax": Decimal("1.65")},
    {"outcome": "exchange", "lines": 2},
]


def _shelved(count: int, shelf: PackedShelf | None) -> list[tuple[LoopReturn, ListedReturn]]:
    pairs = []
    for n in range(count):
        item = json.loads(json.dumps(make_return(48213377 + n, created_at=T0, **_SHAPES[n % len(_SHAPES)])))
        parsed = read_return(item)
        assert isinstance(parsed, LoopReturn)
        pairs.append((parsed, ListedReturn.packed(item, parsed, shelf=shelf)))
    return pairs


def test_returns_on_one_shelf_read_back_equal_in_any_order_and_from_several_threads():
    pairs = _shelved(30, PackedShelf())
    with ThreadPoolExecutor(max_workers=4) as pool:
        read = list(pool.map(lambda pair: pair[1].read(), reversed(pairs)))
    assert read == [parsed for parsed, _ in reversed(pairs)]


def test_a_shelved_return_keeps_its_json_out_of_memory():
    def held_by(count: int, shelf: PackedShelf | None) -> int:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        listed = [pair[1] for pair in _shelved(count, shelf)]
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        assert len(listed) == count
        return held

    in_memory, on_shelf = held_by(300, None), held_by(300, PackedShelf())
    assert on_shelf < in_memory * 0.6, (on_shelf, in_memory)


def test_a_pickled_shelved_return_carries_its_json_with_it():
    [(parsed, listed)] = _shelved(1, PackedShelf())
    assert pickle.loads(pickle.dumps(listed)).read() == parsed


def test_the_shelf_file_is_closed_with_its_last_return():
    shelf = PackedShelf()
    [(_, listed)] = _shelved(1, shelf)
    descriptor = shelf._file.fileno()
    del shelf
    gc.collect()
    assert os.fstat(descriptor).st_size > 0  # the listed return still holds the shelf, and its file
    del listed
    gc.collect()
    with pytest.raises(OSError):
        os.fstat(descriptor)
