"""What a batch did, in a form the flow can add up and publish: counts, records created, quarantined returns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from returns_sync.connectors.errors import ApiError, RecordRejected, is_retryable
from returns_sync.domain.money import Money
from returns_sync.domain.syncs import SyncName
from returns_sync.quality import CheckFailure
from returns_sync.tasks.failures import BatchNotFinished, FailedStep
from returns_sync.tasks.runtime import SyncRuntime

__all__ = [
    "RUN_ROWS_KEPT",
    "BatchResult",
    "PlannedAction",
    "PostedRecord",
    "QuarantinedReturn",
    "one_record",
    "quarantine_rejected",
    "quarantine_return",
    "release_return",
]

# What a dry run would have done for one return, as plain data for the run artifact.
PlannedAction = dict[str, object]

# The lists of a result that get a row per return of a backlog (``BatchResult.row_limit``).
RowList = Literal["created", "linked", "loop_actions", "planned", "waiting", "reported"]
_ROWS_PER_RETURN: tuple[RowList, ...] = get_args(RowList)
RUN_ROWS_KEPT = 200  # of each of those lists, by a run's result: what its artifact shows


@dataclass(frozen=True, slots=True)  # one per return of a backlog
class PostedRecord:
    loop_return_id: str
    order_name: str | None
    record_type: str  # a RecordType, or what was done to one ("returnAuthorization (lines closed)")
    ns_id: str
    external_id: str  # as NetSuite holds it (the Shopify connector's records carry their own)
    total: Money | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)  # one per return of a backlog
class QuarantinedReturn:
    loop_return_id: str
    order_name: str | None
    rule: str
    reason: str


@dataclass
class BatchResult:
    """One batch (or a whole run, once merged)."""

    sync: SyncName
    store: str
    dry_run: bool = False
    counts: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    created: list[PostedRecord] = field(default_factory=list)
    linked: list[PostedRecord] = field(default_factory=list)  # found already posted (by the Shopify connector, or an earlier run)
    quarantined: list[QuarantinedReturn] = field(default_factory=list)
    loop_actions: list[tuple[str, str]] = field(default_factory=list)  # (loop return id, action)
    planned: list[PlannedAction] = field(default_factory=list)  # dry runs: what would be posted
    waiting: list[tuple[str, str]] = field(default_factory=list)  # (loop return id, what it waits for)
    errors: list[tuple[str, str]] = field(default_factory=list)  # failures left for the next run
    # (loop return id, what finance should know): money Loop moved that NetSuite does not (yet) show, never an error
    reported: list[tuple[str, str]] = field(default_factory=list)
    transient: list[tuple[str, str]] = field(default_factory=list)  # records that hit a transient error this attempt
    transient_cause: tuple[str, int | None] | None = None  # (vendor, HTTP status) of the first transient error
    failed_steps: list[FailedStep] = field(default_factory=list)  # the flow's reads and batches that did not finish
    skipped: str | None = None  # why the run did nothing (another run of the sync held the store)
    credentials_refused: str | None = None  # set when an API refused the store's credentials: the run stopped there
    # A run's result, merged from its batches, keeps the first ``row_limit`` rows of each list a backlog fills with a
    # row per return (what its artifact shows) and counts the rest: a first run over 20,000 returns must not hold a
    # record per return until it ends (issue 12). The returns of the posted records left out are kept, by id only,
    # for the write-back. None (a batch's result): every row is kept.
    row_limit: int | None = None
    rows_beyond: Counter[str] = field(default_factory=Counter)
    posted_beyond: list[str] = field(default_factory=list)

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] += n

    def total(self, rows: RowList) -> int:
        """How many rows ``rows`` had in all, those kept and those left out."""
        return len(getattr(self, rows)) + self.rows_beyond[rows]

    def posted_return_ids(self) -> list[str]:
        """Each return with a NetSuite record created or linked, once (the rows kept first, then those left out)."""
        kept = (r.loop_return_id for r in [*self.created, *self.linked])
        return list(dict.fromkeys([*kept, *self.posted_beyond]))

    def raise_if_transient(self) -> None:
        """After the whole batch: if some records hit transient errors, fail the task so Prefect retries it.

        The records that did post are in the ledger; the retry finds them and only redoes the rest.
        """
        if self.transient:
            first_id, first = self.transient[0]
            vendor, status_code = self.transient_cause or ("batch", None)
            raise BatchNotFinished(
                f"{len(self.transient)} record(s) hit transient errors (first: {first_id}: {first}); the batch is retried",
                unfinished=len(self.transient),
                vendor=vendor,
                status_code=status_code,
            )

    def merge(self, other: BatchResult) -> BatchResult:
        self.counts.update(other.counts)
        self.outcomes.update(other.outcomes)
        self.created += other.created
        self.linked += other.linked
        self.quarantined += other.quarantined
        self.loop_actions += other.loop_actions
        self.planned += other.planned
        self.waiting += other.waiting
        self.errors += other.errors
        self.reported += other.reported
        self.transient += other.transient
        self.transient_cause = self.transient_cause or other.transient_cause
        self.failed_steps += other.failed_steps
        self.credentials_refused = self.credentials_refused or other.credentials_refused
        self.rows_beyond.update(other.rows_beyond)
        self.posted_beyond += other.posted_beyond
        if self.row_limit is not None:
            self._keep_first_rows(self.row_limit)
        return self

    def _keep_first_rows(self, limit: int) -> None:
        for name in _ROWS_PER_RETURN:
            rows: list[Any] = getattr(self, name)
            if len(rows) <= limit:
                continue
            if name in ("created", "linked"):
                self.posted_beyond += [record.loop_return_id for record in rows[limit:]]
            self.rows_beyond[name] += len(rows) - limit
            del rows[limit:]


def quarantine_return(
    runtime: SyncRuntime,
    result: BatchResult,
    *,
    sync: SyncName,
    loop_return_id: str,
    order_name: str | None,
    failures: list[CheckFailure] | None = None,
    rule: str | None = None,
    reason: str | None = None,
) -> None:
    """Put a return in quarantine with its first (most basic) failure as the rule and every reason in words."""
    if failures:
        rule = failures[0].rule
        reason = "; ".join(dict.fromkeys(f.reason for f in failures))
    assert rule and reason
    if not result.dry_run:
        with runtime.ledger.session() as repo:
            repo.quarantine(
                store=runtime.store,
                sync=sync,
                loop_return_id=loop_return_id,
                rule=rule,
                reason=reason,
                details={"rules": [f.rule for f in failures or []] or [rule]},
            )
    result.quarantined.append(QuarantinedReturn(loop_return_id, order_name, rule, reason))
    result.count("quarantined")


def release_return(runtime: SyncRuntime, *, sync: SyncName, loop_return_id: str) -> bool:
    """Close the return's quarantine entry for ``sync`` because its data now passes."""
    with runtime.ledger.session() as repo:
        return repo.release(store=runtime.store, sync=sync, loop_return_id=loop_return_id) is not None


@contextmanager
def one_record(result: BatchResult, record_id: str) -> Iterator[None]:
    """Work on one record: a transient error is noted and the batch goes on; anything else propagates."""
    try:
        yield
    except Exception as exc:
        if not is_retryable(exc):
            raise
        result.transient.append((record_id, str(exc)))
        if result.transient_cause is None and isinstance(exc, ApiError):
            result.transient_cause = (exc.vendor, exc.status_code)


@contextmanager
def quarantine_rejected(runtime: SyncRuntime, result: BatchResult, *, sync: SyncName, loop_return_id: str) -> Iterator[None]:
    """Work on one record whose data may be refused (a Loop return read in a shape we cannot use): quarantine it."""
    try:
        yield
    except RecordRejected as exc:
        quarantine_return(
            runtime, result, sync=sync, loop_return_id=loop_return_id, order_name=None, rule=exc.rule, reason=exc.reason
        )
