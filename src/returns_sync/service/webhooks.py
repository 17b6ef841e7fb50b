"""The Loop webhook receiver: verify, dedupe and debounce deliveries, then start a run for just those returns.

One endpoint per store, ``POST /webhooks/loop/{store}``. The body is read under a 1 MiB limit
(``Content-Length`` first, then while streaming: 413). A delivery is accepted only when its
``X-Loop-Signature`` matches the raw body under that store's webhook secret; an unknown store and a
bad signature get the same 401, so the answer never tells which stores exist. When the store's
settings cannot be loaded (the Prefect API is down), the signature cannot be checked at all: the
answer is 503 with ``Retry-After``, which Loop retries, never a 401 that blames the sender. A signed
body that does not parse is a 400. Loop delivers at least once and retries, so accepted deliveries
are remembered in the ledger (``deliveries.DeliveryLog``, pruned after 30 days) and a redelivery is
acknowledged without a second run. Runs start after the response, from a small thread pool
(``dispatcher.Dispatcher``): deliveries for one store that arrive within ``debounce_seconds`` of the
first are collapsed into one ``trigger(store, return_ids, syncs)`` call, ``syncs`` being the ones the
burst's events can need (``syncs_for_events``). The 90-minute schedule stays the sweep that catches
anything a lost delivery or a failed trigger missed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from returns_sync.connectors.loop_webhooks import SIGNATURE_HEADER, parse_loop_webhook
from returns_sync.domain.syncs import SyncName
from returns_sync.service.deliveries import DELIVERY_SOURCE, DeliveryLog, delivery_key
from returns_sync.service.dispatcher import Dispatcher, Trigger, syncs_for_events
from returns_sync.service.request_body import BodyTooLarge, InvalidContentLength, read_body_within

if TYPE_CHECKING:
    from returns_sync.blocks.store import StoreSettings
    from returns_sync.ledger import Ledger

__all__ = [
    "DELIVERY_SOURCE",
    "LABEL_TRIGGERS",
    "RETURN_TRIGGERS",
    "SETTINGS_RETRY_AFTER_SECONDS",
    "Dispatcher",
    "SettingsUnavailable",
    "StoreLookup",
    "Trigger",
    "create_webhook_app",
    "delivery_key",
    "run_deployment_trigger",
    "syncs_for_events",
]

logger = logging.getLogger("returns_sync.webhooks")

# Triggers whose payload names a return whose NetSuite side may need work. The label topic's payload names
# the return in ``id`` (https://docs.loopreturns.com/reference/label-webhook): a label bought or scanned puts
# its tracking on the RA. Gift-card, restock and Happy Returns events carry other ids and are acknowledged only.
LABEL_TRIGGERS = frozenset({"label.created", "label.updated"})
RETURN_TRIGGERS = frozenset({"return.created", "return.updated", "return.closed", "return.processing.failed"}) | LABEL_TRIGGERS
MAX_BODY_BYTES = 1_048_576
# Loop honours Retry-After up to 30 minutes and fails the delivery above that
# (https://docs.loopreturns.com/reference/setting-up-webhooks): ask for a short wait, well inside it.
SETTINGS_RETRY_AFTER_SECONDS = 60

StoreLookup = Mapping[str, "StoreSettings"] | Callable[[str], "StoreSettings | None"]

_UNAUTHORIZED = {"error": "invalid signature"}
_CLOSE = {"Connection": "close"}
# Compared against when the store is unknown, so both 401 paths cost one HMAC.
_DECOY_SECRET = secrets.token_urlsafe(32)


def _lookup(stores: StoreLookup) -> Callable[[str], StoreSettings | None]:
    if isinstance(stores, Mapping):
        return stores.get
    return stores


class SettingsUnavailable(Exception):
    """The store's settings could not be loaded, so nothing can be said about the delivery yet."""


def _settings_for(lookup: Callable[[str], StoreSettings | None], store: str) -> StoreSettings | None:
    """The store's settings; None for a store the lookup does not know.

    Raises:
        SettingsUnavailable: the lookup failed (block unreadable, Prefect API down): our fault, not the sender's.
    """
    try:
        settings = lookup(store)
    except Exception as exc:
        logger.error("could not load the settings of store %r, answering 503: %s", store[:64], type(exc).__name__)
        raise SettingsUnavailable(store) from None
    if settings is not None and settings.store != store:
        return None
    return settings


def _verified(settings: StoreSettings | None, raw_body: bytes, signature: str | None) -> bool:
    if settings is None:
        hmac.new(_DECOY_SECRET.encode(), raw_body, hashlib.sha256).digest()
        return False
    return settings.loop_credentials.verify_webhook(raw_body, signature)


