"""The Loop webhook receiver in-process: signatures, unknown stores, dedupe, debounce, payload kinds, no secrets out."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from deploy_helpers import LOOP_KEY, NORTH_SECRET, SOUTH_SECRET, RecordingTrigger, loop_body, make_settings, sign
from starlette.applications import Starlette

from returns_sync.domain.syncs import SyncName
from returns_sync.service.deliveries import DeliveryLog
from returns_sync.service.webhooks import (
    DELIVERY_SOURCE,
    MAX_BODY_BYTES,
    SETTINGS_RETRY_AFTER_SECONDS,
    Dispatcher,
    create_webhook_app,
    delivery_key,
    syncs_for_events,
)

URL = "/webhooks/loop/{}"
UNAUTHORIZED = {"error": "invalid signature"}


@pytest.fixture
def app(stores, trigger, ledger) -> Iterator[Starlette]:
    app = create_webhook_app(stores=stores, trigger=trigger, ledger=ledger, debounce_seconds=0.0)
    yield app
    app.state.dispatcher.close(flush=False)


def receiver_client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver.test")


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with receiver_client(app) as client:
        yield client


async def post(client: httpx.AsyncClient, store: str, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Loop-Signature"] = signature
    return await client.post(URL.format(store), content=body, headers=headers)


def settle(app: Starlette) -> None:
    app.state.dispatcher.flush(timeout=10)


class TestSignature:
    async def test_a_signed_delivery_starts_one_run_for_its_return(self, app, client, trigger):
        body = loop_body(1001)
        response = await post(client, "north", body, sign(body, NORTH_SECRET))
        settle(app)
        assert (response.status_code, response.json()) == (200, {"status": "accepted", "return_id": "1001"})
        assert trigger.calls == [("north", ["1001"])]

    @pytest.mark.parametrize(
        "signature",
        [
            pytest.param(lambda body: sign(body, SOUTH_SECRET), id="another-stores-secret"),
            pytest.param(lambda body: sign(body + b" ", NORTH_SECRET), id="other-bytes"),
            pytest.param(lambda body: sign(json.dumps(json.loads(body)).encode(), NORTH_SECRET), id="re-serialised-json"),
            pytest.param(lambda body: "", id="empty"),
            pytest.param(lambda body: "not base64 at all", id="garbage"),
            pytest.param(lambda body: None, id="missing"),
        ],
    )
    async def test_a_bad_or_missing_signature_is_refused_and_nothing_runs(self, app, client, trigger, ledger, signature):
        body = loop_body(1001)
        response = await post(client, "north", body, signature(body))
        settle(app)
        assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
        assert trigger.calls == []
        # Nothing was remembered either: the genuine delivery is still accepted afterwards.
        with ledger.session() as repo:
            assert repo.record_delivery(DELIVERY_SOURCE, delivery_key("north", "1001", "return.updated", body)) is True

    async def test_an_unknown_store_gets_the_same_answer_as_a_bad_signature(self, app, client, trigger):
        body = loop_body(1001)
        unknown = await post(client, "west", body, sign(body, NORTH_SECRET))
        invalid_key = await post(client, "NOT a store", body, sign(body, NORTH_SECRET))
        bad = await post(client, "north", body, sign(body, SOUTH_SECRET))
        settle(app)
        assert [(r.status_code, r.content) for r in (unknown, invalid_key)] == [(bad.status_code, bad.content)] * 2
        assert bad.status_code == 401
        assert trigger.calls == []

    async def test_a_store_without_a_webhook_secret_accepts_nothing(self, trigger, ledger):
        app = create_webhook_app(
            stores={"north": make_settings("north", None)}, trigger=trigger, ledger=ledger, debounce_seconds=0
        )
        body = loop_body(1001)
        async with receiver_client(app) as client:
            responses = [
                await post(client, "north", body, sign(body, "")),
                await post(client, "north", body, sign(body, NORTH_SECRET)),
            ]
        app.state.dispatcher.close()
        assert [r.status_code for r in responses] == [401, 401]
        assert trigger.calls == []

    async def test_settings_that_cannot_be_loaded_answer_503_with_retry_after(self, trigger, ledger, caplog):
        # Prefect API down: the signature cannot be checked, which is our fault, not Loop's; a 5xx makes Loop retry.
        def load(store: str):
            raise ConnectionError("All connection attempts failed")

        app = create_webhook_app(stores=load, trigger=trigger, ledger=ledger, debounce_seconds=0)
        body = loop_body(1001)
        async with receiver_client(app) as client:
            signed = await post(client, "north", body, sign(body, NORTH_SECRET))
            unsigned = await post(client, "north", body, None)
        app.state.dispatcher.close()
        for response in (signed, unsigned):
            assert (response.status_code, response.json()) == (503, {"error": "store settings unavailable, retry later"})
            assert response.headers["Retry-After"] == str(SETTINGS_RETRY_AFTER_SECONDS)
        assert trigger.calls == []
        assert "could not load the settings of store 'north', answering 503: ConnectionError" in caplog.text
        # Nothing was remembered: Loop's retry is accepted once the settings load again.
        with ledger.session() as repo:
            assert repo.record_delivery(DELIVERY_SOURCE, delivery_key("north", "1001", "return.updated", body)) is True

    async def test_a_store_the_lookup_does_not_know_is_still_a_401(self, trigger, ledger):
        app = create_webhook_app(stores=lambda store: None, trigger=trigger, ledger=ledger, debounce_seconds=0)
        body = loop_body(1001)
        async with receiver_client(app) as client:
            response = await post(client, "north", body, sign(body, NORTH_SECRET))
        app.state.dispatcher.close()
        assert (response.status_code, response.json()) == (401, UNAUTHORIZED)

    async def test_settings_saved_for_another_store_are_not_used(self, trigger, ledger):
        # A loader that hands back the wrong block must not let north's secret open south's endpoint.
        app = create_webhook_app(stores=lambda store: make_settings("north", NORTH_SECRET), trigger=trigger, ledger=ledger)
        body = loop_body(1001)
        async with receiver_client(app) as client:
            response = await post(client, "south", body, sign(body, NORTH_SECRET))
        app.state.dispatcher.close()
        assert response.status_code == 401
        assert trigger.calls == []


class TestDeliveries:
    async def test_a_redelivery_is_acknowledged_but_not_run_again(self, app, client, trigger):
        body = loop_body(1001)
        first = await post(client, "north", body, sign(body, NORTH_SECRET))
        settle(app)
        again = await post(client, "north", body, sign(body, NORTH_SECRET))
        settle(app)
        assert first.json()["status"] == "accepted"
        assert (again.status_code, again.json()) == (200, {"status": "duplicate", "return_id": "1001"})
        assert trigger.calls == [("north", ["1001"])]

    async def test_a_redelivery_is_recognised_by_a_new_receiver_on_the_same_ledger(self, stores, ledger):
        body = loop_body(1001)
        seen = []
        for _ in range(2):
            trigger = RecordingTrigger()
            app = create_webhook_app(stores=stores, trigger=trigger, ledger=ledger, debounce_seconds=0)
            async with receiver_client(app) as client:
                seen.append((await post(client, "north", body, sign(body, NORTH_SECRET))).json()["status"])
            app.state.dispatcher.close()
        assert seen == ["accepted", "duplicate"]

    async def test_a_new_event_about_the_same_return_is_a_new_delivery(self, app, client, trigger):
        updated = loop_body(1001, state="open")
        closed = loop_body(1001, state="closed")
        statuses = [(await post(client, "north", b, sign(b, NORTH_SECRET))).json()["status"] for b in (updated, closed)]
        settle(app)
        assert statuses == ["accepted", "accepted"]
        assert trigger.calls == [("north", ["1001"]), ("north", ["1001"])]

    async def test_two_events_whose_identities_share_a_long_prefix_are_two_deliveries(self, app, client, trigger):
        # The old key was cut at 255 characters: two return ids differing only past it collided.
        first, second = "1" * 300 + "1", "1" * 300 + "2"
        statuses = []
        for return_id in (first, second):
            body = loop_body(return_id)
            statuses.append((await post(client, "north", body, sign(body, NORTH_SECRET))).json()["status"])
        settle(app)
        assert statuses == ["accepted", "accepted"]
        assert trigger.calls == [("north", [first]), ("north", [second])]

    def test_delivery_keys_are_fixed_length_digests_of_the_whole_identity(self):
        keys = {
            delivery_key("north", "1" * 300 + "1", "return.updated", b"{}"),
            delivery_key("north", "1" * 300 + "2", "return.updated", b"{}"),
            delivery_key("north", "1:return.updated", "x", b"{}"),
            delivery_key("north:1", "return.updated", "x", b"{}"),
            delivery_key("north", "1", "return.updated", b"{} "),
        }
        assert len(keys) == 5
        assert {len(k) for k in keys} == {71}
        assert delivery_key("north", "42", "return.updated", b"{}") == delivery_key("north", "42", "return.updated", b"{}")

    async def test_the_same_body_for_two_stores_is_two_deliveries(self, app, client, trigger):
        body = loop_body(1001)
        statuses = [
            (await post(client, s, body, sign(body, secret))).json()["status"]
            for s, secret in (("north", NORTH_SECRET), ("south", SOUTH_SECRET))
        ]
        settle(app)
        assert statuses == ["accepted", "accepted"]
        assert sorted(trigger.calls) == [("north", ["1001"]), ("south", ["1001"])]

    async def test_deliveries_within_the_debounce_window_become_one_run_per_store(self, stores, ledger, trigger):
        app = create_webhook_app(stores=stores, trigger=trigger, ledger=ledger, debounce_seconds=0.5)
        bodies = [
            ("north", loop_body(1001, state="open")),
            ("north", loop_body(1001, state="closed")),
            ("north", loop_body(1002)),
            ("south", loop_body(2001)),
        ]
        async with receiver_client(app) as client:
            for store, body in bodies:
                assert (
                    await post(client, store, body, sign(body, NORTH_SECRET if store == "north" else SOUTH_SECRET))
                ).status_code == 200
            assert trigger.calls == []  # still inside the window: the answer did not wait for a run
            calls = trigger.wait_for(2, timeout=10)
        app.state.dispatcher.close()
        assert sorted(calls) == [("north", ["1001", "1002"]), ("south", ["2001"])]


class TestPayloads:
    async def test_processing_failed_names_the_return_in_return_id(self, app, client, trigger):
        body = loop_body(1673, trigger="return.processing.failed")
        response = await post(client, "north", body, sign(body, NORTH_SECRET))
        settle(app)
        assert response.json() == {"status": "accepted", "return_id": "1673"}
        assert trigger.calls == [("north", ["1673"])]

    @pytest.mark.parametrize("trigger_name", ["return.created", "return.closed"])
    async def test_other_return_triggers_start_a_run(self, app, client, trigger, trigger_name):
        body = loop_body(1001, trigger=trigger_name)
        await post(client, "north", body, sign(body, NORTH_SECRET))
        settle(app)
        assert trigger.calls == [("north", ["1001"])]

    @pytest.mark.parametrize("trigger_name", ["label.created", "label.updated"])
    async def test_label_events_start_a_run_for_the_return_they_name(self, app, client, trigger, trigger_name):
        # The label payload names the return in ``id`` (https://docs.loopreturns.com/reference/label-webhook).
        body = loop_body(1001, trigger=trigger_name, tracking_number="9400111899223344556677", label_status="in_transit")
        response = await post(client, "north", body, sign(body, NORTH_SECRET))
        settle(app)
        assert (response.status_code, response.json()) == (200, {"status": "accepted", "return_id": "1001"})
        assert trigger.calls == [("north", ["1001"])]

    async def test_a_label_event_with_a_bad_signature_is_refused_and_nothing_runs(self, app, client, trigger):
        body = loop_body(1001, trigger="label.updated", tracking_number="9400111899223344556677")
        response = await post(client, "north", body, sign(body, SOUTH_SECRET))
        settle(app)
        assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
        assert trigger.calls == []

    async def test_events_that_change_nothing_the_syncs_read_are_acknowledged_only(self, app, client, trigger):
        body = loop_body(555, trigger="giftcard.requested")
        response = await post(client, "north", body, sign(body, NORTH_SECRET))
        settle(app)
        assert (response.status_code, response.json()) == (200, {"status": "ignored", "trigger": "giftcard.requested"})
        assert trigger.calls == []

    @pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"id": 1}'], ids=["not-json", "not-an-object", "no-topic"])
    async def test_a_signed_body_that_is_not_a_webhook_is_a_400(self, app, client, trigger, body):
        response = await post(client, "north", body, sign(body, NORTH_SECRET))
        assert (response.status_code, response.json()) == (400, {"error": "not a Loop webhook body"})
        assert trigger.calls == []

    async def test_a_deeply_nested_signed_body_is_a_400(self, app, client, trigger):
        depth = 200_000  # far past the JSON decoder's recursion limit
        body = b'{"topic":"return","trigger":"return.updated","id":1001,"x":' + b"[" * depth + b"]" * depth + b"}"
        assert len(body) < MAX_BODY_BYTES
        response = await post(client, "north", body, sign(body, NORTH_SECRET))
        assert (response.status_code, response.json()) == (400, {"error": "not a Loop webhook body"})
        assert trigger.calls == []

    async def test_a_declared_length_over_the_limit_is_refused_unread(self, client, trigger):
        body = loop_body(1001)
        headers = {"X-Loop-Signature": sign(body, NORTH_SECRET), "Content-Length": str(MAX_BODY_BYTES + 1)}

        async def chunks():
            yield body

        response = await client.post(URL.format("north"), content=chunks(), headers=headers)
        assert (response.status_code, response.json()) == (413, {"error": "body too large"})
        assert trigger.calls == []

    @pytest.mark.parametrize("length", ["-1", "12abc", "1e3"])
    async def test_a_malformed_content_length_is_a_400(self, client, trigger, length):
        body = loop_body(1001)
        headers = {"X-Loop-Signature": sign(body, NORTH_SECRET), "Content-Length": length}

        async def chunks():
            yield body

        response = await client.post(URL.format("north"), content=chunks(), headers=headers)
        assert (response.status_code, response.json()) == (400, {"error": "invalid Content-Length"})
        assert trigger.calls == []

    async def test_an_oversized_body_is_refused_before_anything_else(self, client, trigger):
        body = b"{" + b" " * MAX_BODY_BYTES + b"}"
        response = await post(client, "north", body, sign(body, NORTH_SECRET))
        assert response.status_code == 413
        assert trigger.calls == []

    async def test_healthz_and_methods(self, client):
        health = await client.get("/healthz")
        assert (health.status_code, health.json()) == (200, {"status": "ok"})
        assert (await client.get(URL.format("north"))).status_code == 405


class TestRunsAndSecrets:
    async def test_a_failing_trigger_is_logged_and_later_deliveries_still_run(self, stores, ledger, caplog):
        trigger = RecordingTrigger(fail=True)
        app = create_webhook_app(stores=stores, trigger=trigger, ledger=ledger, debounce_seconds=0)
        caplog.set_level(logging.DEBUG)
        async with receiver_client(app) as client:
            for rid in (1001, 1002):
                body = loop_body(rid)
                assert (await post(client, "north", body, sign(body, NORTH_SECRET))).status_code == 200
                app.state.dispatcher.flush()
        app.state.dispatcher.close()
        assert trigger.calls == [("north", ["1001"]), ("north", ["1002"])]
        assert "could not start a run for store north, returns 1001: RuntimeError" in caplog.text

    async def test_the_window_closes_on_its_own(self, stores, ledger, trigger):
        app = create_webhook_app(stores=stores, trigger=trigger, ledger=ledger, debounce_seconds=0.05)
        body = loop_body(1001)
        started = time.monotonic()
        async with receiver_client(app) as client:
            await post(client, "north", body, sign(body, NORTH_SECRET))
            assert trigger.wait_for(1, timeout=5) == [("north", ["1001"])]
        app.state.dispatcher.close()
        assert time.monotonic() - started < 5

    async def test_closing_without_flush_drops_pending_ids(self, trigger):
        dispatcher = Dispatcher(trigger, debounce_seconds=30)
        dispatcher.submit("north", "1001")
        dispatcher.close(flush=False)
        dispatcher.submit("north", "1002")
        assert trigger.calls == []

    async def test_secrets_and_signatures_never_reach_logs_or_answers(self, app, client, caplog):
        caplog.set_level(logging.DEBUG)
        body = loop_body(1001)
        good, wrong = sign(body, NORTH_SECRET), sign(body, SOUTH_SECRET)
        answers = [
            await post(client, "north", body, good),
            await post(client, "north", body, good),
            await post(client, "north", body, wrong),
            await post(client, "west", body, good),
            await post(client, "north", b"nope", sign(b"nope", NORTH_SECRET)),
        ]
        settle(app)
        seen = caplog.text + "".join(r.text + str(r.headers) for r in answers)
        for secret in (NORTH_SECRET, SOUTH_SECRET, LOOP_KEY, good, wrong):
            assert secret not in seen
        assert "rejected a Loop delivery for 'north'" in caplog.text


class TestPruning:
    async def test_deliveries_older_than_30_days_are_forgotten_when_one_arrives(self, app, client, ledger):
        now = datetime.now(UTC)
        with ledger.session() as repo:
            repo.record_delivery(DELIVERY_SOURCE, "old", received_at=now - timedelta(days=31))
            repo.record_delivery(DELIVERY_SOURCE, "recent", received_at=now - timedelta(days=29))
        body = loop_body(1001)
        assert (await post(client, "north", body, sign(body, NORTH_SECRET))).json()["status"] == "accepted"
        settle(app)
        with ledger.session() as repo:
            assert repo.record_delivery(DELIVERY_SOURCE, "old") is True  # forgotten
            assert repo.record_delivery(DELIVERY_SOURCE, "recent") is False  # still remembered

    def test_a_receiver_prunes_at_most_once_per_interval(self, ledger):
        clock = [datetime(2026, 1, 31, tzinfo=UTC)]
        log = DeliveryLog(ledger, prune_interval=3600, clock=lambda: clock[0])
        with ledger.session() as repo:
            repo.record_delivery(DELIVERY_SOURCE, "a", received_at=datetime(2025, 12, 1, tzinfo=UTC))
        assert log.remember("b") is True
        with ledger.session() as repo:
            repo.record_delivery(DELIVERY_SOURCE, "c", received_at=datetime(2025, 12, 1, tzinfo=UTC))
        assert log.remember("d") is True  # within the hour: no second prune
        with ledger.session() as repo:
            assert repo.record_delivery(DELIVERY_SOURCE, "a") is True
            assert repo.record_delivery(DELIVERY_SOURCE, "c") is False


class BlockingTrigger:
    """A trigger that runs as long as the test holds it: a warm run in progress."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self.syncs: list[tuple[SyncName, ...]] = []
        self.running: dict[str, int] = {}
        self.most_at_once: dict[str, int] = {}
        self.release = threading.Event()
        self.started = threading.Semaphore(0)
        self._lock = threading.Lock()

    def __call__(self, store: str, return_ids: list[str], syncs: tuple[SyncName, ...]) -> None:
        with self._lock:
            self.calls.append((store, list(return_ids)))
            self.syncs.append(tuple(syncs))
            self.running[store] = self.running.get(store, 0) + 1
            self.most_at_once[store] = max(self.most_at_once.get(store, 0), self.running[store])
        self.started.release()
        self.release.wait(10)
        with self._lock:
            self.running[store] -= 1


