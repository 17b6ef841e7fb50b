"""A seeded Loop/NetSuite/Shopify sandbox world with its own ledger, run through the flows and read back for chaos tests.

``ChaosWorld`` only reads real state: the NetSuite emulator's tables, the Loop emulator's returns,
the writes each emulator actually applied, and the product's ledger. Nothing here looks at what a
flow returned, except its final state.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select

from returns_sandbox.testing import Sandbox, VerificationReport, verify_world
from returns_sync.blocks.connection_info import store_settings_from_connection_info
from returns_sync.ledger import LEDGER_URL_ENV
from returns_sync.ledger.models import PostingIntentRow
from returns_sync.tasks.runtime import ledger_for, use_store_settings

# Enough returns for every scenario of the seed (MIN_RETURNS_FOR_FULL_COVERAGE is 31) in both
# stores, few enough that a whole lifecycle stays within seconds on a small machine.
N_RETURNS = 60
STORES = ("north", "south")
SUITEQL_PATH = "/services/rest/query/v1/suiteql"
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class WriteLog:
    """ASGI wrapper inside a fault injector: records every write that reached the emulator (so was applied)."""

    def __init__(self, app: Any, *, ignore_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.ignore_paths = ignore_paths
        self.writes: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] in _WRITES and not scope["path"].startswith(self.ignore_paths):
            with self._lock:
                self.writes.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)

    def count(self) -> int:
        with self._lock:
            return len(self.writes)


class LostAnswerLog:
    """Wraps an injector's commit-then-hang step: records which writes were applied but never answered.

    SuiteQL queries travel as POSTs, so the injector would hang them too; they are reads (nothing is
    committed, the client simply asks again), so they are answered normally here and the fault budget
    goes to real writes.
    """

    def __init__(self, injector: Any) -> None:
        self.requests: list[tuple[str, str]] = []
        original = injector._commit_then_hang

        async def commit_then_hang(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["path"].startswith(SUITEQL_PATH):
                await injector.app(scope, receive, send)
                return
            self.requests.append((scope["method"], scope["path"]))
            await original(scope, receive, send)

        injector._commit_then_hang = commit_then_hang


class ChaosWorld:
    """The demo world in the three emulators on localhost sockets, with a ledger of its own."""

    def __init__(
        self,
        directory: Path,
        *,
        returns: int = N_RETURNS,
        netsuite_timeout: float | None = None,
        loop_timeout: float | None = None,
    ) -> None:
        self.sandbox = Sandbox()
        self.world = self.sandbox.seed_demo(returns=returns)
        self.sandbox.start()
        apps = self.sandbox.apps()
        self.netsuite_writes = WriteLog(apps["netsuite"].app, ignore_paths=(SUITEQL_PATH,))
        apps["netsuite"].app = self.netsuite_writes
        self.loop_writes = WriteLog(apps["loop"].app)
        apps["loop"].app = self.loop_writes
        self.ledger_url = f"sqlite:///{directory / 'ledger.db'}"
        self._saved_env = os.environ.get(LEDGER_URL_ENV)
        self.pass_seconds: list[float] = []  # wall time of each run_pass, for tuning the suite's duration
        self.settings = {}
        info = self.sandbox.connection_info()
        for store in STORES:
            settings = store_settings_from_connection_info(info, store)
            changes: dict[str, Any] = {}
            if netsuite_timeout is not None:
                changes["netsuite_credentials"] = settings.netsuite_credentials.model_copy(update={"timeout": netsuite_timeout})
            if loop_timeout is not None:
                changes["loop_credentials"] = settings.loop_credentials.model_copy(update={"timeout": loop_timeout})
            self.settings[store] = settings.model_copy(update=changes) if changes else settings
        self.activate()

    # -- running the product ---------------------------------------------------------------------

    def activate(self) -> None:
        """Point the product (ledger URL, store settings) at this world; worlds of one module take turns."""
        os.environ[LEDGER_URL_ENV] = self.ledger_url
        for settings in self.settings.values():
            use_store_settings(settings)

    def run_pass(self) -> dict[str, Any]:
        """``run_all`` once per store; returns the final flow-run state per store."""
        from returns_sync.flows.run_all import run_all

        self.activate()
        started = time.monotonic()
        states = {store: run_all(store, return_state=True) for store in STORES}
        self.pass_seconds.append(round(time.monotonic() - started, 1))
        return states

    def run_flow(self, flow: Any, store: str, **parameters: Any) -> Any:
        self.activate()
        return flow(store=store, return_state=True, **parameters)

    def lifecycle(self, *, max_passes: int = 4) -> list[dict[str, Any]]:
        """Sync, let the people in the story act, sync again, until a pass leaves nothing for them to do."""
        passes = []
        for _ in range(max_passes):
            passes.append(self.run_pass())
            if not self.sandbox.advance():
                break
        return passes

    def fault(self, api: str) -> Any:
        """The live ``FaultSettings`` of one emulator (changes apply to the next request)."""
        return self.sandbox.faults[api]

    def stats(self, api: str) -> Any:
        return self.sandbox.apps()[api].stats

    def clear_faults(self) -> None:
        for api in ("loop", "netsuite", "shopify"):
            self.fault(api).update(p_429=0, p_503=0, p_timeout_after_commit=0)

    # -- reading real state ------------------------------------------------------------------------

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.sandbox.netsuite.conn.execute(query, params).fetchall()]

    def transaction_count(self) -> int:
        return self.sql('SELECT COUNT(*) FROM "transaction"')[0][0]

    def our_external_ids(self) -> Counter[str]:
        """Every externalId this product writes (``loop-<store>-...``) in NetSuite, with how often it occurs."""
        return Counter(row[0] for row in self.sql("SELECT externalid FROM \"transaction\" WHERE externalid LIKE 'loop-%'"))

    def repeated_external_ids(self) -> list[tuple[str, int]]:
        return self.sql(
            'SELECT externalid, COUNT(*) FROM "transaction" WHERE externalid IS NOT NULL GROUP BY externalid HAVING COUNT(*) > 1'
        )

    def return_authorizations(self, loop_return_id: str) -> list[tuple[Any, ...]]:
        """(id, externalid, status) of every RA in NetSuite carrying this Loop return id."""
        query = "SELECT id, externalid, status FROM \"transaction\" WHERE type = 'RtnAuth' AND custbody_loop_return_id = ?"
        return self.sql(query, str(loop_return_id))

    def loop_view(self) -> dict[str, tuple[Any, bool]]:
        """Loop return id -> (state, flagged) as the Loop emulator holds it."""
        loop = self.sandbox.loop
        return {
            case.return_id: ((loop.get_return(case.return_id) or {}).get("state"), bool(loop.is_flagged(case.return_id)))
            for case in self.world.returns
        }

    def quarantine(self) -> dict[str, Any]:
        """Loop return id -> its open quarantine entry (rule and plain-language reason)."""
        self.activate()
        with ledger_for().session() as repo:
            return {entry.loop_return_id: entry for store in STORES for entry in repo.open_quarantine(store)}

    def intents(self) -> dict[str, tuple[str, str | None]]:
        """Every posting intent in the ledger: externalId -> (status, NetSuite id)."""
        self.activate()
        with ledger_for().session() as repo:
            rows = repo.session.scalars(select(PostingIntentRow)).all()
            return {row.idempotency_key: (row.status, row.ns_id) for row in rows}

    def ledger(self) -> Any:
        self.activate()
        return ledger_for()

    def verify(self) -> VerificationReport:
        quarantined = {rid: entry.rule for rid, entry in self.quarantine().items()}
        return verify_world(self.world, self.sandbox.netsuite.conn, self.sandbox.loop, quarantined)

    def assert_matches_expectations(self) -> None:
        """The oracle: every seeded return ended exactly as the seed's expected outcome says."""
        report = self.verify()
        problems = [f"{c.return_id} ({c.scenario}): {'; '.join(c.problems)}" for c in report.failures]
        assert not problems, f"{len(problems)} return(s) differ from their expected outcome:\n" + "\n".join(problems[:20])

    def close(self) -> None:
        for store in STORES:
            use_store_settings(None, store=store)
        if self._saved_env is None:
            os.environ.pop(LEDGER_URL_ENV, None)
        else:
            os.environ[LEDGER_URL_ENV] = self._saved_env
        self.sandbox.close()


def completed(states: dict[str, Any]) -> dict[str, str]:
    """Store -> final state name, for assertions that every run ended Completed."""
    return {store: state.type.value for store, state in states.items()}


class FastClock:
    """Monotonic time that jumps ahead instead of sleeping: a minute of rate-limit window costs no real time."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return time.monotonic() + self._offset

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._offset += max(seconds, 0.0)
