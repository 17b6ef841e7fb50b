"""Shopify's error bodies, exactly as the Admin API renders them, and the userErrors a mutation returns."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from returns_sandbox.faults import ErrorResponse
from returns_sandbox.shopify.constants import MAX_QUERY_COST, RATE_LIMIT_DOCS

__all__ = [
    "INVALID_TOKEN_BODY",
    "MISSING_QUERY_BODY",
    "NOT_FOUND_BODY",
    "ShopifyUserErrors",
    "ShopifyVendorErrors",
    "UserError",
    "connection_size_error",
    "internal_error",
    "max_cost_error",
    "throttled_error",
]

INVALID_TOKEN_BODY = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
NOT_FOUND_BODY = {"errors": "Not Found"}
MISSING_QUERY_BODY = {"errors": {"query": "Required parameter missing or invalid"}}


@dataclass(frozen=True)
class UserError:
    """One entry of a payload's ``userErrors``: the input path, the message and (typed errors only) a code."""

    message: str
    field: list[str] | None = None
    code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message, "code": self.code}


@dataclass
class ShopifyUserErrors(ValueError):
    """A mutation refused its input; nothing was written. The resolvers turn it into ``userErrors``."""

    errors: list[UserError] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(e.message for e in self.errors)


def _json(status: int, body: Any, extra: list[tuple[bytes, bytes]] | None = None) -> ErrorResponse:
    headers = [(b"content-type", b"application/json; charset=utf-8")] + (extra or [])
    return ErrorResponse(status=status, body=json.dumps(body).encode(), headers=headers)


class ShopifyVendorErrors:
    """What the fault injector sends: the REST-style 429 with ``Retry-After`` and a 503 from the edge."""

    def rate_limited(self) -> ErrorResponse:
        body = {"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}
        return _json(429, body, [(b"retry-after", b"2.0")])

    def unavailable(self) -> ErrorResponse:
        return _json(503, {"errors": "Service Unavailable"})

    def concurrency_exceeded(self) -> ErrorResponse:
        return self.rate_limited()


def throttled_error() -> dict[str, Any]:
    return {"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS}}


def max_cost_error(cost: int) -> dict[str, Any]:
    message = (
        f"Query cost is {cost}, which exceeds the single query max cost limit ({MAX_QUERY_COST}).\n\n"
        "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
        "cost of a query is calculated.\n\n"
        "To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"
        "See https://shopify.dev/api/usage/bulk-operations/queries for usage details.\n"
    )
    return {"message": message, "extensions": {"code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": MAX_QUERY_COST}}


def internal_error() -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    message = f"Internal error. Looks like something went wrong on our end.\nRequest ID: {request_id} (include this in support requests)."
    return {"message": message, "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}}


def connection_size_error(kind: str, size: int | None = None) -> str:
    """Message for a connection without ``first``/``last`` or above the page-size limit."""
    if kind == "missing":
        return "you must provide one of first or last"
    if kind == "both":
        return "Passing both `first` and `last` to paginate a connection is not supported."
    if kind == "negative":
        return "`first` and `last` must be non-negative."
    return f"Requested {size} records; the maximum number of records a connection can return is 250."
