"""Column types that behave the same on SQLite and PostgreSQL: exact money, UTC timestamps, JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import JSON, DateTime, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["JsonDocument", "Money", "UTCDateTime", "dumps_json", "utcnow"]

_SCALE = 4
_PRECISION = 18
_QUANTUM = Decimal(1).scaleb(-_SCALE)
_LIMIT = Decimal(10) ** (_PRECISION - _SCALE)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps_json(value: Any) -> str:
    """Serialise ledger JSON: Decimal as its exact string, datetimes in ISO 8601, sorted keys."""
    return json.dumps(value, default=_json_default, sort_keys=True, separators=(",", ":"))


class Money(TypeDecorator[Decimal]):
    """``NUMERIC(18, 4)`` that always comes back as an exact ``Decimal``.

    PostgreSQL stores NUMERIC natively. SQLite has no decimal type: a NUMERIC column there converts
    values to 8-byte floats, so 18 significant digits would not survive. On SQLite the value is
    therefore kept as its canonical decimal text ("48.6000"), which stays exact and readable in the
    sqlite3 shell. Changing the storage here changes DDL and needs a migration.
    """

    impl = Numeric(_PRECISION, _SCALE, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(_PRECISION + 2))
        return dialect.type_descriptor(Numeric(_PRECISION, _SCALE, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be a Decimal (or a decimal string), never a float")
        try:
            amount = Decimal(value) if not isinstance(value, Decimal) else value
            # Half-up, as PostgreSQL rounds NUMERIC input, so both databases store the same value.
            amount = amount.quantize(_QUANTUM, rounding=ROUND_HALF_UP)
        except InvalidOperation as exc:
            raise ValueError(f"not a money amount: {value!r}") from exc
        if not amount.is_finite() or abs(amount) >= _LIMIT:
            raise ValueError(f"money amount out of range for NUMERIC({_PRECISION},{_SCALE}): {value!r}")
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(_QUANTUM) if not isinstance(value, Decimal) else value.quantize(_QUANTUM)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps in and out; naive datetimes are refused rather than guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: ledger timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        # SQLite's DATETIME text has no offset; everything stored there is UTC by construction.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value
        if stored.tzinfo is None:
            return stored.replace(tzinfo=UTC)
        return stored.astimezone(UTC)


class JsonDocument(TypeDecorator[Any]):
    """JSON on SQLite, JSONB on PostgreSQL."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())
