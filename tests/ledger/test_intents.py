"""Posting intents: idempotent begin, digest conflicts, settling, and errors stored without secrets."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from returns_sync.ledger import IntentConflictError, Ledger, LedgerIntegrityError, digest_request, scrub_error

KEY = "loop-acme-123-ra"
BODY = {"entity": {"id": "77"}, "item": {"items": [{"orderLine": 1, "quantity": 1, "rate": Decimal("45.00")}]}}


def begin(repo, body=BODY, key=KEY):
    return repo.begin_intent(
        idempotency_key=key,
        store="acme",
        loop_return_id="123",
        sync="ra_sync",
        record_type="returnAuthorization",
        request_body=body,
    )


class TestDigest:
    def test_key_order_and_decimal_trailing_zeros_do_not_matter(self) -> None:
        assert digest_request({"a": Decimal("45.0"), "b": [1, 2]}) == digest_request({"b": [1, 2], "a": Decimal("45")})

    def test_any_change_of_content_matters(self) -> None:
        assert digest_request({"rate": Decimal("45.00")}) != digest_request({"rate": Decimal("45.01")})
        assert digest_request({"items": [1, 2]}) != digest_request({"items": [2, 1]})

    def test_is_sha256_hex(self) -> None:
        assert len(digest_request(BODY)) == 64

    def test_float_money_is_refused(self) -> None:
        with pytest.raises(TypeError, match="never float"):
            digest_request({"rate": 45.0})


class TestBeginIntent:
    def test_first_begin_is_pending_with_the_body_digest(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            intent = begin(repo)
        assert (intent.status, intent.attempts, intent.ns_id) == ("pending", 0, None)
        assert intent.request_digest == digest_request(BODY)

    def test_same_key_same_request_returns_the_stored_intent(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            begin(repo)
            repo.mark_posted(KEY, ns_id=812)
        with ledger.session() as repo:
            again = begin(repo, body={"item": BODY["item"], "entity": {"id": "77"}})
        assert again.is_posted and again.ns_id == "812"

    @pytest.mark.parametrize("settle", ["pending", "posted", "skipped"])
    def test_same_key_different_request_is_refused(self, ledger: Ledger, settle: str) -> None:
        with ledger.session() as repo:
            begin(repo)
            if settle == "posted":
                repo.mark_posted(KEY, ns_id="812")
            elif settle == "skipped":
                repo.mark_skipped(KEY, "already posted by the Shopify connector")
        changed = {**BODY, "memo": "different"}
        with pytest.raises(IntentConflictError, match=f"posting intent '{KEY}' is {settle}") as caught, ledger.session() as repo:
            begin(repo, body=changed)
        assert caught.value.new_digest == digest_request(changed)
        with ledger.session() as repo:
            assert repo.get_intent(KEY).request_digest == digest_request(BODY)

    def test_failed_intent_may_be_begun_again_with_a_corrected_request(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            begin(repo)
            repo.mark_failed(KEY, "NetSuite 400 USER_ERROR: Invalid item reference key 999.")
        fixed = {**BODY, "memo": "fixed sku"}
        with ledger.session() as repo:
            intent = begin(repo, body=fixed)
        assert (intent.status, intent.request_digest, intent.attempts) == ("pending", digest_request(fixed), 1)

    def test_exactly_one_of_body_and_digest(self, ledger: Ledger) -> None:
        with pytest.raises(ValueError, match="exactly one"), ledger.session() as repo:
            repo.begin_intent(idempotency_key=KEY, store="a", loop_return_id="1", sync="s", record_type="t")
        with ledger.session() as repo:
            intent = repo.begin_intent(
                idempotency_key=KEY, store="a", loop_return_id="1", sync="s", record_type="t", request_digest="ab" * 32
            )
        assert intent.request_digest == "ab" * 32

    def test_concurrent_begins_create_one_intent(self, ledger: Ledger) -> None:
        def worker(_: int) -> str:
            with ledger.session() as repo:
                return begin(repo).request_digest

        with ThreadPoolExecutor(max_workers=6) as pool:
            digests = set(pool.map(worker, range(24)))
        assert digests == {digest_request(BODY)}
        with ledger.session() as repo:
            assert [i.idempotency_key for i in repo.pending_intents("acme")] == [KEY]


class TestSettling:
    def test_mark_posted_is_idempotent_for_the_same_record(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            begin(repo)
            first = repo.mark_posted(KEY, ns_id="812")
            second = repo.mark_posted(KEY, ns_id=812)
        assert first == second
        assert (second.status, second.attempts) == ("posted", 1)

    def test_mark_posted_with_another_record_is_refused(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            begin(repo)
            repo.mark_posted(KEY, ns_id="812")
        with pytest.raises(LedgerIntegrityError, match="already NetSuite record 812, not 813"), ledger.session() as repo:
            repo.mark_posted(KEY, ns_id="813")

    def test_transient_failure_stays_pending_and_counts_the_attempt(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            begin(repo)
            intent = repo.mark_failed(KEY, TimeoutError("read timed out"), permanent=False)
        assert (intent.status, intent.attempts, intent.last_error) == ("pending", 1, "TimeoutError: read timed out")

    def test_permanent_failure_is_failed_and_leaves_pending(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            begin(repo)
            begin(repo, key="loop-acme-123-ir-1")
            repo.mark_failed(KEY, "NetSuite 400 USER_ERROR")
            assert [i.idempotency_key for i in repo.pending_intents("acme")] == ["loop-acme-123-ir-1"]
            assert repo.get_intent(KEY).status == "failed"

    def test_failing_a_posted_intent_is_refused(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            begin(repo)
            repo.mark_posted(KEY, ns_id="812")
        with pytest.raises(LedgerIntegrityError, match="already posted as 812"), ledger.session() as repo:
            repo.mark_failed(KEY, "late timeout")

    def test_unknown_key_is_refused(self, ledger: Ledger) -> None:
        with pytest.raises(LedgerIntegrityError, match="no posting intent 'nope'"), ledger.session() as repo:
            repo.mark_posted("nope", ns_id="1")

    def test_pending_intents_are_per_store(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            begin(repo)
            repo.begin_intent(
                idempotency_key="loop-other-9-ra",
                store="other",
                loop_return_id="9",
                sync="ra_sync",
                record_type="returnAuthorization",
                request_body={},
            )
            assert [i.store for i in repo.pending_intents("other")] == ["other"]
            assert [i.loop_return_id for i in repo.pending_intents("acme")] == ["123"]


class TestNoSecretsInErrors:
    @pytest.mark.parametrize(
        ("raw", "secret"),
        [
            ('Authorization: OAuth realm="123_SB1", oauth_signature="abc%2B="', "abc%2B="),
            ("X-Authorization: lk_live_0123456789", "lk_live_0123456789"),
            ('{"X-Shopify-Access-Token": "shpat_abcdef0123"}', "shpat_abcdef0123"),
            ("token refused: shpat_0011223344 is invalid", "shpat_0011223344"),
            ("oauth_token=tok123&oauth_nonce=n1", "tok123"),
            ("consumer_secret=s3cr3t token_secret: t0ps3cr3t", "s3cr3t"),
        ],
    )
    def test_credentials_are_masked(self, raw: str, secret: str) -> None:
        cleaned = scrub_error(raw)
        assert secret not in cleaned
        assert "***" in cleaned

    def test_plain_errors_are_kept_and_bounded(self) -> None:
        assert scrub_error("NetSuite 400 USER_ERROR: Invalid item") == "NetSuite 400 USER_ERROR: Invalid item"
        assert len(scrub_error("x" * 10_000)) == 2000

    def test_stored_error_is_scrubbed(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            begin(repo)
            intent = repo.mark_failed(KEY, "401 with X-Authorization: lk_live_SECRET", permanent=False)
        assert "lk_live_SECRET" not in intent.last_error
