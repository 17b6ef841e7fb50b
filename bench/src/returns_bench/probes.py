"""Instrumentation for one bench process: where wall time goes, which API requests each flow sent, server-side timing.

Nothing here changes what the product does. It wraps, for the duration of a run and in this process
only: httpx's transport (requests to the sandbox ports), Prefect's ``Task.__call__``/``Flow.__call__``
and the engine's call into the function body, ``Ledger.session`` and the ledger engine's cursor, and
the two Great Expectations suites. Time is attributed with a per-thread stack: each frame's
*exclusive* time (its duration minus its children's) goes to its category, so the categories of a
single-threaded run add up to its wall time.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import itertools
import json
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

__all__ = [
    "CATEGORIES",
    "OWNER",
    "PREFECT_CATEGORIES",
    "FlowSpan",
    "HttpCall",
    "HttpLog",
    "Instrumentation",
    "Profiler",
    "ServerTimer",
    "busy_time",
    "classify_request",
    "endpoint_counts",
    "max_overlap",
    "time_at_level",
]

# Exclusive-time categories, in report order.
CATEGORIES = (
    "prefect",
    "prefect heartbeat",
    "prefect artifacts",
    "flow code",
    "task code",
    "client setup",
    "http:loop",
    "http:netsuite",
    "http:shopify",
    "ledger",
    "ledger sql",
    "quality",
)
PREFECT_CATEGORIES = tuple(c for c in CATEGORIES if c.startswith("prefect"))

# The store whose run_all a thread works for. Stores run at once, so every figure is kept per owner; threads the
# product starts (its batch pools, Prefect's task runner) inherit it through the context the probes copy to them.
OWNER: contextvars.ContextVar[str | None] = contextvars.ContextVar("returns_bench_owner", default=None)
# The flow calls a request is made within, outermost first: a context variable, so a subflow run in a thread of its
# parent (run_all runs item_receipt_to_loop beside two syncs) and the tasks Prefect runs in its pool keep theirs.
_FLOW_PATH: contextvars.ContextVar[tuple[int, ...]] = contextvars.ContextVar("returns_bench_flow_path", default=())
_FLOW_IDS = itertools.count(1)


class Profiler:
    """Per-thread stacks of timed frames; ``exclusive[category]`` accumulates each frame's own time."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        # (owner, category) -> seconds / frames closed; the owner is the store a thread works for (OWNER)
        self.exclusive: dict[tuple[str | None, str], float] = defaultdict(float)
        self.calls: dict[tuple[str | None, str], int] = defaultdict(int)
        self._local = threading.local()
        self._lock = threading.Lock()

    def _stack(self) -> list[list[Any]]:
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    def top(self) -> str | None:
        stack = self._stack()
        return stack[-1][0] if stack else None

    def push(self, category: str) -> None:
        self._stack().append([category, self.clock(), 0.0])

    def pop(self, category: str) -> None:
        stack = self._stack()
        if not stack or stack[-1][0] != category:
            return  # an unbalanced event (e.g. a cursor error without its after-hook): drop it rather than misattribute
        name, start, children = stack.pop()
        duration = self.clock() - start
        key = (OWNER.get(), name)
        with self._lock:
            self.exclusive[key] += duration - children
            self.calls[key] += 1
        if stack:
            stack[-1][2] += duration

    @contextmanager
    def frame(self, category: str) -> Iterator[None]:
        self.push(category)
        try:
            yield
        finally:
            self.pop(category)

    def snapshot(self, owner: str | None = None) -> dict[str, float]:
        """Seconds per category of ``owner``'s threads (``None``: of every thread)."""
        with self._lock:
            return _by_category(self.exclusive, owner)

    def snapshot_calls(self, owner: str | None = None) -> dict[str, int]:
        with self._lock:
            return _by_category(self.calls, owner)


def _by_category(totals: dict[tuple[str | None, str], Any], owner: str | None) -> dict[str, Any]:
    out: dict[str, Any] = defaultdict(int)
    for (who, name), value in totals.items():
        if owner is None or who == owner:
            out[name] += value
    return dict(out)


@dataclass
class HttpCall:
    api: str
    endpoint: str
    start: float
    end: float
    status: int | None
    thread: int
    owner: str | None = None
    flows: tuple[int, ...] = ()  # the flow calls (``_FLOW_PATH``) it was made within


