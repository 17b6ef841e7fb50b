"""The integration user's preferences that shape SuiteQL answers: time zone and date format.

NetSuite stores datetimes as instants and shows them in the user's time zone and date format; SuiteQL over
REST answers raw date/datetime columns that way ("3/2/2025 2:00 am"), reads TO_DATE literals in the user's
time zone, and TO_CHAR renders in it. REST record bodies stay ISO 8601 UTC (Oracle's "Using Datetime Fields":
https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_157305090645.html). Open-source
connectors had to cope: salto-io/salto PR #3308 ("Added TO_CHAR to lastmodifieddate", TO_DATE with an explicit
format) and airbytehq/airbyte PR #17470 (the account's date format broke the source's date filters).

The emulator stores datetimes as UTC 'YYYY-MM-DD HH:MM:SS' text and dates as 'YYYY-MM-DD'; this module converts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["DEFAULT_DATE_FORMAT", "DEFAULT_TIME_ZONE", "UserPreferences"]

DEFAULT_TIME_ZONE = "America/Los_Angeles"
DEFAULT_DATE_FORMAT = "M/D/YYYY h:mm a"

_STORED = "%Y-%m-%d %H:%M:%S"
# NetSuite's date and time format elements, longest first so "MM" is not read as two "M".
_TOKENS = ("YYYY", "MM", "M", "DD", "D", "HH", "H", "hh", "h", "mm", "ss", "a")
_TOKEN_RE = re.compile("|".join(_TOKENS))
_TIME_TOKENS = frozenset({"HH", "H", "hh", "h", "mm", "ss", "a"})


@dataclass(frozen=True)
class UserPreferences:
    """Set Preferences > Time Zone and Date/Time Format of the user the access token belongs to."""

    time_zone: str = DEFAULT_TIME_ZONE
    date_format: str = DEFAULT_DATE_FORMAT

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.time_zone!r}") from exc
        leftover = _TOKEN_RE.sub("", self.date_format)
        if any(char.isalpha() for char in leftover) or not _TOKEN_RE.search(self.date_format):
            raise ValueError(f"date format {self.date_format!r}: use M/MM D/DD YYYY h/hh H/HH mm ss a")

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def local_text(self, stored: str | None) -> str | None:
        """A stored UTC datetime as 'YYYY-MM-DD HH:MM:SS' in the user's zone; a date (no time) is left as it is."""
        if stored is None or len(stored) <= 10:
            return stored
        instant = datetime.strptime(stored[:19], _STORED).replace(tzinfo=UTC)
        return instant.astimezone(self.zone).strftime(_STORED)

    def utc_text(self, local: str | None) -> str | None:
        """The inverse: a wall-clock 'YYYY-MM-DD[ HH:MM:SS]' in the user's zone as stored UTC text."""
        if local is None:
            return None
        wall = datetime.strptime(local[:19] if len(local) > 10 else f"{local} 00:00:00", _STORED)
        return wall.replace(tzinfo=self.zone).astimezone(UTC).strftime(_STORED)

    def show_datetime(self, stored: str) -> str:
        """A raw datetime column as SuiteQL answers it: the user's format, in the user's zone."""
        local = self.local_text(stored)
        return self._render(datetime.strptime(local[:19], _STORED), self.date_format) if local else stored

    def show_date(self, stored: str) -> str:
        """A raw date column: the date part of the user's format (dates have no time zone)."""
        return self._render(datetime.strptime(stored[:10], "%Y-%m-%d"), self._date_part)

    @cached_property
    def _date_part(self) -> str:
        first_time = min((m.start() for m in _TOKEN_RE.finditer(self.date_format) if m.group() in _TIME_TOKENS),
                         default=len(self.date_format))  # fmt: skip
        return self.date_format[:first_time].rstrip(" ,T")

    @staticmethod
    def _render(value: datetime, fmt: str) -> str:
        hour12 = value.hour % 12 or 12
        values = {
            "YYYY": f"{value.year:04d}", "MM": f"{value.month:02d}", "M": str(value.month), "DD": f"{value.day:02d}",
            "D": str(value.day), "HH": f"{value.hour:02d}", "H": str(value.hour), "hh": f"{hour12:02d}", "h": str(hour12),
            "mm": f"{value.minute:02d}", "ss": f"{value.second:02d}", "a": "am" if value.hour < 12 else "pm",
        }  # fmt: skip
        return _TOKEN_RE.sub(lambda match: values[match.group()], fmt)
