"""The FastAPI application."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi_offline import FastAPIOffline
from starlette.routing import Route

from app.auth.router import router as auth_router
from app.contacts.router import router as contacts_router
from app.core.cancellation import CancelAsScopeMiddleware
from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.errors import install_error_handlers
from app.core.middleware import OtherBody, RequestGateMiddleware
from app.core.observe import install_observability
from app.core.openapi import install_openapi, operation_id, package_version
from app.core.query import reject_unknown_query
from app.core.ratelimit import RateLimiter, RateLimitMiddleware, parse_rate
from app.core.storage import StorageHealth, StorageHealthMiddleware
from app.deps import check_route_scopes, check_session_kinds, get_caller, record_key_use
from app.events import csv_read
from app.events.csv_router import MAX_IMPORT_BYTES
from app.events.csv_router import router as events_csv_router
from app.events.router import router as events_router
from app.events.single_writes import SingleWrites
from app.idempotency.middleware import IdempotencyMiddleware
from app.insights.router import router as insights_router
from app.mcp.calls import ToolHost
from app.mcp.http import McpEndpoint
from app.meta.router import router as meta_router
from app.plans.router import router as plans_router
from app.profiles.check_router import router as profile_check_router
from app.profiles.router import router as profiles_router
from app.relationships.router import router as relationships_router
from app.reports.router import router as reports_router
from app.today.router import router as today_router
from app.users.router import router as users_router
from app.webhooks.router import router as webhooks_router

DESCRIPTION = """Rapport coaches people who build relationships on social media: follow to a
plan, post daily but not too much, interact, and help far more than you sell.

Authenticate with `Authorization: Bearer rpk_…`. Every error is `application/problem+json`
with a stable `code`. Timestamps are RFC 3339 with an offset and come back in UTC (`Z`)."""


VERSION = package_version()  # the package's own, in OpenAPI and to MCP clients

# Every /v1 router, in the order their routes are matched.
V1_ROUTERS: tuple[APIRouter, ...] = (
    auth_router,
    users_router,
    plans_router,
    profiles_router,
    events_router,
    insights_router,
    profile_check_router,
    relationships_router,
    contacts_router,
    reports_router,
    today_router,
    events_csv_router,
    webhooks_router,
)


def _lifespan(run_worker: bool):  # type: ignore[no-untyped-def]
    """The embedded webhook worker (§12) for the life of the app, when asked for."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not run_worker:
            yield
            return
        from app.webhooks.worker import start_in_thread

        thread, stop = start_in_thread(app.state.db, app.state.settings)
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=15)

    return lifespan


def create_app(
    settings: Settings | None = None, database: Database | None = None, run_worker: bool = False
) -> FastAPI:
    """The app; ``run_worker``: deliver webhooks in-process (`rapport serve` asks for it
    unless RAPPORT_EMBEDDED_WORKER=false)."""
    settings = settings or get_settings()
    database = database or Database(settings.database_url, settings)
    # §14: the MCP tools at /mcp, over the same services, keys and sessions.
    mcp = McpEndpoint(ToolHost(database, settings.key_touch_interval_s), VERSION)
    worker_lifespan = _lifespan(run_worker)

    @asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        async with mcp.running(), worker_lifespan(app_):
            yield

    app = FastAPIOffline(  # /docs and /redoc from installed assets, no CDN
        title="Rapport",
        version=VERSION,
        description=DESCRIPTION,
        generate_unique_id_function=operation_id,  # createUser, getPacing, recordEvents
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.single_writes = SingleWrites(
        database,
        lambda key: record_key_use(
            database, key, settings.key_touch_interval_s, holds_write_lock=True
        ),
    )
    app.state.storage_health = StorageHealth()

    # Authentication first, then unknown query parameters (a 422 for every route).
    v1 = APIRouter(prefix="/v1", dependencies=[Depends(get_caller), Depends(reject_unknown_query)])
    for router in V1_ROUTERS:
        check_session_kinds(router)
        check_route_scopes(router)  # every route declares its scope (app/deps.py)
        v1.include_router(router)
    app.include_router(meta_router, dependencies=[Depends(reject_unknown_query)])
    app.include_router(v1)
    app.router.routes.append(Route("/mcp", mcp, include_in_schema=False))

    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(IdempotencyMiddleware)  # inside the gate: the body is checked first
    app.add_middleware(
        RequestGateMiddleware,
        max_body_bytes=settings.max_body_bytes,
        # The CSV import: CSV media types, and a limit of its own (100,000 rows fit).
        other_bodies=[OtherBody(":import", csv_read.MEDIA_TYPES, MAX_IMPORT_BYTES)],
    )
    app.add_middleware(StorageHealthMiddleware, health=app.state.storage_health)
    app.state.rate_limiter = RateLimiter(
        parse_rate(settings.rate_limit),
        parse_rate(settings.auth_failure_limit),
        settings.redis_url,
        settings.redis_prefix,
    )
    app.add_middleware(RateLimitMiddleware, limiter=app.state.rate_limiter)  # before any DB work
    logging.getLogger("rapport").setLevel(logging.INFO)
    # Around everything that uses the database: a request cancelled from outside unwinds
    # through the shields (only the request id, log line and metrics are outside it).
    app.add_middleware(CancelAsScopeMiddleware)
    # Last, so outermost: CORS, request ids, the log line and metrics of every request (§13).
    install_observability(app, settings)
    return app
