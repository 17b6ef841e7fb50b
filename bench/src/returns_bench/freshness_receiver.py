"""The freshness run's receiver in a process of its own, as ``returns-sync serve --webhooks`` runs apart from the APIs.

``python -m returns_bench.freshness_receiver INFO.json PORT CONCURRENCY DEBOUNCE STORE…``: the stores' settings come
from the sandbox's connection info (the server would read its blocks), the Prefect API and the ledger from the
environment the bench passes down. The receiver's warm worker then has an interpreter to itself, as in production,
where NetSuite, Loop and Shopify run on other machines: the bench's emulators and driver no longer take its CPU.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

_FINISH_TIMEOUT_S = 1200.0  # the bench's own settle timeout


def main(argv: list[str]) -> int:
    info_path, port, concurrency, debounce, *stores = argv
    from returns_sandbox.server import serve_in_thread
    from returns_sync.blocks.connection_info import store_settings_from_connection_info
    from returns_sync.service.warm_runs import WARM_LANES, warm_run_trigger
    from returns_sync.service.webhooks import create_webhook_app
    from returns_sync.tasks.runtime import ledger_for, use_store_settings

    info = json.loads(Path(info_path).read_text())
    settings = {key: store_settings_from_connection_info(info, key, max_netsuite_concurrency=int(concurrency)) for key in stores}
    for one in settings.values():
        use_store_settings(one)
    app = create_webhook_app(
        stores=settings,
        trigger=warm_run_trigger(),
        ledger=ledger_for(),
        debounce_seconds=float(debounce),
        lanes=True,
        max_workers=WARM_LANES * len(stores),
    )
    # uvicorn's own SIGTERM handling re-raises the signal once it has stopped, which would end the runs in
    # progress mid-request; the bench's SIGTERM here means "no more deliveries: let the runs finish, then exit".
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server = serve_in_thread({"receiver": app}, ports={"receiver": int(port)})
    while not stop.wait(0.5):
        pass
    server.stop()
    app.state.dispatcher.close(flush=True, timeout=_FINISH_TIMEOUT_S)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
