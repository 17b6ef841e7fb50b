"""Loop's error responses, body for body: each exception carries the HTTP status and the exact JSON Loop sends.

Sources are the reference (loop_api.md §1-§2.3) and Loop's OpenAPI copy. Shapes differ per endpoint
on purpose - Loop's own bodies are not uniform, and clients must cope with that::

    LoopSandboxError(status, body)
    ├── Unauthorized           401 {"error":{"code":"401","http_code":"GEN-UNAUTHORIZED","message":"Unauthorized."}}
    ├── ValidationFailed       422 Laravel {"message": first, "errors": {field: [messages]}}
    ├── UnprocessableRequest   422 endpoint-specific bodies (remove line items, notes)
    ├── ActionRefused          200 (!) wrong-state bodies of the action endpoints
    ├── NotFound               404 {"message": ..., "errors": {"code": "NOT_FOUND"}} (returns, webhooks)
    └── ProcessingFailed       500 {"message":"An error was encountered during processing."}
"""

from __future__ import annotations

import json
from typing import Any

from returns_sandbox.faults import ErrorResponse

__all__ = [
    "ActionRefused",
    "LoopSandboxError",
    "LoopVendorErrors",
    "NotFound",
    "ProcessingFailed",
    "Unauthorized",
    "UnprocessableRequest",
    "ValidationFailed",
    "laravel_validation_body",
]

_JSON = [(b"content-type", b"application/json")]


class LoopSandboxError(Exception):
    """An answer Loop gives instead of the normal result: ``status`` and JSON-able ``body``."""

    status: int = 400

    def __init__(self, body: Any, status: int | None = None) -> None:
        super().__init__(json.dumps(body))
        self.body = body
        if status is not None:
            self.status = status


class Unauthorized(LoopSandboxError):
    """Missing or unknown ``X-Authorization`` key (the spec's body; code/http_code look swapped, as in the spec)."""

    status = 401

    def __init__(self) -> None:
        super().__init__({"error": {"code": "401", "http_code": "GEN-UNAUTHORIZED", "message": "Unauthorized."}})


def laravel_validation_body(errors: dict[str, list[str]]) -> dict[str, Any]:
    """Laravel's 422 body: ``message`` is the first error, plus "(and N more errors)" when there are more."""
    messages = [m for field_messages in errors.values() for m in field_messages]
    first = messages[0] if messages else "The given data was invalid."
    extra = len(messages) - 1
    if extra == 1:
        first = f"{first} (and 1 more error)"
    elif extra > 1:
        first = f"{first} (and {extra} more errors)"
    return {"message": first, "errors": errors}


class ValidationFailed(LoopSandboxError):
    """422 from Laravel request validation (list parameters, webhook fields, details lookup)."""

    status = 422

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(laravel_validation_body(errors))
        self.errors = errors


class UnprocessableRequest(LoopSandboxError):
    """422 with one of the endpoint-specific bodies (Remove Line Items, Create Return Note, notes ``false``)."""

    status = 422

    @classmethod
    def line_item_required(cls) -> UnprocessableRequest:
        return cls({"error": {"message": "The line item id field is required."}})

    @classmethod
    def cannot_be_modified(cls) -> UnprocessableRequest:
        return cls({"message": "Return cannot be modified."})

    @classmethod
    def nothing_to_remove(cls) -> UnprocessableRequest:
        return cls({"message": "There are no line items that qualify for removal"})

    @classmethod
    def not_all_removable(cls) -> UnprocessableRequest:
        return cls({"message": "Not all line items qualify for removal"})

    @classmethod
    def invalid_note(cls) -> UnprocessableRequest:
        return cls({"errors": {"message": "Content is required and must be less than 255 characters."}})

    @classmethod
    def no_notes(cls) -> UnprocessableRequest:
        return cls(False)


class ActionRefused(LoopSandboxError):
    """A wrong-state action. Loop answers these with **HTTP 200** and an error object instead of ``true``."""

    status = 200

    @classmethod
    def state(cls, state: str, code: str = "UNPROCESSABLE_RETURN") -> ActionRefused:
        """``{"errors":{"message":"Return is <state> and therefore cannot be processed.","code":...}}``."""
        return cls({"errors": {"message": f"Return is {state} and therefore cannot be processed.", "code": code}})

    @classmethod
    def flagged(cls) -> ActionRefused:
        return cls.state("flagged", code="UNPROCESSABLE_FLAGGED_RETURN")

    @classmethod
    def plain(cls, state: str) -> ActionRefused:
        """The spec's code-less variants: ``{"message":"Return is cancelled and therefore cannot be processed."}``."""
        return cls({"message": f"Return is {state} and therefore cannot be processed."})

    @classmethod
    def content(cls, state: str) -> ActionRefused:
        """Cancel Return's variants, keyed ``content``: ``{"content":"Return is expired and cannot be processed."}``."""
        return cls({"content": f"Return is {state} and cannot be processed."})


class NotFound(LoopSandboxError):
    """404. Webhooks use the spec's ``{"errors":{"code":"NOT_FOUND"}}``; returns add a Laravel-style message."""

    status = 404

    @classmethod
    def webhook(cls) -> NotFound:
        return cls({"errors": {"code": "NOT_FOUND"}})

    @classmethod
    def return_(cls) -> NotFound:
        return cls({"message": "Return not found.", "errors": {"code": "NOT_FOUND"}})

    @classmethod
    def route(cls, path: str) -> NotFound:
        return cls({"message": f"The route {path.lstrip('/')} could not be found."})


class ProcessingFailed(LoopSandboxError):
    """500 of Remove Line Items when the processing that follows the removal fails."""

    status = 500

    def __init__(self) -> None:
        super().__init__({"message": "An error was encountered during processing."})


class LoopVendorErrors:
    """What the fault injector sends: Laravel's throttle and maintenance bodies (Loop documents no headers)."""

    def rate_limited(self) -> ErrorResponse:
        return ErrorResponse(429, json.dumps({"message": "Too Many Attempts."}).encode(), list(_JSON))

    def unavailable(self) -> ErrorResponse:
        return ErrorResponse(503, json.dumps({"message": "Service Unavailable"}).encode(), list(_JSON))

    def concurrency_exceeded(self) -> ErrorResponse:
        # Loop documents no concurrency limit; when one is configured it looks like the rate limit.
        return self.rate_limited()
