"""NetSuite's error answers: the RFC 7807 body with ``o:errorDetails``, the codes, and the injected 429/503/401.

Class tree::

    NetSuiteError(status, code, detail, path)        any refused request, rendered by ``problem_body``
    ├── not_found(...)            404 NONEXISTENT_ID
    ├── invalid_reference(...)    400 INVALID_KEY_OR_REF  (body-level select field)
    ├── invalid_value(...)        400 INVALID_CONTENT     (Oracle's documented "Invalid Field Value" text)
    ├── unknown_field(...)        400 NONEXISTENT_FIELD
    ├── user_error(...)           400 USER_ERROR          (business rules)
    ├── duplicate_external_id(.)  400 USER_ERROR          (REST's answer; DUP_RCRD is SOAP's)
    └── invalid_parameter(...)    400 INVALID_PARAMETER   (query string / headers)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from returns_sandbox.faults import ErrorResponse
from returns_sandbox.netsuite.constants import DEFAULT_ACCOUNT_ID

__all__ = [
    "DUPLICATE_ENTITY_DETAIL",
    "ERROR_CONTENT_TYPE",
    "INVALID_LOGIN_DETAIL",
    "NetSuiteError",
    "NetSuiteVendorErrors",
    "cannot_initialize",
    "dependent_records",
    "duplicate_external_id",
    "invalid_login_response",
    "invalid_parameter",
    "invalid_reference",
    "invalid_value",
    "missing_value",
    "not_found",
    "problem_body",
    "readonly_field",
    "unknown_field",
    "unknown_record_type",
    "user_error",
    "wrong_transaction_type",
]

ERROR_CONTENT_TYPE = "application/vnd.oracle.resource+json; type=error"

_TYPES = {
    400: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1", "Bad Request"),
    401: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2", "Unauthorized"),
    403: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.4", "Forbidden"),
    404: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5", "Not Found"),
    405: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.6", "Method Not Allowed"),
    429: ("https://www.rfc-editor.org/rfc/rfc6585.html#section-4", "Too Many Requests"),
    500: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.1", "Internal Server Error"),
    503: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.4", "Service Unavailable"),
}

INVALID_LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
    "Setup > Users/Roles > User Management > View Login Audit Trail."
)


class NetSuiteError(Exception):
    """A request NetSuite refuses; ``status``/``code``/``detail`` become the problem body."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        path: str | None = None,
        query_param: str | None = None,
        header: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.path = path
        self.query_param = query_param
        self.header = header

    def body(self) -> dict[str, Any]:
        item: dict[str, Any] = {"detail": self.detail, "o:errorCode": self.code}
        if self.path is not None:
            item["o:errorPath"] = self.path
        if self.query_param is not None:
            item["o:errorQueryParam"] = self.query_param
        if self.header is not None:
            item["o:errorHeader"] = self.header
        return problem_body(self.status, [item])


def problem_body(status: int, details: list[dict[str, Any]]) -> dict[str, Any]:
    """The RFC 7807 envelope NetSuite wraps every error in."""
    type_uri, title = _TYPES.get(status, _TYPES[400 if status < 500 else 500])
    return {"type": type_uri, "title": title, "status": status, "o:errorDetails": details}


def not_found() -> NetSuiteError:
    return NetSuiteError(404, "NONEXISTENT_ID", "The record instance does not exist. Provide a valid record instance ID.")


def wrong_transaction_type() -> NetSuiteError:
    """A transaction id addressed under another transaction type (GET /record/v1/creditMemo/<a cash refund's id>).

    NetSuite answers 400, not 404 (a public REST test log: "GET /record/v1/vendorBill/999999 — 400 Bad Request —
    Error while accessing a resource. Transaction type specified is incorrect."; docs/sandbox/FIDELITY.md).
    """
    return NetSuiteError(400, "USER_ERROR", "Error while accessing a resource. Transaction type specified is incorrect.")


def unknown_record_type(name: str) -> NetSuiteError:
    return NetSuiteError(404, "NONEXISTENT_ID", f"Record type '{name}' does not exist.")


def invalid_reference(label: str, value: Any, path: str) -> NetSuiteError:
    return NetSuiteError(400, "INVALID_KEY_OR_REF", f"Invalid {label} reference key {value}.", path=path)


def invalid_value(field: str, value: Any, path: str) -> NetSuiteError:
    shown = value if not isinstance(value, (dict, list)) else json.dumps(value)
    return NetSuiteError(
        400,
        "INVALID_CONTENT",
        f"Error while accessing resource: You have entered an Invalid Field Value {shown} for the following field: {field}",
        path=path,
    )


