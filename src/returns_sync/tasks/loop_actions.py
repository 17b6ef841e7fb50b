"""Write to Loop from the NetSuite → Loop syncs: one action, where "already in that state" counts as done."""

from __future__ import annotations

from collections.abc import Callable

from returns_sync.connectors.loop import LoopActionError
from returns_sync.tasks.results import BatchResult

__all__ = ["act_on_loop"]


def act_on_loop(result: BatchResult, return_id: str, action: str, call: Callable[[], None]) -> bool:
    """Run a Loop action; a refusal because the return is already in that state counts as done.

    Example:
        >>> act_on_loop(result, "7001", "cancel", lambda: loop.cancel_return("7001"))  # doctest: +SKIP
        True
    """
    try:
        call()
    except LoopActionError as exc:
        if exc.already_done:
            result.count(f"already {action} in Loop")
            return True
        result.count(f"Loop refused to {action}")
        result.loop_actions.append((return_id, f"Loop refused to {action}: {exc.message}"))
        return False
    return True
