"""What integrators and operators see of every request (§13): CORS, the request id, one log
line per request and the request metrics, installed by ``install_observability``.

``ObserveMiddleware`` writes the request's line (``app.core.logs``) and counts it
(``app.core.metrics``) once its answer is sent, or once the app raised (a 500).
"""

import time
import weakref
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import metrics
from app.core.config import Settings
from app.core.cors import RapportCORSMiddleware
from app.core.logs import log_request
from app.core.request_id import RequestIdMiddleware


class _RequestState(dict[str, Any]):
    """The request's ``scope["state"]`` (what ``request.state`` writes to); authentication
    (``get_caller`` in app/deps.py) sets ``workspace_id`` there for the request's log line."""

    def workspace_id(self) -> str | None:
        found = self.get("workspace_id")
        return None if found is None else str(found)


# app → {id(route): its full path templates}: the route in the scope is the one declared
# in its APIRouter, whose path lacks the prefixes it was included with (`/me`, not `/v1/me`).
_templates: "weakref.WeakKeyDictionary[Any, dict[int, list[tuple[Any, str]]]]" = (
    weakref.WeakKeyDictionary()
)


def _route_templates(app: Any) -> dict[int, list[tuple[Any, str]]]:
    try:  # FastAPI ≥ 0.16x keeps included routers lazy; this flattens them.
        from fastapi.routing import iter_route_contexts

        contexts: list[Any] = list(iter_route_contexts(app.routes))
        pairs = [(getattr(c, "original_route", c), c) for c in contexts]
    except ImportError:  # older FastAPI: app.routes is already flat, paths full
        pairs = [(r, r) for r in app.routes]
    found: dict[int, list[tuple[Any, str]]] = {}
    for original, context in pairs:
        template = getattr(context, "path_format", None)
        if isinstance(template, str):
            found.setdefault(id(original), []).append(
                (getattr(context, "path_regex", None), template)
            )
    return found


def _route_template(scope: Scope) -> str | None:
    """The matched route's path template, with its prefixes (None when no route matched)."""
    route, app = scope.get("route"), scope.get("app")
    if route is None or app is None:
        return None
    templates = _templates.get(app)
    if templates is None or id(route) not in templates:
        templates = _templates[app] = _route_templates(app)
    candidates = templates.get(id(route), [])
    if len(candidates) > 1:  # one route included under several prefixes
        path = scope.get("path", "")
        candidates = [c for c in candidates if c[0] is not None and c[0].match(path)] or candidates
    return candidates[0][1] if candidates else None


class ObserveMiddleware:
    def __init__(self, app: ASGIApp, metrics_on: bool) -> None:
        self.app = app
        self.metrics_on = metrics_on

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        state = _RequestState(scope.get("state") or {})
        scope["state"] = state
        status = 500  # unless an answer starts

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            duration = time.perf_counter() - start
            route = _route_template(scope)
            log_request(
                method=scope["method"],
                route=route,
                status=status,
                duration_ms=duration * 1000,
                workspace_id=state.workspace_id(),
            )
            if self.metrics_on:
                metrics.observe_request(scope["method"], route, status, duration)


def install_observability(app: FastAPI, settings: Settings) -> None:
    """Call last in create_app: these middlewares are then the outermost, so a preflight,
    a 413 or a 429 answered by an inner one is logged, counted and has the request id
    (and, for a browser, the CORS headers)."""
    if settings.metrics:
        metrics.instrument_database(app.state.db)
        app.add_api_route(
            "/metrics", metrics.metrics_endpoint, methods=["GET"], include_in_schema=False
        )
    if settings.cors_origins:
        app.add_middleware(RapportCORSMiddleware, origins=settings.cors_origins)
    app.add_middleware(ObserveMiddleware, metrics_on=settings.metrics)
    app.add_middleware(RequestIdMiddleware)
