"""Mutation resolvers: call the backend operation, turn refused input into ``userErrors``, render the payload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, GraphQLSchema
from graphql.execution.values import get_directive_values

from returns_sandbox.shopify.constants import (
    CHANGE_FROM_QUANTITY_REQUIRED_FROM,
    IDEMPOTENT_REQUIRED_FROM,
    MAX_INPUT_ARRAY,
    gid,
    parse_gid,
)
from returns_sandbox.shopify.errors import ShopifyUserErrors
from returns_sandbox.shopify.resolvers import adjustment_group_view, load_node, subscription_view
from returns_sandbox.shopify.views import RequestContext

__all__ = ["bind_mutations"]


def _ctx(info: GraphQLResolveInfo) -> RequestContext:
    return info.context


def _user_errors(exc: ShopifyUserErrors) -> list[dict[str, Any]]:
    return [e.as_dict() for e in exc.errors]


def _check_input_size(value: Any) -> None:
    """Shopify refuses any input array longer than 250 before running the mutation."""
    if isinstance(value, list):
        if len(value) > MAX_INPUT_ARRAY:
            raise GraphQLError(
                f"The input array size of {len(value)} is greater than the maximum allowed of {MAX_INPUT_ARRAY}.",
                extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
            )
        for item in value:
            _check_input_size(item)
    elif isinstance(value, dict):
        for item in value.values():
            _check_input_size(item)


def _idempotency_key(info: GraphQLResolveInfo, *, required: bool) -> str | None:
    """The ``@idempotent(key:)`` on this field (2026-01+); from 2026-04 refund and inventory mutations must carry it.

    The schema does not mark the directive required: Shopify refuses its absence at run time, with the
    wording and BAD_REQUEST code clients have captured from 2026-04+ shops (the changelog
    https://shopify.dev/changelog/making-idempotency-mandatory-for-inventory-adjustments-and-refund-mutations
    says "will result in an error at runtime" without quoting it). The field's payload comes back null.
    """
    directive = info.schema.get_directive("idempotent")
    if directive is None:
        return None
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    key = values.get("key") if values else None
    if key is None and required and _ctx(info).api_version >= IDEMPOTENT_REQUIRED_FROM:
        raise GraphQLError(
            "The @idempotent directive is required for this mutation but was not provided.",
            info.field_nodes[0],
            extensions={"code": "BAD_REQUEST"},
        )
    return key


def _require_change_from_quantity(info: GraphQLResolveInfo, changes: list[dict[str, Any]]) -> None:
    """From 2026-04 every InventoryChangeInput names ``changeFromQuantity`` (null opts out of the compare-and-swap).

    https://shopify.dev/changelog/making-changefromquantity-field-required ; the schema keeps the field
    optional, so the refusal is a run-time error (message and INVALID_FIELD_ARGUMENTS as clients captured it).
    """
    if _ctx(info).api_version < CHANGE_FROM_QUANTITY_REQUIRED_FROM:
        return
    if any("changeFromQuantity" not in change for change in changes):
        raise GraphQLError(
            "InventoryChangeInput must include the following argument: changeFromQuantity.",
            info.field_nodes[0],
            extensions={"code": "INVALID_FIELD_ARGUMENTS"},
        )


def _refund_create(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    _check_input_size(input)
    ctx = _ctx(info)
    key = _idempotency_key(info, required=True)
    try:
        refund_id = ctx.backend.refund_create(ctx.shop.domain, input, idempotency_key=key)
    except ShopifyUserErrors as exc:
        return {"refund": None, "order": None, "userErrors": _user_errors(exc)}
    order_id = ctx.backend.order_id_of(ctx.shop.domain, "refund", refund_id) or parse_gid(input.get("orderId"))
    assert order_id is not None  # the refund just created belongs to an order
    ctx.forget(order_id)
    return {"refund": load_node(ctx, gid("Refund", refund_id)), "order": load_node(ctx, gid("Order", order_id)), "userErrors": []}


def _order_update(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    _check_input_size(input)
    ctx = _ctx(info)
    try:
        order_id = ctx.backend.order_update(ctx.shop.domain, input)
    except ShopifyUserErrors as exc:
        return {"order": None, "userErrors": _user_errors(exc)}
    ctx.forget(order_id)
    return {"order": load_node(ctx, gid("Order", order_id)), "userErrors": []}


def _tags(add: bool) -> Callable[..., dict[str, Any]]:
    def resolve(_root: Any, info: GraphQLResolveInfo, id: str, tags: list[str]) -> dict[str, Any]:
        _check_input_size(tags)
        ctx = _ctx(info)
        change = ctx.backend.tags_add if add else ctx.backend.tags_remove
        try:
            type_name, object_id = change(ctx.shop.domain, id, tags)
        except ShopifyUserErrors as exc:
            return {"node": None, "userErrors": _user_errors(exc)}
        if type_name == "Order":
            ctx.forget(object_id)
        return {"node": load_node(ctx, gid(type_name, object_id)), "userErrors": []}

    return resolve


def _inventory_adjust(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    _check_input_size(input)
    ctx = _ctx(info)
    _require_change_from_quantity(info, input.get("changes") or [])
    key = _idempotency_key(info, required=True)
    try:
        group_id = ctx.backend.inventory_adjust(ctx.shop.domain, input, idempotency_key=key)
    except ShopifyUserErrors as exc:
        return {"inventoryAdjustmentGroup": None, "userErrors": _user_errors(exc)}
    return {
        "inventoryAdjustmentGroup": adjustment_group_view(ctx.backend.adjustment_group_row(ctx.shop.domain, group_id)),
        "userErrors": [],
    }


def _subscription_create(_root: Any, info: GraphQLResolveInfo, topic: str, webhookSubscription: dict[str, Any]) -> dict[str, Any]:
    ctx = _ctx(info)
    try:
        sub_id = ctx.backend.webhook_subscription_create(ctx.shop.domain, topic, webhookSubscription, api_version=ctx.api_version)
    except ShopifyUserErrors as exc:
        return {"webhookSubscription": None, "userErrors": _user_errors(exc)}
    return {
        "webhookSubscription": subscription_view(ctx.backend.webhook_subscription_by_id(ctx.shop.domain, sub_id)),
        "userErrors": [],
    }


def _subscription_delete(_root: Any, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    ctx = _ctx(info)
    try:
        sub_id = ctx.backend.webhook_subscription_delete(ctx.shop.domain, id)
    except ShopifyUserErrors as exc:
        return {"deletedWebhookSubscriptionId": None, "userErrors": _user_errors(exc)}
    return {"deletedWebhookSubscriptionId": gid("WebhookSubscription", sub_id), "userErrors": []}


def bind_mutations(schema: GraphQLSchema) -> None:
    """Attach the mutation resolvers to ``schema``."""
    mutation = schema.mutation_type
    assert mutation is not None
    resolvers = {
        "refundCreate": _refund_create,
        "orderUpdate": _order_update,
        "tagsAdd": _tags(add=True),
        "tagsRemove": _tags(add=False),
        "inventoryAdjustQuantities": _inventory_adjust,
        "webhookSubscriptionCreate": _subscription_create,
        "webhookSubscriptionDelete": _subscription_delete,
    }
    for name, resolver in resolvers.items():
        mutation.fields[name].resolve = resolver
