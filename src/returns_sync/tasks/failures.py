"""Why a step of a sync failed, in words an operator acts on: cause, vendor, how many records, store, next step.

A refused credential is no fact about any record: the run stops at once, names the credentials block to
fix, and quarantines nothing. Any other failure keeps its cause, says "after N retries" only when Prefect
retried the task (only transient errors are retried: ``tasks.retry``), and ends with the command that
runs the sync again now. These sentences become the flow run's state message, which the Prefect UI
shows in the run's header.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from prefect.client.schemas.objects import State

from returns_sync.blocks.store import CredentialsVendor, credentials_block_name, store_block_name
from returns_sync.connectors.errors import (
    ApiError,
    AuthenticationError,
    TransientApiError,
    is_maybe_spurious_auth,
    is_retryable,
)
from returns_sync.domain.syncs import SyncName
from returns_sync.tasks.retry import TASK_RETRIES

__all__ = [
    "CREDENTIALS_REFUSED",
    "BatchNotFinished",
    "FailedStep",
    "FailureCause",
    "credentials_refused",
    "failure_of",
    "records_left_message",
    "run_failure_message",
]

# The name of the Failed state a sync ends in when an API refused the store's credentials (run_all stops there).
CREDENTIALS_REFUSED = "CredentialsRefused"

_VENDOR_NAMES = {"netsuite": "NetSuite", "loop": "Loop", "shopify": "Shopify"}
_WHAT_TO_CHECK = {
    "netsuite": "the token (revoked, expired, or its role changed) and the consumer key",
    "loop": "the API key (deleted or rotated in Loop's developer tools)",
    "shopify": "the access token and the app's scopes",
}


def _vendor_name(vendor: str) -> str:
    return _VENDOR_NAMES.get(vendor, vendor)


def run_now(sync: SyncName, store: str) -> str:
    return f"returns-sync run --sync {sync} --store {store}"


class BatchNotFinished(TransientApiError):
    """Some records of a batch hit transient errors; the rest posted. Carries how many, and the first error's vendor.

    A ``TransientApiError``, so Prefect retries the batch (the ledger skips what already posted).
    """

    def __init__(self, message: str, *, unfinished: int, vendor: str, status_code: int | None = None) -> None:
        super().__init__(message, vendor=vendor, status_code=status_code)
        self.unfinished = unfinished

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:  # picklable into a task-run state, with its count
        return (_rebuild_batch_not_finished, (self.message, self.unfinished, self.vendor, self.status_code))


def _rebuild_batch_not_finished(message: str, unfinished: int, vendor: str, status_code: int | None) -> BatchNotFinished:
    return BatchNotFinished(message, unfinished=unfinished, vendor=vendor, status_code=status_code)


def credentials_refused(exc: AuthenticationError, store: str, sync: SyncName) -> str:
    """``NetSuite refused store north's credentials (block netsuite-north, …): …; nothing was retried …; fix …``.

    The message of ``exc`` carries no header or secret (``ApiError``), so it is safe to repeat.
    """
    vendor = _vendor_name(exc.vendor)
    # The connector checks a refusal an overloaded NetSuite sends by mistake once more before believing it.
    rechecked = f" (beyond the one immediate re-check {exc.code} gets)" if is_maybe_spurious_auth(exc) else ""
    try:
        block = f"block {credentials_block_name(CredentialsVendor(exc.vendor), store)}, the {exc.vendor}_credentials of {store_block_name(store)}"
    except ValueError:
        block = f"the credentials in block {store_block_name(store)}"
    return (
        f"{vendor} refused store {store}'s credentials ({block}): {str(exc).rstrip('.')}. "
        f"The run stopped at once: nothing was retried{rechecked} and no return was quarantined. "
        f"Check {_WHAT_TO_CHECK.get(exc.vendor, 'the credentials')}, save them with returns-sync configure --store {store}, "
        f"then run: {run_now(sync, store)}"
    )


@dataclass(frozen=True)
class FailureCause:
    """A failed task run: its exception (when Prefect kept it) and how many times it was retried."""

    error: BaseException | None
    retries: int

    @property
    def credentials(self) -> AuthenticationError | None:
        """The refused credential, when that is why the task failed."""
        return self.error if isinstance(self.error, AuthenticationError) else None

    def describe(self) -> str:
        """``netsuite 503: Service Unavailable (after 3 retries)``, or the cause alone when nothing was retried."""
        cause = f"{self.error}" if self.error is not None else "failed"
        if self.error is not None and not str(self.error):
            cause = type(self.error).__name__
        return f"{cause} (after {self.retries} retries)" if self.retries else cause


@dataclass(frozen=True)
class FailedStep:
    """A read or a batch of a sync that did not finish: which, how many records it held, and why."""

    where: str  # "batch 2" or "reading Loop returns"
    records: int | None  # None for a read: the records were never read
    what: str  # "returns", "RAs"
    cause: FailureCause

    @property
    def unfinished(self) -> int | None:
        """The records left for the next run: those that hit the error, when the batch says how many."""
        if isinstance(self.cause.error, BatchNotFinished):
            return self.cause.error.unfinished
        return self.records

    @property
    def outage(self) -> bool:
        """True when a service failed to answer (5xx, 429, timeout): the same records will go through later."""
        error = self.cause.error
        return isinstance(error, ApiError) and is_retryable(error) and error.vendor in _VENDOR_NAMES

    def sentence(self, store: str) -> str:
        """``NetSuite answered 503 for 37 returns of north (after 3 retries)``, or the cause of any other error."""
        error = self.cause.error
        if self.outage and isinstance(error, ApiError):
            answer = f"answered {error.status_code}" if error.status_code else f"did not answer ({error.message})"
            retried = f" (after {self.cause.retries} retries)" if self.cause.retries else ""
            subject = (
                f"{_count(self.unfinished, self.what)} of {store}"
                if self.records is not None
                else f"store {store} while {self.where}"
            )
            return f"{_vendor_name(error.vendor)} {answer} for {subject}{retried}"
        # Not an outage (a bug, a refused request): retrying would fail alike, so Prefect did not.
        if self.records is None:
            return f"{self.where} failed for store {store}: {self.cause.describe()}"
        return f"{self.where} of {store} failed for {_count(self.unfinished, self.what)}: {self.cause.describe()}"


def _count(n: int | None, what: str) -> str:
    """``1 return``, ``37 returns``: ``what`` is the plural (``returns``, ``RAs``)."""
    return f"{n} {what.removesuffix('s') if n == 1 else what}"


def _when(next_run: datetime | None) -> str:
    if next_run is None:
        return "at the next scheduled run"
    next_run = next_run.astimezone(UTC)
    today = datetime.now(UTC).date()
    return (
        f"at the next run ({next_run:%H:%M} UTC)"
        if next_run.date() == today
        else f"at the next run ({next_run:%Y-%m-%d %H:%M} UTC)"
    )


def run_failure_message(sync: SyncName, store: str, failed: list[FailedStep], next_run: datetime | None) -> str:
    """The state message of a sync whose reads or batches failed: what, how many, and what happens next.

    ``NetSuite answered 503 for 37 returns of north (after 3 retries); nothing more was posted for them; they will
    be retried at the next run (07:30 UTC) or now with: returns-sync run --sync refund_sync --store north``.
    """
    first = failed[0]
    more = ""
    if len(failed) > 1:
        left = sum(step.unfinished or 0 for step in failed[1:])
        more = f"; {len(failed) - 1} more step(s) failed ({_count(left, 'more ' + first.what)}), listed in the run artifact"
    if first.records is None:
        outcome, who = "nothing was read, so nothing was posted", "the sync"
    else:
        # Whatever posted before the error is in the ledger: the next run skips it, so nothing is posted twice.
        outcome, who = "nothing more was posted for them", "they"
    again = "retried" if first.outage else "tried again"
    return (
        f"{first.sentence(store)}{more}; {outcome}; {who} will be {again} {_when(next_run)} or now with: {run_now(sync, store)}"
    )


def records_left_message(sync: SyncName, store: str, errors: list[tuple[str, str]], next_run: datetime | None) -> str:
    """The state message of a sync whose batches ran but left some returns with an error (a total that differs, …)."""
    first_id, first = errors[0]
    more = f" and {len(errors) - 1} more, listed in the run artifact" if len(errors) > 1 else ""
    return (
        f"{len(errors)} of store {store}'s returns were left with an error (first: {first_id}: {first}){more}; they will be "
        f"tried again {_when(next_run)} or now with: {run_now(sync, store)}"
    )


def failure_of(state: State) -> FailureCause:
    """The cause of a failed task-run ``state``, and its retries.

    Only transient errors are retried, up to ``TASK_RETRIES`` times; a task that ends failed on one has used
    them all, and one that ends on any other error was not retried for it.
    """
    try:
        error = state.result(raise_on_failure=False)
    except Exception as exc:  # the result could not be read back (e.g. not persisted): keep what we have
        error = exc
    if not isinstance(error, BaseException):
        return FailureCause(error=None, retries=0)
    retries = TASK_RETRIES if is_retryable(error) else 0
    return FailureCause(error=error, retries=retries)
