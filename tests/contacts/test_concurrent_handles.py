"""Two transactions naming the same new handle at once make one contact (PostgreSQL: the
second insert waits for the first on the (user_id, handle) key, then takes its contact)."""

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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


def _new_user(database, name: str):
    with database.new_session(True) as s:
        ws = auth_service.get_or_create_workspace(s, name.lower())
        user_id = users.create_user(s, ws.id, UserCreate(name=name)).id
        s.commit()
    return user_id


def _waiting_for_a_lock(engine) -> bool:
    """Whether a session of the test's database waits for a lock."""
    with engine.connect() as conn:
        return bool(
            conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            ).scalar()
        )


def test_two_writers_of_one_new_handle_make_one_contact(database, backend):
    if backend != "postgres":
        pytest.skip("SQLite has one writer at a time: no race to lose")
    user_id = _new_user(database, "Race")
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


def test_a_handle_committed_between_lock_and_insert_does_not_deadlock(
    database, backend, monkeypatch
):
    """Writer A reads the locks of handles L and M (neither exists yet); a third writer
    commits L; writer B then locks L and goes on to insert M while A inserts M, finds L
    taken and waits for B's lock on it: a cycle (seen under 32 clients as a 503). PostgreSQL
    fails one of them after deadlock_timeout. Now B's upkeep waits for A's at the user row
    (FOR NO KEY UPDATE), so the cycle cannot form, and were it to, the store redoes the
    victim from a savepoint: both writes succeed and every figure counts all three."""
    if backend != "postgres":
        pytest.skip("SQLite has one writer at a time: no lock cycle")
    from app.events.store import _contact_rollup

    user_id = _new_user(database, "Deadlock")
    engine = create_engine(database.url)
    a_read, b_locked = threading.Event(), threading.Event()
    calls: dict[str, int] = {}
    errors: list[BaseException] = []
    original = _contact_rollup._lock_handles

    def lock_handles(session, uid, handles):
        rows = original(session, uid, handles)
        name = threading.current_thread().name
        calls[name] = calls.get(name, 0) + 1
        if calls[name] == 1 and name == "A":
            a_read.set()
            for _ in range(200):  # until B holds L, or waits for A (the user row's lock)
                if b_locked.is_set() or _waiting_for_a_lock(engine):
                    break
                threading.Event().wait(0.05)
        elif calls[name] == 1 and name == "B":
            b_locked.set()
            for _ in range(200):  # until A waits for B's lock on L, or is done
                if _waiting_for_a_lock(engine) or not a.is_alive():
                    break
                threading.Event().wait(0.05)
        return rows

    monkeypatch.setattr(_contact_rollup, "_lock_handles", lock_handles)

    def write(day: int, handles: list[str]) -> None:
        try:
            with Session(engine) as s:
                items = [
                    EventIn(
                        platform="x",
                        kind="reply",
                        occurred_at=datetime(2026, 11, day, 10, tzinfo=UTC),
                        counterpart=h,
                    )
                    for h in handles
                ]
                store.record(s, user_id, items)
                s.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    a = threading.Thread(target=write, args=(1, ["l", "m"]), name="A")
    b = threading.Thread(target=write, args=(2, ["l", "m"]), name="B")
    try:
        a.start()
        assert a_read.wait(10)
        write(3, ["l"])  # the third writer (this thread), committed
        b.start()
        a.join(30)
        b.join(30)
        assert errors == []
        with database.new_session(False) as s:
            handles = {
                r.handle: r.outbound
                for r in s.execute(select(HANDLE_TABLE).where(HANDLE_TABLE.c.user_id == user_id))
            }
            contacts = sorted(
                s.execute(
                    select(CONTACT_TABLE.c.outbound).where(CONTACT_TABLE.c.user_id == user_id)
                ).scalars()
            )
        assert handles == {"l": 3, "m": 2}
        assert contacts == [2, 3]
    finally:
        engine.dispose()
        with database.new_session(True) as s:
            s.execute(delete(User).where(User.id == user_id))
            s.commit()


