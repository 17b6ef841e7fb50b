"""Prefect's ``retry_condition_fn`` reads the connectors' one error classification."""

from __future__ import annotations

import pytest

from returns_sync.connectors import errors
from returns_sync.tasks.retry import retry_transient_only


class FailedState:
    """Stands in for a Prefect state whose ``result()`` raises the task's exception."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def result(self) -> None:
        raise self.exc


@pytest.mark.parametrize(
    ("exc", "retried"),
    [
        (errors.TransientApiError("503", vendor="netsuite", status_code=503), True),
        (errors.RateLimitedError("429", vendor="loop", retry_after=3600.0), True),
        # The task looks the record up by external id before writing again, so a maybe-committed write is retried here.
        (errors.TransientApiError("no answer", vendor="netsuite", maybe_committed=True), True),
        (errors.PermanentApiError("400", vendor="netsuite", status_code=400), False),
        (errors.AuthenticationError("401", vendor="shopify", status_code=401), False),
        (errors.RecordRejected("no SKU", rule="sku_maps_to_item"), False),
        (errors.ConfigurationError("no base URL"), False),
        (ValueError("a bug"), False),
    ],
)
def test_task_retries_follow_the_error_classification(exc: BaseException, retried: bool) -> None:
    assert retry_transient_only(None, None, FailedState(exc)) is retried
    assert errors.is_retryable(exc) is retried


def test_a_completed_state_is_not_retried() -> None:
    class Completed:
        def result(self) -> int:
            return 1

    assert retry_transient_only(None, None, Completed()) is False
