"""run_all's shared NetSuite reads reach the batch tasks its syncs submit: a task of a subflow sees them, a run outside does not."""

from __future__ import annotations

import pytest
from prefect import flow, task

from returns_sync.tasks.shared_netsuite_reads import SharedNetSuiteReads, current_netsuite_reads, sharing_netsuite_reads

pytestmark = [pytest.mark.flow]


@task
def store_of_shared_reads() -> str | None:
    reads = current_netsuite_reads()
    return reads.store if reads else None


@flow(name="posting-sync-probe")
def posting_sync() -> list[str | None]:
    # Batches are submitted to the sync's task runner, as _run_batches does.
    return [future.result() for future in [store_of_shared_reads.submit() for _ in range(2)]]


@flow(name="run-all-probe")
def run_all_probe() -> tuple[list[str | None], list[str | None]]:
    with sharing_netsuite_reads(SharedNetSuiteReads("north")):
        inside = posting_sync()
    return inside, posting_sync()


def test_the_batches_of_run_alls_syncs_share_its_reads_and_a_sync_alone_does_not():
    assert run_all_probe() == (["north", "north"], [None, None])
