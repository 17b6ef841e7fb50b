"""Where the webhook receiver runs ``run_all`` for a burst of deliveries (a name the CLI can import cheaply)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["WebhookRuns"]


class WebhookRuns(StrEnum):
    """Where the receiver runs ``run_all`` for a burst of deliveries."""

    # On the receiver's warm worker: a flow run in this process, seconds from delivery to NetSuite.
    WARM = "warm"
    # As a run of a deployment, executed by whatever serves it (a runner, a work-pool worker): a new process per
    # run, started after the runner's next poll (PREFECT_RUNNER_POLL_FREQUENCY, 10 s by default in Prefect 3.8:
    # https://github.com/PrefectHQ/prefect/blob/main/src/prefect/settings/models/runner.py).
    DEPLOYMENT = "deployment"
