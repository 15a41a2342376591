"""The Triggers API as an ASGI app (Starlette), for local serving under uvicorn."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import anyio
from anyio.to_thread import run_sync
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator.app.clients import ClientHook, build_clients
from emulator.app.core import HttpRequest, HttpResponse, TriggersApi
from emulator.app.errors import ApiError
from emulator.app.extensions import AppContext, load_extensions
from emulator.app.settings import AppSettings
from emulator.app.store import EventStore

__all__ = ["app_from_env", "create_app"]

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _to_response(resp: HttpResponse) -> Response:
    return Response(resp.body_bytes(), status_code=resp.status, headers=resp.headers)


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    settings: AppSettings,
    *,
    middleware: Sequence[Middleware] = (),
    client_hooks: Sequence[ClientHook] = (),
    api: TriggersApi | None = None,
) -> Starlette:
    """Build the ASGI app: runs the settings' extensions, builds clients once, serves all routes.

    ``middleware`` and ``client_hooks`` are added after those of the extensions; ``api`` lets a
    test pass a ready :class:`TriggersApi` (e.g. on a fake store).
    """
    ctx = load_extensions(settings, AppContext(settings))
    ctx.middleware.extend(middleware)
    ctx.client_hooks.extend(client_hooks)
    store: EventStore | None = None
    if api is None:
        store = EventStore(settings, build_clients(settings, ctx.client_hooks))
        api = TriggersApi(settings, store)
    handler = api
    limiter = anyio.CapacityLimiter(settings.handler_threads)
    # Body limit enforced while reading, before the core sees it (413 without buffering it all).
    read_limit = settings.max_body_bytes

    async def endpoint(request: Request) -> Response:
        body = await _read_body(request, read_limit)
        if body is None:
            err = ApiError(413, "payload_too_large", f"body exceeds {read_limit} bytes")
            cid = request.headers.get("x-correlation-id", "")
            resp = HttpResponse(err.status, err.body(), {"content-type": "application/json"})
            if cid:
                resp.headers["x-correlation-id"] = cid[:128]
            return _to_response(resp)
        req = HttpRequest(
            method=request.method,
            path=request.url.path,
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in request.scope["headers"]},
            query=dict(request.query_params),
            body=body,
        )
        return _to_response(await run_sync(handler.handle, req, limiter=limiter))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if store is not None:
            store.close()  # flush messages still waiting for a batch

    async def http_error(request: Request, exc: Exception) -> Response:
        # What the router answers itself (a path its pattern does not take, e.g. one with a
        # newline): the same JSON error body as every other answer, not Starlette's plain text.
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        code = "not_found" if status == 404 else "http_error"
        err = ApiError(status, code, f"no route {request.url.path!r}"[:200])
        headers = {"content-type": "application/json"}
        headers.update(getattr(exc, "headers", None) or {})  # e.g. Allow on a 405
        return _to_response(HttpResponse(status, err.body(), headers))

    app = Starlette(
        routes=[Route("/{path:path}", endpoint, methods=_METHODS)],
        middleware=list(ctx.middleware),
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error},
    )
    app.state.context = ctx
    app.state.api = api
    return app


def app_from_env() -> Any:
    """uvicorn factory: ``uvicorn --factory emulator.app.asgi:app_from_env``."""
    return create_app(AppSettings.from_env())
