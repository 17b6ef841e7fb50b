"""Why a step of a sync failed, in words an operator acts on: the cause, the retries actually made, the credential to fix.

A refused credential is no fact about any record: the run stops at once, names the block field to fix,
and quarantines nothing. Any other failure keeps its cause, and says "after N retries" only when
Prefect retried the task (only transient errors are retried: ``tasks.retry``).
"""

from __future__ import annotations

from dataclasses import dataclass

from prefect.client.schemas.objects import State

from returns_sync.blocks.store import store_block_name
from returns_sync.connectors.errors import AuthenticationError, is_retryable
from returns_sync.tasks.retry import TASK_RETRIES

__all__ = ["CREDENTIALS_REFUSED", "FailureCause", "credentials_refused", "failure_of"]

# The name of the Failed state a sync ends in when an API refused the store's credentials (run_all stops there).
CREDENTIALS_REFUSED = "CredentialsRefused"

_CREDENTIAL_OF_VENDOR = {
    "netsuite": ("NetSuite", "netsuite_credentials", "the token (revoked, expired, or its role changed) and the consumer key"),
    "loop": ("Loop", "loop_credentials", "the API key (deleted or rotated in Loop's developer tools)"),
    "shopify": ("Shopify", "shopify_credentials", "the access token and the app's scopes"),
}


def credentials_refused(exc: AuthenticationError, store: str) -> str:
    """``NetSuite refused store north's credentials (netsuite_credentials in block store-north): … Check …``.

    The message of ``exc`` carries no header or secret (``ApiError``), so it is safe to repeat.
    """
    vendor, field, what = _CREDENTIAL_OF_VENDOR.get(exc.vendor, (exc.vendor, "credentials", "the credentials"))
    return (
        f"{vendor} refused store {store}'s credentials ({field} in block {store_block_name(store)}): {str(exc).rstrip('.')}. "
        f"No return was quarantined for it; check {what}, then run again"
    )


@dataclass(frozen=True)
class FailureCause:
    """A failed task run: its exception (when Prefect kept it) and how many times it was retried."""

    error: BaseException | None
    retries: int

    @property
    def credentials(self) -> AuthenticationError | None:
        """The refused credential, when that is why the task failed."""
        return self.error if isinstance(self.error, AuthenticationError) else None

    def describe(self) -> str:
        """``netsuite 503: Service Unavailable (after 3 retries)``, or the cause alone when nothing was retried."""
        cause = f"{self.error}" if self.error is not None else "failed"
        if self.error is not None and not str(self.error):
            cause = type(self.error).__name__
        return f"{cause} (after {self.retries} retries)" if self.retries else cause


def failure_of(state: State) -> FailureCause:
    """The cause of a failed task-run ``state``, and its retries.

    Only transient errors are retried, up to ``TASK_RETRIES`` times; a task that ends failed on one has used
    them all, and one that ends on any other error was not retried for it.
    """
    try:
        error = state.result(raise_on_failure=False)
    except Exception as exc:  # the result could not be read back (e.g. not persisted): keep what we have
        error = exc
    if not isinstance(error, BaseException):
        return FailureCause(error=None, retries=0)
    retries = TASK_RETRIES if is_retryable(error) else 0
    return FailureCause(error=error, retries=retries)
