"""Two transactions naming the same new handle at once make one contact (PostgreSQL: the
second insert waits for the first on the (user_id, handle) key, then takes its contact)."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, delete, func, select
from sqlmodel import Session

from app.auth import service as auth_service
from app.contacts.models import CONTACT_TABLE, HANDLE_TABLE
from app.events import store
from app.events.models import EventIn
from app.users import service as users
from app.users.models import User, UserCreate


def test_two_writers_of_one_new_handle_make_one_contact(database, backend):
    if backend != "postgres":
        pytest.skip("SQLite has one writer at a time: no race to lose")
    with database.new_session(True) as s:
        ws = auth_service.get_or_create_workspace(s, "race")
        user_id = users.create_user(s, ws.id, UserCreate(name="Race")).id
        s.commit()
    first_inserted = threading.Event()
    errors: list[BaseException] = []

    engine = create_engine(database.url)  # a pool of its own: both writers connect at once

    # Other days: the day counters' upsert would otherwise order the two writers already.
    def write(day: int, hold: bool) -> None:
        try:
            with Session(engine) as s:
                item = EventIn(
                    platform="x",
                    kind="reply",
                    occurred_at=datetime(2026, 11, day, 10, tzinfo=UTC),
                    counterpart="newbie",
                )
                store.record(s, user_id, [item])
                if hold:
                    first_inserted.set()
                    threading.Event().wait(0.5)  # the other writer is now waiting on the key
                s.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    a = threading.Thread(target=write, args=(1, True))
    a.start()
    first_inserted.wait(10)
    b = threading.Thread(target=write, args=(2, False))
    b.start()
    a.join(30)
    b.join(30)
    try:
        assert errors == []
        with database.new_session(False) as s:
            n = s.execute(
                select(func.count())
                .select_from(CONTACT_TABLE)
                .where(CONTACT_TABLE.c.user_id == user_id)
            ).scalar_one()
            handle = s.execute(select(HANDLE_TABLE).where(HANDLE_TABLE.c.user_id == user_id)).one()
            contact = s.execute(
                select(CONTACT_TABLE).where(CONTACT_TABLE.c.user_id == user_id)
            ).one()
        assert n == 1
        assert (handle.outbound, contact.outbound, handle.contact_id) == (2, 2, contact.id)
    finally:
        engine.dispose()
        with database.new_session(True) as s:
            s.execute(delete(User).where(User.id == user_id))
            s.commit()
