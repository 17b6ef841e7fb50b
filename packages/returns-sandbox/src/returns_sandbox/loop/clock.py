"""Time for the Loop emulator: the injectable clock, Loop's two datetime spellings, and the sortable index form."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "from_index", "parse_loop_datetime", "to_api", "to_index", "utc_now"]

Clock = Callable[[], datetime]

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A "+00:00" offset sent unencoded in a query string arrives as " 00:00".
_SPACE_OFFSET = re.compile(r"^(.*\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


def utc_now() -> datetime:
    return datetime.now(UTC)


def _ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond - value.microsecond % 1000)


def parse_loop_datetime(value: str | datetime) -> datetime:
    """Parse ``YYYY-MM-DD HH:MM:SS``, ISO 8601 (``...Z``, millis, offsets) or a date; naive means UTC.

    Raises:
        ValueError: the text is not a date Loop would accept.
    """
    if isinstance(value, datetime):
        parsed = value
    else:
        text = value.strip()
        if not text:
            raise ValueError("empty datetime")
        match = _SPACE_OFFSET.match(text)
        if match:
            text = f"{match.group(1)}+{match.group(2)}"
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        if _DATE_ONLY.match(text):
            text += "T00:00:00"
        parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return _ms(parsed.astimezone(UTC))


def to_api(value: datetime) -> str:
    """How Loop renders timestamps in JSON: ``2024-03-02T14:11:05.000Z``."""
    value = _ms(value.astimezone(UTC))
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def to_index(value: datetime) -> str:
    """The indexed column and cursor form, ``2022-06-27 16:25:01.000``: sorts as text in time order."""
    value = _ms(value.astimezone(UTC))
    return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"


def from_index(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