class TestOneCallPerStore:
    def test_a_burst_during_a_run_waits_and_then_runs_once_with_all_its_returns(self):
        trigger = BlockingTrigger()
        dispatcher = Dispatcher(trigger, debounce_seconds=0)
        dispatcher.submit("north", "1001")
        assert trigger.started.acquire(timeout=5)
        for rid in ("1002", "1003", "1002"):
            dispatcher.submit("north", rid)
        dispatcher.submit("south", "2001")  # another store does not wait for north
        assert trigger.started.acquire(timeout=5)
        assert sorted(trigger.calls) == [("north", ["1001"]), ("south", ["2001"])]
        trigger.release.set()
        dispatcher.flush(timeout=10)
        dispatcher.close()
        assert trigger.calls[-1] == ("north", ["1002", "1003"])
        assert len(trigger.calls) == 3
        assert trigger.most_at_once == {"north": 1, "south": 1}

    def test_flush_waits_for_the_run_that_follows_a_busy_one(self):
        trigger = BlockingTrigger()
        dispatcher = Dispatcher(trigger, debounce_seconds=0)
        dispatcher.submit("north", "1001")
        assert trigger.started.acquire(timeout=5)
        dispatcher.submit("north", "1002")
        threading.Timer(0.2, trigger.release.set).start()
        dispatcher.flush(timeout=10)
        assert trigger.calls == [("north", ["1001"]), ("north", ["1002"])]
        assert trigger.running == {"north": 0}
        dispatcher.close()


