"""Metrics (§13) with prometheus-client, served at ``GET /metrics`` in Prometheus' text
format (``RAPPORT_METRICS=false`` turns both off).

Labels never hold user data: a route is its template (``/v1/users/{user_id}``, or
``unmatched``), a method one of the HTTP methods (or ``other``), a status a number.

``rapport serve`` runs every worker in prometheus-client's multi-process mode
(``PROMETHEUS_MULTIPROC_DIR``, a directory it owns and empties at start): each process
writes its values to files there and a scrape, whichever worker answers it, adds up those
of all workers. Without that variable (tests, the app served some other way) the values
are this process's.
"""

import os
import weakref
from typing import Any

import anyio
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import event
from sqlalchemy.pool import Pool
from starlette.requests import Request
from starlette.responses import Response

from app.core.db import Database

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "rapport_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "rapport_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
DB_POOL_SIZE = Gauge(
    "rapport_db_pool_size",
    "Connections each database pool keeps (summed over the worker processes).",
    ["pool"],
    multiprocess_mode="livesum",
)
DB_POOL_IN_USE = Gauge(
    "rapport_db_pool_connections_in_use",
    "Connections checked out of each database pool now (summed over the worker processes).",
    ["pool"],
    multiprocess_mode="livesum",
)
# Incremented by the rate limiter (§13) for every request it answers with 429 rate_limited,
# `RATE_LIMITED.labels(limit).inc()`, where `limit` is "api_key" (RAPPORT_RATE_LIMIT) or
# "auth_failure" (RAPPORT_AUTH_FAILURE_LIMIT).
RATE_LIMITED = Counter(
    "rapport_rate_limited_requests",
    "Requests answered with 429 rate_limited, by the limit that was reached.",
    ["limit"],
)
RATE_LIMITS = ("api_key", "auth_failure")
for _limit in RATE_LIMITS:
    RATE_LIMITED.labels(_limit)  # each series exists (at 0) before the first 429

# §12: every delivery attempt by its outcome (succeeded; retry: failed, another attempt is
# scheduled; failed: no attempt left), and the pending deliveries (the outbox), as the
# worker last counted them.
WEBHOOK_DELIVERIES = Counter(
    "rapport_webhook_deliveries",
    "Webhook delivery attempts, by outcome: succeeded, retry (another attempt is due later), "
    "failed (no attempt left).",
    ["status"],
)
WEBHOOK_OUTCOMES = ("succeeded", "retry", "failed")
for _outcome in WEBHOOK_OUTCOMES:
    WEBHOOK_DELIVERIES.labels(_outcome)
WEBHOOK_PENDING = Gauge(
    "rapport_webhook_outbox_pending",
    "Webhook deliveries pending (queued or waiting for a retry), as a worker last counted.",
    multiprocess_mode="livemax",
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"


def observe_request(method: str, route: str | None, status: int, duration_s: float) -> None:
    method = method if method in _METHODS else "other"
    route = route or UNMATCHED
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(duration_s)


_instrumented: "weakref.WeakSet[Pool]" = weakref.WeakSet()


def _instrument_pool(pool: Pool, name: str) -> None:
    if pool in _instrumented:  # several apps (tests) may share one Database
        return
    _instrumented.add(pool)
    size = getattr(pool, "size", None)
    DB_POOL_SIZE.labels(name).inc(size() if callable(size) else 0)
    in_use = DB_POOL_IN_USE.labels(name)
    in_use.inc(0)  # the series exists before the first checkout

    def checkout(*_args: Any) -> None:
        in_use.inc()

    def checkin(*_args: Any) -> None:
        in_use.dec()

    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)


def instrument_database(db: Database) -> None:
    """Pool use of the app's database: the pool of reads (on PostgreSQL, of everything)
    and, on SQLite, the writer's own connection."""
    _instrument_pool(db.engine.pool, "main")
    if db.write_engine.pool is not db.engine.pool:
        _instrument_pool(db.write_engine.pool, "sqlite_writer")


def scrape() -> bytes:
    directory = os.environ.get(MULTIPROC_DIR_ENV)
    if not directory:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


async def metrics_endpoint(_request: Request) -> Response:
    # In multi-process mode a scrape reads every worker's files: not on the event loop.
    return Response(await anyio.to_thread.run_sync(scrape), media_type=CONTENT_TYPE_LATEST)
