"""Sync 1: a Return Authorization, transformed from the original sales order, for every Loop return that has none."""

from __future__ import annotations

from prefect import task

from returns_sync.domain.listed_returns import BatchOfReturns, read_returns
from returns_sync.domain.loop import LoopReturn, ReturnState
from returns_sync.domain.netsuite import RecordRole, RecordType
from returns_sync.domain.syncs import SyncName
from returns_sync.quality import validate_return_lines
from returns_sync.tasks.approval import approval_fields, ensure_approved
from returns_sync.tasks.batching import for_each_grouped
from returns_sync.tasks.idempotent import NetSuiteRefused, create_once
from returns_sync.tasks.loading import ReturnWork, load_work
from returns_sync.tasks.netsuite_bodies import ra_body
from returns_sync.tasks.planning import line_checks, plan_work
from returns_sync.tasks.recovery import record_return_authorization, settle_unrecorded
from returns_sync.tasks.results import BatchResult, PostedRecord, one_record, quarantine_return, release_return
from returns_sync.tasks.retry import RETRY_OPTIONS
from returns_sync.tasks.runtime import SyncRuntime, run_batch
from returns_sync.tasks.shipment_tracking import record_tracking, tracking_fields

__all__ = [
    "ensure_return_authorization",
    "needs_return_authorization",
    "post_return_authorizations",
    "validate_for_ra",
]

SYNC = SyncName.RA_SYNC
_RA_STATES = (ReturnState.OPEN, ReturnState.REVIEW, ReturnState.CLOSED)


def needs_return_authorization(loop_return: LoopReturn) -> bool:
    """Returns in these states are (or were) on their way back; cancelled and expired ones never get an RA."""
    return loop_return.state in _RA_STATES and bool(loop_return.line_items)


def validate_for_ra(runtime: SyncRuntime, work: list[ReturnWork], result: BatchResult, *, sync: SyncName) -> list[ReturnWork]:
    """Run the return-lines suite on the returns that still need an RA; quarantine failures, release fixed ones."""
    todo = [w for w in work if w.ra is None]
    report = validate_return_lines(line_checks(runtime, todo))
    passing = []
    for w in todo:
        failures = report.failures.get(w.id)
        ra = w.plan.record(RecordRole.RA) if w.plan else None
        if failures:
            quarantine_return(
                runtime, result, sync=sync, loop_return_id=w.id, order_name=w.loop_return.order_name, failures=failures
            )
        elif ra is None:
            reason = "; ".join(w.plan.problems) if w.plan and w.plan.problems else "no return authorization could be planned"
            quarantine_return(
                runtime,
                result,
                sync=sync,
                loop_return_id=w.id,
                order_name=w.loop_return.order_name,
                rule="cannot_plan",
                reason=reason,
            )
        else:
            if not result.dry_run and release_return(runtime, sync=sync, loop_return_id=w.id):
                result.count("released from quarantine")
            passing.append(w)
    return passing


def ensure_return_authorization(runtime: SyncRuntime, w: ReturnWork, result: BatchResult, *, sync: SyncName) -> str:
    """Create the planned RA unless it exists; link it to the return and record the units it holds."""
    assert w.plan is not None and w.so is not None
    ra = w.plan.record(RecordRole.RA)
    assert ra is not None
    so = w.so
    # The label's tracking rides on the create: a new RA needs no second request for it.
    body = {**ra_body(ra), **approval_fields(runtime), **tracking_fields(runtime, w.loop_return)}
    created = create_once(
        runtime,
        sync=sync,
        record_type=RecordType.RETURN_AUTHORIZATION,
        external_id=ra.external_id,
        body=body,
        create=lambda: runtime.netsuite.transform(
            RecordType.SALES_ORDER, so.id, RecordType.RETURN_AUTHORIZATION, body, replace="item"
        ),
        total=w.plan.money(ra),
    )
    r = w.loop_return
    with runtime.ledger.session() as repo:
        record_return_authorization(repo, runtime, w, created.ns_id)
        if created.created_now:
            repo.audit(
                store=runtime.store,
                sync=sync,
                loop_return_id=w.id,
                action="created returnAuthorization",
                detail={"ns_id": created.ns_id, "external_id": str(ra.external_id), "sales_order": so.id},
            )
    record = PostedRecord(
        w.id,
        r.order_name,
        RecordType.RETURN_AUTHORIZATION,
        created.ns_id,
        str(ra.external_id),
        w.plan.money(ra),
        note=f"from {so.tranid}",
    )
    (result.created if created.created_now else result.linked).append(record)
    return created.ns_id


def _sales_order_id(w: ReturnWork) -> int:
    assert w.so is not None  # validate_for_ra passes only returns matched to one sales order
    return w.so.id


def post_batch(runtime: SyncRuntime, returns: list[LoopReturn], result: BatchResult) -> None:
    work = load_work(runtime, [r for r in returns if needs_return_authorization(r)], expect_ras=False)
    plan_work(runtime, work)
    settle_unrecorded(runtime, work, result)
    for w in work:
        if w.ra is not None:
            result.count("already had an RA")
            # An RA created while the store did not approve its RAs: approve it now that it does.
            if runtime.settings.approve_return_authorizations and not result.dry_run:
                with one_record(result, w.id):
                    ensure_approved(runtime, w, result, sync=SYNC)
            with one_record(result, w.id):
                record_tracking(runtime, w, result, sync=SYNC)

    def post_one(w: ReturnWork, partial: BatchResult) -> None:
        assert w.plan is not None  # validate_for_ra passes only planned returns
        partial.outcomes[w.plan.outcome.value] += 1
        if partial.dry_run:
            ra = w.plan.record(RecordRole.RA)
            assert ra is not None  # ... whose plan holds an RA
            partial.planned.append(
                {
                    "loop_return_id": w.id,
                    "order": w.loop_return.order_name,
                    "record": RecordType.RETURN_AUTHORIZATION.value,
                    "external_id": str(ra.external_id),
                    "lines": len(ra.lines),
                    "total": str(ra.total),
                }
            )
            partial.count("would create an RA")
            return
        with one_record(partial, w.id):
            try:
                ensure_return_authorization(runtime, w, partial, sync=SYNC)
                partial.count("RA created")
            except NetSuiteRefused as exc:
                quarantine_return(
                    runtime,
                    partial,
                    sync=SYNC,
                    loop_return_id=w.id,
                    order_name=w.loop_return.order_name,
                    rule="netsuite_rejected",
                    reason=f"NetSuite refused the return authorization: {exc.error.message}",
                )

    for_each_grouped(
        validate_for_ra(runtime, work, result, sync=SYNC),
        group=_sales_order_id,
        work=post_one,
        result=result,
        max_workers=runtime.settings.max_netsuite_concurrency,
    )


@task(name="post return authorizations", task_run_name=f"{SYNC} · {{store}} · batch {{batch}}", **RETRY_OPTIONS)
def post_return_authorizations(store: str, returns: BatchOfReturns, batch: int = 1, dry_run: bool = False) -> BatchResult:
    """Validate a batch of Loop returns and create the missing RAs.

    Example:
        >>> result = post_return_authorizations.fn("north", returns, batch=1)  # doctest: +SKIP
    """
    return run_batch(SYNC, store, dry_run, post_batch, read_returns(returns))
