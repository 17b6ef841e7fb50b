"""What the NetSuite connector reads back (ids from ``Location``) and how values are inlined into SuiteQL."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from decimal import Decimal

import httpx

__all__ = ["id_from_location", "suiteql_list", "suiteql_literal"]


def id_from_location(location: str | None) -> str | None:
    """The internal id at the end of a ``Location`` header (``…/record/v1/customer/647`` -> ``"647"``)."""
    if not location:
        return None
    path = httpx.URL(location.strip()).path.rstrip("/")
    tail = path.rsplit("/", 1)[-1] if "/" in path else path
    return tail or None


def suiteql_literal(value: str | int | Decimal) -> str:
    """Render ``value`` as a SuiteQL literal; SuiteQL over REST has no bind parameters.

    Strings are single-quoted with ``'`` doubled (no backslash escapes exist in Oracle SQL); integers and
    finite Decimals are written bare.

    Args:
        value: a ``str``, ``int`` (not ``bool``) or finite ``Decimal``.

    Returns:
        The literal, e.g. ``'O''Brien'`` or ``42``.

    Raises:
        ValueError: for NUL or any other control character, or a non-finite Decimal.
        TypeError: for any other type.

    Example:
        >>> suiteql_literal("O'Brien")
        "'O''Brien'"
    """
    if isinstance(value, bool):
        raise TypeError("booleans have no SuiteQL literal; compare with 'T' / 'F'")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("only finite decimals can be inlined into SuiteQL")
        return format(value, "f")
    if not isinstance(value, str):
        raise TypeError(f"cannot inline a {type(value).__name__} into SuiteQL")
    for char in value:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            raise ValueError(f"control character U+{ord(char):04X} cannot be inlined into SuiteQL")
    return "'" + value.replace("'", "''") + "'"


def suiteql_list(values: Iterable[str | int | Decimal]) -> str:
    """``(lit1, lit2, …)`` for an ``IN`` clause; refuses an empty list, which SuiteQL cannot express."""
    literals = [suiteql_literal(value) for value in values]
    if not literals:
        raise ValueError("an IN list needs at least one value")
    return "(" + ", ".join(literals) + ")"
