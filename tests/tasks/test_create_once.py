"""create_once: the ledger intent goes first, a lost answer is found by externalId, and nothing is ever created twice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import STORE
from fakes import FakeNetSuite

from returns_sync.connectors.errors import PermanentApiError, TransientApiError
from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.money import Money
from returns_sync.domain.netsuite import RecordRole, RecordType
from returns_sync.domain.syncs import SyncName
from returns_sync.ledger import IntentStatus
from returns_sync.tasks.idempotent import NetSuiteRefused, create_once, is_duplicate_answer
from returns_sync.tasks.runtime import SyncRuntime

RA = ExternalId(STORE, "7001", RecordRole.RA)
BODY = {"externalId": str(RA), "memo": "Loop return 7001 · order #1001", "item": {"items": [{"orderLine": 1, "quantity": 1}]}}
SO_ID = 5001


class ProcessDied(BaseException):
    """The worker dies mid-create: no ``except Exception`` runs, nothing after it is recorded."""


def _create_ra(runtime: SyncRuntime, body: dict | None = None, *, total: Money | None = Money("48.60", "USD")):
    body = body or BODY
    return create_once(
        runtime,
        sync=SyncName.RA_SYNC,
        record_type=RecordType.RETURN_AUTHORIZATION,
        external_id=RA,
        body=body,
        create=lambda: runtime.netsuite.transform(RecordType.SALES_ORDER, SO_ID, RecordType.RETURN_AUTHORIZATION, body),
        total=total,
    )


def _intent(runtime: SyncRuntime):
    with runtime.ledger.session() as repo:
        return repo.get_intent(str(RA))


class TestFirstCreate:
    def test_the_intent_is_pending_in_the_ledger_before_the_create_is_sent(self, runtime: SyncRuntime) -> None:
        seen = []

        def create() -> str:
            seen.append(_intent(runtime))
            return runtime.netsuite.transform(RecordType.SALES_ORDER, SO_ID, RecordType.RETURN_AUTHORIZATION, BODY)

        create_once(
            runtime, sync=SyncName.RA_SYNC, record_type=RecordType.RETURN_AUTHORIZATION, external_id=RA, body=BODY, create=create
        )
        assert len(seen) == 1
        assert (seen[0].status, seen[0].sync, seen[0].loop_return_id, seen[0].record_type) == (
            IntentStatus.PENDING,
            "ra_sync",
            "7001",
            "returnAuthorization",
        )

    def test_created_once_posted_and_linked(self, runtime: SyncRuntime, netsuite: FakeNetSuite) -> None:
        created = _create_ra(runtime)
        assert created.created_now is True
        assert [t["id"] for t in netsuite.with_external_id(str(RA))] == [created.ns_id]
        assert netsuite.lookups == []  # a fresh intent needs no look-up first
        intent = _intent(runtime)
        assert (intent.status, intent.ns_id, intent.attempts) == (IntentStatus.POSTED, created.ns_id, 1)
        with runtime.ledger.session() as repo:
            (record,) = repo.netsuite_records(STORE, "7001")
        assert (record.role, record.record_type, record.ns_id, record.external_id) == (
            "ra",
            "returnAuthorization",
            created.ns_id,
            str(RA),
        )
        assert (record.total, record.currency, record.created_by) == (Decimal("48.6000"), "USD", "us")

    def test_a_zero_total_is_recorded_as_zero_not_as_unknown(self, runtime: SyncRuntime) -> None:
        _create_ra(runtime, total=Money("0", "USD"))
        with runtime.ledger.session() as repo:
            (record,) = repo.netsuite_records(STORE, "7001")
        assert (record.total, record.currency) == (Decimal("0.0000"), "USD")

    def test_a_posted_intent_sends_nothing_again(self, runtime: SyncRuntime, netsuite: FakeNetSuite) -> None:
        first = _create_ra(runtime)
        again = _create_ra(runtime)
        assert (again.ns_id, again.created_now) == (first.ns_id, False)
        assert (len(netsuite.creates), netsuite.lookups) == (1, [])

    def test_an_external_id_of_another_store_is_refused(self, runtime: SyncRuntime, netsuite: FakeNetSuite) -> None:
        other = ExternalId("south", "7001", RecordRole.RA)
        with pytest.raises(ValueError, match="belongs to store 'south', not 'north'"):
            create_once(
                runtime,
                sync=SyncName.RA_SYNC,
                record_type=RecordType.RETURN_AUTHORIZATION,
                external_id=other,
                body=BODY,
                create=lambda: "1",
            )
        assert netsuite.creates == [] and _intent(runtime) is None


class TestLostAnswers:
    def test_a_timeout_after_netsuite_committed_is_found_by_external_id(
        self, runtime: SyncRuntime, netsuite: FakeNetSuite
    ) -> None:
        netsuite.faults.append(("after", TransientApiError("read timeout", vendor="netsuite", maybe_committed=True)))
        created = _create_ra(runtime)
        (record,) = netsuite.with_external_id(str(RA))
        assert (created.ns_id, created.created_now) == (record["id"], False)
        assert len(netsuite.creates) == 1
        assert netsuite.lookups == [("returnAuthorization", str(RA))]
        assert (_intent(runtime).status, _intent(runtime).ns_id) == (IntentStatus.POSTED, record["id"])

    def test_a_crash_after_netsuite_committed_is_settled_by_the_next_run_without_a_second_create(
        self, runtime: SyncRuntime, netsuite: FakeNetSuite
    ) -> None:
        netsuite.faults.append(("after", ProcessDied()))
        with pytest.raises(ProcessDied):
            _create_ra(runtime)
        assert _intent(runtime).status == IntentStatus.PENDING  # the ledger never heard back

        rerun = _create_ra(runtime)
        (record,) = netsuite.with_external_id(str(RA))
        assert (rerun.ns_id, rerun.created_now) == (record["id"], False)
        assert len(netsuite.creates) == 1
        assert netsuite.lookups == [("returnAuthorization", str(RA))]
        assert _intent(runtime).status == IntentStatus.POSTED

    def test_a_transient_failure_leaves_a_pending_intent_that_the_next_run_resolves(
        self, runtime: SyncRuntime, netsuite: FakeNetSuite
    ) -> None:
        netsuite.faults.append(("before", TransientApiError("503 Service Unavailable", vendor="netsuite", status_code=503)))
        with pytest.raises(TransientApiError):
            _create_ra(runtime)
        intent = _intent(runtime)
        assert (intent.status, intent.attempts, netsuite.with_external_id(str(RA))) == (IntentStatus.PENDING, 1, [])

        rerun = _create_ra(runtime)
        assert rerun.created_now is True
        assert len(netsuite.creates) == 2 and len(netsuite.with_external_id(str(RA))) == 1
        assert netsuite.lookups == [("returnAuthorization", str(RA))]  # looked up first: the failed attempt might have landed
        assert (_intent(runtime).status, _intent(runtime).ns_id) == (IntentStatus.POSTED, rerun.ns_id)

    def test_an_unknown_outcome_that_did_commit_is_found_by_the_next_run(
        self, runtime: SyncRuntime, netsuite: FakeNetSuite
    ) -> None:
        # A connection reset after the request went out: the client cannot tell NetSuite committed.
        netsuite.faults.append(("after", TransientApiError("connection reset", vendor="netsuite")))
        with pytest.raises(TransientApiError):
            _create_ra(runtime)
        rerun = _create_ra(runtime)
        assert rerun.created_now is False
        assert len(netsuite.creates) == 1 and len(netsuite.with_external_id(str(RA))) == 1


class TestNetSuiteAnswers:
    def test_this_entity_already_exists_links_the_record_that_already_exists(
        self, runtime: SyncRuntime, netsuite: FakeNetSuite
    ) -> None:
        # Created by a run whose ledger was lost (a restored backup): NetSuite's unique externalId refuses a second one.
        existing = netsuite.add_transaction("RtnAuth", externalid=str(RA))
        created = _create_ra(runtime)
        assert (created.ns_id, created.created_now) == (str(existing), False)
        assert len(netsuite.creates) == 1 and len(netsuite.with_external_id(str(RA))) == 1
        assert (_intent(runtime).status, _intent(runtime).ns_id) == (IntentStatus.POSTED, str(existing))

    def test_a_refusal_fails_the_intent_and_a_corrected_body_posts(self, runtime: SyncRuntime, netsuite: FakeNetSuite) -> None:
        refusal = PermanentApiError(
            "Invalid item reference key 999.", vendor="netsuite", code="INVALID_KEY_OR_REF", status_code=400
        )
        netsuite.faults.append(("before", refusal))
        with pytest.raises(NetSuiteRefused) as raised:
            _create_ra(runtime)
        assert (raised.value.code, raised.value.external_id) == ("INVALID_KEY_OR_REF", RA)
        assert str(raised.value) == "NetSuite refused loop-north-7001-ra: Invalid item reference key 999."
        assert _intent(runtime).status == IntentStatus.FAILED

        fixed = {**BODY, "memo": "fixed"}
        created = _create_ra(runtime, fixed)
        assert created.created_now is True
        assert netsuite.creates[-1].body == fixed and len(netsuite.with_external_id(str(RA))) == 1
        assert _intent(runtime).status == IntentStatus.POSTED

    def test_a_business_rule_user_error_is_a_refusal_not_a_duplicate(self, runtime: SyncRuntime, netsuite: FakeNetSuite) -> None:
        refusal = PermanentApiError("Please enter value(s) for: Location", vendor="netsuite", code="USER_ERROR", status_code=400)
        netsuite.faults.append(("before", refusal))
        with pytest.raises(NetSuiteRefused):
            _create_ra(runtime)
        assert netsuite.lookups == [] and _intent(runtime).status == IntentStatus.FAILED

    @pytest.mark.parametrize(
        ("code", "message", "duplicate"),
        [
            ("USER_ERROR", "Error while accessing a resource. This entity already exists.", True),  # REST
            ("DUP_RCRD", "This record already exists.", True),  # SOAP
            ("USER_ERROR", "You can not initialize returnauthorization: invalid reference 7001.", False),
            ("INVALID_KEY_OR_REF", "This entity already exists.", False),
        ],
    )
    def test_which_answers_mean_the_external_id_is_taken(self, code: str, message: str, duplicate: bool) -> None:
        error = PermanentApiError(message, vendor="netsuite", code=code, status_code=400)
        assert is_duplicate_answer(error) is duplicate


class TestChangedPlans:
    def test_an_unsent_intent_with_another_body_is_superseded(self, runtime: SyncRuntime, netsuite: FakeNetSuite) -> None:
        netsuite.faults.append(("before", ProcessDied()))
        with pytest.raises(ProcessDied):
            _create_ra(runtime)
        changed = {**BODY, "memo": "Loop return 7001 · order #1001 · exchange #1002"}
        created = _create_ra(runtime, changed)
        assert created.created_now is True
        assert [c.body for c in netsuite.creates] == [BODY, changed]
        assert len(netsuite.with_external_id(str(RA))) == 1

    def test_a_sent_intent_with_another_body_links_what_netsuite_holds(
        self, runtime: SyncRuntime, netsuite: FakeNetSuite
    ) -> None:
        netsuite.faults.append(("after", ProcessDied()))
        with pytest.raises(ProcessDied):
            _create_ra(runtime)
        created = _create_ra(runtime, {**BODY, "memo": "changed since"})
        assert created.created_now is False
        assert len(netsuite.creates) == 1 and len(netsuite.with_external_id(str(RA))) == 1
