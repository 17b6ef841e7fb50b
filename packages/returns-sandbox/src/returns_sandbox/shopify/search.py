"""A subset of Shopify's search syntax for ``orders(query:)``: ``field:value`` terms, AND by default, ``OR``, ``-`` negation, ranges.

Supported fields: ``name`` (``#1001`` or ``1001``), ``id``, ``created_at``/``updated_at``/``processed_at``
(``>=``, ``>``, ``<=``, ``<``, or ``:`` for a day), ``tag``, ``tag_not``, ``status``
(``any``/``open``/``closed``/``cancelled``), ``financial_status``, ``fulfillment_status``, ``email``,
``customer_id``. A bare word matches the name, email or a tag. Unknown fields are ignored, as Shopify
ignores them (with a warning the sandbox does not render).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["SearchQuery", "parse_search"]

_TERM = re.compile(r"^(?P<neg>-)?(?:(?P<field>[a-z_]+):(?P<op>>=|<=|>|<)?)?(?P<value>.*)$", re.S)
_DATE_FIELDS = ("created_at", "updated_at", "processed_at")
_FULFILLMENT_ALIASES = {
    "shipped": "fulfilled",
    "unshipped": "unfulfilled",
    "unfulfilled": "unfulfilled",
    "partial": "partially_fulfilled",
}


@dataclass(frozen=True)
class _Term:
    field: str | None
    op: str
    value: str
    negated: bool


@dataclass(frozen=True)
class SearchQuery:
    """OR of AND-groups of terms. ``matches(facts)`` asks ``facts(field)`` for an order's values."""

    groups: tuple[tuple[_Term, ...], ...]

    def matches(self, facts: Callable[[str], Any]) -> bool:
        return any(all(_match(term, facts) != term.negated for term in group) for group in self.groups)


def parse_search(text: str) -> SearchQuery:
    """Parse a query string; quotes (single or double) group values with spaces."""
    lexer = shlex.shlex(text.replace("(", " ").replace(")", " "), posix=True)
    lexer.whitespace_split = True
    lexer.quotes = "\"'"
    lexer.commenters = ""  # '#' starts order names, not comments
    groups: list[list[_Term]] = [[]]
    for token in lexer:
        if token == "OR":
            groups.append([])
            continue
        if token == "AND" or not token:
            continue
        match = _TERM.match(token)
        assert match is not None
        field = match["field"]
        groups[-1].append(_Term(field, match["op"] or ":", match["value"].strip("'\""), bool(match["neg"])))
    return SearchQuery(tuple(tuple(g) for g in groups if g))


def _parse_time(value: str) -> tuple[datetime, bool]:
    """(moment, is_a_whole_day)."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return datetime.fromisoformat(value).replace(tzinfo=UTC), True
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), False


def _compare(left: Any, op: str, right: Any) -> bool:
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right, ":": left == right}[op]


def _match(term: _Term, facts: Callable[[str], Any]) -> bool:
    field, value = term.field, term.value
    if field is None:
        needle = value.lower().lstrip("#")
        return (
            needle == str(facts("name")).lower().lstrip("#")
            or needle == str(facts("email") or "").lower()
            or needle in (t.lower() for t in facts("tags"))
        )
    if field == "name":
        return value.lstrip("#").lower() == str(facts("name")).lstrip("#").lower()
    if field in ("id", "customer_id"):
        actual = facts(field)
        return actual is not None and value.isdigit() and _compare(int(actual), term.op, int(value))
    if field in _DATE_FIELDS:
        try:
            moment, whole_day = _parse_time(value)
        except ValueError:
            return False
        actual = datetime.fromisoformat(str(facts(field)).replace("Z", "+00:00"))
        if term.op == ":" and whole_day:
            return actual.date() == moment.date()
        return _compare(actual, term.op, moment)
    if field == "tag":
        return value.lower() in (t.lower() for t in facts("tags"))
    if field == "tag_not":
        return value.lower() not in (t.lower() for t in facts("tags"))
    if field == "status":
        status = facts("status")
        return value == "any" or value == status
    if field == "financial_status":
        return value.lower() == str(facts("financial_status")).lower()
    if field == "fulfillment_status":
        wanted = _FULFILLMENT_ALIASES.get(value.lower(), value.lower())
        return wanted == str(facts("fulfillment_status")).lower()
    if field == "email":
        return value.lower() == str(facts("email") or "").lower()
    return True  # unknown field: ignored
