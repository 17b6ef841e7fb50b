"""Freshness figures from the sandbox's request log: per return, webhook delivery -> NetSuite record committed, and its floor.

*Latency* of one return: from the moment the Loop emulator's delivery of the event was acknowledged by
the receiver (its log's attempt time) to the end of the NetSuite request that created the record (the
RA transform for ``return.created``; the RA -> credit memo / cash refund transform for ``return.closed``).

*To first read* of one return: from the same acknowledgement to the start of the first request naming the return
(the run's Loop read of it): the debounce, any wait for its lane's run in progress and the run's start. The rest
of its latency is spent in the run.

*Floor* of one return: the requests that had to happen one after another for it, taken from the same
log. Walking back from the committing request, each step takes the latest-ending earlier request that
names the return (its Loop id, its Shopify order, its sales order or RA) and ended before the current one
started, within the return's own window; the floor is the sum of their durations (injected latency plus
the emulator's work). Requests that name no record of the return (a Loop list call, a cached items
look-up) are left out, so the floor errs low and the goal against it errs strict.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from returns_bench.request_log import RecordedRequest

__all__ = [
    "FreshnessSample",
    "commit_request",
    "first_request_naming",
    "mentions",
    "netsuite_load",
    "percentile",
    "sequential_chain",
    "summarise_samples",
]

RA_TRANSFORM = re.compile(r"/salesOrder/(\d+)/!transform/returnAuthorization$")
REFUND_TRANSFORM = r"/returnAuthorization/{ra_id}/!transform/(cashRefund|creditMemo)$"


def _token_pattern(tokens: Iterable[str]) -> re.Pattern[str] | None:
    parts = sorted({re.escape(t) for t in tokens if t}, key=len, reverse=True)
    if not parts:
        return None
    return re.compile(r"(?<![0-9A-Za-z])(?:" + "|".join(parts) + r")(?![0-9A-Za-z])")


def mentions(request: RecordedRequest, tokens: Iterable[str]) -> bool:
    """Whether the request's path, query or body names one of ``tokens`` as a whole word."""
    pattern = _token_pattern(tokens)
    return bool(pattern and pattern.search(request.text))


def commit_request(
    log: Sequence[RecordedRequest], path: re.Pattern[str], *, body_token: str | None = None
) -> RecordedRequest | None:
    """The first successful NetSuite POST whose path matches ``path`` (and whose body names ``body_token``)."""
    token = _token_pattern([body_token]) if body_token else None
    for request in sorted(log, key=lambda r: r.end):
        if request.api != "netsuite" or request.method != "POST" or not request.succeeded:
            continue
        if path.search(request.path) and (token is None or token.search(request.body)):
            return request
    return None


def first_request_naming(log: Sequence[RecordedRequest], token: str, *, since: float) -> RecordedRequest | None:
    """The earliest request starting at or after ``since`` that names ``token`` as a whole word."""
    pattern = _token_pattern([token])
    started = [r for r in log if r.start >= since and pattern and pattern.search(r.text)]
    return min(started, key=lambda r: r.start, default=None)


def sequential_chain(
    log: Sequence[RecordedRequest], tokens: Iterable[str], *, since: float, commit: RecordedRequest
) -> list[RecordedRequest]:
    """The chain of requests naming the return that ran one after another from ``since`` up to ``commit``, oldest first."""
    pattern = _token_pattern(tokens)
    candidates = [
        r for r in log if r is not commit and r.start >= since and r.end <= commit.start and pattern and pattern.search(r.text)
    ]
    candidates.sort(key=lambda r: r.end)
    chain = [commit]
    current = commit
    while True:
        before = [r for r in candidates if r.end <= current.start]
        if not before:
            break
        current = before[-1]
        chain.append(current)
    chain.reverse()
    return chain


@dataclass(frozen=True)
class FreshnessSample:
    """One return's figures for one event: seconds from delivery to commit, and its floor."""

    return_id: str
    event: str
    latency_s: float
    floor_s: float
    chain: tuple[str, ...]  # "api METHOD path" of each request of the floor, oldest first
    to_first_read_s: float | None = None  # delivery -> the first request naming the return


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _stats(values: Sequence[float]) -> dict[str, float | None]:
    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 3)

    return {"p50_s": r(percentile(values, 50)), "p95_s": r(percentile(values, 95)), "max_s": r(max(values, default=None))}


def summarise_samples(samples: Sequence[FreshnessSample], *, expected: dict[str, int]) -> dict[str, Any]:
    """Per event: count measured against expected, p50/p95/max of latency and of floor, the goal, and the slowest returns."""
    out: dict[str, Any] = {}
    for event, wanted in expected.items():
        mine = [s for s in samples if s.event == event]
        latency = _stats([s.latency_s for s in mine])
        floor = _stats([s.floor_s for s in mine])
        first_read = _stats([s.to_first_read_s for s in mine if s.to_first_read_s is not None])
        goal = None if floor["p95_s"] is None else round(max(2.0, 1.25 * floor["p95_s"]), 3)
        slowest = sorted(mine, key=lambda s: s.latency_s, reverse=True)[:3]
        out[event] = {
            "measured": len(mine),
            "expected": wanted,
            **{f"latency_{k}": v for k, v in latency.items()},
            **{f"floor_{k}": v for k, v in floor.items()},
            **{f"to_first_read_{k}": v for k, v in first_read.items()},
            "goal_p95_s": goal,
            "meets_goal": None if goal is None or latency["p95_s"] is None else latency["p95_s"] <= goal,
            "slowest": [
                {
                    "return_id": s.return_id,
                    "latency_s": round(s.latency_s, 3),
                    "floor_s": round(s.floor_s, 3),
                    "chain": list(s.chain),
                }
                for s in slowest
            ],
        }
    return out


def netsuite_load(log: Sequence[RecordedRequest], *, returns: int, rate_per_s: float, concurrency: int) -> dict[str, Any]:
    """How much of NetSuite's allowed concurrency the run's returns ask for at the rate they were created.

    ``offered`` = returns per second x NetSuite seconds per return / requests allowed at once. At 1 or more the
    account cannot keep up at that rate whatever the code does: a queue builds and latency grows with the run's
    length, so the latency figures then measure throughput, not freshness.
    """
    ns = [r for r in log if r.api == "netsuite"]
    seconds = sum(r.seconds for r in ns)
    per_return = seconds / returns if returns else 0.0
    return {
        "requests_per_return": round(len(ns) / returns, 2) if returns else None,
        "seconds_per_return": round(per_return, 3),
        "offered": round(rate_per_s * per_return / concurrency, 3) if concurrency else None,
    }
