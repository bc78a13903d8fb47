"""Idempotency-Key (§13): a kept response lives 24 h, then the key runs anew; expired rows
are purged (through the index on expires_at) at most once a purge interval. The middleware
runs around a toy route on the suite's committed databases, with an injected clock."""

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.auth import service as auth_service
from app.idempotency.middleware import KEEP_S, PURGE_INTERVAL_S, IdempotencyMiddleware
from app.idempotency.models import IdempotencyKey

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
KEEP = timedelta(seconds=KEEP_S)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _toy(database, clock: Clock):
    calls: list[bytes] = []

    async def write(request: Request) -> JSONResponse:
        calls.append(await request.body())
        return JSONResponse({"call": len(calls)}, status_code=201)

    app = Starlette(
        routes=[Route("/write", write, methods=["POST"])],
        middleware=[Middleware(IdempotencyMiddleware, clock=clock)],
    )
    app.state.db = database
    return app, calls


def _workspace_key(database) -> tuple[uuid.UUID, str]:
    with database.session(write=True) as s:
        ws = auth_service.get_or_create_workspace(s, f"idem-{uuid.uuid4().hex[:8]}")
        _, secret = auth_service.create_key(s, ws, "test")
        s.commit()
        return ws.id, secret


def _kept_keys(database, workspace_id) -> list[str]:
    with database.session(write=False) as s:
        return sorted(
            s.execute(
                select(IdempotencyKey.key).where(IdempotencyKey.workspace_id == workspace_id)  # type: ignore[arg-type]
            ).scalars()
        )


def test_a_kept_response_is_replayed_for_24_hours_then_the_key_runs_again(database):
    clock = Clock(T0)
    app, calls = _toy(database, clock)
    _, secret = _workspace_key(database)
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "day-key"}
    with TestClient(app) as c:
        assert c.post("/write", json={"a": 1}, headers=headers).json() == {"call": 1}
        clock.now = T0 + KEEP - timedelta(seconds=1)
        replay = c.post("/write", json={"a": 1}, headers=headers)
        assert replay.headers["idempotent-replayed"] == "true" and replay.json() == {"call": 1}
        clock.now = T0 + KEEP
        again = c.post("/write", json={"a": 1}, headers=headers)
        assert "idempotent-replayed" not in again.headers and again.json() == {"call": 2}
        # Expired, a key may even carry another request now.
        clock.now = T0 + 2 * KEEP
        other = c.post("/write", json={"b": 2}, headers=headers)
        assert other.status_code == 201 and other.json() == {"call": 3}
    assert len(calls) == 3


def test_expired_responses_are_purged_at_most_once_a_purge_interval(database):
    clock = Clock(T0)
    app, _ = _toy(database, clock)
    workspace_id, secret = _workspace_key(database)
    second = timedelta(seconds=1)
    interval = timedelta(seconds=PURGE_INTERVAL_S)

    with TestClient(app) as c:

        def post_at(at: datetime, key: str) -> list[str]:
            clock.now = at
            auth = {"Authorization": f"Bearer {secret}", "Idempotency-Key": key}
            assert c.post("/write", json={}, headers=auth).status_code == 201
            return _kept_keys(database, workspace_id)

        assert post_at(T0, "x") == ["x"]  # the first store purges (nothing expired)
        assert post_at(T0 + 30 * second, "z") == ["x", "z"]  # within the interval: no purge
        # A purge is due: x (expired at T0 + 24 h) goes, z (expires 30 s later) stays.
        assert post_at(T0 + KEEP + second, "y") == ["y", "z"]
        # z has expired, but the last purge was less than an interval ago: it stays...
        assert post_at(T0 + KEEP + 40 * second, "w") == ["w", "y", "z"]
        # ...until the next purge.
        assert post_at(T0 + KEEP + second + interval, "v") == ["v", "w", "y"]