@dataclass
class HttpLog:
    """Every request the product sent to a sandbox API (client side), in order."""

    calls: list[HttpCall] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, call: HttpCall) -> None:
        with self.lock:
            self.calls.append(call)

    def __len__(self) -> int:
        return len(self.calls)

    def window(self, first: int, last: int | None = None, *, owner: str | None = None, flow: int | None = None) -> list[HttpCall]:
        """The calls from index ``first`` on, only ``owner``'s when given, only those made within ``flow`` when given."""
        with self.lock:
            return [
                c for c in self.calls[first:last] if (owner is None or c.owner == owner) and (flow is None or flow in c.flows)
            ]


def busy_time(calls: list[HttpCall]) -> float:
    """Wall time during which at least one of ``calls`` was in flight (union of intervals)."""
    total = 0.0
    current: tuple[float, float] | None = None  # (start, end) of the busy interval being extended
    for call in sorted(calls, key=lambda c: c.start):
        if current is None or call.start > current[1]:
            if current is not None:
                total += current[1] - current[0]
            current = (call.start, call.end)
        else:
            current = (current[0], max(current[1], call.end))
    if current is not None:
        total += current[1] - current[0]
    return total


def time_at_level(calls: list[HttpCall]) -> dict[int, float]:
    """Seconds during which exactly k of ``calls`` were in flight, for each k seen (0 between the first start and the last end).

    For NetSuite it says how long the account's slots stood partly idle: the efficiency's missing share, by level.
    """
    events = sorted([(c.start, 1) for c in calls] + [(c.end, -1) for c in calls], key=lambda e: (e[0], e[1]))
    seconds: dict[int, float] = defaultdict(float)
    level, last = 0, None
    for at, step in events:
        if last is not None:
            seconds[level] += at - last
        level += step
        last = at
    return dict(sorted(seconds.items()))


def max_overlap(calls: list[HttpCall]) -> int:
    """Most requests of ``calls`` in flight at one instant (client side)."""
    events = sorted([(c.start, 1) for c in calls] + [(c.end, -1) for c in calls], key=lambda e: (e[0], e[1]))
    peak = level = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


_DIGITS = re.compile(r"/\d+(?=/|$)")
_EID = re.compile(r"/eid:[^/]+")
_SQL_STRING = re.compile(r"'(?:[^']|'')*'")
_SQL_LIST = re.compile(r"\(\s*\?(?:\s*,\s*\?)*\s*\)")
_SQL_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")
_GQL_OP = re.compile(r"\b(query|mutation)\b\s*(\w+)?")
_GQL_FIELD = re.compile(r"{\s*(\w+)")


def _suiteql_shape(body: bytes) -> str:
    try:
        query = json.loads(body or b"{}").get("q") or ""
    except ValueError:
        return "SuiteQL (unreadable body)"
    shape = _SQL_NUMBER.sub("?", _SQL_LIST.sub("(?)", _SQL_STRING.sub("?", query)))
    shape = _SQL_LIST.sub("(?)", shape)
    match = re.search(r"\bFROM\b(.*?)(?:\bORDER BY\b|$)", shape, flags=re.DOTALL | re.IGNORECASE)
    core = " ".join((match.group(1) if match else shape).split())
    return f"SuiteQL FROM {core}"[:140]


def _graphql_shape(body: bytes) -> str:
    try:
        query = json.loads(body or b"{}").get("query") or ""
    except ValueError:
        return "GraphQL (unreadable body)"
    op = _GQL_OP.search(query)
    first = _GQL_FIELD.search(query)
    kind = op.group(1) if op else "query"
    name = (op.group(2) if op and op.group(2) else None) or (first.group(1) if first else "?")
    return f"GraphQL {kind} {name}"


def classify_request(api: str, method: str, path: str, body: bytes = b"") -> str:
    """A stable name for the endpoint a request hit: ids folded, SuiteQL literals and GraphQL variables dropped.

    Example:
        >>> classify_request("loop", "GET", "/api/v1/warehouse/return/1234")
        'GET /api/v1/warehouse/return/{id}'
    """
    if api == "netsuite" and path.endswith("/query/v1/suiteql"):
        return _suiteql_shape(body)
    if api == "shopify" and path.endswith("/graphql.json"):
        return _graphql_shape(body)
    path = _EID.sub("/eid:{externalId}", path)
    path = _DIGITS.sub("/{id}", path)
    return f"{method} {path.replace('/services/rest/record/v1', '')}"


