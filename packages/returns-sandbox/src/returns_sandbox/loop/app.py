"""The Loop emulator's ASGI app: routes parse the request, call ``LoopBackend``, and serialise Loop's answer.

``create_loop_app`` wraps the Starlette app in ``FaultInjector`` (300 requests/minute per API key by
default). Control routes under ``/_sandbox`` are exempt from faults and need no key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from returns_sandbox.faults import FaultInjector, FaultSettings
from returns_sandbox.loop.clock import parse_loop_datetime
from returns_sandbox.loop.constants import API_PREFIX, RATE_LIMIT_PER_MINUTE, RETURNS_SCOPE
from returns_sandbox.loop.errors import LoopSandboxError, LoopVendorErrors, NotFound, Unauthorized
from returns_sandbox.loop.models import LoopBackend

__all__ = ["create_loop_app"]

_RETURN = API_PREFIX + "/warehouse/return"
_ACTIONS = ("process", "remove", "cancel", "flag", "close")
_ADMIN_OPERATIONS = ("process", "cancel", "review-done", "receive", "render", "label")


def _api_key_of(scope: Scope) -> str:
    for name, value in scope.get("headers") or []:
        if name == b"x-authorization":
            return value.decode("latin-1")
    return ""


def _backend(request: Request) -> LoopBackend:
    return request.app.state.backend


def _shop(request: Request, *, scope: str | None = None) -> int:
    key = request.headers.get("x-authorization")
    shop_id = _backend(request).shop_for_key(key)
    if shop_id is None:
        raise Unauthorized()
    # Loop documents only 401 for these endpoints, so a key without the scope gets the same 401.
    if scope is not None and not _backend(request).key_has_scope(key, scope):
        raise Unauthorized()
    return shop_id


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return {}  # Laravel reads an unparsable body as no input; validation then reports what is missing.


async def _call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    # Backend calls may block (SQLite, the processing hook calling other emulators): keep them off the loop.
    return await run_in_threadpool(func, *args, **kwargs)


# -- return data ---------------------------------------------------------------------------------


async def list_returns(request: Request) -> Response:
    shop_id = _shop(request)
    q = request.query_params
    result = await _call(
        _backend(request).list_returns,
        shop_id,
        from_=q.get("from"),
        to=q.get("to"),
        filter=q.get("filter"),
        state=q.get("state"),
        paginate=q.get("paginate"),
        page_size=q.get("pageSize"),
        cursor=q.get("cursor"),
        base_url=str(request.url),
    )
    return JSONResponse(result)


async def get_return_details(request: Request) -> Response:
    shop_id = _shop(request)
    q = request.query_params
    result = await _call(
        _backend(request).get_return_details,
        shop_id,
        return_id=q.get("return_id"),
        order_id=q.get("order_id"),
        order_name=q.get("order_name"),
        currency_type=q.get("currency_type"),
    )
    return JSONResponse(result)


async def list_notes(request: Request) -> Response:
    shop_id = _shop(request, scope=RETURNS_SCOPE)
    return JSONResponse(await _call(_backend(request).list_notes, shop_id, request.path_params["return_id"]))


async def create_note(request: Request) -> Response:
    shop_id = _shop(request, scope=RETURNS_SCOPE)
    body = await _json_body(request)
    content = body.get("content") if isinstance(body, dict) else None
    return JSONResponse(await _call(_backend(request).create_note, shop_id, request.path_params["return_id"], content))


# -- return actions ------------------------------------------------------------------------------


async def return_action(request: Request) -> Response:
    shop_id = _shop(request)
    backend = _backend(request)
    return_id = request.path_params["return_id"]
    action = request.path_params["action"]
    if action not in _ACTIONS:
        raise NotFound.route(request.url.path)
    if action == "process":
        body = await _json_body(request)
        details = body if isinstance(body, dict) and body else None
        result = await _call(backend.process_return, shop_id, return_id, details)
    elif action == "remove":
        ids: Any = request.query_params.get("line_item_id")
        if ids is None:
            body = await _json_body(request)
            ids = body.get("line_item_id") if isinstance(body, dict) else None
        result = await _call(backend.remove_line_items, shop_id, return_id, ids)
    else:
        operation = {"cancel": backend.cancel_return, "flag": backend.flag_return, "close": backend.close_return}[action]
        result = await _call(operation, shop_id, return_id)
    return JSONResponse(result)


# -- webhooks ------------------------------------------------------------------------------------


async def webhooks(request: Request) -> Response:
    shop_id = _shop(request)
    backend = _backend(request)
    if request.method == "GET":
        return JSONResponse(await _call(backend.list_webhooks, shop_id))
    body = await _json_body(request)
    fields = {k: body.get(k) for k in ("topic", "trigger", "url", "status")} if isinstance(body, dict) else {}
    return JSONResponse(await _call(backend.create_webhook, shop_id, **fields))


async def webhook(request: Request) -> Response:
    shop_id = _shop(request)
    backend = _backend(request)
    webhook_id = request.path_params["webhook_id"]
    if request.method == "DELETE":
        await _call(backend.delete_webhook, shop_id, webhook_id)
    else:
        body = await _json_body(request)
        fields = {k: body.get(k) for k in ("topic", "trigger", "url", "status")} if isinstance(body, dict) else {}
        await _call(backend.update_webhook, shop_id, webhook_id, **fields)
    return Response(status_code=204)


# -- sandbox control -----------------------------------------------------------------------------


async def sandbox_faults(request: Request) -> Response:
    injector: FaultInjector = request.app.state.faults
    if request.method == "POST":
        changes = await _json_body(request)
        try:
            injector.settings.update(**(changes if isinstance(changes, dict) else {}))
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"settings": injector.settings.as_dict(), "stats": injector.stats.as_dict()})


async def sandbox_reset(request: Request) -> Response:
    injector: FaultInjector = request.app.state.faults
    injector.reset_stats()
    return JSONResponse({"ok": True})


async def sandbox_deliveries(request: Request) -> Response:
    return JSONResponse({"deliveries": _backend(request).deliveries()})


async def sandbox_return(request: Request) -> Response:
    backend = _backend(request)
    return_id = request.path_params["return_id"]
    body = await _call(backend.get_return, return_id)
    if body is None:
        return JSONResponse(NotFound.return_().body, status_code=404)
    return JSONResponse(
        {"return": body, "flagged": backend.is_flagged(return_id), "additional_details": backend.additional_details(return_id)}
    )


async def sandbox_admin(request: Request) -> Response:
    backend = _backend(request)
    return_id = request.path_params["return_id"]
    operation = request.path_params["operation"]
    if operation not in _ADMIN_OPERATIONS:
        return JSONResponse({"ok": False, "error": f"unknown operation; known: {', '.join(_ADMIN_OPERATIONS)}"}, status_code=404)
    try:
        if operation == "receive":
            body = await _json_body(request)
            line_ids = body.get("line_item_ids") if isinstance(body, dict) else None
            await _call(backend.mark_received, return_id, [str(i) for i in line_ids] if line_ids else None)
        elif operation == "label":  # the carrier: {"status": "in_transit", "tracking_number"?: ..., "carrier"?: ...}
            body = await _json_body(request)
            if not isinstance(body, dict) or not isinstance(body.get("status"), str):
                return JSONResponse({"ok": False, "error": 'expected {"status": "<label status>", ...}'}, status_code=400)
            try:
                await _call(
                    backend.update_label,
                    return_id,
                    body["status"],
                    tracking_number=body.get("tracking_number"),
                    carrier=body.get("carrier"),
                )
            except ValueError as exc:
                return JSONResponse({"ok": False, "error": str(exc)}, status_code=400)
        elif operation == "render":  # bad-data knob: the JSON body's fields are rendered as given from now on
            fields = await _json_body(request)
            if not isinstance(fields, dict):
                return JSONResponse({"ok": False, "error": "send a JSON object of fields"}, status_code=400)
            await _call(backend.render_fields, return_id, fields)
        else:
            func = {"process": backend.process_in_admin, "cancel": backend.cancel_in_admin, "review-done": backend.review_done}[
                operation
            ]
            await _call(func, return_id)
    except LoopSandboxError as exc:
        return JSONResponse({"ok": False, "error": exc.body}, status_code=404 if isinstance(exc, NotFound) else 409)
    return JSONResponse({"ok": True, "return": await _call(backend.get_return, return_id)})


async def sandbox_plant_return(request: Request) -> Response:
    """Store a return body as given (malformed on purpose, say): ``{"return": {...}, "listed_at": ISO time?}``."""
    backend = _backend(request)
    payload = await _json_body(request)
    body = payload.get("return") if isinstance(payload, dict) else None
    if not isinstance(body, dict) or "id" not in body:
        return JSONResponse({"ok": False, "error": 'expected {"return": {"id": ..., ...}}'}, status_code=400)
    try:
        listed_at = parse_loop_datetime(payload["listed_at"]) if payload.get("listed_at") else backend.clock()
        shop_id = int(request.path_params["shop_id"])
        return_id = await _call(backend.plant_return, shop_id, body, listed_at=listed_at)
    except ValueError as exc:
        return JSONResponse({"ok": False, "error": str(exc)}, status_code=400)
    return JSONResponse({"ok": True, "id": return_id})


async def sandbox_webhook_copies(request: Request) -> Response:
    """``{"copies_per_event": n}``: send every webhook event as ``n`` deliveries (duplicates on purpose)."""
    payload = await _json_body(request)
    copies = payload.get("copies_per_event") if isinstance(payload, dict) else None
    if not isinstance(copies, int) or copies < 1:
        return JSONResponse({"ok": False, "error": "copies_per_event must be an integer of at least 1"}, status_code=400)
    _backend(request).dispatcher.copies_per_event = copies
    return JSONResponse({"ok": True, "copies_per_event": copies})


# -- errors --------------------------------------------------------------------------------------


async def _vendor_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoopSandboxError)
    return JSONResponse(exc.body, status_code=exc.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    path = request.url.path.lstrip("/")
    if exc.status_code == 404:
        return JSONResponse(NotFound.route(path).body, status_code=404)
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        message = f"The {request.method} method is not supported for route {path}. Supported methods: {allowed}."
        return JSONResponse({"message": message}, status_code=405, headers={"Allow": allowed})
    return JSONResponse({"message": exc.detail}, status_code=exc.status_code)


def create_loop_app(backend: LoopBackend, *, faults: FaultSettings | None = None) -> FaultInjector:
    """Build the Loop emulator around ``backend``; the inner Starlette app keeps the injector at ``app.state.faults``.

    Example:
        >>> app = create_loop_app(LoopBackend())
        >>> client = httpx.Client(transport=httpx.ASGITransport(app=app), base_url="http://loop.test")  # doctest: +SKIP
    """
    routes = [
        Route(_RETURN + "/list", list_returns, methods=["GET"]),
        Route(_RETURN + "/details", get_return_details, methods=["GET"]),
        Route(_RETURN + "/{return_id}/notes", list_notes, methods=["GET"]),
        Route(_RETURN + "/{return_id}/note", create_note, methods=["POST"]),
        Route(_RETURN + "/{return_id}/{action:str}", return_action, methods=["POST"]),
        Route(API_PREFIX + "/webhooks", webhooks, methods=["GET", "POST"]),
        Route(API_PREFIX + "/webhooks/{webhook_id}", webhook, methods=["PUT", "DELETE"]),
        Route("/_sandbox/faults", sandbox_faults, methods=["GET", "POST"]),
        Route("/_sandbox/reset", sandbox_reset, methods=["POST"]),
        Route("/_sandbox/loop/deliveries", sandbox_deliveries, methods=["GET"]),
        Route("/_sandbox/loop/shops/{shop_id:int}/returns", sandbox_plant_return, methods=["POST"]),
        Route("/_sandbox/loop/webhook-copies", sandbox_webhook_copies, methods=["POST"]),
        Route("/_sandbox/loop/returns/{return_id}", sandbox_return, methods=["GET"]),
        Route("/_sandbox/loop/returns/{return_id}/{operation}", sandbox_admin, methods=["POST"]),
    ]
    inner = Starlette(routes=routes, exception_handlers={LoopSandboxError: _vendor_error, HTTPException: _http_error})
    inner.state.backend = backend
    injector = FaultInjector(
        inner,
        settings=faults or FaultSettings(),
        errors=LoopVendorErrors(),
        key_func=_api_key_of,
        default_rate_limit_per_minute=RATE_LIMIT_PER_MINUTE,
    )
    inner.state.faults = injector
    return injector
