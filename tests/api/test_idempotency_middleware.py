"""The Idempotency-Key middleware around a toy route, on the suite's databases: a 5xx and
an exception are not kept (the claim is released and a retry runs again), a 2xx is."""

import uuid

from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.auth import service as auth_service
from app.idempotency.middleware import IdempotencyMiddleware


def _toy(database, answers: list):
    calls: list[bytes] = []

    async def write(request: Request) -> JSONResponse:
        calls.append(await request.body())
        answer = answers[len(calls) - 1]
        if isinstance(answer, Exception):
            raise answer
        return JSONResponse({"call": len(calls)}, status_code=answer)

    app = Starlette(
        routes=[Route("/write", write, methods=["POST"])],
        middleware=[Middleware(IdempotencyMiddleware)],
    )
    app.state.db = database
    return app, calls


def _key(database) -> str:
    with database.session(write=True) as s:
        ws = auth_service.get_or_create_workspace(s, f"idem-{uuid.uuid4().hex[:8]}")
        _, secret = auth_service.create_key(s, ws, "test")
        s.commit()
    return secret


def test_a_5xx_or_an_exception_is_not_kept_and_a_retry_runs_again(database):
    app, calls = _toy(database, [500, RuntimeError("boom"), 201, 201])
    headers = {"Authorization": f"Bearer {_key(database)}", "Idempotency-Key": "k1"}
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.post("/write", json={"a": 1}, headers=headers).status_code == 500
        assert c.post("/write", json={"a": 1}, headers=headers).status_code == 500  # raised
        third = c.post("/write", json={"a": 1}, headers=headers)
        assert third.status_code == 201
        assert third.json() == {"call": 3}
        fourth = c.post("/write", json={"a": 1}, headers=headers)
        assert fourth.status_code == 201
        assert fourth.headers["idempotent-replayed"] == "true"
        assert fourth.json() == {"call": 3}
    assert len(calls) == 3


def test_requests_without_the_header_are_untouched(database):
    app, calls = _toy(database, [201, 201])
    with TestClient(app) as c:
        for _ in range(2):
            r = c.post("/write", json={}, headers={"Authorization": f"Bearer {_key(database)}"})
            assert "idempotent-replayed" not in r.headers
    assert len(calls) == 2
