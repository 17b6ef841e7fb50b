"""Item matches remembered across the warm worker's runs: one item per SKU only, per store, for a few minutes."""

from __future__ import annotations

from returns_sync.tasks.item_match_memory import ItemMatchMemory, item_scope


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_only_a_sku_with_exactly_one_item_is_remembered() -> None:
    memory = ItemMatchMemory()
    memory.keep("north", {"SHIRT": [11], "SOCK": [], "HAT": [21, 22]})
    assert memory.known("north", ["SHIRT", "SOCK", "HAT"]) == {"SHIRT": [11]}


def test_a_match_is_per_store_and_per_field_the_skus_are_matched_on() -> None:
    memory = ItemMatchMemory()
    memory.keep(item_scope("north", "itemid"), {"SHIRT": [11]})
    assert memory.known(item_scope("south", "itemid"), ["SHIRT"]) == {}
    assert memory.known(item_scope("north", "custitem_shopify_sku"), ["SHIRT"]) == {}
    assert memory.known(item_scope("north", "itemid"), ["SHIRT"]) == {"SHIRT": [11]}


def test_a_match_older_than_the_limit_is_asked_again() -> None:
    clock = Clock()
    memory = ItemMatchMemory(remember_for=300, clock=clock)
    memory.keep("north", {"SHIRT": [11]})
    clock.now += 299
    assert memory.known("north", ["SHIRT"]) == {"SHIRT": [11]}
    clock.now += 2
    assert memory.known("north", ["SHIRT"]) == {}
    memory.keep("north", {"SHIRT": [12]})  # read again: the new answer counts from now
    assert memory.known("north", ["SHIRT"]) == {"SHIRT": [12]}


def test_the_least_recently_kept_go_first_past_the_bound() -> None:
    memory = ItemMatchMemory(max_skus=2)
    memory.keep("north", {"A": [1], "B": [2]})
    memory.keep("north", {"C": [3]})
    assert memory.known("north", ["A", "B", "C"]) == {"B": [2], "C": [3]}
