"""PostgreSQL: a statement the app runs again and again on one connection is planned for
its parameters every time (sent unprepared), never by a generic plan, unless it is marked
by `generic_plan`. A generic plan of "has this user an event on platform p" scanned the
whole event table at 100,000 contacts (the weekly report: ~165 → ~700 ms from its 11th
request). The marked ones (lookups by a unique key, one user's index ranges) are prepared
after 5 runs and may keep a generic plan: no planning per execution."""

import uuid

import pytest
from sqlalchemy import exists, select

from app.core.config import Settings
from app.core.db import Database, generic_plan
from app.events.models import EVENT_TABLE

E = EVENT_TABLE.c


def _prepared(conn) -> list[tuple[str, int, int]]:
    return [
        (statement, generic, custom)
        for statement, generic, custom in conn.exec_driver_sql(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
        )
    ]


def test_repeated_statements_get_custom_plans_unless_marked(database, backend):
    if backend != "postgres":
        pytest.skip("PostgreSQL's plan cache")
    db = Database(database.url, Settings(database_url=database.url))
    probe = select(exists().where(E.user_id == uuid.uuid4(), E.platform == "x"))
    lookup = generic_plan(select(E.id).where(E.user_id == uuid.uuid4(), E.external_id == "e"))
    try:
        with db.engine.connect() as conn:
            for _ in range(12):
                conn.execute(probe.where(E.user_id == uuid.uuid4())).scalar()
                conn.execute(probe).scalar()
                conn.execute(lookup).all()
            prepared = _prepared(conn)
    finally:
        db.dispose()
    # The probe was never prepared, so it was planned for its values each time; the marked
    # lookup was (else this test would not tell the two apart).
    assert not [p for p in prepared if "EXISTS" in p[0].upper()], prepared
    assert [p for p in prepared if "external_id" in p[0]], prepared
