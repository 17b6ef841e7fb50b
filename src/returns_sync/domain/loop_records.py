"""Read Loop returns one at a time: a return Loop shaped unexpectedly is named, with its field and why, never raised.

One bad record must not hide the others: a page of returns is parsed record by record, and a record
that does not fit ``LoopReturn`` (a ``null`` list, a NaN price, a date that is no date, a state Loop
never documented) becomes a ``MalformedReturn`` the sync quarantines while the rest of the page goes on.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from returns_sync.domain.loop import LoopReturn

__all__ = ["MALFORMED_RULE", "MalformedReturn", "is_loop_return_id", "read_return"]

MALFORMED_RULE = "loop_return_shape"
# Loop's return ids are integers (Get Return Details takes an integer ``return_id`` and answers 422 to
# anything else: https://docs.loopreturns.com/api-reference/latest/return-data/get-return-details).
# Twenty digits bound it well above any id Loop hands out and below anything that could be a payload.
_RETURN_ID = re.compile(r"[1-9][0-9]{0,19}")
_SHOWN_VALUE = 40  # characters of an offending value quoted in a reason


def is_loop_return_id(value: object) -> bool:
    """True when ``value`` can be a Loop return id (a positive integer, as an int or its decimal text).

    Example:
        >>> is_loop_return_id("48213377"), is_loop_return_id(7), is_loop_return_id("abc"), is_loop_return_id(" 1")
        (True, True, False, False)
    """
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return isinstance(value, str) and _RETURN_ID.fullmatch(value) is not None


class MalformedReturn(BaseModel):
    """A return Loop sent in a shape the sync cannot read: which one, which field, why, and when it changed.

    ``loop_return_id`` is None when the record carries no usable id (it cannot be quarantined by id then);
    ``updated_at`` is None when that field itself cannot be read.
    """

    model_config = ConfigDict(frozen=True)

    loop_return_id: str | None
    field: str
    reason: str
    updated_at: datetime | None = None

    @property
    def message(self) -> str:
        """The quarantine reason, in words: ``Loop return 12: refunds is null, expected a list``."""
        return f"Loop return {self.loop_return_id or '(no id)'} cannot be read: {self.field} {self.reason}"


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(the record)"


def _shown(value: Any) -> str:
    text = "null" if value is None else repr(value)
    return text if len(text) <= _SHOWN_VALUE else text[: _SHOWN_VALUE - 1] + "…"


def _updated_at(item: dict[str, Any]) -> datetime | None:
    value = item.get("updated_at")
    if not isinstance(value, str):
        return None
    text = value.strip().replace(" ", "T", 1)
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def read_return(item: Any) -> LoopReturn | MalformedReturn:
    """``item`` as a ``LoopReturn``, or a ``MalformedReturn`` naming its first unreadable field.

    Example:
        >>> read_return({"id": 12, "state": "open", "refunds": None}).message
        'Loop return 12 cannot be read: refunds is null, expected a list'
    """
    if not isinstance(item, dict):
        return MalformedReturn(loop_return_id=None, field="(the record)", reason=f"is {_shown(item)}, expected an object")
    raw_id = item.get("id")
    return_id = str(raw_id) if is_loop_return_id(raw_id) else None
    if return_id is None:
        return MalformedReturn(
            loop_return_id=None,
            field="id",
            reason=f"is {_shown(raw_id)}, expected a Loop return id",
            updated_at=_updated_at(item),
        )
    try:
        return LoopReturn.model_validate(item)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        found = "null" if error.get("input") is None else _shown(error.get("input"))
        expected = _expected(error)
        return MalformedReturn(
            loop_return_id=return_id,
            field=_field_path(tuple(error["loc"])),
            reason=f"is {found}, {expected}",
            updated_at=_updated_at(item),
        )


def _expected(error: Any) -> str:
    """Pydantic's message turned into what the field should have been (``expected a list``)."""
    kind, message = str(error.get("type", "")), str(error.get("msg", ""))
    if kind == "list_type":
        return "expected a list"
    if kind == "enum":
        return f"expected one of {error.get('ctx', {}).get('expected', 'the documented values')}"
    if kind.startswith("datetime"):
        return "expected a date and time"
    if "money amount" in message:
        return "expected a finite money amount"
    return message.removeprefix("Value error, ").rstrip(".")