def unknown_field(field: str, record_type: str, path: str) -> NetSuiteError:
    return NetSuiteError(400, "NONEXISTENT_FIELD", f"Invalid field name '{field}' for record type {record_type}.", path=path)


def readonly_field(field: str, path: str) -> NetSuiteError:
    return NetSuiteError(
        400, "INVALID_CONTENT", f"Error while accessing resource: The field {field} is read-only and cannot be set.", path=path
    )


def missing_value(label: str, path: str | None = None) -> NetSuiteError:
    return NetSuiteError(400, "USER_ERROR", f"Please enter value(s) for: {label}", path=path)


def user_error(detail: str, *, path: str | None = None) -> NetSuiteError:
    return NetSuiteError(400, "USER_ERROR", detail, path=path)


def cannot_initialize(to_type: str, from_id: int | str) -> NetSuiteError:
    """What NetSuite says when a transform's source is in the wrong status (SuiteScript's INVALID_INITIALIZE_REF text)."""
    return user_error(f"You can not initialize {to_type.lower()}: invalid reference {from_id}.")


# REST answers a taken externalId with a generic USER_ERROR that names neither the field nor the value; DUP_RCRD is
# SOAP's code (https://timdietrich.me/blog/netsuite-suitetalk-rest-external-ids: a 400 Bad Request; docs/sandbox/FIDELITY.md).
DUPLICATE_ENTITY_DETAIL = "Error while accessing a resource. This entity already exists."


def duplicate_external_id(external_id: str) -> NetSuiteError:
    """A second record of a type with ``external_id``: the text does not say which value was taken."""
    del external_id  # kept in the signature for the callers' sake; NetSuite does not echo it
    return NetSuiteError(400, "USER_ERROR", DUPLICATE_ENTITY_DETAIL)


def dependent_records() -> NetSuiteError:
    return NetSuiteError(
        400,
        "THIS_RECORD_CANNOT_BE_DELETED_BECAUSE_IT_HAS_DEPENDENT_RECORDS",
        "This record cannot be deleted because it has dependent records.",
    )


def invalid_parameter(detail: str, *, query_param: str | None = None, header: str | None = None) -> NetSuiteError:
    return NetSuiteError(400, "INVALID_PARAMETER", detail, query_param=query_param, header=header)


def invalid_login_response(account_id: str) -> tuple[int, bytes, dict[str, str]]:
    """Status, body and headers of NetSuite's uniform 401 (the real cause goes to the login audit trail only)."""
    body = problem_body(401, [{"detail": INVALID_LOGIN_DETAIL, "o:errorCode": "INVALID_LOGIN"}])
    headers = {
        "content-type": ERROR_CONTENT_TYPE,
        "www-authenticate": f'OAuth realm="{account_id}", error="token_rejected", error_description="Invalid login attempt."',
    }
    return 401, json.dumps(body).encode(), headers


def _error_response(status: int, detail: str, code: str) -> ErrorResponse:
    body = json.dumps(problem_body(status, [{"detail": detail, "o:errorCode": code}])).encode()
    return ErrorResponse(status=status, body=body, headers=[(b"content-type", ERROR_CONTENT_TYPE.encode())])


class NetSuiteVendorErrors:
    """Injected failures as NetSuite answers them; REST has no rate limit, only the account's concurrency limit.

    Args:
        account_id: the account's realm, for the 401's ``WWW-Authenticate`` header (read when a 401 is sent).
    """

    def __init__(self, account_id: Callable[[], str] = lambda: DEFAULT_ACCOUNT_ID) -> None:
        self._account_id = account_id

    def invalid_login(self) -> ErrorResponse:
        """The uniform INVALID_LOGIN 401, for a concurrency overflow answered as a failed login.

        Clients have reported it under concurrent requests that exceed the account's limit
        (https://github.com/julbrs/netsuite-api-client/issues/26); the body is the one every 401 has
        (https://github.com/drudge/n8n-nodes-netsuite/issues/9).
        """
        status, body, headers = invalid_login_response(self._account_id())
        return ErrorResponse(status=status, body=body, headers=[(k.encode(), v.encode()) for k, v in headers.items()])

    def rate_limited(self) -> ErrorResponse:
        return self.concurrency_exceeded()

    def concurrency_exceeded(self) -> ErrorResponse:
        return _error_response(429, "Concurrent request limit exceeded. Request blocked.", "CONCURRENCY_LIMIT_EXCEEDED")

    def unavailable(self) -> ErrorResponse:
        return _error_response(503, "The service is temporarily unavailable. Please try again later.", "SERVICE_UNAVAILABLE")
