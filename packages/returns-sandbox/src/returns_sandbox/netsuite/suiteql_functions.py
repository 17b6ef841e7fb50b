"""SuiteQL's functions, date literals and ROWNUM rewritten as SQLite expressions on the sqlglot AST."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from sqlglot import exp

from returns_sandbox.netsuite import schema
from returns_sandbox.netsuite.constants import DATETIME_FIELDS
from returns_sandbox.netsuite.suiteql_errors import invalid_search

__all__ = [
    "DATETIME_COLUMNS",
    "DATE_COLUMNS",
    "DF_ALIAS",
    "DF_META",
    "check_args",
    "concat",
    "constant_number",
    "date_sql",
    "datetime_operands",
    "display_field",
    "is_date_expr",
    "like",
    "take_rownum",
    "time_to_str",
    "to_char",
    "to_number",
    "wrap_datetime",
]

# Columns stored as 'YYYY-MM-DD HH:MM:SS' text: compared with a date expression as they are (keeps indexes usable).
DATETIME_COLUMNS = frozenset({name.lower() for name in DATETIME_FIELDS} | {"linelastmodifieddate"})
# Columns holding a calendar date ('YYYY-MM-DD'): no time zone, shown with the date part of the user's format.
DATE_COLUMNS = frozenset({"trandate"})
# SQLite functions suiteql.run_suiteql registers with the user's time zone (preferences.UserPreferences):
# stored UTC text -> the user's wall clock, and back. Dates are read and written in the user's zone.
LOCAL_FUNCTION = "NS_LOCAL"
UTC_FUNCTION = "NS_UTC"
# Table alias inside BUILTIN.DF subqueries; user aliases may not start with "_", so it never shadows one.
DF_ALIAS = "_df"
# ``meta`` key on a rewritten BUILTIN.DF node holding its (resolved) argument, for the GROUP BY check.
DF_META = "suiteql_df"

_COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)
_TRUNC_MODIFIERS = {
    "DD": "start of day",
    "DDD": "start of day",
    "J": "start of day",
    "MM": "start of month",
    "MON": "start of month",
    "MONTH": "start of month",
    "YYYY": "start of year",
    "YEAR": "start of year",
    "YY": "start of year",
    "Y": "start of year",
}
# Oracle TO_CHAR datetime tokens SQLite's strftime can render, longest first.
_TO_CHAR_TOKENS = (("HH24", "%H"), ("YYYY", "%Y"), ("MM", "%m"), ("DD", "%d"), ("MI", "%M"), ("SS", "%S"))
_TO_CHAR_PUNCTUATION = frozenset(" -/:.,;T")
_STRFTIME_DIRECTIVES = frozenset({directive for _, directive in _TO_CHAR_TOKENS} | {"%%"})


def check_args(node: exp.Expression, *allowed: str) -> None:
    """Refuse ``node`` when it carries any argument outside ``allowed`` (a clause or option we do not translate)."""
    extra = [
        key
        for key, value in node.args.items()
        if value not in (None, False, []) and key not in allowed and not key.startswith("_")
    ]
    if extra:
        raise invalid_search(f"{node.key.upper()} with {', '.join(sorted(extra))} is not supported")


def _string(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def _datetime(*args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="DATETIME", expressions=list(args))


def _local(value: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=LOCAL_FUNCTION, expressions=[value])


def _utc(value: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=UTC_FUNCTION, expressions=[value])


def constant_number(node: exp.Expression | None) -> Fraction | None:
    """The value of a constant numeric expression (``1``, ``-2``, ``1/24``), or None when it is not one."""
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return Fraction(node.this)
        except (ValueError, ZeroDivisionError):
            return None
    if isinstance(node, exp.Paren):
        return constant_number(node.this)
    if isinstance(node, exp.Neg):
        value = constant_number(node.this)
        return None if value is None else -value
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Div)):
        left, right = constant_number(node.this), constant_number(node.expression)
        if left is None or right is None:
            return None
        if isinstance(node, exp.Add):
            return left + right
        if isinstance(node, exp.Sub):
            return left - right
        if isinstance(node, exp.Mul):
            return left * right
        return None if right == 0 else left / right
    return None


def is_date_expr(node: exp.Expression | None) -> bool:
    """True for TO_DATE(...), SYSDATE, CURRENT_DATE, TRUNC(<date>) and <date> +/- <days>."""
    if isinstance(node, exp.Paren):
        return is_date_expr(node.this)
    if isinstance(node, (exp.StrToDate, exp.CurrentTimestamp, exp.CurrentDate)):
        return True
    if isinstance(node, exp.DateTrunc):
        return is_date_expr(node.this)
    if isinstance(node, (exp.Add, exp.Sub)):
        return is_date_expr(node.this) and constant_number(node.expression) is not None
    return False


def date_sql(node: exp.Expression) -> exp.Expression:
    """The SQLite expression of a date expression: 'YYYY-MM-DD HH:MM:SS' text, like the datetime columns."""
    if isinstance(node, exp.Paren):
        return date_sql(node.this)
    if isinstance(node, exp.StrToDate):
        # TO_DATE text is the user's wall clock: compare it as the instant it names.
        return _utc(_string(_to_date(node)))
    if isinstance(node, (exp.CurrentTimestamp, exp.CurrentDate)):
        check_args(node, "sysdate")
        return _datetime(_string("now"))
    if isinstance(node, exp.DateTrunc):
        check_args(node, "this", "unit")
        unit = node.text("unit").upper() or "DD"
        if unit not in _TRUNC_MODIFIERS:
            raise invalid_search(f"TRUNC unit {unit!r} is not supported")
        # Days (months, years) start at midnight in the user's zone, not in UTC.
        return _utc(_datetime(_local(date_sql(node.this)), _string(_TRUNC_MODIFIERS[unit])))
    days = constant_number(node.expression)
    assert days is not None  # is_date_expr checked it
    seconds = round(days * 86400) * (-1 if isinstance(node, exp.Sub) else 1)
    return _datetime(date_sql(node.this), _string(f"{seconds:+d} seconds"))


def _to_date(node: exp.StrToDate) -> str:
    check_args(node, "this", "format")
    value, fmt = node.this, node.args.get("format")
    if not (isinstance(value, exp.Literal) and value.is_string and isinstance(fmt, exp.Literal) and fmt.is_string):
        raise invalid_search("TO_DATE needs a string literal and a format literal")
    try:
        # sqlglot has already turned the Oracle format ('YYYY-MM-DD HH24:MI:SS') into strftime directives.
        parsed = datetime.strptime(value.this, fmt.this)
    except ValueError as exc:
        raise invalid_search(f"TO_DATE({value.this!r}) does not match its format") from exc
    return parsed.strftime("%Y-%m-%d %H:%M:%S")


def datetime_operands(node: exp.Expression) -> list[str]:
    """Argument keys of a comparison that must be read as datetimes because another operand is a date expression."""
    if isinstance(node, _COMPARISONS):
        keys = ["this", "expression"]
    elif isinstance(node, exp.Between):
        keys = ["this", "low", "high"]
    else:
        return []
    dated = [key for key in keys if is_date_expr(node.args.get(key))]
    return [key for key in keys if key not in dated] if dated else []


def wrap_datetime(node: exp.Expression, keys: list[str]) -> None:
    """Normalise the operands under ``keys`` to 'YYYY-MM-DD HH:MM:SS' so dates compare with TO_DATE/SYSDATE."""
    for key in keys:
        operand = node.args.get(key)
        if operand is None or (isinstance(operand, exp.Column) and operand.name in DATETIME_COLUMNS):
            continue
        # trandate is 'YYYY-MM-DD': DATETIME() makes it midnight, as an Oracle DATE is; a date or a text
        # compared with a datetime is the user's wall clock.
        operand.replace(_utc(_datetime(operand.copy())))


def to_char(node: exp.ToChar) -> exp.Expression:
    """TO_CHAR(x) as text; TO_CHAR(<date>, 'YYYY-MM-DD HH24:MI:SS') through strftime."""
    fmt = node.args.get("format")
    if fmt is None:
        return exp.Cast(this=node.this.copy(), to=exp.DataType.build("TEXT"))
    if not (isinstance(fmt, exp.Literal) and fmt.is_string):
        raise invalid_search("TO_CHAR format must be a string literal")
    # TO_CHAR renders in the user's time zone (dates, which have none, pass through NS_LOCAL unchanged).
    return exp.Anonymous(this="STRFTIME", expressions=[_string(_strftime_format(fmt.this)), _local(node.this.copy())])


def time_to_str(node: exp.TimeToStr) -> exp.Expression:
    """TO_CHAR(<date expression>, fmt), whose format sqlglot has already turned into strftime directives."""
    fmt = node.args.get("format")
    if not (isinstance(fmt, exp.Literal) and fmt.is_string):
        raise invalid_search("TO_CHAR format must be a string literal")
    text, i = fmt.this, 0
    while i < len(text):
        if text[i] == "%":
            if text[i : i + 2] not in _STRFTIME_DIRECTIVES:
                raise invalid_search(f"TO_CHAR format element at {text[i:]!r} is not supported")
            i += 2
            continue
        # A letter left over is an Oracle element sqlglot did not convert (MON, AM, ...).
        if text[i].isalpha() and text[i] != "T":
            raise invalid_search(f"TO_CHAR format element at {text[i:]!r} is not supported")
        i += 1
    return exp.Anonymous(this="STRFTIME", expressions=[_string(text), _local(node.this.copy())])


def _strftime_format(oracle: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(oracle):
        if oracle[i] == '"':
            end = oracle.find('"', i + 1)
            if end < 0:
                raise invalid_search("unterminated quoted text in TO_CHAR format")
            out.append(oracle[i + 1 : end].replace("%", "%%"))
            i = end + 1
            continue
        for token, directive in _TO_CHAR_TOKENS:
            if oracle[i : i + len(token)].upper() == token:
                out.append(directive)
                i += len(token)
                break
        else:
            if oracle[i] not in _TO_CHAR_PUNCTUATION:
                raise invalid_search(f"TO_CHAR format element at {oracle[i:]!r} is not supported")
            out.append(oracle[i])
            i += 1
    return "".join(out)


def to_number(node: exp.ToNumber) -> exp.Expression:
    return exp.Cast(this=node.this.copy(), to=exp.DataType.build("NUMERIC"))


def concat(operands: list[exp.Expression]) -> exp.Expression:
    """Oracle's ``||``/CONCAT, where NULL counts as an empty string (SQLite would give NULL)."""
    parts = [exp.Coalesce(this=operand.copy(), expressions=[_string("")]) for operand in operands]
    result: exp.Expression = parts[0]
    for part in parts[1:]:
        result = exp.DPipe(this=result, expression=part)
    return exp.Paren(this=result)