class TestSyncsForEvents:
    def test_each_event_runs_only_the_syncs_it_can_need(self):
        assert syncs_for_events(["return.created"]) == (SyncName.RA_SYNC,)
        assert syncs_for_events(["return.closed"]) == (SyncName.ITEM_RECEIPT_TO_NETSUITE, SyncName.REFUND_SYNC)
        assert syncs_for_events(["return.closed", "return.created"]) == (
            SyncName.RA_SYNC,
            SyncName.ITEM_RECEIPT_TO_NETSUITE,
            SyncName.REFUND_SYNC,
        )

    @pytest.mark.parametrize("event", ["return.updated", "label.created", "return.processing.failed", None])
    def test_any_other_or_unknown_event_runs_all_six(self, event):
        assert syncs_for_events(["return.created", event]) == SyncName.syncs()

    async def test_a_burst_asks_for_the_union_of_its_events_syncs(self, stores, ledger, trigger):
        app = create_webhook_app(stores=stores, trigger=trigger, ledger=ledger, debounce_seconds=30)
        async with receiver_client(app) as client:
            for return_id, event in (("1001", "return.created"), ("1002", "return.closed")):
                body = loop_body(return_id, trigger=event)
                assert (await post(client, "north", body, sign(body, NORTH_SECRET))).json()["status"] == "accepted"
        app.state.dispatcher.close()
        assert trigger.calls == [("north", ["1001", "1002"])]
        assert trigger.syncs == [(SyncName.RA_SYNC, SyncName.ITEM_RECEIPT_TO_NETSUITE, SyncName.REFUND_SYNC)]

    def test_a_burst_during_a_run_asks_only_for_its_own_events_syncs(self):
        trigger = BlockingTrigger()
        dispatcher = Dispatcher(trigger, debounce_seconds=0)
        dispatcher.submit("north", "1001", "return.created")
        assert trigger.started.acquire(timeout=5)
        dispatcher.submit("north", "1001", "return.closed")
        trigger.release.set()
        dispatcher.flush(timeout=10)
        dispatcher.close()
        assert trigger.calls == [("north", ["1001"]), ("north", ["1001"])]
        assert trigger.syncs == [(SyncName.RA_SYNC,), (SyncName.ITEM_RECEIPT_TO_NETSUITE, SyncName.REFUND_SYNC)]


