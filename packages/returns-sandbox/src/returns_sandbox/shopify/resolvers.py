"""Query resolvers: root fields, relationships between views, cursor pagination and order search."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from graphql import GraphQLError, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema

from returns_sandbox.shopify.constants import gid, gid_type, parse_gid
from returns_sandbox.shopify.search import parse_search
from returns_sandbox.shopify.views import (
    RequestContext,
    bag,
    line_view,
    money,
    order_view,
    refund_line_view,
    refund_view,
    return_line_view,
    return_view,
    simple_view,
    transaction_view,
)

__all__ = ["bind_queries", "load_node", "paginate"]

_ORDER_SORT: dict[str, Callable[[dict[str, Any]], tuple]] = {
    "CREATED_AT": lambda r: (r["created_at"], r["id"]),
    "UPDATED_AT": lambda r: (r["updated_at"], r["id"]),
    "PROCESSED_AT": lambda r: (r["processed_at"], r["id"]),
    "ORDER_NUMBER": lambda r: (r["number"], r["id"]),
    "ID": lambda r: (r["id"],),
}


def _encode(key: tuple) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def _decode(cursor: str) -> tuple:
    try:
        return tuple(json.loads(base64.urlsafe_b64decode(cursor.encode())))
    except (ValueError, TypeError) as exc:
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor}") from exc


def paginate(
    items: list[Any],
    key: Callable[[Any], tuple],
    view: Callable[[Any], dict[str, Any] | None],
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    reverse: bool = False,
    **_: Any,
) -> dict[str, Any]:
    """A Relay connection over ``items`` ordered by ``key``; cursors encode the key, so they survive inserts."""
    ordered = sorted(((key(i), i) for i in items), key=lambda pair: pair[0], reverse=reverse)

    def beyond(k: tuple, cursor_key: tuple) -> bool:  # strictly after the cursor in the current direction
        return k < cursor_key if reverse else k > cursor_key

    window = ordered
    has_previous = has_next = False
    if after is not None:
        ak = _decode(after)
        has_previous = any(not beyond(k, ak) for k, _ in ordered)
        window = [(k, i) for k, i in window if beyond(k, ak)]
    if before is not None:
        bk = _decode(before)
        has_next = any(not beyond(bk, k) for k, _ in ordered)
        window = [(k, i) for k, i in window if beyond(bk, k)]
    if first is not None:
        has_next = has_next or len(window) > first
        window = window[:first]
    elif last is not None:
        has_previous = has_previous or len(window) > last
        window = window[-last:] if last else []
    edges = [{"cursor": _encode(k), "node": view(i)} for k, i in window]
    return {
        "edges": edges,
        "nodes": [e["node"] for e in edges],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _ctx(info: GraphQLResolveInfo) -> RequestContext:
    return info.context


def _snap(info: GraphQLResolveInfo, order_id: int) -> dict[str, Any]:
    snap = _ctx(info).snapshot(order_id)
    if snap is None:  # the order vanished mid-request (sandbox reset); nothing sensible to return
        raise GraphQLError("Order does not exist")
    return snap


def _currency(snap: dict[str, Any]) -> str:
    return snap["order"]["currency"]


# --- nodes by id --------------------------------------------------------------------------------
def load_node(ctx: RequestContext, node_id: Any) -> dict[str, Any] | None:
    """The view behind any GID the sandbox knows; ``None`` (as Shopify: no error) for anything else."""
    type_name, numeric = gid_type(node_id), parse_gid(node_id)
    if type_name is None or numeric is None:
        return None
    backend, shop = ctx.backend, ctx.shop.domain
    if type_name == "Order":
        snap = ctx.snapshot(numeric)
        return order_view(snap["order"]) if snap else None
    if type_name in ("Refund", "Return", "LineItem", "OrderTransaction"):
        table = {"Refund": "refund", "Return": "return", "LineItem": "line_item", "OrderTransaction": "order_transaction"}[
            type_name
        ]
        order_id = backend.order_id_of(shop, table, numeric)
        snap = ctx.snapshot(order_id) if order_id is not None else None
        return _child_view(snap, type_name, numeric) if snap else None
    loaders: dict[str, Callable[[], dict[str, Any] | None]] = {
        "Customer": lambda: _customer(backend.customer_row(shop, numeric)),
        "Product": lambda: _product(backend.product_row(shop, numeric)),
        "ProductVariant": lambda: _variant(backend.variant_row(shop, numeric)),
        "InventoryItem": lambda: _inventory_item(backend.inventory_item_row(shop, numeric)),
        "InventoryLevel": lambda: _level(backend.inventory_level_by_id(shop, numeric)),
        "Location": lambda: _location(backend.location_row(shop, numeric)),
        "GiftCard": lambda: _gift_card(backend.gift_card_row(shop, numeric), ctx.shop.currency),
        "WebhookSubscription": lambda: subscription_view(backend.webhook_subscription_by_id(shop, numeric)),
        "InventoryAdjustmentGroup": lambda: adjustment_group_view(backend.adjustment_group_row(shop, numeric)),
    }
    loader = loaders.get(type_name)
    return loader() if loader else None


def _child_view(snap: dict[str, Any], type_name: str, numeric: int) -> dict[str, Any] | None:
    currency, order_id = _currency(snap), snap["order"]["id"]
    pools: dict[str, tuple[list[dict[str, Any]], Callable[[dict[str, Any]], dict[str, Any]]]] = {
        "Refund": (snap["refunds"], lambda r: refund_view(r, currency)),
        "Return": (snap["returns"], return_view),
        "LineItem": (snap["lines"], lambda line: line_view(line, order_id, currency)),
        "OrderTransaction": (snap["transactions"], lambda t: transaction_view(t, currency)),
    }
    rows, build = pools[type_name]
    return next((build(r) for r in rows if r["id"] == numeric), None)


def _customer(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    display = " ".join(p for p in (row["first_name"], row["last_name"]) if p) or row["email"] or ""
    return simple_view(
        "Customer",
        row,
        email=row["email"],
        firstName=row["first_name"],
        lastName=row["last_name"],
        displayName=display,
        tags=json.loads(row["tags"]),
    )


def _product(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return simple_view("Product", row, title=row["title"], tags=json.loads(row["tags"])) if row else None


def _variant(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return simple_view(
        "ProductVariant", row, sku=row["sku"], title=row["title"], displayName=row["title"], price=Decimal(row["price"])
    )


def _inventory_item(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return simple_view("InventoryItem", row, sku=row["sku"], tracked=bool(row["tracked"])) if row else None


def _location(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return simple_view("Location", row, name=row["name"]) if row else None


def _level(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    view = simple_view("InventoryLevel", row, updatedAt=row["updated_at"])
    view["id"] = f"{gid('InventoryLevel', row['id'])}?inventory_item_id={row['inventory_item_id']}"
    return view


def _gift_card(row: dict[str, Any] | None, currency: str) -> dict[str, Any] | None:
    if row is None:
        return None
    return simple_view(
        "GiftCard",
        row,
        initialValue=money(Decimal(row["initial_value"]), currency),
        balance=money(Decimal(row["balance"]), currency),
        lastCharacters=row["last_characters"],
        note=row["note"],
        createdAt=row["created_at"],
    )


def _gift_card_transactions(obj: dict[str, Any], info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    ctx = _ctx(info)
    rows = ctx.backend.gift_card_transaction_rows(ctx.shop.domain, obj["_id"])

    def view(row: dict[str, Any]) -> dict[str, Any]:
        amount = Decimal(row["amount"])
        # The interface's two kinds: a credit raises the balance, a debit (stored negative) lowers it.
        kind = "GiftCardDebitTransaction" if amount < 0 else "GiftCardCreditTransaction"
        return simple_view(
            kind, row, amount=money(amount, ctx.shop.currency), processedAt=row["processed_at"], note=row["note"], giftCard=obj
        )

    return paginate(rows, lambda r: (r["processed_at"], r["id"]), view, **args)


def subscription_view(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return simple_view(
        "WebhookSubscription",
        row,
        topic=row["topic"],
        callbackUrl=row["callback_url"],
        uri=row["callback_url"],
        format=row["format"],
        includeFields=json.loads(row["include_fields"]),
        apiVersion=row["api_version"],
        createdAt=row["created_at"],
        updatedAt=row["updated_at"],
    )


def adjustment_group_view(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return simple_view(
        "InventoryAdjustmentGroup",
        row,
        createdAt=row["created_at"],
        reason=row["reason"],
        referenceDocumentUri=row["reference_document_uri"],
    )


# --- root query fields ---------------------------------------------------------------------------
def _orders(
    _root: Any, info: GraphQLResolveInfo, query: str | None = None, sortKey: str = "PROCESSED_AT", **args: Any
) -> dict[str, Any]:
    ctx = _ctx(info)
    rows = ctx.backend.order_rows(ctx.shop.domain)
    if query:
        search = parse_search(query)
        rows = [r for r in rows if search.matches(_facts(ctx, r))]
    key = _ORDER_SORT.get(sortKey)
    if key is None:  # TOTAL_PRICE and friends sort by a computed value
        key = (
            (lambda r: (int(_snapshot(ctx, r["id"])["totals"]["total"] * 100), r["id"]))
            if sortKey == "TOTAL_PRICE"
            else _ORDER_SORT["ID"]
        )
    return paginate(rows, key, order_view, **args)


def _snapshot(ctx: RequestContext, order_id: int) -> dict[str, Any]:
    """The snapshot of an order the resolver already holds the row of (so it exists)."""
    snapshot = ctx.snapshot(order_id)
    assert snapshot is not None, f"order {order_id} vanished while the query ran"
    return snapshot


def _facts(ctx: RequestContext, row: dict[str, Any]) -> Callable[[str], Any]:
    def fact(name: str) -> Any:
        if name == "tags":
            return json.loads(row["tags"])
        if name == "status":
            return "cancelled" if row["cancelled_at"] else ("closed" if row["closed_at"] else "open")
        if name == "financial_status":
            return _snapshot(ctx, row["id"])["totals"]["financial_status"]
        return row.get(name)

    return fact


def _locations(_root: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    ctx = _ctx(info)
    return paginate(ctx.backend.location_rows(ctx.shop.domain), lambda r: (r["id"],), _location, **args)


def _subscriptions(_root: Any, info: GraphQLResolveInfo, topics: list[str] | None = None, **args: Any) -> dict[str, Any]:
    ctx = _ctx(info)
    rows = [r for r in ctx.backend.webhook_subscription_rows(ctx.shop.domain) if not topics or r["topic"] in topics]
    return paginate(rows, lambda r: (r["id"],), subscription_view, **args)


def _typed(type_name: str) -> Callable[..., dict[str, Any] | None]:
    def resolve(_root: Any, info: GraphQLResolveInfo, id: Any = None) -> dict[str, Any] | None:
        return load_node(_ctx(info), id) if gid_type(id) == type_name else None

    return resolve


def _shop(_root: Any, info: GraphQLResolveInfo) -> dict[str, Any]:
    shop = _ctx(info).shop
    return {
        "__typename": "Shop",
        "id": gid("Shop", zlib.crc32(shop.domain.encode())),
        "name": shop.name,
        "myshopifyDomain": shop.domain,
        "currencyCode": shop.currency,
    }


# --- relationships -------------------------------------------------------------------------------
def _order_money(name: str) -> Callable[..., dict[str, Any]]:
    def resolve(obj: dict[str, Any], info: GraphQLResolveInfo) -> dict[str, Any]:
        snap = _snap(info, obj["_id"])
        return bag(snap["totals"][name], _currency(snap))

    return resolve


def _line_items(obj: dict[str, Any], info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    snap = _snap(info, obj["_id"])
    return paginate(
        snap["lines"],
        lambda line: (line["position"], line["id"]),
        lambda line: line_view(line, obj["_id"], _currency(snap)),
        **args,
    )


def _order_refunds(obj: dict[str, Any], info: GraphQLResolveInfo, first: int | None = None) -> list[dict[str, Any]]:
    snap = _snap(info, obj["_id"])
    return [refund_view(r, _currency(snap)) for r in snap["refunds"][:first]]


def _order_transactions(obj: dict[str, Any], info: GraphQLResolveInfo, first: int | None = None) -> list[dict[str, Any]]:
    snap = _snap(info, obj["_id"])
    return [transaction_view(t, _currency(snap)) for t in snap["transactions"][:first]]


def _order_returns(obj: dict[str, Any], info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    return paginate(_snap(info, obj["_id"])["returns"], lambda r: (r["created_at"], r["id"]), return_view, **args)


def _order_of(obj: dict[str, Any], info: GraphQLResolveInfo) -> dict[str, Any]:
    return order_view(_snap(info, obj["_order_id"])["order"])


def _refund_line_items(obj: dict[str, Any], info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    snap = _snap(info, obj["_order_id"])
    return paginate(
        obj["_refund"]["line_items"],
        lambda r: (r["id"],),
        lambda r: refund_line_view(r, obj["_order_id"], _currency(snap)),
        **args,
    )


def _refund_transactions(obj: dict[str, Any], info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    snap = _snap(info, obj["_order_id"])
    return paginate(
        obj["_refund"]["transactions"],
        lambda t: (t["processed_at"], t["id"]),
        lambda t: transaction_view(t, _currency(snap)),
        **args,
    )


def _refund_return(obj: dict[str, Any], info: GraphQLResolveInfo) -> dict[str, Any] | None:
    return load_node(_ctx(info), gid("Return", obj["_return_id"])) if obj["_return_id"] else None


def _line_of(obj: dict[str, Any], info: GraphQLResolveInfo) -> dict[str, Any] | None:
    snap = _snap(info, obj["_order_id"])
    return _child_view(snap, "LineItem", obj["_line_item_id"])


def _parent_transaction(obj: dict[str, Any], info: GraphQLResolveInfo) -> dict[str, Any] | None:
    if obj["_parent_id"] is None:
        return None
    return _child_view(_snap(info, obj["_order_id"]), "OrderTransaction", obj["_parent_id"])


def _return_lines(obj: dict[str, Any], info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    return paginate(obj["_return"]["line_items"], lambda r: (r["id"],), lambda r: return_line_view(r, obj["_order_id"]), **args)


def _return_refunds(obj: dict[str, Any], info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    snap = _snap(info, obj["_order_id"])
    refunds = [r for r in snap["refunds"] if r["id"] in obj["_return"]["refund_ids"]]
    return paginate(refunds, lambda r: (r["id"],), lambda r: refund_view(r, _currency(snap)), **args)


def _by_ref(type_name: str, ref: str) -> Callable[..., dict[str, Any] | None]:
    def resolve(obj: dict[str, Any], info: GraphQLResolveInfo) -> dict[str, Any] | None:
        value = obj.get(ref) if ref in obj else obj["_row"].get(ref)
        return load_node(_ctx(info), gid(type_name, value)) if value is not None else None

    return resolve


def _customer_of_order(obj: dict[str, Any], info: GraphQLResolveInfo) -> dict[str, Any] | None:
    return _customer(_snap(info, obj["_id"])["customer"])


def _item_variant(obj: dict[str, Any], info: GraphQLResolveInfo) -> dict[str, Any] | None:
    ctx = _ctx(info)
    return _variant(ctx.backend.variant_by_inventory_item(ctx.shop.domain, obj["_id"]))


def _item_level(obj: dict[str, Any], info: GraphQLResolveInfo, locationId: str) -> dict[str, Any] | None:
    ctx = _ctx(info)
    location_id = parse_gid(locationId, "Location")
    return _level(ctx.backend.inventory_level_row(ctx.shop.domain, obj["_id"], location_id)) if location_id is not None else None


def _item_levels(obj: dict[str, Any], info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    ctx = _ctx(info)
    return paginate(ctx.backend.inventory_level_rows(ctx.shop.domain, obj["_id"]), lambda r: (r["location_id"],), _level, **args)


def _level_quantities(obj: dict[str, Any], info: GraphQLResolveInfo, names: list[str]) -> list[dict[str, Any]]:
    row = obj["_row"]
    return [
        {
            "id": f"{gid('InventoryQuantity', row['id'])}?name={n}",
            "name": n,
            "quantity": int(row["quantities"].get(n, 0)),
            "updatedAt": row["updated_at"],
        }
        for n in names
    ]


def _group_changes(
    obj: dict[str, Any],
    info: GraphQLResolveInfo,
    inventoryItemIds: list[str] | None = None,
    locationIds: list[str] | None = None,
    quantityNames: list[str] | None = None,
) -> list[dict[str, Any]]:
    ctx = _ctx(info)
    items = {parse_gid(i) for i in inventoryItemIds} if inventoryItemIds else None
    locations = {parse_gid(i) for i in locationIds} if locationIds else None
    out = []
    for change in obj["_row"]["changes"]:
        if (
            (items and change["inventoryItemId"] not in items)
            or (locations and change["locationId"] not in locations)
            or (quantityNames and change["name"] not in quantityNames)
        ):
            continue
        out.append(
            {
                "name": change["name"],
                "delta": change["delta"],
                "quantityAfterChange": change["quantityAfterChange"],
                "ledgerDocumentUri": change["ledgerDocumentUri"],
                "item": load_node(ctx, gid("InventoryItem", change["inventoryItemId"])),
                "location": load_node(ctx, gid("Location", change["locationId"])),
            }
        )
    return out


def _current_app_installation(_root: Any, info: GraphQLResolveInfo) -> dict[str, Any]:
    """The caller's granted scopes, as a merchant granted them (a write scope is listed as itself, not with its read scope).

    https://shopify.dev/docs/api/admin-graphql/latest/objects/AppInstallation (``accessScopes``) and
    https://shopify.dev/docs/api/admin-graphql/latest/objects/AccessScope (``handle``, ``description``).
    """
    ctx = _ctx(info)
    scopes = sorted(ctx.grant.scopes)
    return {
        "__typename": "AppInstallation",
        "id": gid("AppInstallation", zlib.crc32(ctx.shop.domain.encode())),
        "accessScopes": [{"handle": handle, "description": _scope_description(handle)} for handle in scopes],
    }


def _scope_description(handle: str) -> str:
    action, _, resource = handle.partition("_")
    verb = {"read": "Read", "write": "Modify"}.get(action, action.capitalize())
    return f"{verb} {resource.replace('_', ' ')}"


def bind_queries(schema: GraphQLSchema) -> None:
    """Attach the resolvers above to ``schema``'s fields (mutations are bound by ``mutations.bind_mutations``)."""
    t = schema.type_map
    root: dict[str, Callable[..., Any]] = {
        "shop": _shop,
        "currentAppInstallation": _current_app_installation,
        "orders": _orders,
        "locations": _locations,
        "webhookSubscriptions": _subscriptions,
        "node": lambda _r, info, id: load_node(_ctx(info), id),
        "nodes": lambda _r, info, ids: [load_node(_ctx(info), i) for i in ids],
    }
    for field, type_name in (
        ("order", "Order"),
        ("refund", "Refund"),
        ("return", "Return"),
        ("customer", "Customer"),
        ("productVariant", "ProductVariant"),
        ("inventoryItem", "InventoryItem"),
        ("inventoryLevel", "InventoryLevel"),
        ("location", "Location"),
        ("giftCard", "GiftCard"),
        ("webhookSubscription", "WebhookSubscription"),
    ):
        root[field] = _typed(type_name)
    relations: dict[str, dict[str, Callable[..., Any]]] = {
        "Query": root,
        "Order": {
            "customer": _customer_of_order,
            "lineItems": _line_items,
            "refunds": _order_refunds,
            "transactions": _order_transactions,
            "returns": _order_returns,
            "displayFinancialStatus": lambda o, info: _snap(info, o["_id"])["totals"]["financial_status"],
            "subtotalPriceSet": _order_money("subtotal"),
            "totalDiscountsSet": _order_money("discounts"),
            "totalTaxSet": _order_money("tax"),
            "totalShippingPriceSet": _order_money("shipping"),
            "totalPriceSet": _order_money("total"),
            "currentTotalPriceSet": _order_money("current_total"),
            "totalReceivedSet": _order_money("received"),
            "totalRefundedSet": _order_money("refunded"),
            "netPaymentSet": _order_money("net_payment"),
        },
        "LineItem": {
            "variant": _by_ref("ProductVariant", "_variant_id"),
            "product": _by_ref("Product", "_product_id"),
            "taxLines": lambda o, info, first=None: o["_tax_lines"][:first],
        },
        "OrderTransaction": {"parentTransaction": _parent_transaction, "order": _order_of},
        "Refund": {
            "order": _order_of,
            "return": _refund_return,
            "refundLineItems": _refund_line_items,
            "transactions": _refund_transactions,
        },
        "RefundLineItem": {"lineItem": _line_of, "location": _by_ref("Location", "_location_id")},
        "Return": {
            "order": _order_of,
            "returnLineItems": _return_lines,
            "refunds": _return_refunds,
            "exchangeLineItems": lambda o, info, **a: paginate([], lambda x: (0,), lambda x: x, **a),
        },
        "FulfillmentLineItem": {"lineItem": _line_of},
        "ProductVariant": {
            "product": _by_ref("Product", "product_id"),
            "inventoryItem": _by_ref("InventoryItem", "inventory_item_id"),
        },
        "InventoryItem": {"variant": _item_variant, "inventoryLevel": _item_level, "inventoryLevels": _item_levels},
        "InventoryLevel": {
            "item": _by_ref("InventoryItem", "inventory_item_id"),
            "location": _by_ref("Location", "location_id"),
            "quantities": _level_quantities,
        },
        "InventoryAdjustmentGroup": {"changes": _group_changes},
        "GiftCard": {"order": _by_ref("Order", "order_id"), "transactions": _gift_card_transactions},
    }
    for type_name, fields in relations.items():
        for field_name, resolver in fields.items():
            object_type = t[type_name]
            assert isinstance(object_type, GraphQLObjectType), f"{type_name} is not an object type"
            object_type.fields[field_name].resolve = resolver
