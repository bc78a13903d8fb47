"""Engines and sessions for SQLite and PostgreSQL, and the admission of requests to them.

Only the request's session dependency commits (see ``app.deps``); services add, flush and
query, and never commit themselves.

A request waits for the database on the event loop, never in a worker thread
(`Database.admitted`): a thread that waited could be the one the holder of a lock needs to
go on. Every wait is bounded by `db_wait_timeout_s`, after which the request is a quick 503
`database_busy`.
"""

import asyncio
import contextlib
import fcntl
import os
import select
import sqlite3
import threading
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager, nullcontext
from typing import Any, TypeVar

import anyio
from psycopg.types.array import ListBinaryDumper
from sqlalchemy import Connection, CursorResult, Engine, Executable, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlmodel import Session

from app.core.config import Settings
from app.core.errors import database_busy
from app.core.sqlite_functions import register as register_sqlite_functions

_BEGIN_OPTION = "rapport_sqlite_begin"


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(
        dbapi_connection: sqlite3.Connection, _record: object
    ) -> None:  # pragma: no cover - exercised via engine use
        # Let SQLAlchemy, not pysqlite, decide where transactions begin (SAVEPOINTs and
        # BEGIN IMMEDIATE depend on it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        register_sqlite_functions(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front, so two writers queue on busy_timeout
        # instead of failing when a read lock cannot be upgraded.
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _sqlite_engine(url: str, settings: Settings, pool_size: int) -> Engine:
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_wait_timeout_s,
        connect_args={
            "check_same_thread": False,
            "timeout": settings.sqlite_busy_timeout_ms / 1000,
        },
    )
    _configure_sqlite(engine, settings.sqlite_busy_timeout_ms)
    return engine


# Execution option of a statement that PostgreSQL may run by a generic plan (`generic_plan`).
GENERIC_PLAN_OPTION = "rapport_generic_plan"
_E = TypeVar("_E", bound=Executable)


def generic_plan(statement: _E) -> _E:
    """Mark a statement PostgreSQL may plan once for all parameter values: psycopg prepares
    it after 5 runs on a connection, and PostgreSQL may then keep a generic plan (no
    planning per execution: 0.05–0.15 ms a statement here). Only for statements whose plan
    does not depend on how many rows a tenant has (a lookup by a unique key, a range of one
    user's index entries); never for an EXISTS or a LIMIT whose best plan does."""
    return statement.execution_options(**{GENERIC_PLAN_OPTION: True})


