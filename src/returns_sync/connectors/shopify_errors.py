"""How the Shopify connector reads a GraphQL answer's failures: the ``errors`` tree and mutations' ``userErrors``."""

from __future__ import annotations

from typing import Any

import httpx

from returns_sync.connectors.errors import PermanentApiError

__all__ = ["ShopifyUserError", "error_code", "error_message", "raise_user_errors"]

VENDOR = "shopify"


class ShopifyUserError(PermanentApiError):
    """A mutation answered with ``userErrors``: Shopify refused the input and wrote nothing."""

    def __init__(
        self, message: str, *, user_errors: list[dict[str, Any]] | None = None, mutation: str | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("vendor", VENDOR)
        kwargs.setdefault("code", "USER_ERROR")
        super().__init__(message, **kwargs)
        self.user_errors = list(user_errors or [])
        self.mutation = mutation

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:  # keep the userErrors through Prefect's pickling
        return (_rebuild_user_error, (self.message, self.user_errors, self.mutation, self.status_code))


def _rebuild_user_error(
    message: str, user_errors: list[dict[str, Any]], mutation: str | None, status_code: int | None
) -> ShopifyUserError:
    return ShopifyUserError(message, user_errors=user_errors, mutation=mutation, status_code=status_code)


def error_code(errors: Any) -> str | None:
    if isinstance(errors, list):
        for error in errors:
            code = ((error or {}).get("extensions") or {}).get("code") if isinstance(error, dict) else None
            if code:
                return str(code)
    return None


def error_message(body: dict[str, Any], response: httpx.Response) -> str:
    """The vendor's message: GraphQL ``errors[].message`` joined, or the REST-style ``errors`` string/object."""
    errors = body.get("errors")
    if isinstance(errors, list):
        return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)[:500]
    if errors:
        return str(errors)[:500]
    return response.reason_phrase or f"HTTP {response.status_code}"


def raise_user_errors(data: dict[str, Any], response: httpx.Response) -> None:
    for mutation, payload in data.items():
        if isinstance(payload, dict) and payload.get("userErrors"):
            errors = payload["userErrors"]
            text = "; ".join(f"{'.'.join(e.get('field') or []) or '-'}: {e.get('message')}" for e in errors)
            raise ShopifyUserError(
                f"{mutation}: {text}",
                user_errors=errors,
                mutation=mutation,
                status_code=response.status_code,
                request=response.request,
                response=response,
            )
