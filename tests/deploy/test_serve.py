"""``returns-sync serve``: the deployments it serves, the receiver it starts and stops, the runs a delivery starts."""

from __future__ import annotations

import contextvars
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from deploy_helpers import NORTH_SECRET, loop_body, make_settings, sign

from returns_sandbox.testing import free_port
from returns_sync.domain.syncs import SyncName
from returns_sync.service import serve as serve_module
from returns_sync.service.serve import (
    RUN_ALL,
    SYNCS,
    WebhookRuns,
    build_deployments,
    schedule_anchor,
    serve_all,
    serve_webhooks,
    start_webhook_receiver,
)
from returns_sync.service.webhooks import create_webhook_app, run_deployment_trigger

REPO_ROOT = Path(__file__).resolve().parents[2]
ANCHOR = datetime(2024, 1, 1, tzinfo=UTC)
API_URL = "http://127.0.0.1:4200/api"


def by_name(deployments: list[Any]) -> dict[str, Any]:
    return {f"{d.flow_name}/{d.name}": d for d in deployments}


class TestBuildDeployments:
    def test_six_scheduled_syncs_and_an_unscheduled_run_all_per_store(self):
        deployments = by_name(build_deployments(["north", "south"], 5400))

        flows = (*SYNCS, RUN_ALL, "reconciliation_report")
        expected = {f"{sync}/{sync}-{store}" for store in ("north", "south") for sync in flows}
        assert set(deployments) == expected
        for name, deployment in deployments.items():
            store = name.rsplit("-", 1)[1]
            assert deployment.parameters == {"store": store}
            assert deployment.concurrency_limit == 1
            assert deployment.concurrency_options.collision_strategy.value == "ENQUEUE"
            assert (REPO_ROOT / deployment.entrypoint.split(":")[0]).is_file()
            assert deployment.entrypoint.endswith(f":{deployment.flow_name}")
            if deployment.flow_name == RUN_ALL:
                assert deployment.schedules == []
            elif deployment.flow_name == "reconciliation_report":
                [schedule] = deployment.schedules
                assert schedule.schedule.interval == timedelta(days=1)
                assert schedule.schedule.anchor_date == ANCHOR + timedelta(hours=6)
            else:
                [schedule] = deployment.schedules
                assert schedule.schedule.interval == timedelta(seconds=5400)
                assert schedule.active is True

    def test_schedules_are_staggered_in_lifecycle_order_from_a_fixed_anchor(self):
        deployments = by_name(build_deployments(["north"], 5400))
        anchors = [deployments[f"{sync}/{sync}-north"].schedules[0].schedule.anchor_date for sync in SYNCS]
        assert anchors == [ANCHOR + timedelta(minutes=5 * i) for i in range(6)]
        # Rebuilding (a restart of serve) yields the very same schedules.
        again = by_name(build_deployments(["north"], 5400))
        assert [again[f"{s}/{s}-north"].schedules[0].schedule.anchor_date for s in SYNCS] == anchors

    def test_the_interval_is_taken_and_a_short_one_shrinks_the_stagger(self):
        deployments = by_name(build_deployments(["north"], 600))
        assert deployments["ra_sync/ra_sync-north"].schedules[0].schedule.interval == timedelta(seconds=600)
        assert schedule_anchor("ra_cancellation", 600) == ANCHOR + 5 * timedelta(seconds=100)

    def test_a_store_named_twice_is_served_once(self):
        assert len(build_deployments(["north", "north"], 5400)) == 8

    @pytest.mark.parametrize(
        ("stores", "interval", "message"),
        [
            ([], 5400, "name at least one store to serve"),
            (["North Store"], 5400, "store key 'North Store' must be 1-32 lowercase letters"),
            (["north"], 59, "interval must be at least 60 seconds, not 59"),
        ],
    )
    def test_bad_arguments_are_refused_before_anything_is_served(self, stores, interval, message):
        with pytest.raises(ValueError, match=message):
            build_deployments(stores, interval)