def _custom_plans_unless_marked(engine: Engine) -> None:
    """Every statement is planned for its parameters at each execution (sent unprepared),
    except those marked by `generic_plan`. A generic plan of "has this user an event on
    platform p" (one EXISTS per platform) scanned the event table: the weekly report at
    100,000 contacts went from ~165 ms to ~700 ms on its 11th request (404 ms in that one
    statement), and any repeated query of a tenant's rows whose best plan depends on the
    tenant's size is exposed to the same. (Before: `plan_cache_mode = force_custom_plan` on
    every connection, which also re-planned the hot lookups and window reads: ~0.3 ms of a
    pacing request in three plannings.) Hand-written: SQLAlchemy has no per-statement
    choice of psycopg's ``prepare``; its ``do_execute`` event is the documented way to run
    a statement differently."""

    @event.listens_for(engine, "do_execute")
    def _execute(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        prepare = None if context.execution_options.get(GENERIC_PLAN_OPTION) else False
        cursor.execute(statement, parameters, prepare=prepare)
        return True


def make_engine(url: str, settings: Settings) -> Engine:
    """The engine for reads (and, on PostgreSQL, writes): a pool of `pool_size`
    connections, one per admitted session, and `db_max_overflow` spare (connections
    beyond the admitted sessions, for what runs outside them: /readyz, tools)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, settings, settings.pool_size)
    connect_args: dict[str, object] = {"connect_timeout": settings.db_connect_timeout_s}
    if not settings.db_prepared_statements:
        connect_args["prepare_threshold"] = None  # PgBouncer in transaction mode
    engine = create_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_connect_timeout_s,
        connect_args=connect_args,
    )
    event.listen(engine, "connect", _binary_arrays)
    _custom_plans_unless_marked(engine)
    _ping_after_a_pause(engine)
    return engine


# A pooled PostgreSQL connection back in use after more than this many seconds unused is
# pinged before it is handed out; one in steady use is not.
PING_AFTER_IDLE_S = 1.0
_IDLE_SINCE = "rapport_idle_since"


def _ping_after_a_pause(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, paid only where it can find something (hand-written:
    the pool pings on every checkout or never). A ping is a round trip: ``pool_pre_ping``
    added one to every request and two to a single-event write (37 % of its
    authentication's samples in py-spy under 32 clients). A connection is pinged when it
    comes back from more than ``PING_AFTER_IDLE_S`` unused, or when its socket has input
    although it is idle: a server ends a connection (a restart, ``pg_terminate_backend``,
    ``idle_session_timeout``) by sending an error and closing the socket, which a
    zero-timeout ``select`` sees without a round trip. A failed ping invalidates the pool
    and the checkout takes a new connection, as pre-ping does (`InvalidatePoolError`, the
    documented custom-ping recipe). Left to the request, as with pre-ping between its ping
    and its query: a server that vanishes without closing the socket."""

    def connected(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()  # fresh: no ping, as pre-ping

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        recent = since is not None and time.monotonic() - since < PING_AFTER_IDLE_S
        if recent and not _has_input(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise InvalidatePoolError() from exc

    event.listen(engine, "connect", connected)
    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)


def _has_input(dbapi_connection: Any) -> bool:
    """Whether an idle connection's socket has something to read (the server ended it)."""
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError):  # closed already
        return True
    return bool(readable)


def _binary_arrays(dbapi_connection: Any, _record: Any) -> None:
    """Send list parameters (the bulk writes' unnest arrays) in PostgreSQL's binary array
    format. psycopg's default for a list is the text format, which quotes and
    escapes every element in Python: py-spy put 22 % of a 1,000-event batch's contacts
    upkeep in ``ListDumper._dump_list``; the binary dumper packs the same 1,000 timestamps
    in 0.16 ms instead of 2.7 ms (measured with psycopg's Transformer)."""
    dbapi_connection.adapters.register_dumper(list, ListBinaryDumper)


_T = TypeVar("_T")


def rows_matched(session: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE in the session; the number of rows it matched."""
    result = session.execute(statement)
    assert isinstance(result, CursorResult)  # what a DML statement returns
    return result.rowcount


def _per_loop(factory: Callable[[], _T]) -> Callable[[], _T]:
    """One asyncio primitive per event loop (a test client runs its own loop)."""
    made: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _T] = weakref.WeakKeyDictionary()

    def get() -> _T:
        loop = asyncio.get_running_loop()
        found = made.get(loop)
        if found is None:
            found = made[loop] = factory()
        return found

    return get


class _SqliteWriteLock:
    """One writer at a time across the threads of this process (a mutex) and across the
    worker processes on the same file (an exclusive flock on `<database>.writelock`).

    Without the file lock, writers of different workers meet only in SQLite's busy handler,
    which sleeps in steps of up to 100 ms between retries; the kernel hands a flock to the
    next waiter as soon as it is released. An in-memory database has only the mutex. The
    lock file stays open for the life of the process (one descriptor): closing it in
    `dispose` would deadlock the CLI, which disposes inside a write session.

    `acquire` blocks; requests call it only in `Database`'s own lock thread, once they have
    the writer's turn of their event loop, so it waits at most for another process (or a
    tool) on the same file. `release` never blocks and may run in any thread."""

    def __init__(self, database: str | None):
        self._mutex = threading.Lock()
        in_memory = not database or database == ":memory:" or database.startswith("file::memory:")
        self._path = None if in_memory else f"{database}.writelock"
        self._fd: int | None = None

    def acquire(self) -> None:
        self._mutex.acquire()
        if self._path is None:
            return
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._mutex.release()
            raise

    def try_acquire(self) -> bool:
        """Take the lock only if it is free now (never waits)."""
        if not self._mutex.acquire(blocking=False):
            return False
        if self._path is None:
            return True
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._mutex.release()
            return False
        except BaseException:
            self._mutex.release()
            raise
        return True

    def release(self) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._mutex.release()

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class Database:
    """The engines one process uses, and the admission of requests to them.

    PostgreSQL: one pool of `pool_size` connections; a request takes one of as many
    session slots before it opens its session. SQLite: readers take a slot of the reader
    pool; a writer takes its event loop's writer turn, then the write lock, and uses a
    connection of its own (a writer never waits for a reader's connection)."""

    def __init__(self, url: str, settings: Settings):
        self.url = url
        self.wait_timeout_s = settings.db_wait_timeout_s
        self.engine = make_engine(url, settings)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._sqlite_write_lock = (
            _SqliteWriteLock(make_url(url).database) if self.is_sqlite else None
        )
        # One write session at a time per process; the spare connections serve tools.
        self._writer_engine = (
            _sqlite_engine(url, settings, pool_size=1) if self.is_sqlite else self.engine
        )
        self.write_engine = (
            self._writer_engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
            if self.is_sqlite
            else self.engine
        )
        # Reads on PostgreSQL run in autocommit: under READ COMMITTED every statement sees
        # its own snapshot anyway, so BEGIN and COMMIT would only add two round trips. On
        # SQLite a read transaction keeps one snapshot for all of a request's statements.
        self.read_engine = (
            self.engine
            if self.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        pool_size = settings.pool_size
        self._slots = _per_loop(lambda: asyncio.Semaphore(pool_size))
        self._writer_turn = _per_loop(asyncio.Lock)
        # Takes the SQLite write lock for the request that has the writer's turn: only that
        # one request ever waits here, so it never waits behind another writer's thread.
        self._lock_thread = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="rapport-write-lock"
        )

    def new_session(self, write: bool) -> Session:
        """A session without any lock: for a caller inside `admitted`."""
        return Session(self.write_engine if write else self.read_engine, expire_on_commit=False)

    @contextmanager
    def session(self, write: bool) -> Iterator[Session]:
        """A session for tools and scripts (blocking): a SQLite writer first waits, without a
        timeout, for the write lock of every process on the file."""
        lock: AbstractContextManager[object] = (
            self._sqlite_write_lock if write and self._sqlite_write_lock else nullcontext()
        )
        with lock, self.new_session(write) as s:
            yield s

    @contextmanager
    def write_lock_if_free(self) -> Iterator[bool]:
        """SQLite: the write lock if no writer of any process holds it now (True), else
        nothing (False); never waits. PostgreSQL: always True."""
        lock = self._sqlite_write_lock
        if lock is None:
            yield True
            return
        taken = lock.try_acquire()
        try:
            yield taken
        finally:
            if taken:
                lock.release()

    @asynccontextmanager
    async def admitted(self, write: bool) -> AsyncIterator[None]:
        """`admit` as a context: the turn is given back when the block is left."""
        release = await self.admit(write)
        try:
            yield
        finally:
            release()

    async def admit(self, write: bool) -> Callable[[], None]:
        """The request's turn to use the database, waited for on the event loop, at most
        `db_wait_timeout_s`; then a ProblemError 503 `database_busy`. Returns the function
        that gives the turn back: it never blocks nor awaits, so a cancelled request (a
        client gone) cannot keep a slot or the write lock, and a second call does nothing."""
        deadline = time.monotonic() + self.wait_timeout_s
        if write and self._sqlite_write_lock is not None:
            return _once(await self._sqlite_writer(deadline))
        slots = self._slots()
        await _wait(slots.acquire(), deadline)
        return _once(slots.release)

    async def _sqlite_writer(self, deadline: float) -> Callable[[], None]:
        lock = self._sqlite_write_lock
        assert lock is not None
        turn = self._writer_turn()
        await _wait(turn.acquire(), deadline)
        try:
            taken: Future[None] = self._lock_thread.submit(lock.acquire)
        except BaseException:
            turn.release()
            raise
        try:
            waited = asyncio.wrap_future(taken)
            waited.add_done_callback(
                lambda f: f.cancelled() or f.exception()
            )  # seen, when abandoned
            # In one process the file lock is free at once: a writer that got the turn at the
            # very end of its wait still gets a moment to take it.
            await _wait(asyncio.shield(waited), max(deadline, time.monotonic() + 0.1))
        except BaseException:
            # Another process holds the file lock too long, or this request was cancelled:
            # the lock thread may still get it. Give it back then, and only then pass the turn on.
            loop = asyncio.get_running_loop()

            def hand_back(f: Future[None]) -> None:
                if not f.cancelled() and f.exception() is None:
                    lock.release()
                # A closed loop (RuntimeError) has nobody left to take the turn.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(turn.release)

            taken.add_done_callback(hand_back)
            raise

        def release() -> None:
            try:
                lock.release()
            finally:
                turn.release()

        return release

    @contextmanager
    def bookkeeping(self, holds_write_lock: bool) -> Iterator[Session | None]:
        """A session for one short write transaction of bookkeeping (an API key's
        last_used_at), or None when it would have to wait: on SQLite it needs the write
        lock, which a reader takes only if no writer of any process holds it now. Opened
        after the request's own session is closed, inside the request's turn. On PostgreSQL
        it runs in autocommit: its one UPDATE is a transaction of its own, without the two
        round trips of BEGIN and COMMIT."""
        with nullcontext(True) if holds_write_lock else self.write_lock_if_free() as free:
            if not free:
                yield None
                return
            engine = self.write_engine if self.is_sqlite else self.read_engine
            with Session(engine, expire_on_commit=False) as session:
                yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self._writer_engine is not self.engine:
            self._writer_engine.dispose()


def _once(release: Callable[[], None]) -> Callable[[], None]:
    done = False

    def once() -> None:
        nonlocal done
        if not done:
            done = True
            release()

    return once


async def _wait(awaitable: Awaitable[_T], deadline: float) -> _T:
    """Await until the deadline; past it, a 503 database_busy. (asyncio's Lock and Semaphore
    give a wake-up that comes with the cancellation on to the next waiter.)"""
    try:
        with anyio.fail_after(max(deadline - time.monotonic(), 0)):
            return await awaitable
    except TimeoutError:
        raise database_busy() from None
