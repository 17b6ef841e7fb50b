"""Every Prefect task of the product runs each time it is called: none answers from a cache.

run_all and the syncs persist their results, and within such a flow Prefect's default cache policy (inputs, task
source, flow run id) answers a second call with the same arguments from the first without running it
(https://docs.prefect.io/v3/develop/task-caching). A closed return's refund write-back, after its receipt's in the
same run, was lost that way (tests/flows/test_write_back_lane.py reproduces it).
"""

from __future__ import annotations

import importlib
import pkgutil

from prefect import Task
from prefect.cache_policies import NO_CACHE

import returns_sync


def _product_tasks() -> dict[str, Task]:  # type: ignore[type-arg]
    found = {}
    for module_info in pkgutil.walk_packages(returns_sync.__path__, prefix="returns_sync."):
        if ".ledger.migrations" in module_info.name:
            continue  # Alembic's scripts, not modules to import
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if isinstance(value, Task) and value.fn.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = value
    return found


def test_no_task_of_ours_answers_from_a_cache() -> None:
    tasks = _product_tasks()
    assert len(tasks) >= 17, sorted(tasks)  # every @task in src/returns_sync when this test was written
    cached = sorted(name for name, task in tasks.items() if task.cache_policy is not NO_CACHE)
    assert cached == []