class TestWebhookReceiverServer:
    def test_it_listens_until_stopped(self, stores, ledger, trigger):
        app = create_webhook_app(stores=stores, trigger=trigger, ledger=ledger)
        receiver = start_webhook_receiver(app, port=0)
        try:
            assert httpx.get(f"{receiver.url}/healthz").json() == {"status": "ok"}
        finally:
            receiver.stop()
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{receiver.url}/healthz", timeout=2)

    def test_a_taken_port_is_an_error(self, stores, ledger, trigger):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            app = create_webhook_app(stores=stores, trigger=trigger, ledger=ledger)
            with pytest.raises(RuntimeError, match=f"could not listen on 127.0.0.1:{port}"):
                start_webhook_receiver(app, port=port)

    def test_settings_are_loaded_for_served_stores_only_and_cached(self, monkeypatch):
        loads: list[str] = []

        def load(store: str):
            loads.append(store)
            return make_settings(store, NORTH_SECRET)

        cached = serve_module._CachedSettings(["north"], load)
        assert cached("south") is None
        assert cached("north") is cached("north")
        assert loads == ["north"]
        monkeypatch.setattr(serve_module, "SETTINGS_CACHE_SECONDS", 0.0)
        cached("north")
        assert loads == ["north", "north"]

    def test_a_failed_settings_load_is_not_retried_for_a_few_seconds(self, monkeypatch):
        calls = []

        def load(store):
            calls.append(store)
            raise ConnectionError("All connection attempts failed")

        cached = serve_module._CachedSettings(["north"], load)
        for _ in range(3):
            with pytest.raises((ConnectionError, serve_module.SettingsLoadFailed)):
                cached("north")
        assert calls == ["north"]
        monkeypatch.setattr(serve_module, "SETTINGS_FAILURE_BACKOFF_SECONDS", 0.0)
        with pytest.raises(ConnectionError):
            cached("north")
        assert calls == ["north", "north"]


class FakePrefect:
    """Stands in for ``prefect.serve`` and ``run_deployment``; records what serve_all hands them."""

    def __init__(self) -> None:
        self.served: list[Any] = []
        self.runs: list[tuple[str, dict[str, Any]]] = []
        self.while_serving: Any = None

    def serve(self, *deployments: Any, **kwargs: Any) -> None:
        self.served = list(deployments)
        if self.while_serving:
            self.while_serving()

    def run_deployment(self, name: str, **kwargs: Any) -> None:
        self.runs.append((name, kwargs))


@pytest.fixture
def fake_prefect(monkeypatch, stores, ledger) -> Iterator[FakePrefect]:
    import prefect
    import prefect.deployments
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from returns_sync.tasks import runtime

    fake = FakePrefect()
    monkeypatch.setattr(prefect, "serve", fake.serve)
    monkeypatch.setattr(prefect.deployments, "run_deployment", fake.run_deployment)
    monkeypatch.setattr(runtime, "load_settings", lambda store: stores[store])
    monkeypatch.setattr(runtime, "ledger_for", lambda url=None: ledger)
    with temporary_settings({PREFECT_API_URL: API_URL}):
        yield fake


@pytest.fixture
def no_prefect_api(fake_prefect) -> Iterator[FakePrefect]:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        yield fake_prefect


