"""A sync that cannot finish says why: the cause of the failed batch, "after N retries" only when there were
retries, and refused credentials stop the run at once, naming the block field to fix."""

from __future__ import annotations

from typing import Any

import pytest
from prefect import flow, task

from returns_sync.connectors.errors import AuthenticationError, TransientApiError
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.syncs import SyncName
from returns_sync.flows.common import _run_batches, finish
from returns_sync.tasks.failures import CREDENTIALS_REFUSED
from returns_sync.tasks.results import BatchResult
from returns_sync.tasks.retry import RETRY_OPTIONS

pytestmark = [pytest.mark.flow]

RETURNS = [LoopReturn.model_validate({"id": str(n), "state": "open"}) for n in range(1, 4)]
calls: list[int] = []


def _run(batch_task: Any) -> Any:
    @flow(name="failure-message-probe")
    def probe() -> Any:
        result = BatchResult(sync=SyncName.RA_SYNC, store="north")
        _run_batches(RETURNS, batch_task, store="north", dry_run=False, batch_size=1, result=result, what="returns")
        return finish(result)

    calls.clear()
    return probe(return_state=True)


@task(**{**RETRY_OPTIONS, "retry_delay_seconds": 0})
def buggy_batch(store: str, items: list[LoopReturn], *, batch: int, dry_run: bool) -> BatchResult:
    calls.append(batch)
    raise ValueError(f"no RA line planned for return {items[0].id}")


@task(**{**RETRY_OPTIONS, "retry_delay_seconds": 0})
def unavailable_batch(store: str, items: list[LoopReturn], *, batch: int, dry_run: bool) -> BatchResult:
    calls.append(batch)
    raise TransientApiError("Service Unavailable", vendor="netsuite", status_code=503)


@task(**{**RETRY_OPTIONS, "retry_delay_seconds": 0})
def refused_batch(store: str, items: list[LoopReturn], *, batch: int, dry_run: bool) -> BatchResult:
    calls.append(batch)
    raise AuthenticationError("Invalid login attempt.", vendor="netsuite", status_code=401, code="INVALID_LOGIN")


def test_a_failure_that_was_not_retried_names_its_cause_and_no_retries(prefect_api: None) -> None:
    state = _run(buggy_batch)
    assert state.is_failed()
    assert state.message.startswith("ra_sync: batch 1 (1 returns) failed: no RA line planned for return 1 and 2 more")
    assert "retries" not in state.message
    assert calls == [1, 2, 3]  # a bug is not retried; the other batches still ran


def test_a_transient_failure_says_how_often_it_was_retried(prefect_api: None) -> None:
    state = _run(unavailable_batch)
    assert state.is_failed()
    assert "batch 1 (1 returns) failed: netsuite 503: Service Unavailable (after 3 retries)" in state.message
    assert calls.count(1) == 4


def test_refused_credentials_stop_the_run_and_name_the_block_field(prefect_api: None) -> None:
    state = _run(refused_batch)
    assert state.is_failed() and state.name == CREDENTIALS_REFUSED
    assert state.message == (
        "ra_sync stopped: NetSuite refused store north's credentials (netsuite_credentials in block store-north): "
        "netsuite 401 INVALID_LOGIN: Invalid login attempt. No return was quarantined for it; check the token "
        "(revoked, expired, or its role changed) and the consumer key, then run again"
    )
    assert calls == [1]  # not retried, and the later batches were not tried
