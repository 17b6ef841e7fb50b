"""One GraphQL request from text to response body: parse, validate, cost, access, bucket, execute, account.

Errors before execution (syntax, validation, variables, connection sizes, MAX_COST_EXCEEDED,
ACCESS_DENIED, THROTTLED) come back with no ``data``; every answer carries ``extensions.cost``. Unexpected
exceptions inside resolvers become Shopify's INTERNAL_SERVER_ERROR, never a Python message.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, execute_sync, get_operation_ast, parse, validate
from graphql.execution.values import get_variable_values

from returns_sandbox.shopify.access import AccessGrant, access_errors
from returns_sandbox.shopify.constants import MAX_QUERY_COST
from returns_sandbox.shopify.cost import LeakyBucket, actual_cost, requested_cost
from returns_sandbox.shopify.errors import internal_error, max_cost_error, throttled_error
from returns_sandbox.shopify.schema import schema_for
from returns_sandbox.shopify.views import RequestContext

if TYPE_CHECKING:
    from returns_sandbox.shopify.models import ShopifyBackend, ShopInfo

__all__ = ["execute_graphql"]

log = logging.getLogger(__name__)


def _cost(bucket: LeakyBucket, requested: int, actual: int | None) -> dict[str, Any]:
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": bucket.status()}}


def _fail(
    bucket: LeakyBucket, errors: list[Any], requested: int = 0, actual: int | None = 0, status: int = 200
) -> tuple[int, dict[str, Any]]:
    formatted = [e.formatted if isinstance(e, GraphQLError) else e for e in errors]
    return status, {"errors": formatted, "extensions": _cost(bucket, requested, actual)}


def execute_graphql(
    backend: ShopifyBackend,
    shop: ShopInfo,
    api_version: str,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    *,
    grant: AccessGrant,
) -> tuple[int, dict[str, Any]]:
    """Run one request for ``shop`` with what the caller's token was ``grant``-ed; returns (HTTP status, JSON body).

    ``api_version`` is the version that answers (after falling forward), not the one in the URL.
    """
    schema = schema_for(api_version)
    bucket = backend.bucket(shop.domain)
    try:
        document = parse(query)
    except GraphQLError as exc:
        return _fail(bucket, [exc])
    errors = validate(schema, document)
    if errors:
        return _fail(bucket, list(errors))
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        message = (
            f"Unknown operation named '{operation_name}'."
            if operation_name
            else "Must provide operation name if query contains multiple operations."
        )
        return _fail(bucket, [{"message": message}])
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        return _fail(bucket, coerced)
    requested, cost_errors = requested_cost(schema, document, operation, coerced)
    if cost_errors:
        return _fail(bucket, cost_errors, requested, None)
    if requested > MAX_QUERY_COST:
        return _fail(bucket, [max_cost_error(requested)], requested, None)
    denied = access_errors(schema, document, operation, coerced, grant)
    if denied:  # nothing ran, nothing is debited
        return _fail(bucket, denied, requested, None)
    if not bucket.try_debit(requested):
        return _fail(bucket, [throttled_error()], requested, None, status=backend.settings.throttle_status_code)
    context = RequestContext(backend=backend, shop=shop, api_version=api_version, grant=grant)
    try:
        result = execute_sync(
            schema, document, context_value=context, variable_values=variables or {}, operation_name=operation_name
        )
    except Exception:
        log.exception("shopify sandbox: execution failed")
        bucket.credit(requested)
        return _fail(bucket, [internal_error()], requested, None)
    actual = actual_cost(schema, document, operation, coerced, result.data)
    if actual < requested:
        bucket.credit(requested - actual)
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [_public_error(e) for e in result.errors]
    body["extensions"] = _cost(bucket, requested, actual)
    return 200, body


def _public_error(error: GraphQLError) -> dict[str, Any]:
    """Resolver bugs surface as INTERNAL_SERVER_ERROR (with the path), never as a Python message."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return error.formatted  # type: ignore[return-value]
    log.error("shopify sandbox: resolver failed at %s", error.path, exc_info=original)
    body = internal_error()
    if error.path:
        body["path"] = list(error.path)
    return body
