"""A deadlock or serialization failure that reaches the handlers (the store redoes a
deadlocked event write twice first) is a 503 database_busy with Retry-After: the database
is there and nothing was written, so "unavailable" would send an operator the wrong way."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from app.core.errors import install_error_handlers
from tests.databases import POSTGRES_URL


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_lock_conflict_is_database_busy(sqlstate):
    if not POSTGRES_URL:
        pytest.skip("needs PostgreSQL (RAPPORT_TEST_POSTGRES_URL)")
    engine = create_engine(POSTGRES_URL)
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/conflict")
    def conflict() -> None:
        with engine.connect() as conn:  # a real error of that SQLSTATE, raised by PostgreSQL
            conn.exec_driver_sql(
                f"DO $$ BEGIN RAISE EXCEPTION 'lock conflict' USING ERRCODE = '{sqlstate}'; END $$"
            )

    try:
        r = TestClient(app, raise_server_exceptions=False).get("/conflict")
    finally:
        engine.dispose()
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "database_busy"
    assert r.headers["retry-after"] == "1"
