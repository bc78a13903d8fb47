"""Whether the database can store: the checks /readyz makes, and what this process last saw.

A full disk or a read-only database is not an outage: reads still work and a retry in two
seconds does not help, so writes get 507 `storage_full` / `read_only` (app.core.errors) and
/readyz says which. /readyz checks what it can cheaply see for itself:

- SQLite: the file system of the database file (read-only mount, no write permission on the
  file or its directory, under ``SQLITE_FREE_SPACE_RESERVE`` bytes free), one ``statvfs``;
- PostgreSQL: ``transaction_read_only`` (a hot standby, ``default_transaction_read_only``),
  in the same round trip as the liveness query.

PostgreSQL does not tell a client how much disk it has left, so a full disk there (and a
SQLite write refused for space while the file system shows room, e.g. a quota) is known
from the last write this process tried: /readyz reports `storage_full` from the moment a
write fails for lack of space until a write succeeds again (per worker process).
"""

import os
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from app.core.middleware import ASGIApp, Receive, Scope, Send

# Below this much free space (bytes) on a SQLite database's file system, /readyz reports
# storage_full: a write needs room for its WAL frames and new pages, and a busy service with
# less than this is out of space in moments.
SQLITE_FREE_SPACE_RESERVE = 1024 * 1024

_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class StorageHealth:
    """What this process last learnt from a write: None (it stored) or the problem code."""

    def __init__(self) -> None:
        self.last_failure: str | None = None

    def failed(self, code: str) -> None:
        self.last_failure = code

    def stored(self) -> None:
        self.last_failure = None


class StorageHealthMiddleware:
    """Clears the remembered storage failure when a write request succeeds."""

    def __init__(self, app: ASGIApp, health: StorageHealth):
        self.app = app
        self.health = health

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITE_METHODS:
            await self.app(scope, receive, send)
            return

        async def watch(message: dict[str, Any]) -> None:
            if (
                message["type"] == "http.response.start"
                and 200 <= message["status"] < 300
                and self.health.last_failure is not None
            ):
                self.health.stored()
            await send(message)

        await self.app(scope, receive, watch)


def sqlite_file_problem(url: str) -> str | None:
    """What the file system of a SQLite database says: 'read_only', 'storage_full' or None."""
    database = make_url(url).database
    if (
        make_url(url).get_backend_name() != "sqlite"
        or not database
        or database == ":memory:"
        or database.startswith("file:")
    ):
        return None
    path = os.path.abspath(database)
    directory = os.path.dirname(path)
    try:
        fs = os.statvfs(directory)
    except OSError:
        return None  # the liveness query reports a missing directory
    if fs.f_flag & os.ST_RDONLY:
        return "read_only"
    # The file, and its directory (SQLite creates the -wal and -shm files beside it).
    if not os.access(directory, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        return "read_only"
    if fs.f_bavail * fs.f_frsize < SQLITE_FREE_SPACE_RESERVE:
        return "storage_full"
    return None


def probe(conn: Connection, url: str, health: StorageHealth | None) -> str | None:
    """One round trip to the database (raises when it is unreachable), then 'read_only',
    'storage_full' or None."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("SELECT 1"))
        problem = sqlite_file_problem(url)
    else:
        read_only = conn.execute(text("SELECT current_setting('transaction_read_only')")).scalar()
        problem = "read_only" if read_only == "on" else None
    if problem is None and health is not None and health.last_failure == "storage_full":
        problem = "storage_full"
    return problem
