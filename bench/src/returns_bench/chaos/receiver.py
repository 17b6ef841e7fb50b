"""The product's own Loop webhook receiver, served for the faulted run, starting runs through the supervisor.

Loop's emulator delivers every event to it (three copies each in a chaos run); the receiver checks
signatures, remembers deliveries in the run's ledger and debounces, exactly as under ``serve --webhooks``,
except that its trigger starts a worker process instead of a Prefect deployment run.
"""

from __future__ import annotations

from typing import Any

from returns_bench.chaos.supervisor import Supervisor

__all__ = ["RETURN_TRIGGERS", "start_receiver", "subscribe_loop"]

RETURN_TRIGGERS = ("return.created", "return.updated", "return.closed")
_TRIGGER_THREADS = 2


def start_receiver(info: dict[str, Any], ledger_url: str, supervisor: Supervisor) -> Any:
    """Serve the receiver on a free localhost port; returns its ``WebhookServer`` (``.url``, ``.stop()``)."""
    from returns_sync.blocks.connection_info import store_settings_from_connection_info
    from returns_sync.service.serve import start_webhook_receiver
    from returns_sync.service.webhooks import create_webhook_app
    from returns_sync.tasks.runtime import ledger_for

    settings = {store: store_settings_from_connection_info(info, store) for store in info["stores"]}
    # Two trigger threads, each waiting for its run: at most two webhook runs at once, each for every
    # return whose deliveries arrived within the debounce window.
    app = create_webhook_app(
        stores=settings,
        # Every sync for every burst, whatever its events (the chaos run checks the outcome, not the freshness).
        trigger=lambda store, return_ids, _syncs: supervisor.start_triggered(store, return_ids),
        ledger=ledger_for(ledger_url),
        debounce_seconds=3.0,
        max_workers=_TRIGGER_THREADS,
    )
    return start_webhook_receiver(app, port=0)


def subscribe_loop(sandbox: Any, world: Any, receiver_url: str, *, copies: int) -> None:
    """Active ``return`` webhooks of every shop pointing at the receiver; every event sent ``copies`` times."""
    for store in world.stores:
        for trigger in RETURN_TRIGGERS:
            sandbox.loop.create_webhook(
                store.loop_shop_id,
                topic="return",
                trigger=trigger,
                url=f"{receiver_url}/webhooks/loop/{store.key}",
                status="active",
            )
    sandbox.loop.dispatcher.copies_per_event = copies
