"""One preflight result: what was checked, how it went, what was seen, and what to do about it in plain words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Check", "Outcome", "System", "exit_code"]


class Outcome(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    # Not run because a check it depends on failed (no NetSuite query is worth sending after a refused login).
    SKIPPED = "skipped"


class System(StrEnum):
    NETSUITE = "NetSuite"
    LOOP = "Loop"
    SHOPIFY = "Shopify"


@dataclass(frozen=True)
class Check:
    """A row of the doctor's table. ``fix`` is empty when there is nothing to do."""

    system: System
    name: str
    outcome: Outcome
    detail: str
    fix: str = ""

    @classmethod
    def passed(cls, system: System, name: str, detail: str) -> Check:
        return cls(system, name, Outcome.PASS, detail)

    @classmethod
    def failed(cls, system: System, name: str, detail: str, fix: str) -> Check:
        return cls(system, name, Outcome.FAIL, detail, fix)

    @classmethod
    def warned(cls, system: System, name: str, detail: str, fix: str) -> Check:
        return cls(system, name, Outcome.WARN, detail, fix)

    @classmethod
    def skipped(cls, system: System, name: str, because: str) -> Check:
        return cls(system, name, Outcome.SKIPPED, f"skipped: {because}")


def exit_code(checks: Iterable[Check]) -> int:
    """1 when any check failed, else 0 (warnings and skips alone do not fail the preflight)."""
    return 1 if any(check.outcome is Outcome.FAIL for check in checks) else 0
