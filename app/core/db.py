"""Engines and sessions for SQLite and PostgreSQL.

Only the request's session dependency commits (see ``app.deps``); services add, flush and
query, and never commit themselves.
"""

from collections.abc import Iterator
import threading
from contextlib import contextmanager, nullcontext

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
            connect_args={"check_same_thread": False, "timeout": settings.sqlite_busy_timeout_ms / 1000},
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


class Database:
    """The engines one process uses: a reader and a writer view of the same pool."""

    def __init__(self, url: str, settings: Settings):
        self.url = url
        self.engine = make_engine(url, settings)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._sqlite_write_lock = threading.Lock()
        self.write_engine = (
            self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
            if self.is_sqlite
            else self.engine
        )
        # Reads on PostgreSQL run in autocommit: under READ COMMITTED every statement sees
        # its own snapshot anyway, so BEGIN and COMMIT would only add two round trips. On
        # SQLite a read transaction keeps one snapshot for all of a request's statements.
        self.read_engine = (
            self.engine if self.is_sqlite else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    @contextmanager
    def session(self, write: bool) -> Iterator[Session]:
        # SQLite has one writer at a time: threads of this process queue here, without a
        # timeout, so only one of them at a time waits on the file lock (busy_timeout) against
        # other processes, and a burst of writers cannot time out into "database is locked".
        lock = self._sqlite_write_lock if write and self.is_sqlite else nullcontext()
        with lock, Session(self.write_engine if write else self.read_engine, expire_on_commit=False) as s:
            yield s

    def dispose(self) -> None:
        self.engine.dispose()
