"""Shared fixtures: a migrated database per backend, a per-test transaction that is rolled
back, and an httpx client that talks to the ASGI app through that transaction.

Under pytest-xdist every worker is its own session: its own SQLite file (under the worker's
own basetemp) and its own PostgreSQL database (a fresh name per session), so workers never
share rows; real servers take free ports and retry on a collision (tests/support/processes.py).
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import service as auth_service
from app.core.config import Settings
from app.core.db import Database
from app.core.migrate import upgrade
from app.deps import get_session
from app.main import create_app
from tests.databases import BACKENDS, POSTGRES_URL, throwaway_database
from tests.support import event_writes


@pytest.fixture(scope="session", autouse=True)
def _event_writes_only_through_the_store():
    """tests/support/event_writes.py: app code writes the event table only through
    app.events.store (the listener is on every engine of this process)."""
    event_writes.install()
    yield
    event_writes.uninstall()


@pytest.fixture(autouse=True)
def _no_event_write_outside_the_store():
    before = len(event_writes.violations)
    yield
    assert event_writes.violations[before:] == [], "event table written outside the store"


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def database(backend, tmp_path_factory) -> Iterator[Database]:
    with throwaway_database(backend, tmp_path_factory.mktemp(backend)) as url:
        upgrade(url)
        db = Database(url, Settings(database_url=url))
        yield db
        db.dispose()


@pytest.fixture
def connection(database):
    """One connection whose outer transaction is rolled back after the test."""
    conn = database.engine.connect()
    outer = conn.begin()
    yield conn
    if outer.is_active:
        outer.rollback()
    conn.close()


def _session(connection) -> Session:
    return Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def session(connection) -> Iterator[Session]:
    with _session(connection) as s:
        yield s


@pytest.fixture(scope="session")
def _shared_app(database):
    """Building the app costs ~0.1 s; tests share one per database and swap the session."""
    # Rate limits off: the suite's requests share one client address and many share a key
    # (tests/api/test_rate_limits.py builds apps with limits of their own).
    settings = Settings(database_url=database.url, rate_limit="off", auth_failure_limit="off")
    return create_app(settings, database)


@pytest.fixture
def app(_shared_app, connection):
    def test_session() -> Iterator[Session]:
        # Same contract as app.deps.get_session: commit at the end (here: a savepoint).
        with _session(connection) as s:
            yield s
            s.commit()

    _shared_app.dependency_overrides[get_session] = test_session
    single_writes_in(_shared_app, connection)
    yield _shared_app
    _shared_app.dependency_overrides.pop(get_session, None)


@asynccontextmanager
async def _no_turn() -> AsyncIterator[None]:
    yield


def single_writes_in(application, connection) -> None:
    """POST …/events writes through the app's SingleWrites, not the request session: give
    it the test's connection too (a savepoint per group, as test_session commits), no turn
    to wait for (one client at a time) and no key bookkeeping (test_session has none)."""
    writes = application.state.single_writes
    writes.turn = _no_turn
    writes.new_session = lambda: _session(connection)
    writes.touch_key = lambda key: None


def http(app, key: str | None, **kwargs) -> TestClient:
    """An httpx client (Starlette's TestClient) that calls the ASGI app in-process."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return TestClient(app, base_url="http://rapport.test", headers=headers, **kwargs)


@pytest.fixture
def make_workspace(session):
    def make(name: str) -> str:
        ws = auth_service.get_or_create_workspace(session, name)
        _, secret = auth_service.create_key(session, ws, "test")
        session.commit()
        return secret

    return make


@pytest.fixture
def api_key(make_workspace) -> str:
    return make_workspace("acme")


@pytest.fixture
def client(app, api_key):
    with http(app, api_key) as c:
        yield c


@pytest.fixture
def anon(app):
    with http(app, None) as c:
        yield c


@pytest.fixture
def other_client(app, make_workspace):
    with http(app, make_workspace("globex")) as c:
        yield c


@pytest.fixture
def user(client) -> dict:
    r = client.post("/v1/users", json={"name": "Ada", "timezone": "UTC"})
    assert r.status_code == 201, r.text
    return r.json()


DATABASES_RAN = "SQLite and PostgreSQL"
SQLITE_ONLY = "SQLite only: set RAPPORT_TEST_POSTGRES_URL for PostgreSQL"


def pytest_unconfigure(config):
    """The run's last line says which databases the suite ran on (printed by the xdist
    controller, or the only process; after pytest's own summary line)."""
    if hasattr(config, "workerinput"):
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    line = DATABASES_RAN if POSTGRES_URL else SQLITE_ONLY
    if reporter is not None:
        reporter.write_line(line)
    else:
        print(line)
