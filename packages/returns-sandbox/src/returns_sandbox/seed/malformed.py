"""Malformed Loop returns: a good seeded return with one field broken, as bad data Loop itself could serve.

Each kind breaks one thing a reader of Loop's Detailed Returns List must survive: a list field that
is ``null`` instead of ``[]``, a price that is not a number, a timestamp that is not one. Loop's own
reference types these fields as arrays, decimal strings and timestamps
(https://docs.loopreturns.com/api-reference/latest/return-data/detailed-returns-list); nothing there
promises they are never null or malformed, so a connector must hold back such a return on its own
and go on with the rest of the page.
"""

from __future__ import annotations

import copy
from enum import StrEnum
from typing import Any

__all__ = ["MalformedKind", "malformed_return"]


class MalformedKind(StrEnum):
    """What is broken in a planted return."""

    NULL_REFUNDS = "null refunds"
    NULL_LINE_ITEMS = "null line_items"
    NULL_EXCHANGES = "null exchanges"
    NAN_PRICE = "NaN price"
    UNREADABLE_DATE = "unparseable created_at"


def malformed_return(template: dict[str, Any], return_id: int, kind: MalformedKind) -> dict[str, Any]:
    """A copy of ``template`` (a Loop return body) under ``return_id``, with the field of ``kind`` broken."""
    body = copy.deepcopy(template)
    body["id"] = str(return_id)
    body["state"] = "open"
    body["was_processed"] = False
    # Line ids of a return are Loop's own: give the copy its own so it shares nothing with the template.
    for index, line in enumerate(body.get("line_items") or []):
        line["line_item_id"] = f"{return_id}{index:02d}"
    match kind:
        case MalformedKind.NULL_REFUNDS:
            body["refunds"] = None
        case MalformedKind.NULL_LINE_ITEMS:
            body["line_items"] = None
        case MalformedKind.NULL_EXCHANGES:
            body["exchanges"] = None
        case MalformedKind.NAN_PRICE:
            for line in body.get("line_items") or []:
                line["price"] = "NaN"
        case MalformedKind.UNREADABLE_DATE:
            body["created_at"] = "31/13/2026 25:61"
    return body
