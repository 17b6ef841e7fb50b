"""A sync that cannot finish says what an operator needs: cause, vendor, how many records, store, what happens next
and the command to run it now; "after N retries" only when there were retries; refused credentials stop the run at
once, naming the credentials block and saying nothing was retried."""

from __future__ import annotations

from typing import Any

import pytest
from prefect import flow, task

from returns_sync.connectors.errors import AuthenticationError, TransientApiError
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.syncs import SyncName
from returns_sync.flows.common import BATCHES_IN_FLIGHT, _run_batches, finish
from returns_sync.tasks.failures import CREDENTIALS_REFUSED
from returns_sync.tasks.results import BatchResult, one_record
from returns_sync.tasks.retry import RETRY_OPTIONS

pytestmark = [pytest.mark.flow]

RETURNS = [LoopReturn.model_validate({"id": str(n), "state": "open"}) for n in range(1, 4)]
calls: list[int] = []


def _run(batch_task: Any, batch_size: int = 1, returns: list[LoopReturn] = RETURNS) -> Any:
    @flow(name="failure-message-probe")
    def probe() -> Any:
        result = BatchResult(sync=SyncName.RA_SYNC, store="north")
        _run_batches(
            returns, batch_task, load=list, store="north", dry_run=False, batch_size=batch_size, result=result, what="returns"
        )
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
def partly_unavailable_batch(store: str, items: list[LoopReturn], *, batch: int, dry_run: bool) -> BatchResult:
    """The first return posts; the other two meet a 503 each time, so the batch fails counting those two."""
    calls.append(batch)
    result = BatchResult(sync=SyncName.RA_SYNC, store=store)
    for item in items[1:]:
        with one_record(result, item.id):
            raise TransientApiError("Service Unavailable", vendor="netsuite", status_code=503)
    result.raise_if_transient()
    return result


@task(**{**RETRY_OPTIONS, "retry_delay_seconds": 0})
def refused_batch(store: str, items: list[LoopReturn], *, batch: int, dry_run: bool) -> BatchResult:
    calls.append(batch)
    raise AuthenticationError("Invalid login attempt.", vendor="netsuite", status_code=401, code="INVALID_LOGIN")


def test_a_failure_that_was_not_retried_names_its_cause_and_no_retries(prefect_api: None) -> None:
    state = _run(buggy_batch)
    assert state.is_failed()
    assert state.message == (
        "batch 1 of north failed for 1 return: no RA line planned for return 1; 2 more step(s) failed (2 more returns), "
        "listed in the run artifact; nothing more was posted for them; they will be tried again at the next scheduled run "
        "or now with: returns-sync run --sync ra_sync --store north"
    )
    assert "retries" not in state.message
    assert sorted(calls) == [1, 2, 3]  # a bug is not retried; the other batches still ran


def test_a_503_names_vendor_status_count_store_and_the_command_to_run_now(prefect_api: None) -> None:
    state = _run(unavailable_batch)
    assert state.is_failed()
    assert state.message == (
        "NetSuite answered 503 for 1 return of north (after 3 retries); 2 more step(s) failed (2 more returns), listed in "
        "the run artifact; nothing more was posted for them; they will be retried at the next scheduled run or now with: "
        "returns-sync run --sync ra_sync --store north"
    )
    assert calls.count(1) == 4


def test_a_batch_whose_records_hit_a_503_counts_only_those_records(prefect_api: None) -> None:
    state = _run(partly_unavailable_batch, batch_size=3)
    assert state.is_failed()
    assert state.message.startswith("NetSuite answered 503 for 2 returns of north (after 3 retries); nothing more was posted")
    assert state.message.endswith("or now with: returns-sync run --sync ra_sync --store north")


def test_refused_credentials_stop_the_run_name_the_block_and_say_nothing_was_retried(prefect_api: None) -> None:
    returns = [LoopReturn.model_validate({"id": str(n), "state": "open"}) for n in range(1, 3 * BATCHES_IN_FLIGHT)]
    state = _run(refused_batch, returns=returns)
    assert state.is_failed() and state.name == CREDENTIALS_REFUSED
    assert state.message == (
        "ra_sync stopped: NetSuite refused store north's credentials (block netsuite-north, the netsuite_credentials of "
        "store-north): netsuite 401 INVALID_LOGIN: Invalid login attempt. The run stopped at once: nothing was retried "
        "(beyond the one immediate re-check INVALID_LOGIN gets) and no return was quarantined. Check the token (revoked, expired, or its role changed) and the consumer key, save "
        "them with returns-sync configure --store north, then run: returns-sync run --sync ra_sync --store north"
    )
    assert "after" not in state.message
    # Not retried; the batches already running when the first refusal came back end, and no later batch starts.
    assert sorted(calls) == list(range(1, BATCHES_IN_FLIGHT + 1))


