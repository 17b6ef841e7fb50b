"""What a run's NetSuite requests asked for, per return: each SuiteQL statement by its registered name, each REST call
by its method and record path.

A freshness run's latency follows NetSuite's load (its five slots are shared by every run of the account), so the
next saving starts from which requests a return costs. A SuiteQL request is named by the statement that made it:
each registered statement (``suiteql_statements.STATEMENTS``) is built with the stores' own fields around a
placeholder for the caller's match, and the request's text must match it whole; anything else is "SuiteQL (other)".
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from returns_bench.request_log import RecordedRequest
from returns_sync.tasks.suiteql_statements import STATEMENTS, StatementFields

__all__ = ["netsuite_requests_by_kind", "statement_patterns"]

_MATCH = "\x00match\x00"  # where a statement's caller puts its condition
_RECORD_PATH = re.compile(r"^/services/rest/record/v1")
_ID = re.compile(r"/\d+(?=/|$)")


def statement_patterns(fields: Iterable[StatementFields]) -> list[tuple[re.Pattern[str], str]]:
    """For each registered statement and each store's fields: the text it sends, any match in the placeholder's place."""
    patterns: dict[str, str] = {}
    for one in fields:
        for statement in STATEMENTS:
            try:
                text = statement.build(one, _MATCH)
            except ValueError:  # names a field these settings do not set: no store of theirs sends it
                continue
            patterns.setdefault(re.escape(text).replace(re.escape(_MATCH), ".*"), statement.name)
    return [(re.compile(pattern, re.DOTALL), name) for pattern, name in patterns.items()]


def _kind(request: RecordedRequest, patterns: Sequence[tuple[re.Pattern[str], str]]) -> str:
    path = _RECORD_PATH.sub("", request.path)
    if not request.path.endswith("/suiteql"):
        return f"{request.method} {_ID.sub('/{id}', path)}"
    try:
        query = str(json.loads(request.body).get("q", ""))
    except (ValueError, AttributeError):
        query = ""
    return next((f"SuiteQL: {name}" for pattern, name in patterns if pattern.fullmatch(query)), "SuiteQL (other)")


def netsuite_requests_by_kind(
    log: Iterable[RecordedRequest], *, returns: int, fields: Iterable[StatementFields]
) -> dict[str, float]:
    """NetSuite requests per return by kind, most first.

    Example:
        >>> from returns_sync.tasks.suiteql_statements import ITEMS_BY_SKU
        >>> q = ITEMS_BY_SKU(StatementFields(sku_field="itemid"), "i.itemid IN ('A')")
        >>> r = RecordedRequest("netsuite", "POST", "/services/rest/query/v1/suiteql", "", json.dumps({"q": q}), 200, 0, 1)
        >>> netsuite_requests_by_kind([r, r], returns=4, fields=[StatementFields(sku_field="itemid")])
        {'SuiteQL: active items by SKU': 0.5}
    """
    patterns = statement_patterns(fields)
    counts = Counter(_kind(r, patterns) for r in log if r.api == "netsuite")
    return {kind: round(count / returns, 2) for kind, count in counts.most_common()} if returns else {}
