"""Check a parsed SuiteQL query against the emulator's tables and rewrite it, in place, into SQLite's dialect."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from sqlglot import exp

from returns_sandbox.netsuite import schema
from returns_sandbox.netsuite import suiteql_functions as fn
from returns_sandbox.netsuite.suiteql_checks import check_grouping, check_paging
from returns_sandbox.netsuite.suiteql_errors import (
    ambiguous_identifier,
    invalid_search,
    unknown_field,
    unknown_identifier,
    unknown_record,
)
from returns_sandbox.netsuite.tax import SUITETAX_META

__all__ = ["TABLES", "Translator"]

# The SuiteQL tables are exactly those schema.py creates; any other table in the database stays invisible.
TABLES: tuple[str, ...] = tuple(re.findall(r'CREATE TABLE IF NOT EXISTS "?(\w+)"?', schema.DDL))

_SET_OPERATIONS = (exp.Union, exp.Except, exp.Intersect)
_ALIAS_RE = re.compile(r"[a-z][a-z0-9_$#]*\Z")


def _keys(*names: str) -> frozenset[str]:
    return frozenset(names)


_UNARY = _keys("this")
_BINARY = _keys("this", "expression")
# Every expression node a query may contain, with the arguments it may carry. Anything else is refused,
# so nothing reaches SQLite that we did not mean to run (no PRAGMA-like functions, placeholders, INTO ...).
_ALLOWED: dict[type[exp.Expression], frozenset[str]] = {
    exp.Literal: _keys("this", "is_string"),
    exp.RawString: _UNARY,
    exp.Null: _keys(),
    exp.Star: _keys(),
    **{
        cls: _UNARY
        for cls in (
            exp.Paren,
            exp.Neg,
            exp.Not,
            exp.Exists,
            exp.Sum,
            exp.Min,
            exp.Max,
            exp.Avg,
            exp.Upper,
            exp.Lower,
            exp.Length,
            exp.Abs,
            exp.Trim,
            exp.ToNumber,
        )
    },
    **{
        cls: _BINARY
        for cls in (
            exp.And,
            exp.Or,
            exp.EQ,
            exp.NEQ,
            exp.LT,
            exp.LTE,
            exp.GT,
            exp.GTE,
            exp.Is,
            exp.Escape,
            exp.Add,
            exp.Sub,
            exp.Mul,
        )
    },
    exp.Like: _keys("this", "expression", "negate"),
    exp.Div: _keys("this", "expression", "typed", "safe"),
    exp.DPipe: _keys("this", "expression", "safe"),
    exp.Concat: _keys("expressions", "safe", "coalesce"),
    exp.In: _keys("this", "expressions", "query"),
    exp.Between: _keys("this", "low", "high"),
    exp.Case: _keys("this", "ifs", "default"),
    exp.DecodeCase: _keys("expressions"),
    exp.If: _keys("this", "true", "false"),
    exp.Count: _keys("this", "big_int"),
    exp.Distinct: _keys("expressions"),
    exp.Round: _keys("this", "decimals"),
    exp.Coalesce: _keys("this", "expressions", "is_nvl"),
    exp.Substring: _keys("this", "start", "length"),
    exp.Replace: _keys("this", "expression", "replacement"),
    exp.StrPosition: _keys("this", "substr"),
    exp.ToChar: _keys("this", "format"),
    exp.TimeToStr: _keys("this", "format"),
}


@dataclass
class _Source:
    record: str | None  # the NetSuite table, or None for a subquery in FROM
    columns: list[str]


@dataclass
class _Scope:
    sources: dict[str, _Source]  # by lower-case alias, in FROM order
    parent: _Scope | None


def _describe(node: exp.Expression) -> str:
    return node.name.upper() if isinstance(node, exp.Anonymous) else node.key.upper()


class Translator:
    """Resolves names scope by scope, expands ``*``, refuses the unsupported and rewrites SuiteQL-only constructs."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._columns: dict[str, list[str]] = {}
        self._derived = 0
        self._kinds: dict[int, list[str | None]] = {}  # per translated SELECT (by id): raw date columns it outputs

    def output_kinds(self, tree: exp.Expression) -> tuple[str | None, ...]:
        """Which outputs of ``tree`` are raw date/datetime columns (the leftmost SELECT names a set operation's)."""
        while isinstance(tree, (*_SET_OPERATIONS, exp.Subquery)):
            tree = tree.this
        return tuple(self._kinds.get(id(tree), []))

    def query(self, node: exp.Expression, parent: _Scope | None = None) -> list[str]:
        """Translate one SELECT or set operation in place; returns its output column names (lower-case)."""
        if isinstance(node, exp.Subquery) and not node.args.get("alias"):
            fn.check_args(node, "this")
            return self.query(node.this, parent)
        if isinstance(node, _SET_OPERATIONS):
            return self._set_operation(node, parent)
        if isinstance(node, exp.Select):
            return self._select(node, parent)
        raise invalid_search(f"{_describe(node)} is not a query")

    def _set_operation(self, node: exp.Expression, parent: _Scope | None) -> list[str]:
        fn.check_args(node, "this", "expression", "distinct", "order", "limit", "offset")
        names = self.query(node.this, parent)
        self.query(node.expression, parent)
        order = node.args.get("order")
        for ordered in order.expressions if order else []:
            fn.check_args(ordered, "this", "desc", "nulls_first")
            term = ordered.this
            if isinstance(term, exp.Literal) and not term.is_string:
                continue
            if not (isinstance(term, exp.Column) and not term.table and term.name.lower() in names):
                raise unknown_identifier(term.sql(dialect="oracle"))
            term.replace(exp.column(term.name.lower()))
        check_paging(node)
        return names

    def _select(self, select: exp.Select, parent: _Scope | None) -> list[str]:
        fn.check_args(select, "expressions", "distinct", "from_", "joins", "where", "group", "having", "order", "limit", "offset")
        if select.args.get("distinct") is not None:
            fn.check_args(select.args["distinct"])
        from_ = select.args.get("from_")
        if from_ is None:
            raise invalid_search("a SELECT needs a FROM clause")
        fn.check_args(from_, "this")
        scope = _Scope({}, parent)
        joins = select.args.get("joins") or []
        if isinstance(from_.this, exp.Table) and from_.this.name.lower() == "dual" and not joins:
            fn.check_args(from_.this, "this")
            select.set("from_", None)  # Oracle's one-row DUAL is SQLite's FROM-less SELECT
        else:
            self._add_source(scope, from_.this)
        for join in joins:
            fn.check_args(join, "this", "on", "side", "kind")
            if join.text("side").upper() not in ("", "LEFT", "RIGHT", "FULL") or join.text("kind").upper() not in (
                "",
                "INNER",
                "OUTER",
                "CROSS",
            ):
                raise invalid_search(f"{join.text('side')} {join.text('kind')} JOIN is not supported")
            self._add_source(scope, join.this)
        fn.take_rownum(select)
        names = self._projections(select, scope)
        for join in joins:
            if join.args.get("on") is not None:
                self._walk(join.args["on"], scope)
        for key in ("where", "having"):
            clause = select.args.get(key)
            if clause is not None:
                fn.check_args(clause, "this")
                self._walk(clause.this, scope)
        group = select.args.get("group")
        if group is not None:
            fn.check_args(group, "expressions")
            for term in list(group.expressions):
                self._walk(term, scope)
        self._order(select, scope, names)
        check_grouping(select)
        check_paging(select)
        return names

    def _add_source(self, scope: _Scope, node: exp.Expression) -> None:
        if isinstance(node, exp.Table):
            fn.check_args(node, "this", "alias")
            if not isinstance(node.this, exp.Identifier):
                raise invalid_search("a table must be named")
            record = node.name.lower()
            if record not in TABLES or (record in schema.SUITETAX_TABLES and not self._suitetax()):
                raise unknown_record(node.name)
            node.set("this", exp.to_identifier(record))
            alias = self._alias(node) or record
            source = _Source(record, self._visible(record))
        elif isinstance(node, exp.Subquery):
            fn.check_args(node, "this", "alias")
            # A subquery in FROM sees the enclosing query's scopes, not its siblings.
            names = self.query(node.this, scope.parent)
            named = self._alias(node)
            if named is None:
                self._derived += 1
                named = f"_q{self._derived}"
                node.set("alias", exp.TableAlias(this=exp.to_identifier(named)))
            alias = named
            source = _Source(None, list(dict.fromkeys(names)))
        else:
            raise invalid_search(f"{_describe(node)} in FROM is not supported")
        if alias in scope.sources:
            raise invalid_search(f"table alias {alias!r} is used twice")
        scope.sources[alias] = source

    def _suitetax(self) -> bool:
        """Is the SuiteTax feature on? A bare schema without the storage tables has it off."""
        try:
            found = self._conn.execute("SELECT value FROM _meta WHERE key = ?", (SUITETAX_META,)).fetchone()
        except sqlite3.OperationalError:
            return False
        return found is not None and found[0] == "1"

    def _visible(self, record: str) -> list[str]:
        if record not in self._columns:
            self._columns[record] = schema.visible_columns(self._conn, record)
        return self._columns[record]

    @staticmethod
    def _alias(node: exp.Expression) -> str | None:
        alias = node.args.get("alias")
        if alias is None:
            return None
        fn.check_args(alias, "this")
        name = _check_alias(alias.this)
        alias.set("this", exp.to_identifier(name))
        return name

    def _projections(self, select: exp.Select, scope: _Scope) -> list[str]:
        expanded: list[exp.Expression] = []
        for projection in select.expressions:
            if isinstance(projection, exp.Star):
                fn.check_args(projection)
                expanded += [exp.column(name, alias) for alias, source in scope.sources.items() for name in source.columns]
            elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
                fn.check_args(projection, "this", "table")
                fn.check_args(projection.this)
                alias = projection.table.lower()
                if alias not in scope.sources:
                    raise unknown_identifier(f"{projection.table}.*")
                expanded += [exp.column(name, alias) for name in scope.sources[alias].columns]
            else:
                expanded.append(projection)
        if not expanded:
            raise invalid_search("nothing to select")
        select.set("expressions", expanded)
        names: list[str] = []
        kinds: list[str | None] = []
        self._kinds[id(select)] = kinds
        unnamed = 0
        for projection in list(select.expressions):
            if isinstance(projection, exp.Alias):
                fn.check_args(projection, "this", "alias")
                names.append(_check_alias(projection.args["alias"]))
                projection.set("alias", exp.to_identifier(names[-1]))
                kinds.append(_date_kind(self._walk(projection.this, scope), scope))
                continue
            node = self._walk(projection, scope)
            kinds.append(_date_kind(node, scope))
            if isinstance(node, exp.Column):
                names.append(node.name)
            else:
                # NetSuite names unnamed expressions expr1, expr2, ...; the SQL alias lets an outer query use it.
                unnamed += 1
                names.append(f"expr{unnamed}")
                node.replace(exp.alias_(node.copy(), names[-1]))
        return names

    def _order(self, select: exp.Select, scope: _Scope, names: list[str]) -> None:
        order = select.args.get("order")
        if order is None:
            return
        fn.check_args(order, "expressions")
        for ordered in order.expressions:
            if not isinstance(ordered, exp.Ordered):
                raise invalid_search("bad ORDER BY term")
            fn.check_args(ordered, "this", "desc", "nulls_first")
            term = ordered.this
            if isinstance(term, exp.Column) and not term.table and isinstance(term.this, exp.Identifier):
                name = term.name.lower()
                if name in names:
                    # Oracle reads a bare ORDER BY name as the select-list column of that name first.
                    projection = select.expressions[names.index(name)]
                    term.replace(exp.column(name) if isinstance(projection, exp.Alias) else projection.copy())
                    continue
            self._walk(term, scope)

    def _walk(self, node: exp.Expression, scope: _Scope) -> exp.Expression:
        """Resolve and rewrite one expression tree; returns the node now standing where ``node`` stood."""
        if isinstance(node, exp.Column):
            return self._column(node, scope)[0]
        if isinstance(node, exp.Dot):
            return self._builtin(node, scope)
        if isinstance(node, (exp.Select, *_SET_OPERATIONS)):
            self.query(node, scope)
            return node
        if isinstance(node, exp.Subquery):
            fn.check_args(node, "this")
            self.query(node.this, scope)
            return node
        if fn.is_date_expr(node):
            return _replace(node, fn.date_sql(node))
        allowed = _ALLOWED.get(type(node))
        if allowed is None:
            raise invalid_search(f"{_describe(node)} is not supported")
        fn.check_args(node, *allowed)
        if isinstance(node, exp.Star) and not isinstance(node.parent, exp.Count):
            raise invalid_search("* is only allowed in the select list and COUNT(*)")
        as_datetime = fn.datetime_operands(node)
        for child in list(node.iter_expressions()):
            self._walk(child, scope)
        if as_datetime:
            fn.wrap_datetime(node, as_datetime)
        return self._rewrite(node)

    @staticmethod
    def _rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Like) and not isinstance(node.parent, exp.Escape):
            return _replace(node, fn.like(node, None))
        if isinstance(node, exp.Escape):
            if not isinstance(node.this, exp.Like):
                raise invalid_search("ESCAPE belongs to LIKE")
            return _replace(node, fn.like(node.this, node.expression))
        if isinstance(node, exp.DPipe):
            return _replace(node, fn.concat([node.this, node.expression]))
        if isinstance(node, exp.Concat):
            return _replace(node, fn.concat(node.expressions))
        if isinstance(node, exp.ToChar):
            return _replace(node, fn.to_char(node))
        if isinstance(node, exp.TimeToStr):
            return _replace(node, fn.time_to_str(node))
        if isinstance(node, exp.ToNumber):
            return _replace(node, fn.to_number(node))
        return node

    def _column(self, column: exp.Column, scope: _Scope) -> tuple[exp.Column, _Source, str]:
        fn.check_args(column, "this", "table")
        if not isinstance(column.this, exp.Identifier):
            raise invalid_search("* is only allowed in the select list and COUNT(*)")
        name = column.name.lower()
        qualifier = column.table.lower()
        if qualifier:
            source = _lookup(scope, qualifier)
            if source is None:
                raise unknown_identifier(f"{column.table}.{column.name}")
            if name not in source.columns:
                if source.record is None:
                    raise unknown_identifier(f"{column.table}.{column.name}")
                unexposed = schema.UNEXPOSED_COLUMNS.get((source.record, name))
                raise unknown_field(column.name, source.record, *([unexposed] if unexposed else []))
        else:
            if name == "rownum":
                raise invalid_search("ROWNUM is only supported as a top-level WHERE ROWNUM <= n")
            qualifier, source = _find(scope, name, column.name)
        column.set("this", exp.to_identifier(name))
        column.set("table", exp.to_identifier(qualifier))
        return column, source, name

    def _builtin(self, dot: exp.Dot, scope: _Scope) -> exp.Expression:
        function = dot.expression
        if not (
            isinstance(dot.this, exp.Identifier)
            and dot.this.name.lower() == "builtin"
            and isinstance(function, exp.Anonymous)
            and function.name.lower() == "df"
        ):
            raise invalid_search(f"{dot.sql(dialect='oracle')} is not supported")
        fn.check_args(dot, "this", "expression")
        fn.check_args(function, "this", "expressions")
        if len(function.expressions) != 1:
            raise invalid_search("BUILTIN.DF takes one argument")
        argument = function.expressions[0]
        if isinstance(argument, exp.Column):
            column, source, name = self._column(argument, scope)
            return _replace(dot, fn.display_field(column, source.record, name))
        value = self._walk(argument, scope)
        return _replace(dot, value.copy())


