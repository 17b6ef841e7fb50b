"""A parsed Loop return stays small: its models share the set of field names Loop sent (issue 12: flat memory).

Pydantic keeps with each model the names its input had; a set of 20 to 50 names is about 2.3 KB, and a return
with two lines has three of them. Shared per combination, and amounts of one text parsed once, a parsed two-line
return holds under a third as much.
"""

from __future__ import annotations

import gc
import json
import tracemalloc
from datetime import UTC, datetime

from returns_sandbox.loop.factory import make_return
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.loop_records import read_return

T0 = datetime(2026, 3, 2, 14, 11, 5, tzinfo=UTC)


def _items(count: int) -> list[dict]:
    # Through JSON, as Loop's answer reaches the connector.
    return [json.loads(json.dumps(make_return(48213377 + n, created_at=T0, outcome="refund", lines=2))) for n in range(count)]


def _parsed(items: list[dict]) -> list[LoopReturn]:
    parsed = [read_return(item) for item in items]
    assert all(isinstance(p, LoopReturn) for p in parsed)
    return parsed  # type: ignore[return-value]


def test_returns_of_one_shape_share_their_field_names_and_read_the_same():
    first, second = _parsed(_items(2))
    assert first.model_fields_set is second.model_fields_set
    assert first.line_items[0].model_fields_set is second.line_items[1].model_fields_set
    assert {"id", "state", "line_items", "created_at"} <= first.model_fields_set
    assert first == _parsed(_items(1))[0] and first.line_items[0].price > 0
    # Amounts of one text are one Decimal (immutable), not one per return.
    assert first.line_items[0].price is second.line_items[0].price


def test_a_parsed_two_line_return_holds_under_8_kb():
    items = _items(200)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    parsed = _parsed(items)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(parsed) == 200
    assert held / 200 < 8_000, (
        f"{held / 200:.0f} bytes a return"
    )  # 13,100 with a set of names per model and a Decimal per amount; 3,900 now
