"""Engines and sessions for SQLite and PostgreSQL.

Only the request's session dependency commits (see ``app.deps``); services add, flush and
query, and never commit themselves.
"""

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.core.config import Settings
from app.core.sqlite_functions import register as register_sqlite_functions

_BEGIN_OPTION = "rapport_sqlite_begin"


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised via engine use
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
    def _on_begin(conn):
        # Writers take the write lock up front, so two writers queue on busy_timeout
        # instead of failing when a read lock cannot be upgraded.
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, settings: Settings) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": settings.sqlite_busy_timeout_ms / 1000,
            },
        )
        _configure_sqlite(engine, settings.sqlite_busy_timeout_ms)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        pool_timeout=settings.db_connect_timeout_s,
        connect_args={"connect_timeout": settings.db_connect_timeout_s},
    )


class _SqliteWriteLock:
    """One writer at a time across the threads of this process (a mutex) and across the
    worker processes on the same file (an exclusive flock on `<database>.writelock`).

    Without the file lock, writers of different workers meet only in SQLite's busy handler,
    which sleeps in steps of up to 100 ms between retries; the kernel hands a flock to the
    next waiter as soon as it is released. An in-memory database has only the mutex. The
    lock file stays open for the life of the process (one descriptor): closing it in
    `dispose` would deadlock the CLI, which disposes inside a write session."""

    def __init__(self, database: str | None):
        self._mutex = threading.Lock()
        in_memory = not database or database == ":memory:" or database.startswith("file::memory:")
        self._path = None if in_memory else f"{database}.writelock"
        self._fd: int | None = None

    def __enter__(self) -> None:
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

    def __exit__(self, *exc) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._mutex.release()


class Database:
    """The engines one process uses: a reader and a writer view of the same pool."""

    def __init__(self, url: str, settings: Settings):
        self.url = url
        self.engine = make_engine(url, settings)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._sqlite_write_lock = (
            _SqliteWriteLock(make_url(url).database) if self.is_sqlite else None
        )
        self.write_engine = (
            self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
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

    @contextmanager
    def session(self, write: bool) -> Iterator[Session]:
        # SQLite has one writer at a time: writers of every worker process queue here, without
        # a timeout, so a burst of writers cannot time out into "database is locked".
        lock: AbstractContextManager = (
            self._sqlite_write_lock if write and self._sqlite_write_lock else nullcontext()
        )
        with (
            lock,
            Session(self.write_engine if write else self.read_engine, expire_on_commit=False) as s,
        ):
            yield s

    def dispose(self) -> None:
        self.engine.dispose()
