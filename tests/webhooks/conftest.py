"""Webhook tests: a committed database of their own (the worker opens its own sessions, so
the per-test rolled-back transaction of tests/conftest.py is no use), the app on it, real
HTTP receivers on 127.0.0.1 and a worker driven by an injected clock."""

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.auth import service as auth_service
from app.core.config import Settings
from app.core.db import Database
from app.core.migrate import upgrade
from app.core.types import utc_now
from app.main import create_app
from app.webhooks.worker import Worker
from tests.databases import throwaway_database

SECRET_KEY = "test-only-secret-key-for-webhook-secrets"


@dataclass
class WebhookDb:
    db: Database
    settings: Settings


@pytest.fixture(scope="module")
def wh(backend, tmp_path_factory) -> Iterator[WebhookDb]:
    with throwaway_database(backend, tmp_path_factory.mktemp("webhooks")) as url:
        upgrade(url)
        settings = Settings(
            database_url=url,
            rate_limit="off",
            auth_failure_limit="off",
            webhook_allow_loopback=True,
            secret_key=SECRET_KEY,
        )
        db = Database(url, settings)
        yield WebhookDb(db, settings)
        db.dispose()


@pytest.fixture(autouse=True)
def _quiet_leftovers(wh) -> None:
    """The database is the module's: what earlier tests left pending or enabled is put
    aside, so a worker pass here sees only this test's deliveries."""
    with wh.db.session(write=True) as session:
        session.execute(
            text("UPDATE webhook_delivery SET status = 'failed' WHERE status = 'pending'")
        )
        session.execute(text("UPDATE webhook_endpoint SET enabled = false"))
        session.commit()


def client_for(db: Database, settings: Settings) -> TestClient:
    with db.session(write=True) as session:
        ws = auth_service.get_or_create_workspace(session, f"ws-{uuid.uuid4().hex[:8]}")
        _, secret = auth_service.create_key(session, ws, "test")
        session.commit()
    app = create_app(settings, db)
    return TestClient(
        app, base_url="http://rapport.test", headers={"Authorization": f"Bearer {secret}"}
    )


@pytest.fixture
def api(wh) -> TestClient:
    """A client of a fresh workspace, on the committed database."""
    return client_for(wh.db, wh.settings)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1: records every POST and answers the statuses of
    ``script`` in turn (then 200); a status of 0 hangs for ``hang_s`` before answering."""

    script: list[int] = field(default_factory=list)
    hang_s: float = 3.0
    received: list[Received] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight_per_id: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        receiver = self
        lock = threading.Lock()
        current: dict[str, int] = {}

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                msg_id = self.headers.get("webhook-id", "")
                with lock:
                    receiver.received.append(Received(dict(self.headers.items()), body))
                    status = receiver.script.pop(0) if receiver.script else 200
                    current[msg_id] = current.get(msg_id, 0) + 1
                    receiver.max_in_flight_per_id[msg_id] = max(
                        receiver.max_in_flight_per_id.get(msg_id, 0), current[msg_id]
                    )
                try:
                    if status == 0:
                        time.sleep(receiver.hang_s)
                        status = 200
                    self.send_response(status)
                    self.send_header("content-length", "0")
                    self.end_headers()
                finally:
                    with lock:
                        current[msg_id] -= 1

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


class Clock:
    """The worker's clock: the real now plus an offset that moves only when told (so rows
    the API writes at its real now are due for the worker)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    @property
    def now(self) -> datetime:
        return utc_now() + self.offset

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def worker(wh, clock) -> Iterator[Worker]:
    w = Worker(wh.db, wh.settings, clock=clock)
    yield w
    w.close()


def create_webhook(api: TestClient, url: str, **body: object) -> dict:
    response = api.post("/v1/webhooks", json={"url": url, **body})
    assert response.status_code == 201, response.text
    return response.json()


def rows(wh: WebhookDb, sql: str, **params: object) -> list:
    with wh.db.session(write=False) as session:
        return list(session.execute(text(sql), params).all())
