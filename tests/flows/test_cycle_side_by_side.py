"""run_all refunds what item_receipt_to_loop processed in the same cycle: checked on the flow runs the lifecycle's
passes left in Prefect.

That the two ran side by side is tests/test_sync_cycle.py's check: on this test server (SQLite) real subflows of two
threads take turns at the server. That the world ends as the seed expects (refunds of returns processed in this
very pass included) is test_lifecycle.py's, on the same runs.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.flow, pytest.mark.slow]


def _children(parent_id: Any) -> list[Any]:
    """The subflow runs of one run_all, oldest first."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent_id])),
            sort=FlowRunSort.START_TIME_ASC,
        )


def _named(runs: list[Any], sync: str) -> list[Any]:
    return [run for run in runs if run.name.split(" · ")[0] == sync]


def test_refund_sync_runs_again_after_item_receipt_to_loop_processed_returns(lifecycle_blocks: Any) -> None:
    run = lifecycle_blocks
    acted = [store for store in run.stores if run.second[store]["item_receipt_to_loop"]["loop_actions"]]
    assert acted, "the second pass processes returns in Loop (the world received goods in NetSuite)"
    for store in acted:
        children = _children(run.second_run_ids[store])
        (receipts_to_loop,) = _named(children, "item_receipt_to_loop")
        (receipts_to_netsuite,) = _named(children, "item_receipt_to_netsuite")
        first_refunds, refunds_after = _named(children, "refund_sync")
        assert first_refunds.start_time >= receipts_to_netsuite.end_time  # the two beside it run in order
        # The cancellations follow it in its lane; the returns it processed are refunded once it and the first
        # refund_sync have ended.
        (loop_cancellations,) = _named(children, "return_cancellation")
        (ra_closings,) = _named(children, "ra_cancellation")
        assert loop_cancellations.start_time >= receipts_to_loop.end_time
        assert ra_closings.start_time >= loop_cancellations.end_time
        assert refunds_after.start_time >= max(receipts_to_loop.end_time, first_refunds.end_time)


def test_a_cycle_where_loop_was_not_changed_runs_refund_sync_once(lifecycle_blocks: Any) -> None:
    run = lifecycle_blocks
    passes = [(run.first, run.first_run_ids), (run.second, run.second_run_ids)]
    quiet = [
        ids[store]
        for summaries, ids in passes
        for store in run.stores
        if not summaries[store]["item_receipt_to_loop"]["loop_actions"]
    ]
    assert quiet, "in some pass some store has nothing to process in Loop"
    for run_id in quiet:
        assert len(_named(_children(run_id), "refund_sync")) == 1
