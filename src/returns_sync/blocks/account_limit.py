"""One NetSuite account's concurrency shared by every worker: a Prefect global concurrency limit per account.

NetSuite counts concurrent requests per account, whoever sends them, so flows of several stores on several
workers must share one budget. Prefect's global concurrency limits live on the server and every process
takes slots from them (https://docs.prefect.io/v3/develop/global-concurrency-limits; the sync context manager
is ``prefect.concurrency.sync.concurrency``, https://docs.prefect.io/v3/api-ref/python/prefect-concurrency-sync).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from prefect.concurrency.sync import concurrency

from returns_sync.connectors.errors import ConfigurationError
from returns_sync.connectors.netsuite_http import AccountSlot

__all__ = ["LEASE_SECONDS", "SLOT_WAIT_SECONDS", "account_limit_name", "account_limit_slot"]

# A slot's lease: a worker that dies holding one frees it after this long (the server's minimum is 60 s).
LEASE_SECONDS = 60
# Longer than any fair wait for a slot; past it the request fails instead of hanging the run.
SLOT_WAIT_SECONDS = 900


def account_limit_name(account_id: str) -> str:
    """The limit's name for an account: ``1234567_SB1`` -> ``netsuite-1234567-sb1`` (the account host's spelling)."""
    return f"netsuite-{account_id.strip().lower().replace('_', '-')}"


def account_limit_slot(account_id: str) -> AccountSlot:
    """A callable whose context holds one slot of ``netsuite-<account>`` while a request is in flight.

    Strict: a missing limit is a configuration error that stops the run, never a silent unlimited run.
    """
    name = account_limit_name(account_id)

    @contextmanager
    def slot() -> Iterator[None]:
        with ExitStack() as held:
            try:
                held.enter_context(
                    concurrency(name, occupy=1, timeout_seconds=SLOT_WAIT_SECONDS, lease_duration=LEASE_SECONDS, strict=True)
                )
            except Exception as exc:  # the limit is missing, or the Prefect API refused, timed out or is unreachable
                raise ConfigurationError(
                    f"could not take a slot of the Prefect global concurrency limit {name!r} ({exc}); "
                    f"create it once with: prefect gcl create {name} --limit <requests NetSuite allows this integration>"
                ) from exc
            yield

    return slot
