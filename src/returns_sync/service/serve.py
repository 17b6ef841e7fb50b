"""``returns-sync serve``: every sync of every store on its schedule in one process, plus the webhook receiver."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from returns_sync.blocks.store import store_block_name
from returns_sync.domain.syncs import SyncName
from returns_sync.service.webhook_runs import WebhookRuns

if TYPE_CHECKING:
    import uvicorn
    from prefect.deployments.runner import RunnerDeployment
    from starlette.applications import Starlette

    from returns_sync.blocks.store import StoreSettings
    from returns_sync.service.netsuite_poll import NetSuitePoll

__all__ = [
    "RUN_ALL",
    "SYNCS",
    "WebhookRuns",
    "WebhookServer",
    "build_deployments",
    "deployment_name",
    "require_prefect_api",
    "schedule_anchor",
    "serve_all",
    "serve_webhooks",
    "start_webhook_receiver",
]

RUN_ALL = SyncName.RUN_ALL
# The six syncs in lifecycle order, the order their schedules are staggered in.
SYNCS = SyncName.syncs()
DEFAULT_INTERVAL = 5400
SETTINGS_CACHE_SECONDS = 300.0
SETTINGS_FAILURE_BACKOFF_SECONDS = 5.0
# A fixed anchor keeps the schedule unchanged across restarts; each sync starts a few minutes after
# the one before it, in lifecycle order, so a sweep sees the previous sync's work and the six runs
# of a store do not all hit NetSuite at the same moment.
SCHEDULE_ANCHOR = datetime(2024, 1, 1, tzinfo=UTC)
MAX_STAGGER = timedelta(minutes=5)
# The reconciliation report runs once a day, early in the UTC morning, before finance starts (prefect.yaml alike).
RECONCILIATION_INTERVAL = 86400
RECONCILIATION_ANCHOR = SCHEDULE_ANCHOR + timedelta(hours=6)


def schedule_anchor(sync: SyncName, interval: int) -> datetime:
    """When ``sync``'s schedule is anchored: ``SCHEDULE_ANCHOR`` plus its place in lifecycle order times the stagger."""
    stagger = min(MAX_STAGGER, timedelta(seconds=interval) / len(SYNCS))
    return SCHEDULE_ANCHOR + SYNCS.index(sync) * stagger


def deployment_name(sync: SyncName, store: str) -> str:
    """``<sync>-<store>``, e.g. ``ra_sync-north``; the full name adds the flow: ``ra_sync/ra_sync-north``."""
    return f"{sync}-{store}"


def _check_stores(stores: Iterable[str]) -> list[str]:
    keys = list(dict.fromkeys(s.strip() for s in stores))
    if not keys:
        raise ValueError("name at least one store to serve")
    for key in keys:
        store_block_name(key)  # raises ValueError with the rule for store keys
    return keys


def build_deployments(stores: Iterable[str], interval: int = DEFAULT_INTERVAL) -> list[RunnerDeployment]:
    """Six scheduled deployments per store, an unscheduled ``run_all-<store>`` and a daily
    ``reconciliation_report-<store>``, none overlapping itself.

    Schedules are staggered in lifecycle order (see ``schedule_anchor``). Each deployment allows one
    run at a time; a run due while the previous one is still going waits (``ENQUEUE``) rather than
    being dropped, so a slow run never loses the next sweep.

    Raises:
        ValueError: no stores, an invalid store key, or an interval below one minute.
    """
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import RunnerDeployment
    from prefect.schedules import Interval

    from returns_sync.flows import get_flow

    if interval < 60:
        raise ValueError(f"interval must be at least 60 seconds, not {interval}")
    one_at_a_time = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)
    deployments: list[RunnerDeployment] = []

    def ready(deployment: object) -> RunnerDeployment:
        # to_deployment is sync-compatible: called outside an event loop, as here, it returns the deployment itself.
        assert isinstance(deployment, RunnerDeployment), "build_deployments must not run inside an event loop"
        return deployment

    from returns_sync.flows.reconciliation_report import FLOW_NAME, reconciliation_report

    for store in _check_stores(stores):
        for sync in SYNCS:
            deployments.append(
                ready(
                    get_flow(sync).to_deployment(
                        name=deployment_name(sync, store),
                        schedules=[Interval(interval, anchor_date=schedule_anchor(sync, interval), timezone="UTC")],
                        parameters={"store": store},
                        concurrency_limit=one_at_a_time,
                        tags=["returns-sync", f"store:{store}"],
                    )
                )
            )
        deployments.append(
            ready(
                get_flow(RUN_ALL).to_deployment(
                    name=deployment_name(RUN_ALL, store),
                    parameters={"store": store},
                    concurrency_limit=one_at_a_time,
                    tags=["returns-sync", f"store:{store}"],
                    description="All six syncs for some returns of one store: webhook-triggered runs and manual reruns.",
                )
            )
        )
        deployments.append(
            ready(
                reconciliation_report.to_deployment(
                    name=f"{FLOW_NAME}-{store}",
                    schedules=[Interval(RECONCILIATION_INTERVAL, anchor_date=RECONCILIATION_ANCHOR, timezone="UTC")],
                    parameters={"store": store},
                    concurrency_limit=one_at_a_time,
                    tags=["returns-sync", f"store:{store}"],
                )
            )
        )
    return deployments


