"""FastAPI dependencies: the request's session (the only place that commits), the caller's
workspace, and the user named in the path (404 across workspaces)."""

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from anyio import CancelScope, CapacityLimiter, to_thread
from fastapi import Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from app.auth.models import ApiKey, Workspace
from app.auth.service import authenticate, key_needs_touch, touch_key
from app.core.errors import not_found
from app.core.types import utc_now
from app.users.models import User

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def read_only(endpoint):
    """Mark a POST/PUT endpoint that only reads (e.g. /checks): it gets a read session,
    so on SQLite it does not queue for the single write lock."""
    endpoint.read_only = True
    return endpoint


def write_session_next(request: Request) -> None:
    """For a ``read_only`` endpoint that writes only after work of its own (the CSV import
    validates its body first): the next WriteSessionDep of this request is a write session."""
    request.state.write_session_next = True


def _writes(request: Request) -> bool:
    if getattr(request.state, "write_session_next", False):
        return True
    route = request.scope.get("route")
    if getattr(getattr(route, "endpoint", None), "read_only", False):
        return False
    return request.method not in _READ_METHODS


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session; commits when the endpoint returned, rolls back otherwise.

    The request first waits for its turn at the database on the event loop (`admitted`: a
    session slot; a SQLite writer, the write lock), so a crowd of waiting requests holds
    no worker thread and no connection, and the holder of a lock can always go on; a
    request that waits longer than `db_wait_timeout_s` is a quick 503 `database_busy`.
    The session is opened on the event loop (no I/O: the connection is taken at the first
    query). The end (commit, close) runs in a thread with a limiter of its own and shielded
    from cancellation, as FastAPI does for sync dependencies, and the turn is given back
    without awaiting: a client that disconnects never leaves a slot or the write lock held.
    """
    db = request.app.state.db
    write = _writes(request)
    async with db.admitted(write):
        session = db.new_session(write)
        try:
            yield session
        except BaseException:
            with CancelScope(shield=True):
                await to_thread.run_sync(session.close, limiter=CapacityLimiter(1))
            raise
        else:
            with CancelScope(shield=True):
                await to_thread.run_sync(_end, request, session, write, limiter=CapacityLimiter(1))


def _end(request: Request, session: Session, write: bool) -> None:
    try:
        session.commit()
        if write:
            _touch_key_after_commit(request, session)
        else:  # a SQLite reader never queues for the write lock, not even for bookkeeping
            with request.app.state.db.write_lock_if_free() as free:
                if free:
                    _touch_key_after_commit(request, session)
    finally:
        session.close()


def _touch_key_after_commit(request: Request, session: Session) -> None:
    """Record last_used_at in its own short transaction, best effort: a busy database
    must not fail a request that has already succeeded."""
    key: ApiKey | None = getattr(request.state, "api_key", None)
    if key is None:
        return
    now = utc_now()
    if not key_needs_touch(key, now, request.app.state.settings.key_touch_interval_s):
        return
    try:
        touch_key(session, key.id, now)
        session.commit()
        request.state.api_key = None  # touched: a request's second session does not again
    except Exception:
        session.rollback()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
# A second session of the request, opened where it is declared (after the dependencies
# before it): a write session once write_session_next was called.
WriteSessionDep = Annotated[Session, Depends(get_session, scope="function", use_cache=False)]


_bearer = HTTPBearer(auto_error=False, description="An API key: 'Authorization: Bearer rpk_…'")


async def get_workspace(
    request: Request,
    session: SessionDep,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Workspace:
    return await run_in_threadpool(_authenticate, request, session)


def _authenticate(request: Request, session: Session) -> Workspace:
    """The caller's workspace; the user named in the path (if any) is read in the same
    statement, for get_user."""
    try:
        user_id = uuid.UUID(request.path_params["user_id"])
    except (KeyError, ValueError):  # no user in the path, or not a UUID (a 422 follows)
        user_id = None
    workspace, key, user = authenticate(session, request.headers.get("authorization"), user_id)
    request.state.api_key = key
    if user_id is not None:
        request.state.path_user = (user_id, user)
    return workspace


WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]

UserIdPath = Annotated[uuid.UUID, Path(description="The user's id (a UUID).")]


async def get_user(
    user_id: UserIdPath, request: Request, session: SessionDep, workspace: WorkspaceDep
) -> User:
    read = getattr(request.state, "path_user", None)
    user = (
        read[1]
        if read is not None and read[0] == user_id
        else await run_in_threadpool(session.get, User, user_id)
    )
    if user is None or user.workspace_id != workspace.id:
        raise not_found("user")
    return user


UserDep = Annotated[User, Depends(get_user)]
