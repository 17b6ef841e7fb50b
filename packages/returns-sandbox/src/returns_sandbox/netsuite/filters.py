"""The ``q`` filter of record collection lists: ``field OPERATOR value`` terms joined by AND/OR and parentheses."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from returns_sandbox.netsuite import errors
from returns_sandbox.netsuite.bodies import parse_date
from returns_sandbox.netsuite.constants import (
    BOOL_FIELDS,
    DATE_FIELDS,
    DATETIME_FIELDS,
    NUMBER_FIELDS,
    REF_TARGETS,
    RecordSpec,
)

__all__ = ["OPERATORS", "compile_filter"]

Predicate = Callable[[dict[str, Any]], bool]

_UNARY = {"EMPTY", "EMPTY_NOT"}
_BASE = {
    "IS",
    "ANY_OF",
    "BETWEEN",
    "EQUAL",
    "GREATER",
    "GREATER_OR_EQUAL",
    "LESS",
    "LESS_OR_EQUAL",
    "WITHIN",
    "CONTAIN",
    "START_WITH",
    "END_WITH",
    "AFTER",
    "BEFORE",
    "ON",
    "ON_OR_AFTER",
    "ON_OR_BEFORE",
}
OPERATORS = frozenset(_UNARY | _BASE | {f"{op}_NOT" for op in _BASE})
_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|(\()|(\))|(,)|([^\s(),"]+))')


def _bad(q: str, why: str) -> errors.NetSuiteError:
    return errors.invalid_parameter(f"Invalid search query. Detailed unprocessed description follows. {why}", query_param="q")


def _tokens(q: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(q):
        match = _TOKEN.match(q, pos)
        if match is None or match.end() == pos:
            if q[pos:].strip() == "":
                break
            raise _bad(q, f"Unexpected character at position {pos}.")
        pos = match.end()
        quoted, lpar, rpar, comma, word = match.groups()
        if quoted is not None:
            out.append(("str", quoted.replace('\\"', '"')))
        elif lpar:
            out.append(("(", "("))
        elif rpar:
            out.append((")", ")"))
        elif comma:
            out.append((",", ","))
        elif word is not None:
            out.append(("word", word))
    return out


class _Parser:
    def __init__(self, q: str, spec: RecordSpec, custom: set[str]) -> None:
        self.q = q
        self.spec = spec
        self.tokens = _tokens(q)
        self.pos = 0
        self.fields = {name.lower(): name for name in (*spec.body, *spec.readonly, "id", "externalId", *custom)}

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _bad(self.q, "Unexpected end of the expression.")
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        if not self.tokens:
            raise _bad(self.q, "The expression is empty.")
        predicate = self.parse_or()
        if self.peek() is not None:
            raise _bad(self.q, f"Unexpected token '{self.peek()[1]}'.")  # type: ignore[index]
        return predicate

    def parse_or(self) -> Predicate:
        parts = [self.parse_and()]
        while self._keyword("OR"):
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else (lambda rec: any(p(rec) for p in parts))

    def parse_and(self) -> Predicate:
        parts = [self.parse_term()]
        while self._keyword("AND"):
            parts.append(self.parse_term())
        return parts[0] if len(parts) == 1 else (lambda rec: all(p(rec) for p in parts))

    def _keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].upper() == word:
            self.pos += 1
            return True
        return False

    def parse_term(self) -> Predicate:
        kind, text = self.take()
        if kind == "(":
            inner = self.parse_or()
            if self.take()[0] != ")":
                raise _bad(self.q, "Missing closing parenthesis.")
            return inner
        if kind != "word":
            raise _bad(self.q, f"Unexpected token '{text}'.")
        name = self.fields.get(text.lower())
        if name is None:
            raise _bad(self.q, f"Search error occurred: Field '{text}' for record '{self.spec.name}' was not found.")
        kind, operator = self.take()
        operator = operator.upper()
        if kind != "word" or operator not in OPERATORS:
            raise _bad(self.q, f"Search error occurred: Invalid search operator '{operator}'.")
        negate = operator.endswith("_NOT") and operator != "EMPTY_NOT"
        base = operator[:-4] if negate else operator
        if base in _UNARY:
            values: list[str] = []
        elif base in ("BETWEEN", "WITHIN"):
            values = [self._value(), self._value()]
        elif base == "ANY_OF":
            values = [self._value()]
            while self.peek() is not None and self.peek()[0] == ",":  # type: ignore[index]
                self.pos += 1
                values.append(self._value())
        else:
            values = [self._value()]
        test = _comparison(name, base, values, self.q)
        return (lambda rec: not test(rec)) if negate else test

    def _value(self) -> str:
        kind, text = self.take()
        if kind not in ("str", "word"):
            raise _bad(self.q, f"Unexpected token '{text}'.")
        return text


def _field_value(record: dict[str, Any], name: str) -> Any:
    return record.get(name, record.get(name.lower()))


def _comparison(name: str, operator: str, values: list[str], q: str) -> Predicate:
    if operator == "EMPTY":
        return lambda rec: _field_value(rec, name) in (None, "", [])
    if operator == "EMPTY_NOT":
        return lambda rec: _field_value(rec, name) not in (None, "", [])
    if name in DATE_FIELDS or name in DATETIME_FIELDS:
        bounds = [parse_date(v) for v in values]
        if any(b is None for b in bounds):
            raise _bad(q, f"Search error occurred: Invalid date value for field '{name}'.")
        return _date_test(name, operator, [date.fromisoformat(b) for b in bounds if b], q)
    if name in BOOL_FIELDS:
        wanted = values[0].lower() in ("true", "t")
        return lambda rec: bool(_field_value(rec, name)) == wanted
    if name in NUMBER_FIELDS or name in REF_TARGETS or name == "id":
        try:
            numbers = [Decimal(v) for v in values]
        except InvalidOperation:
            if operator in ("IS", "ANY_OF") and name in REF_TARGETS:
                return lambda rec: str(_field_value(rec, name)) in values
            raise _bad(q, f"Search error occurred: Invalid number value for field '{name}'.") from None
        return _number_test(name, operator, numbers, q)
    return _string_test(name, operator, [v.lower() for v in values], q)


def _number_test(name: str, operator: str, numbers: list[Decimal], q: str) -> Predicate:
    def value(rec: dict[str, Any]) -> Decimal | None:
        raw = _field_value(rec, name)
        try:
            return None if raw is None else Decimal(str(raw))
        except InvalidOperation:
            return None

    tests: dict[str, Callable[[Decimal], bool]] = {
        "IS": lambda v: v == numbers[0],
        "EQUAL": lambda v: v == numbers[0],
        "ANY_OF": lambda v: v in numbers,
        "GREATER": lambda v: v > numbers[0],
        "GREATER_OR_EQUAL": lambda v: v >= numbers[0],
        "LESS": lambda v: v < numbers[0],
        "LESS_OR_EQUAL": lambda v: v <= numbers[0],
        "BETWEEN": lambda v: numbers[0] <= v <= numbers[-1],
        "WITHIN": lambda v: numbers[0] <= v <= numbers[-1],
    }
    if operator not in tests:
        raise _bad(q, f"Search error occurred: Operator '{operator}' is not valid for field '{name}'.")
    test = tests[operator]
    return lambda rec: (lambda v: v is not None and test(v))(value(rec))


def _date_test(name: str, operator: str, bounds: list[date], q: str) -> Predicate:
    def value(rec: dict[str, Any]) -> date | None:
        parsed = parse_date(_field_value(rec, name))
        return None if parsed is None else date.fromisoformat(parsed)

    tests: dict[str, Callable[[date], bool]] = {
        "ON": lambda v: v == bounds[0],
        "IS": lambda v: v == bounds[0],
        "BEFORE": lambda v: v < bounds[0],
        "AFTER": lambda v: v > bounds[0],
        "ON_OR_BEFORE": lambda v: v <= bounds[0],
        "ON_OR_AFTER": lambda v: v >= bounds[0],
        "WITHIN": lambda v: bounds[0] <= v <= bounds[-1],
        "BETWEEN": lambda v: bounds[0] <= v <= bounds[-1],
    }
    if operator not in tests:
        raise _bad(q, f"Search error occurred: Operator '{operator}' is not valid for field '{name}'.")
    test = tests[operator]
    return lambda rec: (lambda v: v is not None and test(v))(value(rec))


def _string_test(name: str, operator: str, values: list[str], q: str) -> Predicate:
    def value(rec: dict[str, Any]) -> str | None:
        raw = _field_value(rec, name)
        if isinstance(raw, dict):
            raw = raw.get("id")
        return None if raw is None else str(raw).lower()

    tests: dict[str, Callable[[str], bool]] = {
        "IS": lambda v: v == values[0],
        "EQUAL": lambda v: v == values[0],
        "ANY_OF": lambda v: v in values,
        "CONTAIN": lambda v: values[0] in v,
        "START_WITH": lambda v: v.startswith(values[0]),
        "END_WITH": lambda v: v.endswith(values[0]),
    }
    if operator not in tests:
        raise _bad(q, f"Search error occurred: Operator '{operator}' is not valid for field '{name}'.")
    test = tests[operator]
    return lambda rec: (lambda v: v is not None and test(v))(value(rec))


def compile_filter(spec: RecordSpec, q: str, custom_fields: set[str]) -> Predicate:
    """Parse ``q`` for records of ``spec`` into a predicate over canonical records.

    Raises:
        NetSuiteError: 400 INVALID_PARAMETER (``o:errorQueryParam: q``) for a malformed expression or unknown field.
    """
    return _Parser(q, spec, custom_fields).parse()
