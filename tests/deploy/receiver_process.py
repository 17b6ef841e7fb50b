"""Runs the webhook receiver on uvicorn in its own process, so a test can watch that process's memory.

Usage: ``python receiver_process.py PORT LEDGER_URL``; prints ``ready`` once it listens.
"""

from __future__ import annotations

import sys
import threading

from deploy_helpers import NORTH_SECRET, RecordingTrigger, make_settings

from returns_sync.ledger import Ledger
from returns_sync.service.serve import start_webhook_receiver
from returns_sync.service.webhooks import create_webhook_app


def main(port: int, ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    ledger.migrate()
    app = create_webhook_app(
        stores={"north": make_settings("north", NORTH_SECRET)}, trigger=RecordingTrigger(), ledger=ledger, debounce_seconds=0
    )
    start_webhook_receiver(app, port=port)
    print("ready", flush=True)
    threading.Event().wait()  # until the test kills the process


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