@dataclass
class WebhookServer:
    """The receiver running on a uvicorn server in a daemon thread; ``stop()`` shuts both down."""

    url: str
    app: Starlette
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        try:
            # Start what is pending rather than drop it; the sweep would find it, but later.
            self.app.state.dispatcher.close(flush=True, timeout=timeout)
        except Exception:  # a trigger still hanging at shutdown: leave it to the sweep
            self.app.state.dispatcher.close(flush=False)


class _CachedSettings:
    """Loads a served store's settings block at most every few minutes (a rotated secret is picked up).

    A failed load is remembered for ``SETTINGS_FAILURE_BACKOFF_SECONDS``: while the Prefect API is down,
    a burst of deliveries (or of unsigned requests) gets its 503 without one API call each.
    """

    def __init__(self, stores: Iterable[str], load: Callable[[str], StoreSettings]) -> None:
        self._stores = frozenset(stores)
        self._load = load
        self._cache: dict[str, tuple[float, StoreSettings]] = {}
        self._failed: dict[str, tuple[float, str]] = {}  # store -> (when, exception type)
        self._lock = threading.Lock()

    def __call__(self, store: str) -> StoreSettings | None:
        if store not in self._stores:
            return None
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(store)
            failed = self._failed.get(store)
        if hit and now - hit[0] < SETTINGS_CACHE_SECONDS:
            return hit[1]
        if failed and now - failed[0] < SETTINGS_FAILURE_BACKOFF_SECONDS:
            raise SettingsLoadFailed(f"loading the settings of {store} failed {now - failed[0]:.0f} s ago ({failed[1]})")
        try:
            settings = self._load(store)
        except Exception as exc:
            with self._lock:
                self._failed[store] = (time.monotonic(), type(exc).__name__)
            raise
        with self._lock:
            self._cache[store] = (time.monotonic(), settings)
            self._failed.pop(store, None)
        return settings


class SettingsLoadFailed(RuntimeError):
    """A served store's settings failed to load moments ago; not tried again yet."""


def start_webhook_receiver(
    app: Starlette, *, host: str = "127.0.0.1", port: int = 8780, startup_timeout: float = 15.0
) -> WebhookServer:
    """Serve ``app`` with uvicorn in a daemon thread; returns once the socket accepts connections.

    ``port=0`` picks a free port (``WebhookServer.url`` names it). The socket is bound here, before the
    thread starts, so a taken port fails at once and a picked one cannot be taken in between.

    Raises:
        RuntimeError: the server did not start (port taken, say).
    """
    import socket

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise RuntimeError(f"the webhook receiver could not listen on {host}:{port}: {exc.strerror}") from None
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except SystemExit:  # uvicorn exits when it cannot start; the caller reports it below
            pass

    thread = threading.Thread(target=run, name="loop-webhook-receiver", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the webhook receiver could not listen on {host}:{port}")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the webhook receiver did not start on {host}:{port} within {startup_timeout:.0f} s")
        time.sleep(0.02)
    return WebhookServer(url=f"http://{host}:{port}", app=app, _server=server, _thread=thread)


def _describe(deployments: list[RunnerDeployment], interval: int) -> list[str]:
    lines = []
    for deployment in deployments:
        if deployment.flow_name == "reconciliation_report":
            when = "daily at 06:00 UTC"
        else:
            when = f"every {interval // 60} min" if deployment.schedules else "on demand (webhooks, reruns)"
        lines.append(f"  {deployment.flow_name}/{deployment.name:<34} {when}")
    return lines


def require_prefect_api() -> str:
    """The configured Prefect API URL.

    Raises:
        RuntimeError: none is set. Without one each flow-run process would start its own temporary
            server, which knows nothing of the concurrency slot its parent took (the run is cancelled
            as "slot lost") nor of runs the webhook receiver creates.
    """
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        raise RuntimeError(
            "returns-sync serve needs a Prefect API: start one with `prefect server start` and point this "
            "shell at it with `prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api` (see docs/DEPLOY.md)"
        )
    return url


def _receiver_app(keys: list[str], runs: WebhookRuns, deployment: str) -> Starlette:
    from returns_sync.service.webhooks import create_webhook_app, run_deployment_trigger
    from returns_sync.tasks.runtime import ledger_for, load_settings

    stores = _CachedSettings(keys, load_settings)
    if runs is WebhookRuns.WARM:
        from returns_sync.service.warm_runs import WARM_DEBOUNCE_SECONDS, WARM_LANES, warm_run_trigger

        return create_webhook_app(
            stores=stores,
            trigger=warm_run_trigger(),
            ledger=ledger_for(),
            debounce_seconds=WARM_DEBOUNCE_SECONDS,
            lanes=True,
            max_workers=WARM_LANES * max(1, len(keys)),
        )
    return create_webhook_app(stores=stores, trigger=run_deployment_trigger(deployment), ledger=ledger_for())


