"""The NetSuite emulator's HTTP app: REST record service, transforms and SuiteQL behind TBA and the fault injector."""

from __future__ import annotations

import importlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from returns_sandbox.faults import FaultInjector, FaultSettings
from returns_sandbox.netsuite import errors
from returns_sandbox.netsuite.constants import DEFAULT_CONCURRENCY_LIMIT, MAX_PAGE_SIZE, RECORD_PREFIX, SUITEQL_PATH
from returns_sandbox.netsuite.control import control_routes
from returns_sandbox.netsuite.models import NetSuiteBackend
from returns_sandbox.netsuite.serialize import collection_envelope, render_line, render_record, render_sublist

__all__ = ["COLLECTION", "SINGULAR", "create_netsuite_app"]

logger = logging.getLogger(__name__)

SINGULAR = "application/vnd.oracle.resource+json; type=singular"
COLLECTION = "application/vnd.oracle.resource+json; type=collection"
_ALL = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
Handler = Callable[[Request], Awaitable[Response]]


def _error_response(exc: errors.NetSuiteError) -> Response:
    return JSONResponse(exc.body(), status_code=exc.status, media_type=errors.ERROR_CONTENT_TYPE)


def _optional_module(name: str) -> Any | None:
    """Import a sibling module written by another helper, or None while it does not exist yet."""
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ImportError:
        return None


def _backend(request: Request) -> NetSuiteBackend:
    return request.app.state.backend


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or abs(value) > 2**62:
        raise errors.invalid_parameter(f"Invalid value '{raw}' for the query parameter {name}.", query_param=name)
    return value


def _strict(request: Request) -> bool:
    return request.headers.get("x-netsuite-propertynamevalidation", "error").strip().lower() not in ("warning", "ignore")


def _replace(request: Request) -> list[str]:
    return [part.strip() for part in request.query_params.get("replace", "").split(",") if part.strip()]


async def _json_body(request: Request, *, optional: bool = False) -> Any:
    raw = await request.body()
    if not raw.strip():
        if optional:
            return {}
        raise errors.NetSuiteError(400, "INVALID_CONTENT", "Invalid content in the request body: the body is empty.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise errors.NetSuiteError(
            400, "INVALID_CONTENT", "Invalid content in the request body: the body is not valid JSON."
        ) from None


def _created(base: str, record_type: str, rid: int) -> Response:
    return Response(status_code=204, headers={"Location": f"{base}{RECORD_PREFIX}/{record_type}/{rid}"})


def _authenticate(request: Request) -> Response | None:
    """None when the request carries a valid TBA signature (or auth is off); else NetSuite's 401."""
    if not request.app.state.auth_required:
        return None
    backend = _backend(request)
    account_id = backend.account_id
    oauth = _optional_module("oauth")
    if oauth is None:
        backend.record_login(accepted=False, reason="verifier_unavailable")
    else:
        url_of = getattr(oauth, "request_url", None)
        try:
            identity = oauth.verify_tba_request(
                method=request.method,
                url=url_of(request.scope) if url_of else str(request.url),
                authorization=request.headers.get("authorization"),
                account_id=account_id,
                consumer_secret_for=backend.consumer_secret_for,
                token_secret_for=backend.token_secret_for,
                nonce_seen=backend.nonce_seen,
                now=time.time(),
            )
        except oauth.TbaRejected as exc:
            backend.record_login(accepted=False, reason=str(getattr(exc, "reason", exc)))
        else:
            backend.record_login(accepted=True, reason=None, token_id=identity.token_id)
            return None
    status, body, headers = errors.invalid_login_response(account_id)
    return Response(body, status_code=status, headers=headers)


def _endpoint(handler: Handler) -> Handler:
    """Authenticate, run ``handler``, and render any failure as NetSuite does (never a bare 500 for bad input)."""

    async def endpoint(request: Request) -> Response:
        rejected = _authenticate(request)
        if rejected is not None:
            return rejected
        try:
            return await handler(request)
        except errors.NetSuiteError as exc:
            return _error_response(exc)
        except Exception:  # an emulator bug: answer like NetSuite's own 500 and keep serving
            logger.exception("NetSuite emulator failed on %s %s", request.method, request.url.path)
            return _error_response(errors.NetSuiteError(500, "UNEXPECTED_ERROR", "An unexpected error occurred."))

    return endpoint


