"""The Shopify emulator as an ASGI app: ``POST /admin/api/{version}/graphql.json`` plus ``/_sandbox`` control routes."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Scope

from returns_sandbox.faults import FaultInjector, FaultSettings
from returns_sandbox.seed.world import Order, OrderLine, OrderTransaction
from returns_sandbox.shopify.errors import (
    INVALID_TOKEN_BODY,
    MISSING_QUERY_BODY,
    NOT_FOUND_BODY,
    ShopifyUserErrors,
    ShopifyVendorErrors,
)
from returns_sandbox.shopify.executor import execute_graphql
from returns_sandbox.shopify.models import ShopifyBackend
from returns_sandbox.shopify.versions import ServedVersion, serve_version

__all__ = ["create_shopify_app", "order_from_json"]


def _json(status: int, body: Any, version: ServedVersion | None = None) -> Response:
    headers = {"X-Request-Id": str(uuid.uuid4())}
    if version:
        headers.update(version.headers())
    return Response(
        json.dumps(body, default=str), status_code=status, media_type="application/json; charset=utf-8", headers=headers
    )


def _read_request(content_type: str, raw: bytes) -> tuple[str | None, dict[str, Any] | None, str | None]:
    """(query, variables, operationName) from a JSON body or an ``application/graphql`` one."""
    if content_type.startswith("application/graphql"):
        return raw.decode("utf-8", "replace") or None, None, None
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        return None, None, None
    if not isinstance(body, dict) or not isinstance(body.get("query"), str) or not body["query"].strip():
        return None, None, None
    variables = body.get("variables")
    if isinstance(variables, str):  # some clients send variables as a JSON string
        try:
            variables = json.loads(variables)
        except ValueError:
            variables = None
    return body["query"], variables if isinstance(variables, dict) else None, body.get("operationName") or None


def _token_key(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-shopify-access-token":
            return value.decode("latin-1")
    return "anonymous"


def order_from_json(data: dict[str, Any]) -> Order:
    """A seed ``Order`` from the JSON the control route ``POST /_sandbox/shopify/orders`` accepts."""
    lines = tuple(
        OrderLine(
            shopify_line_id=int(ln["shopify_line_id"]),
            sku=ln["sku"],
            title=ln["title"],
            quantity=int(ln["quantity"]),
            unit_price=Decimal(str(ln["unit_price"])),
            unit_discount=Decimal(str(ln.get("unit_discount", "0"))),
            unit_tax=Decimal(str(ln.get("unit_tax", "0"))),
            tax_rate=Decimal(str(ln.get("tax_rate", "0"))),
            ns_item_id=ln.get("ns_item_id"),
            ns_line=int(ln.get("ns_line", 0)),
        )
        for ln in data["lines"]
    )
    txns = tuple(
        OrderTransaction(
            shopify_id=int(t["shopify_id"]),
            kind=t["kind"],
            gateway=t["gateway"],
            amount=Decimal(str(t["amount"])),
            status=t.get("status", "SUCCESS"),
            parent_id=t.get("parent_id"),
        )
        for t in data.get("transactions", [])
    )
    return Order(
        store=data.get("store", ""),
        shopify_id=int(data["shopify_id"]),
        name=data["name"],
        created_at=datetime.fromisoformat(data["created_at"].replace("Z", "+00:00")),
        currency=data["currency"],
        customer_email=data.get("customer_email", ""),
        lines=lines,
        shipping=Decimal(str(data.get("shipping", "0"))),
        shipping_tax=Decimal(str(data.get("shipping_tax", "0"))),
        transactions=txns,
        tags=tuple(data.get("tags", ())),
        note=data.get("note"),
        exchange_for_return=data.get("exchange_for_return"),
    )


def create_shopify_app(backend: ShopifyBackend, *, faults: FaultSettings | None = None) -> FaultInjector:
    """The emulator wrapped in its fault injector; the injector is also at ``inner.state.faults``."""

    async def graphql(request: Request) -> Response:
        version = serve_version(request.path_params["version"])
        if version is None:
            return _json(404, NOT_FOUND_BODY)
        token = request.headers.get("x-shopify-access-token")
        shop = backend.shop_for_token(token)
        if shop is None or token is None:
            return _json(401, INVALID_TOKEN_BODY, version)
        query, variables, operation_name = _read_request(request.headers.get("content-type", ""), await request.body())
        if query is None:
            return _json(400, MISSING_QUERY_BODY, version)
        status, body = await run_in_threadpool(
            lambda: execute_graphql(
                backend, shop, version.served, query, variables, operation_name, grant=backend.access_grant(token)
            )
        )
        return _json(status, body, version)

    async def not_found(request: Request) -> Response:
        return _json(404, NOT_FOUND_BODY)

    async def faults_route(request: Request) -> Response:
        injector: FaultInjector = request.app.state.faults
        if request.method == "POST":
            try:
                injector.settings.update(**(await request.json()))
            except (ValueError, TypeError) as exc:
                return _json(400, {"error": str(exc)})
        return _json(200, {"settings": injector.settings.as_dict(), "stats": injector.stats.as_dict()})

    async def reset(request: Request) -> Response:
        body = await _body(request)
        await run_in_threadpool(backend.reset, reseed=bool(body.get("reseed", True)))
        request.app.state.faults.reset_stats()
        return _json(200, {"reset": True, "seeded": backend.is_seeded()})

    async def settings(request: Request) -> Response:
        if request.method == "POST":
            try:
                backend.settings.update(**(await request.json()))
            except (ValueError, TypeError) as exc:
                return _json(400, {"error": str(exc)})
        return _json(200, backend.settings.as_dict())

    async def access(request: Request) -> Response:
        body = await _body(request)
        try:
            if "scopes" in body:
                backend.set_access(
                    body["token"], scopes=body["scopes"], protected_customer_fields=body.get("protected_customer_fields", ())
                )
            grant = backend.access_grant(body["token"])
        except (KeyError, ValueError, TypeError) as exc:
            return _json(400, {"error": f"{type(exc).__name__}: {exc}"})
        return _json(200, {"scopes": sorted(grant.scopes), "protected_customer_fields": sorted(grant.protected_customer_fields)})

    async def deliveries(request: Request) -> Response:
        return _json(200, {"deliveries": backend.webhooks.deliveries(request.query_params.get("topic"))})

    async def bucket(request: Request) -> Response:
        body = await _body(request)
        level = backend.bucket(body["shop"])
        if "available" in body:
            level.set_available(float(body["available"]))
        return _json(200, level.status())

    async def order_state(request: Request) -> Response:
        snap = backend.order_snapshot(request.query_params.get("shop", ""), int(request.path_params["order_id"]))
        return _json(200, snap) if snap else _json(404, NOT_FOUND_BODY)

    async def lifecycle(request: Request) -> Response:
        body = await _body(request)
        action = request.path_params["action"]
        try:
            if action == "refunds":
                result = await run_in_threadpool(
                    backend.create_refund,
                    body["shop"],
                    int(body["order_id"]),
                    line_items=[(int(a), int(b)) for a, b in body.get("line_items", [])],
                    transactions=[(g, Decimal(str(a))) for g, a in body.get("transactions", [])],
                    note=body.get("note"),
                    restock_type=body.get("restock_type", "NO_RESTOCK"),
                )
                return _json(201, {"refund_id": result})
            if action == "orders":
                return _json(
                    201, {"order_id": await run_in_threadpool(backend.create_order, body["shop"], order_from_json(body["order"]))}
                )
            if action == "gift_cards":
                result = await run_in_threadpool(
                    lambda: backend.issue_gift_card(
                        body["shop"], amount=Decimal(str(body["amount"])), order_id=body.get("order_id"), note=body.get("note")
                    )
                )
                return _json(201, {"gift_card_id": result})
        except ShopifyUserErrors as exc:
            return _json(422, {"userErrors": [e.as_dict() for e in exc.errors]})
        except (KeyError, ValueError, TypeError) as exc:
            return _json(400, {"error": f"{type(exc).__name__}: {exc}"})
        return _json(404, NOT_FOUND_BODY)

    routes = [
        Route("/admin/api/{version}/graphql.json", graphql, methods=["POST"]),
        Route("/_sandbox/faults", faults_route, methods=["GET", "POST"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/shopify/settings", settings, methods=["GET", "POST"]),
        Route("/_sandbox/shopify/deliveries", deliveries, methods=["GET"]),
        Route("/_sandbox/shopify/access", access, methods=["POST"]),
        Route("/_sandbox/shopify/bucket", bucket, methods=["POST"]),
        Route("/_sandbox/shopify/orders/{order_id:int}", order_state, methods=["GET"]),
        Route("/_sandbox/shopify/{action}", lifecycle, methods=["POST"]),
        Route("/{path:path}", not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
    inner = Starlette(routes=routes)
    inner.state.backend = backend
    injector = FaultInjector(inner, settings=faults or FaultSettings(), errors=ShopifyVendorErrors(), key_func=_token_key)
    inner.state.faults = injector
    return injector


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    data = json.loads(raw)
    return data if isinstance(data, dict) else {}