def _date_kind(node: exp.Expression, scope: _Scope) -> str | None:
    """ "datetime"/"date" when ``node`` is a raw date column of a NetSuite table: NetSuite shows those in the user's format."""
    if not isinstance(node, exp.Column):
        return None
    source = _lookup(scope, node.table.lower())
    if source is None or source.record is None:
        return None  # a column of a subquery in FROM: its own SELECT already decided (simplified: shown raw)
    if node.name in fn.DATETIME_COLUMNS:
        return "datetime"
    return "date" if node.name in fn.DATE_COLUMNS else None


def _check_alias(identifier: exp.Expression) -> str:
    name = identifier.name.lower() if isinstance(identifier, exp.Identifier) else ""
    if not _ALIAS_RE.match(name):
        raise invalid_search(f"alias {identifier.sql(dialect='oracle')} is not a valid identifier")
    return name


def _replace(old: exp.Expression, new: exp.Expression) -> exp.Expression:
    old.replace(new)
    return new


def _lookup(scope: _Scope | None, alias: str) -> _Source | None:
    while scope is not None:
        if alias in scope.sources:
            return scope.sources[alias]
        scope = scope.parent
    return None


def _find(scope: _Scope | None, name: str, spelled: str) -> tuple[str, _Source]:
    while scope is not None:
        hits = [alias for alias, source in scope.sources.items() if name in source.columns]
        if len(hits) > 1:
            raise ambiguous_identifier(spelled)
        if hits:
            return hits[0], scope.sources[hits[0]]
        scope = scope.parent
    raise unknown_identifier(spelled)