async def _collection(request: Request) -> Response:
    backend, base = _backend(request), _base(request)
    if request.method == "GET":
        limit = _int_param(request, "limit", MAX_PAGE_SIZE)
        offset = _int_param(request, "offset", 0)
        q = request.query_params.get("q")
        with backend.transaction() as svc:
            spec = svc.spec(request.path_params["rtype"])
            ids, total = svc.list(spec, q=q, limit=limit, offset=offset)
        url = f"{base}{RECORD_PREFIX}/{spec.name}"
        items = [{"links": [{"rel": "self", "href": f"{url}/{rid}"}], "id": str(rid)} for rid in ids]
        body = collection_envelope(items, url=url, params={"q": q} if q else {}, limit=limit, offset=offset, total=total)
        return JSONResponse(body, media_type=COLLECTION)
    if request.method == "POST":
        payload = await _json_body(request)
        with backend.transaction() as svc:
            spec = svc.spec(request.path_params["rtype"])
            rid = svc.create(spec, payload, strict=_strict(request))
        return _created(base, spec.name, rid)
    raise _method_not_allowed(request)


async def _instance(request: Request) -> Response:
    backend, base = _backend(request), _base(request)
    rtype, key = request.path_params["rtype"], request.path_params["rid"]
    if request.method == "GET":
        fields_param = request.query_params.get("fields")
        fields = {f.strip().lower() for f in fields_param.split(",") if f.strip()} if fields_param else None
        expand = request.query_params.get("expandSubResources", "false").lower() == "true"
        with backend.transaction() as svc:
            spec = svc.spec(rtype)
            body = render_record(svc.store, f"{base}{RECORD_PREFIX}", svc.get(spec, key), fields=fields, expand=expand)
        return JSONResponse(body, media_type=SINGULAR)
    if request.method == "PATCH":
        payload = await _json_body(request)
        with backend.transaction() as svc:
            spec = svc.spec(rtype)
            rid = svc.update(spec, key, payload, strict=_strict(request), replace=_replace(request))
        return _created(base, spec.name, rid)
    if request.method == "PUT":
        payload = await _json_body(request)
        with backend.transaction() as svc:
            spec = svc.spec(rtype)
            rid, _ = svc.upsert(spec, key, payload, strict=_strict(request), replace=_replace(request))
        return _created(base, spec.name, rid)
    if request.method == "DELETE":
        with backend.transaction() as svc:
            svc.delete(svc.spec(rtype), key)
        return Response(status_code=204)
    raise _method_not_allowed(request)


async def _transform(request: Request) -> Response:
    if request.method != "POST":
        raise _method_not_allowed(request)
    backend, base = _backend(request), _base(request)
    payload = await _json_body(request, optional=True)
    with backend.transaction() as svc:
        from_spec = svc.spec(request.path_params["rtype"])
        to_spec = svc.spec(request.path_params["to"])
        rid = svc.transform(
            from_spec, request.path_params["rid"], to_spec.name, payload, strict=_strict(request), replace=_replace(request)
        )
    return _created(base, to_spec.name, rid)


async def _sublist(request: Request) -> Response:
    if request.method != "GET":
        raise _method_not_allowed(request)
    backend, base = _backend(request), _base(request)
    name, line_key = request.path_params["sublist"], request.path_params.get("line")
    with backend.transaction() as svc:
        spec = svc.spec(request.path_params["rtype"])
        record = svc.get(spec, request.path_params["rid"])
        if name not in spec.sublists:
            raise errors.not_found()
        root = f"{base}{RECORD_PREFIX}"
        if line_key is None:
            return JSONResponse(render_sublist(svc.store, root, record, name, expand=True), media_type=COLLECTION)
        for line in record.get(name) or []:
            if str(line.get("line")) == line_key:
                href = f"{root}/{spec.name}/{record['id']}/{name}/{line_key}"
                return JSONResponse(render_line(svc.store, root, href, line), media_type=SINGULAR)
    raise errors.not_found()


