"""A run's result keeps the rows its artifact shows, not a row per return of a backlog (issue 12: flat memory).

Merged from its batches, a sync's result keeps the first ``RUN_ROWS_KEPT`` rows of each list that gets a row per
return and counts the rest; the counts, the artifact's headings and the flow's summary still give every row, and
the write-back still gets every posted return.
"""

from __future__ import annotations

from returns_sync.domain.money import Money
from returns_sync.domain.syncs import SyncName
from returns_sync.tasks.reporting import render_markdown, summarise
from returns_sync.tasks.results import RUN_ROWS_KEPT, BatchResult, PostedRecord

BATCHES, PER_BATCH = 5, 100  # 500 returns: more than a run keeps rows for


def _batch(number: int) -> BatchResult:
    batch = BatchResult(sync=SyncName.REFUND_SYNC, store="north")
    for n in range(PER_BATCH):
        rid = str(48_000_000 + number * PER_BATCH + n)
        record = PostedRecord(rid, f"#{rid}", "cashRefund", str(n), f"loop-north-{rid}-refund", Money("10.00", "USD"))
        (batch.created if n % 4 else batch.linked).append(record)
        batch.loop_actions.append((rid, "noted"))
        batch.waiting.append((rid, "an item receipt"))
    return batch


def _run() -> BatchResult:
    run = BatchResult(sync=SyncName.REFUND_SYNC, store="north", row_limit=RUN_ROWS_KEPT)
    for number in range(BATCHES):
        run.merge(_batch(number))
    return run


def test_a_runs_result_keeps_its_first_rows_and_counts_the_rest():
    run = _run()
    assert len(run.created) == len(run.loop_actions) == len(run.waiting) == RUN_ROWS_KEPT
    assert run.total("created") == 375 and run.total("linked") == 125
    assert run.total("loop_actions") == run.total("waiting") == 500
    # The first rows are the first batches' rows, in order.
    assert [r.loop_return_id for r in run.created[:3]] == ["48000001", "48000002", "48000003"]


def test_every_posted_return_reaches_the_write_back_once_in_the_order_posted():
    run, batches = _run(), [_batch(number) for number in range(BATCHES)]
    expected = [r.loop_return_id for b in batches for r in [*b.created, *b.linked]]
    assert sorted(run.posted_return_ids()) == sorted(expected)
    assert len(run.posted_return_ids()) == len(set(expected)) == 500


def test_the_summary_and_the_artifact_count_every_row():
    run = _run()
    summary = summarise(run)
    assert (summary["created"], summary["linked"], summary["loop_actions"], summary["waiting"]) == (375, 125, 500, 500)
    markdown = render_markdown(run)
    assert "## NetSuite records created (375)" in markdown and "## Waiting (500)" in markdown
    assert markdown.count("| noted |") == RUN_ROWS_KEPT


def test_a_batchs_result_keeps_every_row():
    batch = _batch(0).merge(_batch(1)).merge(_batch(2))
    assert len(batch.loop_actions) == batch.total("loop_actions") == 300