class TestServeAll:
    def test_it_serves_every_deployment_and_prints_them(self, fake_prefect, capsys):
        serve_all(stores=["north", "south"], interval=5400)

        assert sorted(d.name for d in fake_prefect.served) == sorted(
            f"{s}-{k}" for k in ("north", "south") for s in (*SYNCS, RUN_ALL, "reconciliation_report")
        )
        out = capsys.readouterr().out
        assert f"Serving 16 deployments for north, south on {API_URL}:" in out
        assert "ra_sync/ra_sync-north" in out and "every 90 min" in out
        assert "run_all/run_all-south" in out and "on demand" in out
        assert "reconciliation_report/reconciliation_report-north" in out and "daily at 06:00 UTC" in out
        assert "webhook receiver" not in out

    def test_by_default_a_delivery_runs_run_all_on_the_receivers_warm_worker(self, fake_prefect, monkeypatch):
        from returns_sync.service import warm_runs

        ran: list[tuple[str, list[str]]] = []
        monkeypatch.setattr(warm_runs, "warm_run_trigger", lambda: lambda store, ids, syncs: ran.append((store, list(ids))))
        port = free_port()

        def deliver() -> None:
            body = loop_body(48200002)
            httpx.post(
                f"http://127.0.0.1:{port}/webhooks/loop/north",
                content=body,
                headers={"X-Loop-Signature": sign(body, NORTH_SECRET)},
            )

        fake_prefect.while_serving = deliver
        serve_all(stores=["north"], interval=5400, webhooks=True, webhook_port=port)

        assert ran == [("north", ["48200002"])]
        assert fake_prefect.runs == []  # no deployment run was started

    def test_with_webhooks_a_delivery_starts_run_all_for_its_return_and_the_receiver_stops_after(self, fake_prefect, capsys):
        port = free_port()
        answers: list[httpx.Response] = []

        def deliver() -> None:
            body = loop_body(48200002)
            answers.append(
                httpx.post(
                    f"http://127.0.0.1:{port}/webhooks/loop/north",
                    content=body,
                    headers={"X-Loop-Signature": sign(body, NORTH_SECRET)},
                )
            )

        fake_prefect.while_serving = deliver
        serve_all(stores=["north"], interval=5400, webhooks=True, webhook_port=port, webhook_runs=WebhookRuns.DEPLOYMENT)

        assert [(a.status_code, a.json()["status"]) for a in answers] == [(200, "accepted")]
        # The run was still inside its debounce window when serving ended: stopping started it.
        assert fake_prefect.runs == [
            (
                "run_all/run_all-north",
                {
                    "parameters": {"store": "north", "return_ids": ["48200002"], "syncs": [str(s) for s in SyncName.syncs()]},
                    "timeout": 0,
                    "tags": ["webhook"],
                },
            )
        ]
        assert f"north: http://127.0.0.1:{port}/webhooks/loop/north" in capsys.readouterr().out
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)

    def test_the_netsuite_poll_hands_changed_returns_to_the_receiver_and_stops_with_it(self, fake_prefect, monkeypatch):
        from returns_sync.domain.netsuite import RaStatus
        from returns_sync.service import netsuite_poll
        from returns_sync.tasks.netsuite_changes import RaChange
        from returns_sync.tasks.netsuite_lookup import RaState

        polled = threading.Event()

        def changes(store: str, since: datetime) -> list[RaChange]:
            polled.set()
            received = RaState(
                id=77, tranid="RMA77", status=RaStatus.PENDING_REFUND, external_id="loop-north-48200009-ra",
                loop_return_id="48200009", flag=None, last_modified=datetime.now(UTC),
            )  # fmt: skip
            return [RaChange(ra=received, wants_run=True)]

        class FakePoll(netsuite_poll.NetSuitePoll):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **{**kwargs, "changes": changes})

        monkeypatch.setattr(netsuite_poll, "NetSuitePoll", FakePoll)
        fake_prefect.while_serving = lambda: polled.wait(10)
        serve_all(
            stores=["north"], interval=5400, webhooks=True, webhook_port=free_port(), webhook_runs=WebhookRuns.DEPLOYMENT,
            netsuite_poll_seconds=60,
        )  # fmt: skip

        assert fake_prefect.runs == [
            (
                "run_all/run_all-north",
                {
                    "parameters": {
                        "store": "north", "return_ids": ["48200009"], "syncs": ["item_receipt_to_loop", "ra_cancellation"],
                    },
                    "timeout": 0,
                    "tags": ["webhook"],
                },
            )
        ]  # fmt: skip

    def test_a_netsuite_poll_without_webhooks_is_refused(self, fake_prefect):
        with pytest.raises(ValueError, match="add --webhooks"):
            serve_all(stores=["north"], interval=5400, netsuite_poll_seconds=60)
        assert fake_prefect.served == []

    @pytest.mark.parametrize("serve", [serve_all, serve_webhooks], ids=["serve_all", "serve_webhooks"])
    def test_without_a_prefect_api_nothing_is_served(self, no_prefect_api, serve):
        # Flow-run processes would each start a temporary server that knows nothing of the
        # concurrency slot their parent took; refuse up front with the way out instead.
        with pytest.raises(RuntimeError, match=r"needs a Prefect API: start one with `prefect server start`"):
            serve(stores=["north"], port=free_port()) if serve is serve_webhooks else serve(stores=["north"], webhooks=True)
        assert no_prefect_api.served == []

    def test_webhooks_alone_start_the_deployed_run_all(self, fake_prefect):
        port, stop = free_port(), threading.Event()
        # The Prefect settings in force here live in a context variable: hand them to the thread.
        context = contextvars.copy_context()
        thread = threading.Thread(
            target=context.run, args=(serve_webhooks,), kwargs={"stores": ["north"], "port": port, "stop": stop}
        )
        thread.start()
        try:
            body = loop_body(1001)
            for _ in range(100):
                try:
                    answer = httpx.post(
                        f"http://127.0.0.1:{port}/webhooks/loop/north",
                        content=body,
                        headers={"X-Loop-Signature": sign(body, NORTH_SECRET)},
                    )
                    break
                except httpx.ConnectError:
                    stop.wait(0.1)
        finally:
            stop.set()
            thread.join(15)
        assert answer.json()["status"] == "accepted"
        assert [name for name, _ in fake_prefect.runs] == ["run_all/run-all"]


def test_the_run_deployment_trigger_names_the_store_and_does_not_wait(fake_prefect):
    run_deployment_trigger("run_all/run-all")("north", ["1", "2"], (SyncName.RA_SYNC,))
    run_deployment_trigger()("south", ["3"], (SyncName.ITEM_RECEIPT_TO_NETSUITE, SyncName.REFUND_SYNC))
    assert fake_prefect.runs == [
        (
            "run_all/run-all",
            {"parameters": {"store": "north", "return_ids": ["1", "2"], "syncs": ["ra_sync"]}, "timeout": 0, "tags": ["webhook"]},
        ),
        (
            "run_all/run_all-south",
            {
                "parameters": {"store": "south", "return_ids": ["3"], "syncs": ["item_receipt_to_netsuite", "refund_sync"]},
                "timeout": 0,
                "tags": ["webhook"],
            },
        ),
    ]