async def _suiteql(request: Request) -> Response:
    if request.method != "POST":
        raise _method_not_allowed(request)
    if "transient" not in request.headers.get("prefer", "").lower():
        raise errors.invalid_parameter("The request header 'Prefer: transient' is required for SuiteQL queries.", header="Prefer")
    limit = _int_param(request, "limit", MAX_PAGE_SIZE)
    offset = _int_param(request, "offset", 0)
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise errors.invalid_parameter(
            f"The value of the limit query parameter must be between 1 and {MAX_PAGE_SIZE}.", query_param="limit"
        )
    if offset < 0:
        raise errors.invalid_parameter("The value of the offset query parameter must not be negative.", query_param="offset")
    payload = await _json_body(request)
    query = payload.get("q") if isinstance(payload, dict) else None
    if not isinstance(query, str) or not query.strip():
        raise errors.NetSuiteError(
            400, "INVALID_CONTENT", "Invalid content in the request body: the property q is required.", path="q"
        )
    engine = _optional_module("suiteql")
    if engine is None:
        raise errors.NetSuiteError(
            400, "INVALID_PARAMETER", "Invalid search query. SuiteQL is not available in this sandbox yet."
        )
    backend = _backend(request)
    try:
        with backend.lock:
            result = engine.run_suiteql(backend.conn, query, limit=limit, offset=offset, preferences=backend.preferences)
    except engine.SuiteQLError as exc:
        raise errors.NetSuiteError(400, getattr(exc, "code", "INVALID_PARAMETER"), getattr(exc, "detail", str(exc))) from None
    items = [{"links": [], **row} for row in result.items]
    body = collection_envelope(
        items, url=f"{_base(request)}{SUITEQL_PATH}", params={}, limit=limit, offset=offset, total=result.total_results
    )
    return JSONResponse(body, media_type=COLLECTION)


def _method_not_allowed(request: Request) -> errors.NetSuiteError:
    return errors.NetSuiteError(405, "INVALID_OPERATION", f"The HTTP method {request.method} is not allowed for this resource.")


async def _unknown(request: Request) -> Response:
    raise errors.NetSuiteError(404, "NONEXISTENT_ID", f"The resource {request.url.path} does not exist.")


def create_netsuite_app(
    backend: NetSuiteBackend, *, faults: FaultSettings | None = None, auth_required: bool = True
) -> FaultInjector:
    """The NetSuite REST emulator as an ASGI app wrapped in its fault injector.

    Args:
        backend: the account's state.
        faults: initial fault settings (changeable at ``/_sandbox/faults``).
        auth_required: verify OAuth 1.0a TBA on ``/services/rest``; only tests turn it off.

    Returns:
        The ``FaultInjector`` (concurrency limit 5 by default); the inner Starlette app is ``.app`` and
        ``.app.state`` holds ``backend``, ``faults`` (the injector) and ``auth_required``.
    """
    routes = [
        Route(SUITEQL_PATH, _endpoint(_suiteql), methods=_ALL),
        Route(RECORD_PREFIX + "/{rtype}/{rid}/!transform/{to}", _endpoint(_transform), methods=_ALL),
        Route(RECORD_PREFIX + "/{rtype}/{rid}/{sublist}/{line}", _endpoint(_sublist), methods=_ALL),
        Route(RECORD_PREFIX + "/{rtype}/{rid}/{sublist}", _endpoint(_sublist), methods=_ALL),
        Route(RECORD_PREFIX + "/{rtype}/{rid}", _endpoint(_instance), methods=_ALL),
        Route(RECORD_PREFIX + "/{rtype}", _endpoint(_collection), methods=_ALL),
        *control_routes(),
        Route("/services/{path:path}", _endpoint(_unknown), methods=_ALL),
    ]
    inner = Starlette(routes=routes)
    injector = FaultInjector(
        inner,
        settings=faults or FaultSettings(),
        errors=errors.NetSuiteVendorErrors(account_id=lambda: backend.account_id),
        key_func=_token_of,
        default_concurrency_limit=DEFAULT_CONCURRENCY_LIMIT,
        read_only_paths=("/services/rest/query/",),
    )
    inner.state.backend = backend
    inner.state.faults = injector
    inner.state.auth_required = auth_required
    return injector


def _token_of(scope: Scope) -> str:
    """The TBA token a request speaks for (the per-key rate limit's key); never the secret."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            text = value.decode("latin-1")
            start = text.find('oauth_token="')
            if start >= 0:
                return text[start + 13 : text.find('"', start + 13)]
    return "anonymous"