def _start_netsuite_poll(receiver: WebhookServer, keys: list[str], seconds: float) -> NetSuitePoll | None:
    """With ``seconds``, poll NetSuite that often and hand changed returns to the receiver's dispatcher."""
    if not seconds:
        return None
    from returns_sync.service.dispatcher import NETSUITE_RA_CHANGED
    from returns_sync.service.netsuite_poll import NetSuitePoll

    dispatcher = receiver.app.state.dispatcher
    poll = NetSuitePoll(keys, lambda store, rid: dispatcher.submit(store, rid, NETSUITE_RA_CHANGED), interval=seconds)
    poll.start()
    print(f"NetSuite poll every {seconds:g} s: goods received and RAs closed reach Loop without waiting for the sweep")
    return poll


def _print_webhook_urls(base_url: str, keys: list[str]) -> None:
    print("Loop webhook receiver (register each URL in Loop; put TLS in front of it):")
    for key in keys:
        print(f"  {key}: {base_url}/webhooks/loop/{key}")


def serve_all(
    *,
    stores: list[str],
    interval: int = DEFAULT_INTERVAL,
    webhooks: bool = False,
    webhook_port: int = 8780,
    webhook_host: str = "127.0.0.1",
    webhook_runs: WebhookRuns = WebhookRuns.WARM,
    netsuite_poll_seconds: float = 0,
) -> None:
    """Serve the six syncs of every store (and ``run_all-<store>``) until interrupted.

    With ``webhooks`` the Loop webhook receiver listens on ``webhook_host:webhook_port`` and runs
    ``run_all`` for just the returns a delivery names: on its warm worker in this process (``WARM``,
    the default) or as a run of ``run_all-<store>`` (``DEPLOYMENT``); the schedule stays as the sweep.
    With ``netsuite_poll_seconds`` (webhooks on) NetSuite is asked that often for RAs changed there
    (``NetSuitePoll``), and their returns go the same way.

    Raises:
        ValueError: no stores, an invalid store key, or a NetSuite poll without webhooks.
        RuntimeError: no Prefect API is configured, or the webhook receiver could not start.
    """
    from prefect import serve

    if netsuite_poll_seconds and not webhooks:
        raise ValueError("the NetSuite poll starts its runs through the webhook receiver: add --webhooks")
    deployments = build_deployments(stores, interval)
    keys = _check_stores(stores)
    api_url = require_prefect_api()
    print(f"Serving {len(deployments)} deployments for {', '.join(keys)} on {api_url}:")
    print("\n".join(_describe(deployments, interval)))
    receiver: WebhookServer | None = None
    poll: NetSuitePoll | None = None
    if webhooks:
        receiver = start_webhook_receiver(
            _receiver_app(keys, webhook_runs, f"{RUN_ALL}/{RUN_ALL}-{{store}}"), host=webhook_host, port=webhook_port
        )
        _print_webhook_urls(receiver.url, keys)
        poll = _start_netsuite_poll(receiver, keys, netsuite_poll_seconds)
    try:
        serve(*deployments, print_starting_message=False)
    finally:
        if poll is not None:
            poll.stop()
        if receiver is not None:
            receiver.stop()


def serve_webhooks(
    *,
    stores: list[str],
    port: int = 8780,
    host: str = "127.0.0.1",
    deployment: str = "run_all/run-all",
    stop: threading.Event | None = None,
    runs: WebhookRuns = WebhookRuns.DEPLOYMENT,
    netsuite_poll_seconds: float = 0,
) -> None:
    """Run only the webhook receiver until interrupted (or ``stop`` is set), starting runs of a deployed ``run_all``.

    With ``netsuite_poll_seconds`` it also polls NetSuite that often for RAs changed there (``NetSuitePoll``).

    For the work-pool setup (prefect.yaml), where workers, not this process, execute the runs; with
    ``runs=WARM`` this process runs them itself instead (it then needs the ledger and the store blocks).

    Args:
        deployment: ``flow/deployment`` to start (``DEPLOYMENT``); ``{store}`` is replaced by the store key.
        stop: Set it to shut the receiver down (tests, embedding); Ctrl-C works too.

    Raises:
        RuntimeError: no Prefect API is configured, or the receiver could not start.
    """
    keys = _check_stores(stores)
    require_prefect_api()
    receiver = start_webhook_receiver(_receiver_app(keys, runs, deployment), host=host, port=port)
    _print_webhook_urls(receiver.url, keys)
    poll = _start_netsuite_poll(receiver, keys, netsuite_poll_seconds)
    stop = stop or threading.Event()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if poll is not None:
            poll.stop()
        receiver.stop()
