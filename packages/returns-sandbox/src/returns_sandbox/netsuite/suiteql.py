"""Run a SuiteQL query on the NetSuite emulator's SQLite tables and shape the rows the way NetSuite's REST answer does.

Supported (Oracle dialect, parsed by sqlglot): one SELECT, or SELECTs joined by UNION [ALL]/INTERSECT/MINUS;
``*``/``t.*`` (visible columns only), aliases, DISTINCT, COUNT/SUM/MIN/MAX/AVG, GROUP BY/HAVING, FROM with
aliases, INNER/LEFT/RIGHT/FULL/CROSS JOIN ... ON and comma joins, subqueries (IN, EXISTS, scalar, in FROM),
WHERE with AND/OR/NOT, [NOT] IN, [NOT] LIKE [ESCAPE] (case-sensitive, as in Oracle), comparisons, [NOT]
BETWEEN, IS [NOT] NULL, CASE/DECODE, arithmetic, ``||``/CONCAT, ORDER BY [ASC|DESC] [NULLS FIRST|LAST],
UPPER/LOWER/NVL/COALESCE/SUBSTR/INSTR/REPLACE/LENGTH/TRIM/ABS/ROUND/TO_NUMBER, TO_CHAR (plain, or with a
YYYY MM DD HH24 MI SS format), TO_DATE(literal, format), SYSDATE/CURRENT_DATE [+/- days], TRUNC(date),
BUILTIN.DF, FETCH FIRST n ROWS ONLY / OFFSET n ROWS / TOP n, ``WHERE ROWNUM <= n``, and FROM DUAL.
"""

from __future__ import annotations

import math
import re
import sqlite3
from dataclasses import dataclass
from decimal import Decimal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from returns_sandbox.netsuite import suiteql_functions as fn
from returns_sandbox.netsuite.preferences import UserPreferences
from returns_sandbox.netsuite.suiteql_errors import SuiteQLError, invalid_search
from returns_sandbox.netsuite.suiteql_translate import Translator

