"""Runs a Great Expectations suite over a batch DataFrame and turns failing rows into per-record failures.

Great Expectations takes seconds to import, so it is imported here, on first use, and only when a
batch has rows. The ephemeral context and the suites are built once per process.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

__all__ = ["CheckFailure", "SuiteSpec", "ValidationReport", "run_suite"]

log = logging.getLogger(__name__)

# rule name -> factory building the GX expectation (takes the imported ``great_expectations`` module)
ExpectationFactory = Callable[[Any], Any]


@dataclass(frozen=True)
class CheckFailure:
    loop_return_id: str
    rule: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    expectations: tuple[tuple[str, ExpectationFactory], ...]
    reason: Callable[[str, dict[str, Any]], str]
    record_column: str = "loop_return_id"


@dataclass
class ValidationReport:
    suite: str
    checked_records: int
    failures: dict[str, list[CheckFailure]]
    statistics: dict[str, Any] = field(default_factory=dict)

    @property
    def failed_ids(self) -> set[str]:
        return set(self.failures)

    def passed(self, record_id: str) -> bool:
        return record_id not in self.failures


_lock = threading.Lock()
_context: Any = None
_batch_definitions: dict[str, Any] = {}
_suites: dict[str, Any] = {}


def _gx_objects(spec: SuiteSpec) -> tuple[Any, Any]:
    """The (batch definition, suite) for ``spec``, built once; GX's context is not thread-safe, so this holds a lock."""
    global _context
    import great_expectations as gx  # slow import: only when a batch needs validating
    from great_expectations.data_context.types.base import ProgressBarsConfig

    if _context is None:
        # GX logs its set-up at INFO (temporary docs directories ...): noise in a sync's logs and between
        # the demo's progress bars. Some of its module loggers set INFO themselves, so quieten each one.
        for name in [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "great_expectations"]:
            logging.getLogger(name).setLevel(logging.WARNING)
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        _context = gx.get_context(mode="ephemeral")
        _context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        _context.data_sources.add_pandas("returns_sync")
    if spec.name not in _suites:
        asset = _context.data_sources.get("returns_sync").add_dataframe_asset(spec.name)
        _batch_definitions[spec.name] = asset.add_batch_definition_whole_dataframe(f"{spec.name}_batch")
        suite = _context.suites.add(gx.ExpectationSuite(name=spec.name))
        for rule, factory in spec.expectations:
            expectation = factory(gx)
            expectation.meta = {"rule": rule}
            suite.add_expectation(expectation)
        _suites[spec.name] = suite
    return _batch_definitions[spec.name], _suites[spec.name]


def run_suite(spec: SuiteSpec, frame: pd.DataFrame) -> ValidationReport:
    """Validate ``frame`` (which must have a ``row_id`` column) and collect failures per record."""
    if frame.empty:
        return ValidationReport(suite=spec.name, checked_records=0, failures={})
    with _lock:
        batch_definition, suite = _gx_objects(spec)
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["row_id"]})
    rows = frame.set_index("row_id", drop=False)
    failures: dict[str, list[CheckFailure]] = {}
    seen: set[tuple[str, str, str]] = set()
    for outcome in result.results:
        if outcome.success:
            continue
        rule = (outcome.expectation_config.meta or {}).get("rule", outcome.expectation_config.type)
        unexpected = outcome.result.get("unexpected_index_list") or []
        if not unexpected and outcome.exception_info and outcome.exception_info.get("raised_exception"):
            raise RuntimeError(f"quality check {rule} could not run: {outcome.exception_info.get('exception_message')}")
        for hit in unexpected:
            row = rows.loc[int(hit["row_id"])].to_dict()
            record_id = str(row[spec.record_column])
            reason = spec.reason(rule, row)
            if (record_id, rule, reason) in seen:  # per-record checks repeat on every row of the record
                continue
            seen.add((record_id, rule, reason))
            failures.setdefault(record_id, []).append(CheckFailure(record_id, rule, reason, {"sku": row.get("sku")}))
    checked = frame[spec.record_column].nunique()
    log.debug("suite %s: %s records, %s failed", spec.name, checked, len(failures))
    return ValidationReport(suite=spec.name, checked_records=int(checked), failures=failures, statistics=dict(result.statistics))
