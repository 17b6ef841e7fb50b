"""Great Expectations checks run on each batch before anything is posted; failures become quarantine reasons."""

from returns_sync.quality.frames import ReturnLineCheck
from returns_sync.quality.refund_suite import RefundCheck
from returns_sync.quality.runner import CheckFailure, ValidationReport

__all__ = ["CheckFailure", "RefundCheck", "ReturnLineCheck", "ValidationReport", "validate_refunds", "validate_return_lines"]


def validate_return_lines(rows):  # imported lazily: the suite module pulls pandas only
    from returns_sync.quality.return_lines_suite import validate_return_lines as run

    return run(rows)


def validate_refunds(rows):
    from returns_sync.quality.refund_suite import validate_refunds as run

    return run(rows)