__all__ = ["SuiteQLError", "SuiteQLResult", "TranslatedQuery", "render_value", "run_suiteql", "translate_suiteql"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # sqlglot underlines the offending token for terminals
_QUERY_TYPES = (exp.Select, exp.Union, exp.Except, exp.Intersect)
# SQLite failures that are about the database's state, not the query: let them surface as server errors.
_STATE_ERRORS = frozenset(
    {
        "SQLITE_BUSY",
        "SQLITE_LOCKED",
        "SQLITE_INTERRUPT",
        "SQLITE_NOMEM",
        "SQLITE_IOERR",
        "SQLITE_CORRUPT",
        "SQLITE_FULL",
        "SQLITE_CANTOPEN",
        "SQLITE_READONLY",
    }
)


@dataclass(frozen=True)
class SuiteQLResult:
    """One page of a SuiteQL answer."""

    items: list[dict[str, str]]  # lower-case column names, every value a string, NULL columns omitted
    total_results: int  # rows the query yields without limit/offset


@dataclass(frozen=True)
class TranslatedQuery:
    """A SuiteQL query as SQLite runs it."""

    sql: str  # the whole query
    count_sql: str  # SELECT COUNT(*) over it
    page_sql: str  # it with LIMIT ? OFFSET ? (bind limit, offset)
    columns: tuple[str, ...]  # NetSuite's output name of each SQL column, in order
    kinds: tuple[str | None, ...] = ()  # "datetime"/"date" for a raw date column, shown in the user's format


def translate_suiteql(conn: sqlite3.Connection, query: str) -> TranslatedQuery:
    """Parse ``query`` as SuiteQL and translate it to SQLite, without running it.

    Args:
        conn: The emulator's connection (its custom fields decide which columns exist).
        query: The SuiteQL text, values inlined as NetSuite expects.

    Returns:
        The SQLite statements and the output column names.

    Raises:
        SuiteQLError: The query is not one SELECT, names an unknown table or column, or uses something unsupported.
    """
    tree = _parse(query)
    try:
        translator = Translator(conn)
        columns = translator.query(tree)
        kinds = translator.output_kinds(tree)
        paged = tree.args.get("limit") is not None or tree.args.get("offset") is not None
        counted = tree.copy()
        if not paged:
            counted.set("order", None)  # ordering cannot change a count
        sql = _sqlite(tree)
        count_sql = f"SELECT COUNT(*) FROM ({_sqlite(counted)})"
    except SqlglotError as exc:
        raise invalid_search(f"cannot translate: {_ANSI.sub('', str(exc))}") from exc
    except RecursionError as exc:
        raise invalid_search("the query nests too deeply") from exc
    page_sql = f"SELECT * FROM ({sql}) LIMIT ? OFFSET ?" if paged else f"{sql} LIMIT ? OFFSET ?"
    return TranslatedQuery(sql=sql, count_sql=count_sql, page_sql=page_sql, columns=tuple(columns), kinds=kinds)


def run_suiteql(
    conn: sqlite3.Connection, query: str, *, limit: int, offset: int, preferences: UserPreferences | None = None
) -> SuiteQLResult:
    """Run a SuiteQL query and return one page of it, shaped like NetSuite's ``items``.

    Args:
        conn: The emulator's SQLite connection (tables from ``schema.create_schema``).
        query: The SuiteQL text (the ``q`` of the request body).
        limit: Page size (the endpoint enforces NetSuite's 1..1000).
        offset: Rows to skip.
        preferences: The user's time zone and date format (NetSuite's defaults when None).

    Returns:
        The page's items and the total row count of the whole query.

    Raises:
        SuiteQLError: The query was refused; nothing was executed.

    Example:
        >>> run_suiteql(conn, "SELECT id, tranid FROM transaction ORDER BY id", limit=1000, offset=0).items[0]
        {'id': '1', 'tranid': 'SO1001'}
    """
    if limit < 0 or offset < 0:
        raise SuiteQLError("INVALID_PARAMETER", "The limit and offset query parameters must not be negative.")
    preferences = preferences or UserPreferences()
    plan = translate_suiteql(conn, query)
    conn.create_function(fn.LOCAL_FUNCTION, 1, preferences.local_text, deterministic=True)
    conn.create_function(fn.UTC_FUNCTION, 1, preferences.utc_text, deterministic=True)
    cursor = conn.cursor()
    cursor.row_factory = None  # positional rows whatever the connection's factory is
    try:
        total = cursor.execute(plan.count_sql).fetchone()[0]
        rows = cursor.execute(plan.page_sql, (limit, offset)).fetchall()
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorname", None) in _STATE_ERRORS:
            raise
        raise invalid_search(f"SQLite refused the translated query: {exc}") from exc
    finally:
        cursor.close()
    owners: dict[str, int] = {}
    for position, name in enumerate(plan.columns):
        owners.setdefault(name, position)  # a repeated name (SELECT t.id, tl.id) keeps its first column
    kept = sorted(owners.values())
    items = [_item(plan, kept, row, preferences) for row in rows]
    return SuiteQLResult(items=items, total_results=int(total))


def _parse(query: str) -> exp.Expression:
    if not isinstance(query, str) or not query.strip():
        raise invalid_search("the query is empty")
    if "\x00" in query or _unencodable(query):
        raise invalid_search("the query holds a NUL or a lone surrogate")
    try:
        statements = [statement for statement in sqlglot.parse(query, read="oracle") if statement is not None]
    except Exception as exc:  # sqlglot raises more than ParseError on odd text; all of it means "not a query"
        raise invalid_search(f"cannot parse: {_ANSI.sub('', str(exc))}") from exc
    if len(statements) != 1:
        raise invalid_search(f"{len(statements)} statements; SuiteQL runs exactly one SELECT")
    statement = statements[0]
    if not isinstance(statement, _QUERY_TYPES):
        raise invalid_search(f"{statement.key.upper()} is not a SELECT; SuiteQL only reads")
    return statement


def _unencodable(query: str) -> bool:
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _sqlite(tree: exp.Expression) -> str:
    # identify=True quotes every identifier: "transaction" is reserved in SQLite, and no name is read as SQL.
    # comments=False: nothing of the caller's text travels into the SQL except names we checked and quoted literals.
    return tree.sql(dialect="sqlite", identify=True, comments=False, unsupported_level=ErrorLevel.RAISE)


def _item(plan: TranslatedQuery, kept: list[int], row: tuple[object, ...], preferences: UserPreferences) -> dict[str, str]:
    item: dict[str, str] = {}
    for position in kept:
        text = render_value(row[position])
        if text is None:
            continue
        kind = plan.kinds[position] if position < len(plan.kinds) else None
        if kind == "datetime":
            text = preferences.show_datetime(text)
        elif kind == "date":
            text = preferences.show_date(text)
        item[plan.columns[position]] = text
    return item


def render_value(value: object) -> str | None:
    """A SQLite value as NetSuite prints it: ``45``, ``48.6``, ``-0.5``; None for NULL and '' (Oracle's NULL)."""
    if value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        # 15 significant digits drops binary noise (48.599999999999994 -> 48.6), as Oracle NUMBER would hold it.
        text = format(Decimal(f"{value:.15g}"), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value)
    return text or None