def like(node: exp.Like, escape: exp.Expression | None) -> exp.Expression:
    """Oracle LIKE is case-sensitive; SQLite's is not, so a literal pattern becomes the equivalent GLOB."""
    pattern = node.expression
    escape_char = None
    if escape is not None:
        if not (isinstance(escape, exp.Literal) and escape.is_string and len(escape.this) == 1):
            raise invalid_search("LIKE ... ESCAPE needs a one-character string literal")
        escape_char = escape.this
    if not (isinstance(pattern, exp.Literal) and pattern.is_string):
        # A computed pattern keeps SQLite's LIKE (case-insensitive for ASCII): good enough for the emulator.
        like_node = node.copy()
        return exp.Escape(this=like_node, expression=escape.copy()) if escape is not None else like_node
    glob = exp.Glob(this=node.this.copy(), expression=_string(_glob_pattern(pattern.this, escape_char)))
    return exp.Not(this=glob) if node.args.get("negate") else glob


def _glob_pattern(pattern: str, escape_char: str | None) -> str:
    out: list[str] = []
    literal = False
    for char in pattern:
        if literal:
            literal = False
        elif char == escape_char:
            literal = True
            continue
        elif char == "%":
            out.append("*")
            continue
        elif char == "_":
            out.append("?")
            continue
        out.append(f"[{char}]" if char in "*?[" else char)
    if literal:
        raise invalid_search("LIKE pattern ends with its escape character")
    return "".join(out)


