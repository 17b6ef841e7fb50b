"""The burst's Loop read run_all shares between its Loop-driven syncs: only for the same store and the same ids."""

from __future__ import annotations

from returns_sync.tasks.shared_loop_reads import LoopReads, SharedLoopReads, current_reads, sharing_reads

READS = LoopReads(returns=(), malformed=(), refused_ids=("x",))


def test_nothing_is_taken_before_a_sync_has_read():
    assert SharedLoopReads("north", ["1", "2"]).taken("north", ["1", "2"]) is None


def test_a_read_of_the_same_ids_is_taken_by_the_next_sync():
    shared = SharedLoopReads("north", ["1", "2"])
    shared.keep("north", ["1", "2"], READS)
    assert shared.taken("north", ["1", "2"]) is READS


def test_another_store_or_other_ids_neither_keep_nor_take():
    shared = SharedLoopReads("north", ["1", "2"])
    shared.keep("south", ["1", "2"], READS)
    shared.keep("north", ["1"], READS)
    assert shared.taken("north", ["1", "2"]) is None
    shared.keep("north", ["1", "2"], READS)
    assert shared.taken("south", ["1", "2"]) is None
    assert shared.taken("north", ["2", "1"]) is None


def test_the_shared_reads_hold_only_inside_the_block():
    shared = SharedLoopReads("north", ["1"])
    with sharing_reads(shared):
        assert current_reads() is shared
    assert current_reads() is None
