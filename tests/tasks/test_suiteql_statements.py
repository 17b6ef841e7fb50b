"""The syncs send SuiteQL only through the named templates, so ``doctor`` checks exactly what they send."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from returns_sync.domain.tax import TaxEngine
from returns_sync.tasks import suiteql_statements as sql
from returns_sync.tasks.suiteql_statements import NO_ROWS, STATEMENTS, StatementFields

_TASKS = Path(sql.__file__).parent
_FIELDS = StatementFields(
    order_id_field="custbody_shopify_order_id",
    sku_field="itemid",
    loop_id_field="custbody_loop_return_id",
    flag_field="custbody_flag",
    refund_id_field="custbody_shopify_refund_id",
    subsidiary_id=2,
)
_NAMES = {name for name, value in vars(sql).items() if isinstance(value, sql.SuiteqlStatement)}


# Sends the texts its callers built with the templates: typed StatementText, which only a template makes (mypy checks).
_ROUNDS = "suiteql_rounds.py"


def _suiteql_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in sorted(_TASKS.glob("*.py")):
        if path.name == _ROUNDS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("suiteql", "suiteql_one")
            ):
                calls.append((path.name, node))
    return calls


def test_every_suiteql_call_of_the_tasks_goes_through_a_registered_template() -> None:
    calls = _suiteql_calls()
    assert calls, "the guard found no SuiteQL calls at all"
    for module, call in calls:
        query = call.args[0]
        ok = (
            isinstance(query, ast.Call)
            and isinstance(query.func, ast.Attribute)
            and isinstance(query.func.value, ast.Name)
            and query.func.value.id == "sql"
            and query.func.attr in _NAMES
        )
        assert ok, f"{module}:{call.lineno} sends SuiteQL that is not a suiteql_statements template"


def test_queries_sent_side_by_side_are_typed_as_template_text() -> None:
    from returns_sync.tasks.suiteql_rounds import read_side_by_side

    annotation = read_side_by_side.__annotations__["queries"]
    assert "StatementText" in str(annotation)
    assert isinstance(sql.ITEMS_BY_SKU(_FIELDS, NO_ROWS), str)  # a template's text is still SuiteQL text
    assert (_TASKS / _ROUNDS).read_text().count(".suiteql(") == 2  # and the module sends nothing else


def test_every_template_is_in_the_registry_once() -> None:
    assert {s.name for s in STATEMENTS} == {getattr(sql, name).name for name in _NAMES}
    assert len({s.name for s in STATEMENTS}) == len(STATEMENTS) == 14


def test_a_legacy_account_never_sends_the_suitetax_statement() -> None:
    legacy, suitetax = sql.statements_for(TaxEngine.LEGACY), sql.statements_for(TaxEngine.SUITETAX)
    assert (len(legacy), len(suitetax)) == (13, 14)
    assert sql.SALES_ORDER_TAX_DETAILS not in legacy and sql.SALES_ORDER_TAX_DETAILS in suitetax


def test_under_suitetax_the_order_lines_do_not_ask_for_a_line_tax_code_or_rate() -> None:
    legacy = sql.SALES_ORDER_LINES(_FIELDS, NO_ROWS)
    suitetax = sql.SALES_ORDER_LINES(StatementFields(tax_engine=TaxEngine.SUITETAX), NO_ROWS)
    assert "tl.taxcode" in legacy and "LEFT JOIN salestaxitem" in legacy
    assert "taxcode" not in suitetax and "salestaxitem" not in suitetax


@pytest.mark.parametrize("statement", STATEMENTS, ids=lambda s: s.name)
def test_a_probe_is_the_statement_matching_nothing(statement: sql.SuiteqlStatement) -> None:
    probe = statement.probe(_FIELDS)
    assert NO_ROWS in probe
    if statement.sample_match is None:
        assert probe == statement(_FIELDS, NO_ROWS)
    assert probe.startswith("SELECT ")


def test_the_window_probe_parses_the_real_window_shape() -> None:
    probe = sql.RETURN_AUTHORIZATIONS_CHANGED.probe(_FIELDS)
    assert "LIKE 'loop-doctor-%-ra'" in probe and "TO_DATE(" in probe and probe.count("1 = 0") == 1


def test_a_missing_field_id_is_refused() -> None:
    with pytest.raises(ValueError, match="not a NetSuite field id"):
        sql.ITEMS_BY_SKU(StatementFields(), NO_ROWS)
