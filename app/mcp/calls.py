"""How one tool call reaches the services: the caller's key, a session like an HTTP
request's, and every failure as a catalogued problem.

A call is one request's worth of work (`ToolHost.call`): it waits for its turn at the
database on the event loop (`Database.admit`: a session slot; a SQLite writer, the write
lock: the same admission as `app.deps.get_session`, so a tool never queues behind or
ahead of HTTP requests differently), then in one worker-thread hop opens the session,
authenticates the key with the user named in the arguments (one statement, as
`app.deps.get_caller`), checks the key's scope, runs the service, and commits only when
the service returned (a failure rolls back: nothing of a refused batch is written). The
key's last_used_at is recorded afterwards, best effort, as for HTTP.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from anyio import to_thread
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlmodel import Session

from app.auth.models import ApiKey, Workspace
from app.auth.scopes import Scope, allows
from app.auth.service import authenticate
from app.core.db import Database
from app.core.errors import (
    CATALOGUE,
    CONCURRENT_CHANGE,
    DATABASE_UNAVAILABLE,
    INSUFFICIENT_SCOPE,
    INTERNAL_ERROR,
    INVALID_DATA,
    ProblemError,
    database_busy,
    not_found,
    storage_problem_code,
)
from app.deps import record_key_use
from app.users.models import User

log = logging.getLogger("rapport")


T = TypeVar("T")


@dataclass(frozen=True)
class ToolCaller:
    """Who calls: the key's workspace, the key, and the user named in the arguments (always
    one of the workspace's when the tool names a user)."""

    workspace: Workspace
    key: ApiKey
    user: User | None


def key_scopes(key: ApiKey) -> list[str]:
    """The key's scopes (migration 0011 made every older key admin)."""
    return list(key.scopes)


class ToolHost:
    """The database the tools use and how a call gets its session (one per process)."""

    def __init__(self, db: Database, key_touch_interval_s: int) -> None:
        self.db = db
        self.key_touch_interval_s = key_touch_interval_s

    async def authenticate(self, authorization: str | None) -> None:
        """Check a key in a read session of its own (the /mcp gate); a ProblemError 401
        for every kind of bad key, as on /v1."""
        await self.call(authorization, "read", None, lambda _s, _c: None, write=False)

    async def call(
        self,
        authorization: str | None,
        needed: Scope,
        user_id: uuid.UUID | None,
        work: Callable[[Session, ToolCaller], T],
        *,
        write: bool,
    ) -> T:
        """Run ``work`` for the key in ``authorization``; raises a ProblemError."""
        release = await self.db.admit(write)
        try:
            return await to_thread.run_sync(self._run, authorization, needed, user_id, work, write)
        finally:
            release()

    def _run(
        self,
        authorization: str | None,
        needed: Scope,
        user_id: uuid.UUID | None,
        work: Callable[[Session, ToolCaller], T],
        write: bool,
    ) -> T:
        try:
            with self.db.new_session(write) as session:
                workspace, key, user = authenticate(session, authorization, user_id)
                if not allows(key_scopes(key), needed):
                    raise INSUFFICIENT_SCOPE.error(
                        f"This key's scopes are {key_scopes(key)}; this tool needs "
                        f"'{needed}'. Use a key with the '{needed}' scope."
                    )
                if user_id is not None and user is None:  # another workspace's, or none
                    raise not_found("user")
                result = work(session, ToolCaller(workspace, key, user))
                session.commit()  # only when the work returned; leaving the block rolls back
        except ProblemError:
            raise
        except Exception as exc:
            raise self._problem(exc) from exc
        record_key_use(self.db, key, self.key_touch_interval_s, holds_write_lock=write)
        return result

    def _problem(self, exc: Exception) -> ProblemError:
        """A failure below the services as the problem HTTP answers for it
        (app.core.errors' handlers)."""
        if isinstance(exc, OSError | DBAPIError):
            storage = storage_problem_code(exc, self.db.url if self.db.is_sqlite else None)
            if storage is not None:
                return CATALOGUE[storage].error()
        if isinstance(exc, PoolTimeoutError):
            return database_busy()
        if isinstance(exc, DBAPIError):
            if isinstance(exc, OperationalError) or exc.connection_invalidated:
                return DATABASE_UNAVAILABLE.error()
            if isinstance(exc, IntegrityError):
                return CONCURRENT_CHANGE.error()
            if isinstance(exc, DataError):
                return INVALID_DATA.error()
        log.error("unexpected error in an MCP tool", exc_info=exc)
        return INTERNAL_ERROR.error()
