"""The receiver on a real socket, fed by the Loop emulator's own signed deliveries after real return changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from deploy_helpers import RecordingTrigger

from returns_sandbox.testing import Sandbox, serve_in_thread
from returns_sync.blocks.connection_info import store_settings_from_connection_info
from returns_sync.service.webhooks import create_webhook_app

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    sandbox = Sandbox()
    sandbox.seed_demo(returns=24)
    sandbox.loop.webhook_retry_base_seconds = 0.05
    sandbox.start()
    yield sandbox
    sandbox.close()


@pytest.fixture(scope="module")
def settings(sandbox):
    info = sandbox.connection_info()
    return {key: store_settings_from_connection_info(info, key) for key in ("north", "south")}


@pytest.fixture
def receiver(settings, ledger) -> Iterator[tuple[str, RecordingTrigger]]:
    trigger = RecordingTrigger()
    app = create_webhook_app(stores={"north": settings["north"]}, trigger=trigger, ledger=ledger, debounce_seconds=1.0)
    server = serve_in_thread({"receiver": app})
    yield server.url, trigger
    server.stop()
    app.state.dispatcher.close(flush=False)


@pytest.fixture
def subscribe(settings) -> Iterator[Any]:
    """Register Loop webhooks through the connector; every subscription is removed afterwards."""
    made: list[tuple[str, str]] = []

    def subscribe(store: str, url: str, trigger: str = "return.updated", topic: str = "return") -> dict[str, Any]:
        with settings[store].get_loop_client() as loop:
            hook = loop.create_webhook(topic=topic, trigger=trigger, url=url)
        made.append((store, hook["id"]))
        return hook

    yield subscribe
    for store, hook_id in made:
        with settings[store].get_loop_client() as loop:
            loop.delete_webhook(hook_id)


def open_returns(sandbox: Sandbox, store: str) -> list[str]:
    return [
        c.return_id for c in sandbox.world.returns if c.store == store and sandbox.loop.get_return(c.return_id)["state"] == "open"
    ]


def deliveries_for(sandbox: Sandbox, return_id: str) -> list[dict[str, Any]]:
    return [d for d in sandbox.loop.deliveries() if d["return_id"] == return_id]


class TestFromTheLoopEmulator:
    def test_a_return_cancelled_in_loop_admin_starts_a_run_for_it(self, sandbox, receiver, subscribe):
        url, trigger = receiver
        subscribe("north", f"{url}/webhooks/loop/north")
        return_id = open_returns(sandbox, "north")[0]

        sandbox.loop.cancel_in_admin(return_id)

        assert sandbox.loop.wait_for_deliveries(10)
        assert trigger.wait_for(1) == [("north", [return_id])]
        [delivery] = deliveries_for(sandbox, return_id)
        assert (delivery["status"], [a["status_code"] for a in delivery["attempts"]]) == ("delivered", [200])

    def test_api_actions_on_two_returns_collapse_into_one_run(self, sandbox, settings, receiver, subscribe):
        url, trigger = receiver
        subscribe("north", f"{url}/webhooks/loop/north")
        first, second = open_returns(sandbox, "north")[:2]

        with settings["north"].get_loop_client() as loop:
            loop.flag_return(first)
            loop.cancel_return(second)

        assert sandbox.loop.wait_for_deliveries(10)
        calls = trigger.wait_for(1)
        assert [(store, sorted(ids)) for store, ids in calls] == [("north", sorted([first, second]))]

    def test_a_label_scanned_in_transit_starts_a_run_for_its_return(self, sandbox, receiver, subscribe):
        url, trigger = receiver
        subscribe("north", f"{url}/webhooks/loop/north", trigger="label.updated", topic="label")
        return_id = open_returns(sandbox, "north")[-1]

        assert sandbox.loop.update_label(return_id, "in_transit") == "label.updated"

        assert sandbox.loop.wait_for_deliveries(10)
        assert trigger.wait_for(1) == [("north", [return_id])]
        [delivery] = deliveries_for(sandbox, return_id)
        assert (delivery["topic"], delivery["status"]) == ("label", "delivered")

    def test_a_delivery_signed_with_another_stores_secret_is_refused(self, sandbox, receiver, subscribe):
        url, trigger = receiver
        # South's subscription pointed at north's endpoint: Loop signs with south's secret.
        subscribe("south", f"{url}/webhooks/loop/north")
        return_id = open_returns(sandbox, "south")[0]

        sandbox.loop.cancel_in_admin(return_id)

        assert sandbox.loop.wait_for_deliveries(10)
        [delivery] = deliveries_for(sandbox, return_id)
        assert (delivery["status"], delivery["failure"]) == ("failed", "receiver answered 401")
        assert trigger.calls == []

    def test_a_store_the_receiver_does_not_serve_is_refused(self, sandbox, receiver, subscribe):
        url, trigger = receiver
        subscribe("south", f"{url}/webhooks/loop/south")
        return_id = open_returns(sandbox, "south")[0]

        sandbox.loop.cancel_in_admin(return_id)

        assert sandbox.loop.wait_for_deliveries(10)
        [delivery] = deliveries_for(sandbox, return_id)
        assert (delivery["status"], delivery["failure"]) == ("failed", "receiver answered 401")
        assert trigger.calls == []


class FlakySettings:
    """A settings lookup that fails (as with the Prefect API down) for its first ``failures`` calls."""

    def __init__(self, settings: Any, failures: int) -> None:
        self.settings = settings
        self.failures = failures

    def __call__(self, store: str) -> Any:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("All connection attempts failed")
        return self.settings if store == self.settings.store else None


def test_loop_retries_a_delivery_the_receiver_could_not_check_and_it_then_runs(sandbox, settings, ledger, subscribe):
    # Settings unloadable for the first attempt: the answer must make Loop retry (5xx), not give up (401).
    trigger = RecordingTrigger()
    app = create_webhook_app(
        stores=FlakySettings(settings["north"], failures=1),
        trigger=trigger,
        ledger=ledger,
        debounce_seconds=0,
        settings_retry_after=1,
    )
    server = serve_in_thread({"receiver": app})
    try:
        subscribe("north", f"{server.url}/webhooks/loop/north")
        return_id = open_returns(sandbox, "north")[0]

        sandbox.loop.cancel_in_admin(return_id)

        assert sandbox.loop.wait_for_deliveries(20)
        [delivery] = deliveries_for(sandbox, return_id)
        assert [a["status_code"] for a in delivery["attempts"]] == [503, 200]
        assert delivery["attempts"][0]["next_retry_in"] == 1  # Loop honoured our Retry-After
        assert delivery["status"] == "delivered"
        assert trigger.wait_for(1) == [("north", [return_id])]
    finally:
        server.stop()
        app.state.dispatcher.close(flush=False)
