"""Rules Oracle enforces on a SuiteQL SELECT that SQLite would let pass: grouping and row-limiting clauses."""

from __future__ import annotations

from sqlglot import exp

from returns_sandbox.netsuite import suiteql_functions as fn
from returns_sandbox.netsuite.suiteql_errors import invalid_search

__all__ = ["check_grouping", "check_paging"]


def check_grouping(select: exp.Select) -> None:
    """Oracle refuses a selected column that is neither grouped nor aggregated; SQLite would pick any row's value."""
    group = select.args.get("group")
    projections = [projection.unalias() for projection in select.expressions]
    if group is None and not any(_has_aggregate(projection) for projection in projections):
        return
    keys = {_group_key(term) for term in group.expressions} if group is not None else set()
    for projection in projections:
        _require_grouped(projection, keys)


def check_paging(node: exp.Expression) -> None:
    """Accept FETCH FIRST n ROWS ONLY / TOP n / OFFSET n ROWS with whole-number literals only."""
    limit = node.args.get("limit")
    if isinstance(limit, exp.Limit):
        fn.check_args(limit, "expression")
        _require_count(limit.expression)
    elif isinstance(limit, exp.Fetch):
        fn.check_args(limit, "direction", "count", "limit_options")
        options = limit.args.get("limit_options")
        if options is not None and (options.args.get("percent") or options.args.get("with_ties")):
            raise invalid_search("FETCH ... PERCENT / WITH TIES is not supported")
        if limit.args.get("count") is not None:
            _require_count(limit.args["count"])
    elif limit is not None:
        raise invalid_search(f"{limit.key.upper()} is not supported")
    offset = node.args.get("offset")
    if offset is not None:
        fn.check_args(offset, "expression")
        _require_count(offset.expression)


def _require_count(node: exp.Expression | None) -> None:
    value = fn.constant_number(node)
    if not (isinstance(node, exp.Literal) and value is not None and value.denominator == 1 and value >= 0):
        raise invalid_search("row counts must be whole-number literals")


def _has_aggregate(node: exp.Expression) -> bool:
    if isinstance(node, exp.AggFunc):
        return True
    if isinstance(node, (exp.Subquery, exp.Select)):
        return False
    return any(_has_aggregate(child) for child in node.iter_expressions())


def _group_key(node: exp.Expression) -> str:
    # A rewritten BUILTIN.DF is keyed by its argument, so DF(status) in SELECT matches DF(status) in GROUP BY.
    argument = node.meta.get(fn.DF_META)
    return f"DF({argument.sql()})" if argument is not None else node.sql()


def _require_grouped(node: exp.Expression, keys: set[str]) -> None:
    if _group_key(node) in keys:
        return
    argument = node.meta.get(fn.DF_META)
    if argument is not None:
        # DF(status) is grouped when status is (its rewrite also reads transaction.type).
        _require_grouped(argument, keys)
        return
    if isinstance(node, (exp.AggFunc, exp.Subquery, exp.Select)):
        return
    if isinstance(node, exp.Column):
        raise invalid_search(f"{node.sql(dialect='oracle')} is not a GROUP BY expression")
    for child in node.iter_expressions():
        _require_grouped(child, keys)
