"""PostgreSQL connections are pinged only after a pause or when the server has ended them
(app/core/db.py, ``_ping_after_a_pause``): not on every checkout, as ``pool_pre_ping`` did
(a round trip on every request), and a connection the server ended is replaced before a
request gets it.
"""

import pytest
from sqlalchemy import text

from app.core import db as db_module
from app.core.config import Settings


@pytest.fixture
def engine(backend, database):
    if backend != "postgres":
        pytest.skip("SQLite connections are files: nothing to ping")
    engine = db_module.make_engine(database.url, Settings(database_url=database.url))
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine, monkeypatch):
    seen: list[object] = []
    real = engine.dialect.do_ping

    def counting(dbapi_connection):
        seen.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return seen


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_in_steady_use_is_not_pinged(engine, pings):
    first = _backend_pid(engine)  # a fresh connection: no ping either
    for _ in range(5):
        assert _backend_pid(engine) == first
    assert pings == []


def test_a_connection_back_from_a_pause_is_pinged(engine, pings, monkeypatch):
    first = _backend_pid(engine)
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 0.0)  # every pause is long now
    assert _backend_pid(engine) == first
    assert len(pings) == 1


def test_a_connection_the_server_ended_is_replaced_even_in_steady_use(engine, pings, database):
    """No pause: the socket's pending input (the server's goodbye) triggers the ping."""
    first = _backend_pid(engine)
    with database.engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": first})
        admin.commit()
    second = _backend_pid(engine)  # no error: the ping fails, the pool reconnects
    assert second != first
    assert len(pings) == 1


def test_a_connection_that_died_while_unused_is_replaced(engine, pings, database, monkeypatch):
    first = _backend_pid(engine)
    with database.engine.connect() as admin:  # the server ends that connection
        admin.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": first})
        admin.commit()
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 0.0)
    second = _backend_pid(engine)  # the ping fails, the pool reconnects: no error
    assert second != first
    assert len(pings) >= 1
