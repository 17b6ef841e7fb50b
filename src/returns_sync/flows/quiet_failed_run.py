"""Keep an expected failure to the one plain line the flow logs itself: no ``FailedRun`` traceback after it.

A flow that returns a ``Failed`` state (a batch that met a 503, refused credentials) has already logged
one plain error line and put the same sentence in the state message. When a worker runs it, Prefect's
``run_flow`` still raises ``FailedRun`` at the end and logs "Engine execution exited with unexpected
exception" with that traceback, under the run's first, random name (``charming-phoenix``), before the
engine renamed it. ``FailedRun`` only ever wraps a state the flow returned: a flow that raised keeps
its own exception, and its traceback is kept. Seen in Prefect 3.8's ``flow_engine.run_flow``
(https://github.com/PrefectHQ/prefect/blob/main/src/prefect/flow_engine.py, ``error_logger.error(...,
exc_info=True)``) and reproduced by tests/flows/test_failure_messages.py.
"""

from __future__ import annotations

import logging

__all__ = ["DropFailedRunTraceback", "install"]

# The logger of Prefect's flow-run messages (prefect.logging.loggers.flow_run_logger).
_FLOW_RUN_LOGGER = "prefect.flow_runs"


class DropFailedRunTraceback(logging.Filter):
    """Drops the record of a ``FailedRun`` traceback; every other record passes unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        from prefect.exceptions import FailedRun

        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, FailedRun)


def install() -> None:
    """Add the filter to Prefect's flow-run logger once (importing a flow module calls this)."""
    logger = logging.getLogger(_FLOW_RUN_LOGGER)
    if not any(isinstance(existing, DropFailedRunTraceback) for existing in logger.filters):
        logger.addFilter(DropFailedRunTraceback())