def test_two_groups_of_the_same_users_lock_them_in_one_order(database, backend, monkeypatch):
    """Grouped single writes put several users' events in one transaction. Group A writes
    a post (no counterpart: no contacts upkeep) for the first user and a reply for the
    second; group B the other way round. Had a group taken a user's row only after the
    other users' upkeeps, A would hold the second user's row (its upkeep) and wait for the
    first's, B the reverse: a deadlock (seen under the bench's mix). Every group now takes
    its users' rows first, in id order: B waits for A, and neither is redone."""
    if backend != "postgres":
        pytest.skip("SQLite has one writer at a time: no lock cycle")
    from app.events.store import _contact_rollup

    first, second = sorted([_new_user(database, "First"), _new_user(database, "Second")])
    engine = create_engine(database.url)
    a_staged = threading.Event()
    calls: dict[str, int] = {}
    errors: list[BaseException] = []
    original = _contact_rollup.apply

    def apply(session, uid, events, sign=1):
        changes = original(session, uid, events, sign)
        name = threading.current_thread().name
        calls[name] = calls.get(name, 0) + 1
        if name == "A" and calls[name] == 2:  # both of A's users staged
            a_staged.set()
            for _ in range(200):  # until B waits for one of A's rows, or is done
                if _waiting_for_a_lock(engine) or not b.is_alive():
                    break
                threading.Event().wait(0.05)
        return changes

    monkeypatch.setattr(_contact_rollup, "apply", apply)

    def item(day: int, counterpart: str | None) -> EventIn:
        kind = "reply" if counterpart else "post"
        at = datetime(2026, 11, day, 10, tzinfo=UTC)
        return EventIn(platform="x", kind=kind, occurred_at=at, counterpart=counterpart)

    def write(reply_for: uuid.UUID, day: int) -> None:
        try:
            with Session(engine) as s:
                store.record_each(
                    s,
                    [
                        (uid, [item(day, "bob" if uid == reply_for else None)])
                        for uid in (first, second)
                    ],
                )
                s.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    a = threading.Thread(target=write, args=(second, 1), name="A")
    b = threading.Thread(target=write, args=(first, 2), name="B")
    try:
        with caplog_rapport() as records:
            a.start()
            assert a_staged.wait(10)
            b.start()
            a.join(30)
            b.join(30)
        assert errors == []
        assert [r.getMessage() for r in records if "deadlock" in r.getMessage()] == []
        with database.new_session(False) as s:
            n = s.execute(
                select(func.count())
                .select_from(CONTACT_TABLE)
                .where(CONTACT_TABLE.c.user_id.in_([first, second]))
            ).scalar_one()
        assert n == 2
    finally:
        engine.dispose()
        with database.new_session(True) as s:
            s.execute(delete(User).where(User.id.in_([first, second])))
            s.commit()


@contextmanager
def caplog_rapport() -> Iterator[list[logging.LogRecord]]:
    """The "rapport" logger's records while the block runs (from every thread)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("rapport")
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def test_a_delete_and_a_repeat_of_its_external_id_lock_the_user_first(
    database, backend, monkeypatch
):
    """Writer I repeats a stored event's external_id and holds the user's row (taken first);
    writer D deletes that event. Had D deleted the row before taking the user's row, D would
    wait for I (the user row) and I for D (the unique index entry of the row D deleted but
    not committed): a deadlock, seen as a 503 in CI's concurrent-writes mix. D now takes the
    user's row before its DELETE: D waits for I, I stores nothing new, and neither is
    redone."""
    if backend != "postgres":
        pytest.skip("SQLite has one writer at a time: no lock cycle")
    from app.events.store import _day_counts

    user_id = _new_user(database, "Repeat")
    item = EventIn(
        platform="x",
        kind="reply",
        occurred_at=datetime(2026, 11, 3, 10, tzinfo=UTC),
        counterpart="bob",
        external_id="x1",
    )
    with database.new_session(True) as s:
        (stored,) = store.record(s, user_id, [item])
        s.commit()
    engine = create_engine(database.url)
    i_holds_the_user = threading.Event()
    errors: list[BaseException] = []
    original = _day_counts.touch_users

    def touch_users(session, user_ids):
        original(session, user_ids)
        if threading.current_thread().name == "I":
            i_holds_the_user.set()
            for _ in range(200):  # until D waits for one of I's rows, or is done
                if _waiting_for_a_lock(engine) or not d.is_alive():
                    break
                threading.Event().wait(0.05)

    monkeypatch.setattr(_day_counts, "touch_users", touch_users)
    answers: dict[str, object] = {}

    def run(name: str) -> None:
        try:
            with Session(engine) as s:
                if name == "I":
                    answers[name] = store.record(s, user_id, [item])[0].created
                else:
                    answers[name] = store.delete(s, user_id, stored.id)
                s.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    i = threading.Thread(target=run, args=("I",), name="I")
    d = threading.Thread(target=run, args=("D",), name="D")
    try:
        with caplog_rapport() as records:
            i.start()
            assert i_holds_the_user.wait(10)
            d.start()
            i.join(30)
            d.join(30)
        assert errors == []
        assert [r.getMessage() for r in records if "deadlock" in r.getMessage()] == []
        assert answers == {"I": False, "D": True}  # I repeated the stored event; D deleted it
    finally:
        engine.dispose()
        with database.new_session(True) as s:
            s.execute(delete(User).where(User.id == user_id))
            s.commit()
