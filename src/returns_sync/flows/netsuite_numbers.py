"""After a sync posted to NetSuite: write the records' numbers back where people work (Loop notes, Shopify orders)."""

from __future__ import annotations

from prefect import get_run_logger

from returns_sync.tasks.failures import FailedStep, credentials_refused, failure_of
from returns_sync.tasks.results import BatchResult
from returns_sync.tasks.write_backs import write_back_netsuite_numbers as write_back_task

__all__ = ["write_back_netsuite_numbers"]


def write_back_netsuite_numbers(result: BatchResult) -> BatchResult:
    """Name each NetSuite record this run created or linked in Loop (and Shopify); a failure is reported, the postings stand."""
    if result.dry_run or result.skipped or result.credentials_refused:
        return result
    return_ids = list(dict.fromkeys(r.loop_return_id for r in [*result.created, *result.linked]))
    if not return_ids:
        return result
    state = write_back_task(result.store, result.sync, return_ids, return_state=True)
    if state.is_completed():
        return result.merge(state.result())
    cause = failure_of(state)
    if cause.credentials is not None:
        result.credentials_refused = credentials_refused(cause.credentials, result.store, result.sync)
    else:
        result.errors.append(("NetSuite numbers in Loop and Shopify", cause.describe()))
        result.failed_steps.append(
            FailedStep(where="NetSuite numbers in Loop and Shopify", records=len(return_ids), what="returns", cause=cause)
        )
    get_run_logger().error("%s %s: writing NetSuite numbers back failed: %s", result.sync, result.store, cause.describe())
    return result
