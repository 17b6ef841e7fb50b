"""Post a batch's records several at a time, within the NetSuite account's concurrency, keeping each order's returns in sequence."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from returns_sync.tasks.results import BatchResult

__all__ = ["for_each_grouped"]

T = TypeVar("T")


def for_each_grouped(
    items: Iterable[T],
    *,
    group: Callable[[T], Hashable],
    work: Callable[[T, BatchResult], None],
    result: BatchResult,
    max_workers: int,
) -> None:
    """Run ``work(item, partial_result)`` for every item: groups in parallel, items of one group in order.

    Returns of one sales order share its returnable quantities, so they stay sequential; different
    orders are independent. Each group writes its own partial result (merged here), so no counter is
    shared between threads. The NetSuite client's account-wide semaphore still bounds the requests.
    """
    groups: dict[Hashable, list[T]] = {}
    for item in items:
        groups.setdefault(group(item), []).append(item)

    def run(members: list[T]) -> BatchResult:
        partial = BatchResult(sync=result.sync, store=result.store, dry_run=result.dry_run)
        for member in members:
            work(member, partial)
        return partial

    if max_workers <= 1 or len(groups) <= 1:
        for members in groups.values():
            result.merge(run(members))
        return
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=f"{result.sync}-{result.store}") as pool:
        for partial in pool.map(run, groups.values()):
            result.merge(partial)
