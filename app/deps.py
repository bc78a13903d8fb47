"""FastAPI dependencies: the request's session (the only place that commits), the caller's
workspace, and the user named in the path (404 across workspaces)."""

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
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


def _writes(request: Request) -> bool:
    route = request.scope.get("route")
    if getattr(getattr(route, "endpoint", None), "read_only", False):
        return False
    return request.method not in _READ_METHODS


def get_session(request: Request) -> Iterator[Session]:
    db = request.app.state.db
    with db.session(write=_writes(request)) as session:
        yield session
        session.commit()
        _touch_key_after_commit(request, session)


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
    except Exception:  # noqa: BLE001 - bookkeeping only
        session.rollback()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


_bearer = HTTPBearer(auto_error=False, description="An API key: 'Authorization: Bearer rpk_…'")


def get_workspace(
    request: Request,
    session: SessionDep,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Workspace:
    workspace, key = authenticate(session, request.headers.get("authorization"))
    request.state.api_key = key
    return workspace


WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]

UserIdPath = Annotated[uuid.UUID, Path(description="The user's id (a UUID).")]


def get_user(user_id: UserIdPath, session: SessionDep, workspace: WorkspaceDep) -> User:
    user = session.get(User, user_id)
    if user is None or user.workspace_id != workspace.id:
        raise not_found("user")
    return user


UserDep = Annotated[User, Depends(get_user)]
