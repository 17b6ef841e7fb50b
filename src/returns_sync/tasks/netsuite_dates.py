"""Datetimes in SuiteQL: NetSuite reads and shows them in the integration user's time zone, not in UTC.

A raw ``lastmodifieddate`` comes back in the user's date format ("3/2/2025 2:00 am"), and a TO_DATE literal is
read as the user's wall clock (salto-io/salto PR #3308 and airbytehq/airbyte PR #17470 met the same). So the sync
reads dates through ``TO_CHAR(col, 'YYYY-MM-DD HH24:MI:SS')`` and writes window bounds with
``TO_DATE(text, 'YYYY-MM-DD HH24:MI:SS')``, converting between UTC and the zone set in
``StoreSettings.netsuite_time_zone`` (the time zone preference of the user the access token belongs to).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["SUITEQL_DATETIME_FORMAT", "datetime_literal", "parse_datetime", "read_datetime"]

# The one format the sync asks SuiteQL for, in both directions (Oracle's elements; strptime's below).
SUITEQL_DATETIME_FORMAT = "YYYY-MM-DD HH24:MI:SS"
_PYTHON_FORMAT = "%Y-%m-%d %H:%M:%S"


def read_datetime(column: str) -> str:
    """``TO_CHAR(column, ...) AS <name>``: the column as text in the fixed format, whatever the user's date format."""
    name = column.rsplit(".", 1)[-1]
    return f"TO_CHAR({column}, '{SUITEQL_DATETIME_FORMAT}') AS {name}"


def parse_datetime(value: str | None, zone: ZoneInfo) -> datetime | None:
    """A ``read_datetime`` value (the user's wall clock) as an aware UTC datetime."""
    if not value:
        return None
    return datetime.strptime(value[:19], _PYTHON_FORMAT).replace(tzinfo=zone).astimezone(UTC)


def datetime_literal(value: datetime, zone: ZoneInfo, *, round_up: bool = False) -> str:
    """``TO_DATE('…', 'YYYY-MM-DD HH24:MI:SS')`` naming ``value`` (naive = UTC) on the user's wall clock.

    NetSuite keeps whole seconds, so ``round_up`` moves an end bound with a fraction to the next second.
    """
    if round_up and value.microsecond:
        value += timedelta(seconds=1)
    instant = value if value.tzinfo else value.replace(tzinfo=UTC)
    wall = instant.astimezone(zone).strftime(_PYTHON_FORMAT)
    return f"TO_DATE('{wall}', '{SUITEQL_DATETIME_FORMAT}')"
