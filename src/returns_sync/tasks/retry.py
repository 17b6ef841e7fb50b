"""The one retry policy every task uses: exponential backoff with jitter, and only for transient errors.

It reads the same classification as the connectors' request retries (``connectors.errors``). One difference
on purpose: a task is retried after a ``maybe_committed`` error, which a connector never resends, because
a task looks each record up by external id (ledger intents) before writing it again.
"""

from __future__ import annotations

import os
from typing import Any

from prefect.tasks import exponential_backoff

from returns_sync.connectors.errors import is_retryable

__all__ = ["RETRY_OPTIONS", "TASK_RETRIES", "retry_transient_only"]

TASK_RETRIES = 3
# Seconds of the first retry delay (then doubled, with jitter); tests and chaos runs may shorten it.
RETRY_BACKOFF = float(os.environ.get("RETURNS_SYNC_TASK_RETRY_BACKOFF", "2"))


def retry_transient_only(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry when the task failed on a transient or rate-limited error.

    Permanent errors (bad data, 4xx validation, auth) would fail the same way again; they are
    quarantined or surface at once instead of burning retries. ``task_run`` is part of Prefect's signature.
    """
    try:
        state.result()
    except BaseException as exc:  # the failure we are deciding about
        return is_retryable(exc)
    return False


RETRY_OPTIONS: dict[str, Any] = dict(
    retries=TASK_RETRIES,
    retry_delay_seconds=exponential_backoff(backoff_factor=RETRY_BACKOFF),
    retry_jitter_factor=0.5,
    retry_condition_fn=retry_transient_only,
)
