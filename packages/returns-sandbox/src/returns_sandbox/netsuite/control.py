"""``/_sandbox`` routes of the NetSuite emulator: faults, reset, stats and the hub's lifecycle operations.

| route | body / query | answer |
|---|---|---|
| ``GET /_sandbox/faults`` | | current ``FaultSettings`` |
| ``POST /_sandbox/faults`` | settings to change | the new settings |
| ``POST /_sandbox/reset`` | | drops every record, reloads the world, clears stats |
| ``GET /_sandbox/stats`` | | fault stats and record counts |
| ``POST /_sandbox/netsuite/returnAuthorization/{id}/receive`` | ``{"quantity"?, "location_id"?}`` | ``{"id": <item receipt>}`` |
| ``POST /_sandbox/netsuite/returnAuthorization/{id}/close`` | | ``{"id": <ra>}`` |
| ``POST /_sandbox/netsuite/returnAuthorization/{id}/approve`` | | ``{"id": <ra>, "approved": <was pending>}`` |
| ``POST /_sandbox/netsuite/records/{type}/{id}/fields`` | ``{"field", "value"}`` | ``{"id": <id>}`` |
| ``POST /_sandbox/netsuite/exchange-orders`` | ``{"shopify_order_id"}`` (of the loaded world) | ``{"id": <sales order>}`` |
| ``POST /_sandbox/netsuite/connector-refunds`` | ``{"shopify_order_id", "shopify_refund_id", "amount", "kind"}`` | ``{"id"}`` |
| ``GET /_sandbox/netsuite/find?type=&field=&value=`` | ``value`` as JSON when it parses | ``{"ids": [...]}`` |
| ``GET /_sandbox/netsuite/login-audit`` | | the last 200 TBA verdicts with their real cause |
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from returns_sandbox.netsuite import errors

__all__ = ["control_routes"]

Handler = Callable[[Request], Awaitable[Response]]


def _guard(handler: Handler) -> Handler:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except errors.NetSuiteError as exc:
            return JSONResponse(exc.body(), status_code=exc.status, media_type=errors.ERROR_CONTENT_TYPE)
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            return JSONResponse({"error": str(exc) or type(exc).__name__}, status_code=400)

    return endpoint


async def _payload(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


async def _faults(request: Request) -> Response:
    injector = request.app.state.faults
    if request.method == "POST":
        injector.settings.update(**(await _payload(request)))
    return JSONResponse(injector.settings.as_dict())


async def _reset(request: Request) -> Response:
    request.app.state.backend.reset()
    request.app.state.faults.reset_stats()
    return JSONResponse({"ok": True})


async def _stats(request: Request) -> Response:
    return JSONResponse({"faults": request.app.state.faults.stats.as_dict(), "records": request.app.state.backend.counts()})


async def _receive(request: Request) -> Response:
    data = await _payload(request)
    quantity = data.get("quantity")
    location = data.get("location_id")
    ir_id = request.app.state.backend.receive_return(
        int(request.path_params["id"]),
        quantity=None if quantity is None else int(quantity),
        location_id=None if location is None else int(location),
    )
    return JSONResponse({"id": ir_id})


async def _close(request: Request) -> Response:
    ra_id = int(request.path_params["id"])
    request.app.state.backend.close_return_authorization(ra_id)
    return JSONResponse({"id": ra_id})


async def _approve(request: Request) -> Response:
    ra_id = int(request.path_params["id"])
    approved = request.app.state.backend.approve_return_authorization(ra_id)
    return JSONResponse({"id": ra_id, "approved": approved})


async def _token_inactive(request: Request) -> Response:
    data = await _payload(request)
    token_id = request.path_params["token_id"]
    if not request.app.state.backend.set_token_inactive(token_id, bool(data.get("inactive", True))):
        return JSONResponse({"error": "unknown token"}, status_code=404)
    return JSONResponse({"ok": True})


async def _set_field(request: Request) -> Response:
    data = await _payload(request)
    rid = int(request.path_params["id"])
    request.app.state.backend.set_body_field(request.path_params["type"], rid, data["field"], data.get("value"))
    return JSONResponse({"id": rid})


def _world_order(request: Request, shopify_order_id: Any) -> Any:
    world = request.app.state.backend.world
    if world is None:
        raise ValueError("no world is loaded")
    for order in world.orders:
        if str(order.shopify_id) == str(shopify_order_id):
            return order
    raise ValueError(f"no order with Shopify id {shopify_order_id} in the loaded world")


async def _exchange_order(request: Request) -> Response:
    data = await _payload(request)
    order = _world_order(request, data["shopify_order_id"])
    return JSONResponse({"id": request.app.state.backend.create_exchange_sales_order(order)})


async def _connector_refund(request: Request) -> Response:
    data = await _payload(request)
    order = _world_order(request, data["shopify_order_id"])
    rid = request.app.state.backend.post_connector_refund(
        order=order,
        shopify_refund_id=str(data["shopify_refund_id"]),
        amount=Decimal(str(data["amount"])),
        kind=data.get("kind", "cashRefund"),
    )
    return JSONResponse({"id": rid})


async def _find(request: Request) -> Response:
    params = request.query_params
    try:  # ``true`` / ``12`` arrive as text; a checkbox or number field compares with the parsed value
        value = json.loads(params["value"])
    except ValueError:
        value = params["value"]
    ids = request.app.state.backend.find_by_body_field(params["type"], params["field"], value)
    return JSONResponse({"ids": ids})


async def _login_audit(request: Request) -> Response:
    return JSONResponse(list(request.app.state.backend.login_audit))


def control_routes() -> list[Route]:
    """The routes above; they bypass TBA and the fault injector (prefix ``/_sandbox``)."""
    return [
        Route("/_sandbox/faults", _guard(_faults), methods=["GET", "POST"]),
        Route("/_sandbox/reset", _guard(_reset), methods=["POST"]),
        Route("/_sandbox/stats", _guard(_stats), methods=["GET"]),
        Route("/_sandbox/netsuite/returnAuthorization/{id:int}/receive", _guard(_receive), methods=["POST"]),
        Route("/_sandbox/netsuite/returnAuthorization/{id:int}/close", _guard(_close), methods=["POST"]),
        Route("/_sandbox/netsuite/returnAuthorization/{id:int}/approve", _guard(_approve), methods=["POST"]),
        Route("/_sandbox/netsuite/records/{type}/{id:int}/fields", _guard(_set_field), methods=["POST"]),
        Route("/_sandbox/netsuite/exchange-orders", _guard(_exchange_order), methods=["POST"]),
        Route("/_sandbox/netsuite/connector-refunds", _guard(_connector_refund), methods=["POST"]),
        Route("/_sandbox/netsuite/find", _guard(_find), methods=["GET"]),
        Route("/_sandbox/netsuite/login-audit", _guard(_login_audit), methods=["GET"]),
        Route("/_sandbox/netsuite/tokens/{token_id}/inactive", _guard(_token_inactive), methods=["POST"]),
    ]
