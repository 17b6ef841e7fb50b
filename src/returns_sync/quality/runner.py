"""Runs a Great Expectations suite over a batch DataFrame and turns failing rows into per-record failures.

Great Expectations takes seconds to import, so it is imported here, on first use, and only when a
batch has rows. The ephemeral context and the suites are built once per process, in ``GX_SUITES``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["GX_SUITES", "CheckFailure", "GXSuites", "SuiteSpec", "ValidationReport", "run_suite"]

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


class GXSuites:
    """The process's ephemeral Great Expectations context and the suites built in it, once per suite name.

    GX's context is not thread-safe: hold ``lock`` around ``get`` and every use of what it returns.
    ``reset()`` drops the context, so the next batch builds it afresh.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._context: Any = None
        self._built: dict[str, tuple[Any, Any]] = {}

    def get(self, spec: SuiteSpec) -> tuple[Any, Any]:
        """The (batch definition, suite) for ``spec``, building the context and the suite on first use."""
        import great_expectations as gx  # slow import: only when a batch needs validating
        from great_expectations.data_context.types.base import ProgressBarsConfig

        with self.lock:
            if self._context is None:
                # GX logs its set-up at INFO (temporary docs directories ...): noise in a sync's logs and
                # between the demo's progress bars. Some of its module loggers set INFO themselves.
                for name in [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "great_expectations"]:
                    logging.getLogger(name).setLevel(logging.WARNING)
                logging.getLogger("great_expectations").setLevel(logging.WARNING)
                self._context = gx.get_context(mode="ephemeral")
                self._context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
                self._context.data_sources.add_pandas("returns_sync")
            if spec.name not in self._built:
                asset = self._context.data_sources.get("returns_sync").add_dataframe_asset(spec.name)
                batch_definition = asset.add_batch_definition_whole_dataframe(f"{spec.name}_batch")
                suite = self._context.suites.add(gx.ExpectationSuite(name=spec.name))
                for rule, factory in spec.expectations:
                    expectation = factory(gx)
                    expectation.meta = {"rule": rule}
                    suite.add_expectation(expectation)
                self._built[spec.name] = (batch_definition, suite)
            return self._built[spec.name]

    def reset(self) -> None:
        """Forget the context and every suite built in it."""
        with self.lock:
            self._context = None
            self._built.clear()


GX_SUITES = GXSuites()


def run_suite(spec: SuiteSpec, frame: pd.DataFrame) -> ValidationReport:
    """Validate ``frame`` (which must have a ``row_id`` column) and collect failures per record."""
    if frame.empty:
        return ValidationReport(suite=spec.name, checked_records=0, failures={})
    checked = int(frame[spec.record_column].nunique())
    with GX_SUITES.lock:
        batch_definition, suite = GX_SUITES.get(spec)
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        # Most batches pass. A pass/fail answer alone (GX's BOOLEAN_ONLY result format, great_expectations/core/
        # result_format.py) skips collecting the unexpected rows: about 90 ms instead of 130 ms for a one-return
        # batch of return_lines on this machine, on every webhook burst's critical path. Only a batch that fails is
        # validated again for the rows that broke each rule.
        passed = batch.validate(suite, result_format={"result_format": "BOOLEAN_ONLY"})
        if passed.success:
            return ValidationReport(suite=spec.name, checked_records=checked, failures={}, statistics=dict(passed.statistics))
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
    log.debug("suite %s: %s records, %s failed", spec.name, checked, len(failures))
    return ValidationReport(suite=spec.name, checked_records=checked, failures=failures, statistics=dict(result.statistics))
