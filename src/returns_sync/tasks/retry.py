"""The one retry policy every task uses: exponential backoff with jitter, and only for transient errors.

It reads the same classification as the connectors' request retries (``connectors.errors``). One difference
on purpose: a task is retried after a ``maybe_committed`` error, which a connector never resends, because
a task looks each record up by external id (ledger intents) before writing it again.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from returns_sync.connectors.errors import is_retryable

if TYPE_CHECKING:
    from prefect.client.schemas.objects import State, TaskRun

__all__ = ["NEVER_CACHED", "RETRY_OPTIONS", "TASK_RETRIES", "retry_transient_only"]

TASK_RETRIES = 3
# Seconds of the first retry delay (then doubled, with jitter); tests and chaos runs may shorten it.
RETRY_BACKOFF = float(os.environ.get("RETURNS_SYNC_TASK_RETRY_BACKOFF", "2"))


def retry_transient_only(task: object, task_run: TaskRun, state: State[object]) -> bool:
    """Prefect ``retry_condition_fn``: retry when the task failed on a transient or rate-limited error.

    Permanent errors (bad data, 4xx validation, auth) would fail the same way again; they are
    quarantined or surface at once instead of burning retries. ``task_run`` is part of Prefect's signature.
    """
    try:
        state.result()
    except BaseException as exc:  # the failure we are deciding about
        return is_retryable(exc)
    return False


# Our tasks post and read external systems: a second call with the same arguments must run again. Prefect's default
# cache policy (inputs + task source + run id) answers it from the first within a flow that persists results, as
# run_all and every sync do (https://docs.prefect.io/v3/develop/task-caching): a refund's write-back after its
# receipt's, for one return, was skipped that way. Every task of ours takes NEVER_CACHED (tests/test_tasks_never_cache.py).
NEVER_CACHED: dict[str, Any] = dict(cache_policy=NO_CACHE)

RETRY_OPTIONS: dict[str, Any] = dict(
    **NEVER_CACHED,
    retries=TASK_RETRIES,
    retry_delay_seconds=exponential_backoff(backoff_factor=RETRY_BACKOFF),
    retry_jitter_factor=0.5,
    retry_condition_fn=retry_transient_only,
)
