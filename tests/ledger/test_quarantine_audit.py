"""Quarantine upsert and release, the append-only audit trail, and webhook delivery de-duplication."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from returns_sync.ledger import Ledger


def quarantine(repo, *, rule="sku_unknown", reason="SKU SHIRT-M-BLU is not a NetSuite item", sync="ra_sync", rid="r1", **kw):
    return repo.quarantine(store="acme", sync=sync, loop_return_id=rid, rule=rule, reason=reason, **kw)


class TestQuarantine:
    def test_first_quarantine_opens_an_entry(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            entry = quarantine(repo, details={"sku": "SHIRT-M-BLU"})
        assert (entry.rule, entry.attempts, entry.released_at, entry.details) == ("sku_unknown", 1, None, {"sku": "SHIRT-M-BLU"})
        assert entry.first_seen == entry.last_seen

    def test_again_bumps_attempts_and_last_seen_but_keeps_first_seen(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            first = quarantine(repo)
        with ledger.session() as repo:
            second = quarantine(repo, rule="sku_ambiguous", reason="SKU SHIRT-M-BLU matches items 812 and 977 in NetSuite")
            open_entries = repo.open_quarantine("acme")
        assert open_entries == [second]
        assert second.id == first.id
        assert second.attempts == 2
        assert second.first_seen == first.first_seen
        assert second.last_seen > first.last_seen
        assert (second.rule, second.reason) == ("sku_ambiguous", "SKU SHIRT-M-BLU matches items 812 and 977 in NetSuite")

    def test_release_closes_the_entry_and_keeps_it_as_history(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            quarantine(repo)
        with ledger.session() as repo:
            released = repo.release(store="acme", sync="ra_sync", loop_return_id="r1")
            assert released is not None and released.released_at is not None
            assert repo.open_quarantine("acme") == []
            assert repo.open_quarantine("acme", "ra_sync") == []
            assert repo.release(store="acme", sync="ra_sync", loop_return_id="r1") is None
            count = repo.session.execute(text("SELECT count(*) FROM quarantine")).scalar_one()
        assert count == 1

    def test_quarantined_again_after_release_opens_a_new_entry(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            old = quarantine(repo)
            repo.release(store="acme", sync="ra_sync", loop_return_id="r1")
            new = quarantine(repo, rule="quantity_above_returnable", reason="3 units returned, 2 returnable on line 1")
        assert new.id != old.id
        assert new.attempts == 1

    def test_entries_are_per_sync_and_filterable(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            quarantine(repo, sync="ra_sync")
            quarantine(repo, sync="refund_sync", rule="total_mismatch", reason="lines sum to 43.60, Loop says 48.60")
            assert {e.sync for e in repo.open_quarantine("acme")} == {"ra_sync", "refund_sync"}
            assert [e.rule for e in repo.open_quarantine("acme", "refund_sync")] == ["total_mismatch"]
            assert repo.open_quarantine("other") == []

    def test_concurrent_quarantines_of_one_return_keep_one_open_entry(self, ledger: Ledger) -> None:
        def worker(_: int) -> None:
            with ledger.session() as repo:
                quarantine(repo)

        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(worker, range(18)))
        with ledger.session() as repo:
            (entry,) = repo.open_quarantine("acme")
        assert entry.attempts == 18


class TestAuditLog:
    def test_entries_are_appended_in_order(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            first = repo.audit(
                store="acme",
                action="ra_created",
                sync="ra_sync",
                flow_run_id="fr-1",
                loop_return_id="r1",
                detail={"ns_id": "812"},
            )
            repo.audit(store="acme", action="quarantined", sync="ra_sync", loop_return_id="r2")
            repo.audit(store="other", action="ra_created")
        with ledger.session() as repo:
            entries = repo.audit_entries("acme")
            only_r1 = repo.audit_entries("acme", loop_return_id="r1")
        assert [e.action for e in entries] == ["ra_created", "quarantined"]
        assert only_r1[0].id == first
        assert (only_r1[0].flow_run_id, only_r1[0].detail) == ("fr-1", {"ns_id": "812"})
        assert only_r1[0].at.tzinfo is UTC

    @pytest.mark.parametrize("statement", ["UPDATE audit_log SET action = 'edited'", "DELETE FROM audit_log"])
    def test_database_refuses_to_rewrite_history(self, ledger: Ledger, statement: str) -> None:
        with ledger.session() as repo:
            repo.audit(store="acme", action="ra_created")
        with pytest.raises(DBAPIError, match="audit_log is append-only"), ledger.session() as repo:
            repo.session.execute(text(statement))
        with ledger.session() as repo:
            assert [e.action for e in repo.audit_entries("acme")] == ["ra_created"]


class TestWebhookDeliveries:
    def test_first_delivery_is_new_and_a_redelivery_is_not(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            assert repo.record_delivery("loop", "evt-1") is True
        with ledger.session() as repo:
            assert repo.record_delivery("loop", "evt-1") is False
            assert repo.record_delivery("shopify", "evt-1") is True

    def test_concurrent_redeliveries_are_accepted_once(self, ledger: Ledger) -> None:
        def worker(_: int) -> bool:
            with ledger.session() as repo:
                return repo.record_delivery("loop", "evt-42")

        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(worker, range(12)))
        assert results.count(True) == 1

    def test_prune_forgets_old_deliveries(self, ledger: Ledger) -> None:
        now = datetime.now(UTC)
        with ledger.session() as repo:
            repo.record_delivery("loop", "old", received_at=now - timedelta(days=10))
            repo.record_delivery("loop", "new", received_at=now)
            assert repo.prune_deliveries(now - timedelta(days=7)) == 1
            assert repo.record_delivery("loop", "old") is True
            assert repo.record_delivery("loop", "new") is False


def test_scrubbing_keeps_a_message_that_only_mentions_an_authorization() -> None:
    from returns_sync.ledger import scrub_error

    message = "NetSuite refused the return authorization: You can not initialize returnauthorization: invalid reference 7."
    assert scrub_error(message) == message
    assert "s3cr3t" not in scrub_error('Authorization: OAuth realm="1", oauth_token="s3cr3t"')
    assert "s3cr3t" not in scrub_error("Authorization: Bearer s3cr3t")