def test_the_next_run_time_is_named_when_known() -> None:
    from datetime import UTC, datetime, timedelta

    from returns_sync.tasks.failures import FailedStep, FailureCause, run_failure_message

    cause = FailureCause(error=TransientApiError("Service Unavailable", vendor="netsuite", status_code=503), retries=3)
    step = FailedStep(where="batch 1", records=37, what="returns", cause=cause)
    at = (datetime.now(UTC) + timedelta(minutes=5)).replace(second=0, microsecond=0)
    when = f"{at:%H:%M} UTC" if at.date() == datetime.now(UTC).date() else f"{at:%Y-%m-%d %H:%M} UTC"
    assert run_failure_message(SyncName.REFUND_SYNC, "north", [step], at) == (
        f"NetSuite answered 503 for 37 returns of north (after 3 retries); nothing more was posted for them; they will be "
        f"retried at the next run ({when}) or now with: returns-sync run --sync refund_sync --store north"
    )


@flow(name="failure-message-worker-probe", flow_run_name="probe · north")
def failing_as_a_worker_runs_it() -> Any:
    result = BatchResult(sync=SyncName.RA_SYNC, store="north")
    _run_batches(
        RETURNS[:1], unavailable_batch, load=list, store="north", dry_run=False, batch_size=1, result=result, what="returns"
    )
    return finish(result)


def test_a_worker_run_logs_one_plain_line_and_no_failed_run_traceback(prefect_api: None) -> None:
    """As a worker's process runs a flow run (``run_flow`` with Prefect's error logger), under its first, random name."""
    import logging

    from prefect.client.orchestration import get_client
    from prefect.exceptions import FailedRun
    from prefect.flow_engine import run_flow
    from prefect.logging.loggers import flow_run_logger

    with get_client(sync_client=True) as client:
        flow_run = client.create_flow_run(failing_as_a_worker_runs_it)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("prefect.flow_runs")
    logger.addHandler(handler)
    try:
        with pytest.raises(FailedRun):
            run_flow(failing_as_a_worker_runs_it, flow_run=flow_run, error_logger=flow_run_logger(flow_run=flow_run))
    finally:
        logger.removeHandler(handler)
    errors = [record for record in records if record.levelno >= logging.ERROR]
    assert not [record for record in errors if record.exc_info], [record.getMessage() for record in errors]
    plain = [record.getMessage() for record in errors if record.getMessage().startswith("NetSuite answered 503")]
    assert plain == [
        "NetSuite answered 503 for 1 return of north (after 3 retries); nothing more was posted for them; they will be "
        "retried at the next scheduled run or now with: returns-sync run --sync ra_sync --store north"
    ]


def test_a_failed_read_says_nothing_was_posted_and_the_sync_runs_again() -> None:
    from returns_sync.tasks.failures import FailedStep, FailureCause, run_failure_message

    cause = FailureCause(error=TransientApiError("Bad Gateway", vendor="loop", status_code=502), retries=3)
    step = FailedStep(where="reading Loop returns", records=None, what="returns", cause=cause)
    assert run_failure_message(SyncName.RA_SYNC, "south", [step], None) == (
        "Loop answered 502 for store south while reading Loop returns (after 3 retries); nothing was read, so nothing "
        "was posted; the sync will be retried at the next scheduled run or now with: returns-sync run --sync ra_sync "
        "--store south"
    )


def test_the_next_run_is_the_syncs_own_scheduled_run_for_that_store(prefect_api: None) -> None:
    """Inside run_all (no schedule of its own) a sync's failure still names when the sync's deployment runs next."""
    from datetime import UTC, datetime, timedelta

    from prefect.client.orchestration import get_client
    from prefect.states import Scheduled

    from returns_sync.flows.next_run import next_scheduled_run

    soon = (datetime.now(UTC) + timedelta(minutes=20)).replace(microsecond=0)
    with get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name(SyncName.REFUND_SYNC.value)
        for name, store, minutes in (("probe-a", "probe-store-a", 20), ("probe-b", "probe-store-b", 5)):
            deployment_id = client.create_deployment(flow_id=flow_id, name=name, parameters={"store": store})
            at = soon + timedelta(minutes=minutes - 20)
            client.create_flow_run_from_deployment(deployment_id, parameters={"store": store}, state=Scheduled(scheduled_time=at))
            client.create_flow_run_from_deployment(
                deployment_id, parameters={"store": store}, state=Scheduled(scheduled_time=at + timedelta(minutes=90))
            )

    assert next_scheduled_run(SyncName.REFUND_SYNC, "probe-store-a") == soon
    assert next_scheduled_run(SyncName.REFUND_SYNC, "probe-store-b") == soon - timedelta(minutes=15)
    assert next_scheduled_run(SyncName.RA_SYNC, "probe-store-a") is None  # another sync's schedule is not this one's
    assert next_scheduled_run(SyncName.REFUND_SYNC, "probe-store-c") is None