def display_field(arg: exp.Column, record: str | None, column: str) -> exp.Expression:
    """BUILTIN.DF(arg): status text, the referenced record's display column, or the value itself."""
    if record == "transaction" and column == "status":
        result = _status_text(arg)
    elif record is not None and (record, column) in schema.DISPLAY_FIELDS:
        table, display = schema.DISPLAY_FIELDS[(record, column)]
        source = exp.Table(this=exp.to_identifier(table), alias=exp.TableAlias(this=exp.to_identifier(DF_ALIAS)))
        lookup = (
            exp.select(exp.column(display, DF_ALIAS))
            .from_(source)
            .where(exp.EQ(this=exp.column("id", DF_ALIAS), expression=arg.copy()))
        )
        result = exp.Subquery(this=lookup)
    else:
        result = arg.copy()
    result.meta[DF_META] = arg.copy()
    return result


def _status_text(status: exp.Column) -> exp.Expression:
    type_column = exp.column("type", table=status.table)
    by_type = [
        exp.If(
            this=_string(code),
            true=exp.Case(
                this=status.copy(),
                ifs=[exp.If(this=_string(letter), true=_string(text)) for letter, text in texts.items()],
                default=status.copy(),
            ),
        )
        for code, texts in schema.STATUS_TEXT.items()
        if texts
    ]
    return exp.Case(this=type_column, ifs=by_type, default=status.copy())


