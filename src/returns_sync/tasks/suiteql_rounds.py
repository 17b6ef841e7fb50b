"""SuiteQL queries sent side by side: a round waits for its slowest query, not for their sum.

Each query is read to its last page in its own thread, since ``NetSuiteClient.suiteql`` is lazy: handing the
generator to a thread would return at once and page in the caller's thread. The client's account-wide slots
still bound the requests in flight.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context

from returns_sync.connectors.netsuite import NetSuiteClient
from returns_sync.tasks.suiteql_statements import StatementText

__all__ = ["read_side_by_side"]

Rows = list[dict[str, str]]


def read_side_by_side(ns: NetSuiteClient, queries: Sequence[StatementText]) -> list[Rows]:
    """Every row of each query, in the order of ``queries`` (texts only a registered statement makes)."""
    if len(queries) == 1:
        return [list(ns.suiteql(queries[0]))]

    def read(query: StatementText) -> Rows:
        return list(ns.suiteql(query))

    with ThreadPoolExecutor(max_workers=len(queries), thread_name_prefix="suiteql-round") as pool:
        # copy_context: each query sees the caller's context (its run logger), as it would inline.
        futures = [pool.submit(copy_context().run, read, query) for query in queries]
        return [future.result() for future in futures]