class ServerTimer:
    """ASGI middleware summing the time requests spend inside ``app`` (server side); other attributes pass through."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seconds = 0.0
        self.requests = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get("path", "").startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        # Counted as it arrives: the app's last send reaches the client before this coroutine resumes, so a count
        # taken after the app returned could lag the client's (a tiny run once read 226 against 227).
        self.requests += 1
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.seconds += time.perf_counter() - start

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)


@dataclass
class FlowSpan:
    """One call of a Prefect flow: name, store, the phase it ran in, and what happened during it."""

    name: str
    store: str | None
    phase: str
    depth: int
    wall: float
    exclusive: dict[str, float]
    requests: dict[str, int]
    http_calls: list[HttpCall]
    state: str | None = None
    calls: dict[str, int] = field(default_factory=dict)  # frames closed per category (e.g. quality: suite runs)
    task_runs: int = 0
    start: float | None = None  # perf_counter at the call; None: the spans of a group ran one after another


class Instrumentation:
    """Install every probe for the sandbox at ``ports`` (port -> api name); ``close()`` puts everything back."""

    def __init__(self, ports: dict[int, str], injectors: dict[str, Any]) -> None:
        self.ports = ports
        self.injectors = injectors
        self.profiler = Profiler()
        self.http = HttpLog()
        self.spans: list[FlowSpan] = []
        self.phase = "setup"
        self.task_runs: Counter[str | None] = Counter()  # per owner
        self._undo: list[Callable[[], None]] = []

    # -- snapshots ---------------------------------------------------------------------------------

    def server_requests(self) -> dict[str, int]:
        return {api: injector.stats.requests for api, injector in self.injectors.items()}

    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        original = getattr(owner, name)
        setattr(owner, name, replacement)
        self._undo.append(lambda: setattr(owner, name, original))

    # -- installation ------------------------------------------------------------------------------

    def install(self, *, ledger_engine: Any = None) -> Instrumentation:
        self._install_context_copy()
        self._install_http()
        self._install_prefect()
        self._install_ledger(ledger_engine)
        self._install_quality()
        return self

    def close(self) -> None:
        while self._undo:
            self._undo.pop()()

    def _install_context_copy(self) -> None:
        """Run work submitted to a thread pool in the submitter's context, so its time and requests keep their owner."""
        original = concurrent.futures.ThreadPoolExecutor.submit

        def submit(pool: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
            return original(pool, contextvars.copy_context().run, fn, *args, **kwargs)

        self._patch(concurrent.futures.ThreadPoolExecutor, "submit", submit)

    def _install_http(self) -> None:
        import httpx

        original = httpx.HTTPTransport.handle_request
        probe = self

        def handle_request(transport: Any, request: Any) -> Any:
            api = probe.ports.get(request.url.port) if request.url.host in ("127.0.0.1", "localhost") else None
            if api is None:
                return original(transport, request)
            try:
                body = request.content
            except httpx.RequestNotRead:  # a streamed body: classify by path only
                body = b""
            endpoint = classify_request(api, request.method, request.url.path, body)
            category = f"http:{api}"
            probe.profiler.push(category)
            start, status = time.perf_counter(), None
            try:
                response = original(transport, request)
                status = response.status_code
                return response
            finally:
                probe.profiler.pop(category)
                probe.http.add(
                    HttpCall(
                        api, endpoint, start, time.perf_counter(), status, threading.get_ident(), OWNER.get(), _FLOW_PATH.get()
                    )
                )

        self._patch(httpx.HTTPTransport, "handle_request", handle_request)

        import httpx._transports.default as transports

        make_context = transports.create_ssl_context

        def create_ssl_context(*args: Any, **kwargs: Any) -> Any:
            # Every new httpx client loads the CA bundle; charge it to whoever builds the client.
            parent = probe.profiler.top() or ""
            with probe.profiler.frame("prefect" if parent.startswith("prefect") else "client setup"):
                return make_context(*args, **kwargs)

        self._patch(transports, "create_ssl_context", create_ssl_context)

    def _install_prefect(self) -> None:
        import prefect.artifacts
        import prefect.flow_engine
        import prefect.task_engine
        from prefect.flows import Flow
        from prefect.tasks import Task

        probe = self
        task_call, flow_call = Task.__call__, Flow.__call__

        def timed_task_call(task: Any, *args: Any, **kwargs: Any) -> Any:
            probe.task_runs[OWNER.get()] += 1
            with probe.profiler.frame("prefect"):
                return task_call(task, *args, **kwargs)

        def timed_flow_call(flow: Any, *args: Any, **kwargs: Any) -> Any:
            return probe._flow_span(flow, flow_call, args, kwargs)

        self._patch(Task, "__call__", timed_task_call)
        self._patch(Flow, "__call__", timed_flow_call)
        for module, category in ((prefect.task_engine, "task code"), (prefect.flow_engine, "flow code")):
            # Engine internals: without them the bodies' time stays in "prefect" (the report's coverage still holds).
            if hasattr(module, "call_with_parameters"):
                self._patch(module, "call_with_parameters", _framed(self.profiler, category, module.call_with_parameters))
        self._patch(
            prefect.artifacts,
            "create_markdown_artifact",
            _framed(self.profiler, "prefect artifacts", prefect.artifacts.create_markdown_artifact),
        )
        if hasattr(prefect.flow_engine, "_send_heartbeats"):
            self._patch(
                prefect.flow_engine,
                "_send_heartbeats",
                _timed_exit(self.profiler, "prefect heartbeat", prefect.flow_engine._send_heartbeats),
            )

    def _flow_span(self, flow: Any, call: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        path = _FLOW_PATH.get()
        depth, flow_id = len(path), next(_FLOW_IDS)
        path_token = _FLOW_PATH.set((*path, flow_id))
        store = kwargs.get("store", args[0] if args else None)
        owner = OWNER.get()  # None outside the bench's run_all threads: then every thread counts, as one run at a time
        before_ex, first = self.profiler.snapshot(owner), len(self.http)
        before_calls, before_tasks = self.profiler.snapshot_calls(owner), self._task_runs(owner)
        start = time.perf_counter()
        state_name = None
        try:
            with self.profiler.frame("prefect"):
                result = call(flow, *args, **kwargs)
            state_name = getattr(getattr(result, "type", None), "value", None) if kwargs.get("return_state") else "COMPLETED"
            return result
        finally:
            wall = time.perf_counter() - start
            _FLOW_PATH.reset(path_token)
            after_ex, after_calls = self.profiler.snapshot(owner), self.profiler.snapshot_calls(owner)
            http_calls = self.http.window(first, owner=owner, flow=flow_id)
            requests = Counter(c.api for c in http_calls)
            self.spans.append(
                FlowSpan(
                    name=flow.name,
                    store=store,
                    phase=self.phase,
                    depth=depth,
                    wall=wall,
                    start=start,
                    exclusive={k: after_ex.get(k, 0.0) - before_ex.get(k, 0.0) for k in after_ex},
                    # Client side, this owner's only (the server's counters mix stores that run at once); the
                    # scenario checks the lifecycle's total against the server's.
                    requests={api: requests.get(api, 0) for api in self.injectors},
                    http_calls=http_calls,
                    state=state_name,
                    calls={k: after_calls.get(k, 0) - before_calls.get(k, 0) for k in after_calls},
                    task_runs=self._task_runs(owner) - before_tasks,
                )
            )

    def _task_runs(self, owner: str | None) -> int:
        return sum(self.task_runs.values()) if owner is None else self.task_runs[owner]

    def _install_ledger(self, engine: Any) -> None:
        from returns_sync.ledger import Ledger

        original = Ledger.session
        profiler = self.profiler

        @contextmanager
        def session(ledger: Any) -> Iterator[Any]:
            with profiler.frame("ledger"), original(ledger) as repo:
                yield repo

        self._patch(Ledger, "session", session)
        if engine is None:
            return
        from sqlalchemy import event

        def before(*_: Any, **__: Any) -> None:
            profiler.push("ledger sql")

        def after(*_: Any, **__: Any) -> None:
            profiler.pop("ledger sql")

        for name, hook in (("before_cursor_execute", before), ("after_cursor_execute", after), ("handle_error", after)):
            event.listen(engine, name, hook)
            self._undo.append(partial(event.remove, engine, name, hook))

    def _install_quality(self) -> None:
        from returns_sync.quality import refund_suite, return_lines_suite

        self._patch(
            return_lines_suite,
            "validate_return_lines",
            _framed(self.profiler, "quality", return_lines_suite.validate_return_lines),
        )
        self._patch(refund_suite, "validate_refunds", _framed(self.profiler, "quality", refund_suite.validate_refunds))


def _framed(profiler: Profiler, category: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with profiler.frame(category):
            return fn(*args, **kwargs)

    wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
    return wrapper


def _timed_exit(profiler: Profiler, category: str, factory: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a context-manager factory so that only its exit (e.g. joining a thread) is timed."""

    @contextmanager
    def wrapper(*args: Any, **kwargs: Any) -> Iterator[None]:
        manager = factory(*args, **kwargs)
        manager.__enter__()
        try:
            yield
        except BaseException:
            with profiler.frame(category):
                if not manager.__exit__(*sys.exc_info()):
                    raise
        else:
            with profiler.frame(category):
                manager.__exit__(None, None, None)

    return wrapper


def endpoint_counts(calls: list[HttpCall]) -> Counter[tuple[str, str]]:
    """(api, endpoint) -> requests."""
    return Counter((c.api, c.endpoint) for c in calls)