def create_webhook_app(
    *,
    stores: StoreLookup,
    trigger: Trigger,
    ledger: Ledger,
    debounce_seconds: float = 2.0,
    max_workers: int = 4,
    settings_retry_after: int = SETTINGS_RETRY_AFTER_SECONDS,
    lanes: bool = False,
) -> Starlette:
    """The receiver as an ASGI app; ``app.state.dispatcher`` is its ``Dispatcher`` (close it on shutdown).

    Args:
        stores: Store key -> ``StoreSettings``, or a function returning the settings for a key, None for
            a key it does not serve, and raising when it cannot tell now (answered 503).
        trigger: Starts a run of ``syncs`` for ``(store, return_ids, syncs)``; called off the request path, may block.
        ledger: Where accepted deliveries are remembered (``DeliveryLog``: recorded, pruned after 30 days).
        debounce_seconds: Window in which deliveries for one store are collapsed into one trigger.
        max_workers: Threads calling ``trigger`` at once.
        settings_retry_after: Seconds in the ``Retry-After`` of a 503 (settings unavailable).
        lanes: Run a store's bursts that need different syncs side by side (``Dispatcher``); for a trigger that
            runs exactly the syncs it is given and waits for them, like ``warm_run_trigger``.

    Example:
        ```python
        app = create_webhook_app(stores={"north": settings}, trigger=start_run, ledger=Ledger.from_env())
        uvicorn.run(app, host="127.0.0.1", port=8780)
        ```
    """
    lookup = _lookup(stores)
    dispatcher = Dispatcher(trigger, debounce_seconds=debounce_seconds, max_workers=max_workers, lanes=lanes)

    deliveries = DeliveryLog(ledger)

    async def receive(request: Request) -> JSONResponse:
        store = request.path_params["store"]
        try:
            raw_body = await read_body_within(request, MAX_BODY_BYTES)
        except BodyTooLarge:
            # Connection: close makes uvicorn drop the socket after answering instead of draining the rest of the upload.
            return JSONResponse({"error": "body too large"}, status_code=413, headers=_CLOSE)
        except InvalidContentLength:
            return JSONResponse({"error": "invalid Content-Length"}, status_code=400, headers=_CLOSE)
        try:
            settings = await run_in_threadpool(_settings_for, lookup, store)
        except SettingsUnavailable:
            return JSONResponse(
                {"error": "store settings unavailable, retry later"},
                status_code=503,
                headers={"Retry-After": str(settings_retry_after)},
            )
        if not _verified(settings, raw_body, request.headers.get(SIGNATURE_HEADER)):
            logger.warning("rejected a Loop delivery for %r: unknown store or bad signature", store[:64])
            return JSONResponse(_UNAUTHORIZED, status_code=401)
        try:
            webhook = parse_loop_webhook(raw_body)
        except (ValueError, ValidationError, RecursionError):  # RecursionError: JSON nested too deep to decode
            return JSONResponse({"error": "not a Loop webhook body"}, status_code=400)
        return_id = webhook.loop_return_id
        if webhook.trigger not in RETURN_TRIGGERS or not return_id:
            return JSONResponse({"status": "ignored", "trigger": webhook.trigger})
        if not await run_in_threadpool(deliveries.remember, delivery_key(store, return_id, webhook.trigger, raw_body)):
            return JSONResponse({"status": "duplicate", "return_id": return_id})
        dispatcher.submit(store, return_id, webhook.trigger)
        return JSONResponse({"status": "accepted", "return_id": return_id})

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/webhooks/loop/{store}", receive, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
    app.state.dispatcher = dispatcher
    return app


def run_deployment_trigger(deployment: str = "run_all/run_all-{store}") -> Trigger:
    """A ``trigger`` that creates a run of ``deployment`` for the returns and the syncs they need, and does not wait for it.

    Args:
        deployment: ``flow/deployment`` name; ``{store}`` is replaced by the store key. The default
            names the deployments ``returns-sync serve`` creates; with prefect.yaml it is ``run_all/run-all``.
    """

    def start(store: str, return_ids: list[str], syncs: tuple[SyncName, ...]) -> None:
        from prefect.deployments import run_deployment

        run_deployment(
            deployment.format(store=store),
            parameters={"store": store, "return_ids": list(return_ids), "syncs": [str(sync) for sync in syncs]},
            timeout=0,
            tags=["webhook"],
        )

    return start