def _is_rownum(node: exp.Expression) -> bool:
    return isinstance(node, exp.Column) and not node.table and node.name.lower() == "rownum"


_MIRROR: dict[type[exp.Expr], type[exp.Expr]] = {
    exp.LT: exp.GT,
    exp.GT: exp.LT,
    exp.LTE: exp.GTE,
    exp.GTE: exp.LTE,
    exp.EQ: exp.EQ,
}


def _rownum_bound(condition: exp.Expr) -> int | None:
    if type(condition) not in _MIRROR:
        return None
    left, right, kind = condition.this, condition.expression, type(condition)
    if _is_rownum(right) and not _is_rownum(left):
        left, right, kind = right, left, _MIRROR[kind]
    if not _is_rownum(left):
        return None
    bound = constant_number(right)
    if bound is None or bound.denominator != 1 or kind in (exp.GT, exp.GTE):
        raise invalid_search("only ROWNUM <= n, ROWNUM < n and ROWNUM = 1 are supported")
    if kind is exp.EQ:
        return 1 if bound == 1 else 0
    return max(int(bound) - (1 if kind is exp.LT else 0), 0)


def take_rownum(select: exp.Select) -> None:
    """Turn top-level ``WHERE ... AND ROWNUM <= n`` into LIMIT n (applied after ORDER BY, unlike Oracle)."""
    where = select.args.get("where")
    if where is None:
        return
    conjuncts = list(where.this.flatten()) if isinstance(where.this, exp.And) else [where.this]
    bound: int | None = None
    rest: list[exp.Expr] = []
    for condition in conjuncts:
        found = _rownum_bound(condition.unnest())
        if found is None:
            rest.append(condition)
        else:
            bound = found if bound is None else min(bound, found)
    if bound is None:
        return
    if select.args.get("limit") is not None:
        raise invalid_search("ROWNUM together with FETCH FIRST is not supported")
    select.set("where", exp.Where(this=exp.and_(*rest)) if rest else None)
    select.set("limit", exp.Limit(expression=exp.Literal.number(bound)))
