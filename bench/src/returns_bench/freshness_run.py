"""One deployment-like run for the freshness bench's ``process`` dispatch: ``run_all`` for some returns in a fresh interpreter.

``python -m returns_bench.freshness_run INFO.json STORE CONCURRENCY SYNC,SYNC… RETURN_ID…``: the store's settings come
from the sandbox's connection info (a deployment run would read its blocks), the Prefect API and the
ledger from the environment the bench passes down.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    info_path, store, concurrency, syncs, *return_ids = argv
    from returns_sync.blocks.connection_info import store_settings_from_connection_info
    from returns_sync.domain.syncs import SyncName
    from returns_sync.flows.run_all import run_all
    from returns_sync.tasks.runtime import use_store_settings

    info = json.loads(Path(info_path).read_text())
    use_store_settings(store_settings_from_connection_info(info, store, max_netsuite_concurrency=int(concurrency)))
    run_all(store, return_ids=return_ids, syncs=[SyncName(name) for name in syncs.split(",")], return_state=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
