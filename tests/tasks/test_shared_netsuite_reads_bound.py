"""run_all's shared NetSuite reads stay bounded over a backlog: the least recently used entry is dropped first."""

from __future__ import annotations

from returns_sync.tasks.shared_netsuite_reads import SharedNetSuiteReads


def test_orders_beyond_the_bound_drop_the_least_recently_used():
    reads = SharedNetSuiteReads("north", max_orders=2)
    reads.keep_orders("north", {"1": [], "2": []})
    assert set(reads.orders("north", ["1"])) == {"1"}  # asked: now the most recently used
    reads.keep_orders("north", {"3": []})
    assert set(reads.orders("north", ["1", "2", "3"])) == {"1", "3"}, "2 was used least recently"


def test_items_asked_and_not_found_are_kept_within_the_bound():
    reads = SharedNetSuiteReads("north", max_skus=3)
    reads.keep_items("north", ["A", "B", "C", "D"], {"A": [11], "D": [14]})
    assert reads.items("north", ["A", "B", "C", "D"]) == {"B": [], "C": [], "D": [14]}


def test_another_stores_reads_are_neither_kept_nor_answered():
    reads = SharedNetSuiteReads("north")
    reads.keep_orders("south", {"1": []})
    assert reads.orders("south", ["1"]) == {} and reads.orders("north", ["1"]) == {}
