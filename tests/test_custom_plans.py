"""PostgreSQL: a statement the app runs again and again on one connection (psycopg
prepares it on the 5th run) is planned for its parameters every time, never by a generic
plan. A generic plan of "has this user an event on platform p" scanned the whole event
table at 100,000 contacts (the weekly report: ~165 → ~700 ms from its 11th request)."""

import uuid

import pytest
from sqlalchemy import exists, select

from app.core.config import Settings
from app.core.db import Database
from app.events.models import EVENT_TABLE

E = EVENT_TABLE.c


def test_repeated_statements_get_custom_plans(database, backend):
    if backend != "postgres":
        pytest.skip("PostgreSQL's plan cache")
    db = Database(database.url, Settings(database_url=database.url))
    probe = select(exists().where(E.user_id == uuid.uuid4(), E.platform == "x"))
    try:
        with db.engine.connect() as conn:
            for _ in range(12):
                conn.execute(probe.where(E.user_id == uuid.uuid4())).scalar()
                conn.execute(probe).scalar()
            plans = conn.exec_driver_sql(
                "SELECT sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements"
            ).one()
    finally:
        db.dispose()
    generic, custom = plans
    assert custom and custom > 0  # the statements were prepared (else this proves nothing)
    assert generic == 0
