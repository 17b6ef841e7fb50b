"""One sync process of a chaos run: ``run_all`` for some stores (or some returns), then exit.

``python -m returns_bench.chaos.worker INFO.json READY [--store S ...] [--return-id R ...] [--netsuite-timeout T]``.
The ledger and Prefect API come from the environment (``RETURNS_SYNC_LEDGER_URL``, ``PREFECT_API_URL``).
``READY`` is created once the imports are done, so the supervisor times its kills from when syncing
starts. Exit status: 0 when every ``run_all`` ended Completed, ``FAILED_RUN`` otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["FAILED_RUN", "main"]

FAILED_RUN = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="returns_bench.chaos.worker")
    parser.add_argument("info", type=Path)
    parser.add_argument("ready", type=Path)
    parser.add_argument("--store", action="append", default=[])
    parser.add_argument("--return-id", action="append", default=[])
    parser.add_argument("--netsuite-timeout", type=float, default=None)
    args = parser.parse_args(argv)

    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from returns_sync.blocks.connection_info import store_settings_from_connection_info
    from returns_sync.flows.run_all import run_all
    from returns_sync.tasks.runtime import use_store_settings

    info = json.loads(args.info.read_text())
    stores = args.store or sorted(info["stores"])
    for store in stores:
        settings = store_settings_from_connection_info(info, store)
        if args.netsuite_timeout is not None:
            credentials = settings.netsuite_credentials.model_copy(update={"timeout": args.netsuite_timeout})
            settings = settings.model_copy(update={"netsuite_credentials": credentials})
        use_store_settings(settings)
    args.ready.touch()
    outcomes = {}
    # Heartbeats only help a worker-based deployment notice a crashed run; here they cost a thread join per flow.
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        for store in stores:
            state = run_all(store, return_ids=args.return_id or None, return_state=True)
            outcomes[store] = state.type.value  # return_state=True: a State
    print(json.dumps(outcomes), flush=True)
    return 0 if all(value == "COMPLETED" for value in outcomes.values()) else FAILED_RUN


if __name__ == "__main__":
    sys.exit(main())