NEW = (SyncName.RA_SYNC,)
CLOSED = (SyncName.ITEM_RECEIPT_TO_NETSUITE, SyncName.REFUND_SYNC)


class TestLanes:
    def test_new_and_closed_returns_of_one_store_run_side_by_side(self):
        trigger = BlockingTrigger()
        dispatcher = Dispatcher(trigger, debounce_seconds=0, lanes=True)
        dispatcher.submit("north", "1001", "return.created")
        dispatcher.submit("north", "2002", "return.closed")
        assert trigger.started.acquire(timeout=5) and trigger.started.acquire(timeout=5)
        assert trigger.most_at_once == {"north": 2}
        trigger.release.set()
        dispatcher.close()
        assert sorted(zip(trigger.calls, trigger.syncs, strict=True)) == [
            (("north", ["1001"]), NEW),
            (("north", ["2002"]), CLOSED),
        ]

    def test_a_closed_return_waits_for_the_run_making_its_ra(self):
        trigger = BlockingTrigger()
        dispatcher = Dispatcher(trigger, debounce_seconds=0, lanes=True)
        dispatcher.submit("north", "1001", "return.created")
        assert trigger.started.acquire(timeout=5)
        dispatcher.submit("north", "1001", "return.closed")
        dispatcher.submit("north", "1002", "return.closed")  # in the same burst: it waits along
        assert not trigger.started.acquire(timeout=0.3)
        trigger.release.set()
        dispatcher.close()
        assert trigger.calls == [("north", ["1001"]), ("north", ["1001", "1002"])]
        assert trigger.syncs == [NEW, CLOSED]
        assert trigger.most_at_once == {"north": 1}

    def test_bursts_that_share_a_sync_never_run_at_once(self):
        trigger = BlockingTrigger()
        dispatcher = Dispatcher(trigger, debounce_seconds=0, lanes=True)
        dispatcher.submit("north", "1001", "return.created")
        assert trigger.started.acquire(timeout=5)
        dispatcher.submit("north", "3003", "return.updated")  # all six syncs: waits for ra_sync's lane
        dispatcher.submit("north", "1002", "return.created")  # its own lane is running: waits too
        dispatcher.submit("south", "4004", "return.updated")  # another store does not wait
        assert trigger.started.acquire(timeout=5)
        assert not trigger.started.acquire(timeout=0.3)
        trigger.release.set()
        dispatcher.close()
        north = [syncs for (store, _), syncs in zip(trigger.calls, trigger.syncs, strict=True) if store == "north"]
        assert north[0] == NEW and sorted(north[1:]) == sorted([NEW, SyncName.syncs()])
        assert trigger.most_at_once == {"north": 1, "south": 1}

    def test_without_lanes_a_store_runs_one_burst_at_a_time_for_all_its_events(self):
        trigger = BlockingTrigger()
        dispatcher = Dispatcher(trigger, debounce_seconds=0)
        dispatcher.submit("north", "1001", "return.created")
        assert trigger.started.acquire(timeout=5)
        dispatcher.submit("north", "2002", "return.closed")
        dispatcher.submit("north", "2003", "return.created")
        assert not trigger.started.acquire(timeout=0.3)
        trigger.release.set()
        dispatcher.close()
        assert trigger.calls == [("north", ["1001"]), ("north", ["2002", "2003"])]
        assert trigger.syncs == [NEW, (SyncName.RA_SYNC, *CLOSED)]
