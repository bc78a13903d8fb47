"""FastAPI dependencies: what a request gets, named in its endpoint's signature.

- ``ReadSession`` / ``WriteSession``: the request's one session. A route whose signature
  (or a dependency of it) names ``WriteSession`` gets a write session for the whole request,
  authentication included (on SQLite: the single write lock); every other route, a POST
  that only reads such as /checks included, gets a read session. `session_kind` reads this
  from the route's dependency tree once per route; `check_session_kinds` refuses, when the
  app is built, a route that names two kinds.
- ``DeferredWriteSession`` (the CSV import): authentication reads in a short read session
  of its own, which is finished, and its turn given back, in the same worker-thread hop; the
  write session waits for its turn only where the parameter is resolved, after the
  dependencies before it (reading and validating the body). No request ever holds a turn
  while it waits for another.
- ``SingleWritesDep`` (POST …/events, one event): authentication as for a deferred write;
  the event is then written, with the single events of other requests waiting at that
  moment, in one write transaction of `SingleWrites` (app/events/single_writes.py), which
  takes its own turn and commits; the key's ``last_used_at`` is recorded there.
- Only these session dependencies (and `SingleWrites`) commit: when the endpoint returned;
  otherwise they roll back. Services add, flush and query.
- ``CallerDep``: ``Caller(workspace, key, user)``. One statement reads the key, its
  workspace and the user named in the path (`app.auth.service.authenticate`), so ``UserDep``
  costs no query of its own.
- ``require_scope("read" | "write" | "admin")``: the scope a route needs of the caller's
  key, declared by every /v1 route (see the scopes section at the end).
- The key's ``last_used_at`` is recorded after the request's session is committed and
  closed, in a short write transaction of its own (`Database.bookkeeping`), best effort.
"""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from anyio import CancelScope, CapacityLimiter, to_thread
from fastapi import APIRouter, Depends, Path, Request, params
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from sqlmodel import Session

from app.auth.models import ApiKey, Workspace
from app.auth.scopes import SCOPES, Scope, allows
from app.auth.service import authenticate, key_needs_touch, touch_key
from app.core.db import Database
from app.core.errors import INSUFFICIENT_SCOPE, not_found
from app.core.types import utc_now
from app.events.single_writes import SingleWrites
from app.events.store import note_user_version
from app.users.models import User

SessionKind = Literal["read", "write", "deferred_write", "single_write"]
# Kinds whose authentication reads in a short read session finished before the endpoint runs.
_FINISHED_FIRST: frozenset[SessionKind] = frozenset({"deferred_write", "single_write"})

# Keys of Session.info, the session's own per-request notes.
_RELEASE = "rapport_release"  # gives the session's turn back (Database.admit)
_FINISHED = "rapport_finished"  # committed and closed before the endpoint ran
_KEY = "rapport_key"  # the API key whose last_used_at the end of the session records
# The scope a DeferredWriteSession asks get_session for (a cache key of its own).
_WRITE_SCOPE = "rapport:write"


async def get_session(request: Request, security_scopes: SecurityScopes) -> AsyncIterator[Session]:
    """A session of the request (tests override this one function); see the module doc.

    The request first waits for its turn at the database on the event loop
    (`Database.admit`: a session slot; a SQLite writer, the write lock), so a crowd of
    waiting requests holds no worker thread and no connection, and the holder of a lock can
    always go on; a request that waits longer than `db_wait_timeout_s` is a quick 503
    `database_busy`. The session is opened on the event loop (no I/O: the connection is
    taken at the first query). The end (commit, close) runs in a thread with a limiter of
    its own and shielded from cancellation, as FastAPI does for sync dependencies, and the
    turn is given back without awaiting: a client that disconnects never leaves a slot or
    the write lock held.
    """
    db: Database = request.app.state.db
    write = _WRITE_SCOPE in security_scopes.scopes or session_kind(request) == "write"
    release = await db.admit(write)
    try:
        session = db.new_session(write)
        session.info[_RELEASE] = release
        try:
            yield session
        except BaseException:
            if not session.info.get(_FINISHED):
                with CancelScope(shield=True):
                    await to_thread.run_sync(session.close, limiter=CapacityLimiter(1))
            raise
        else:
            if not session.info.get(_FINISHED):
                interval_s: int = request.app.state.settings.key_touch_interval_s
                with CancelScope(shield=True):
                    await to_thread.run_sync(
                        _end, db, session, write, interval_s, limiter=CapacityLimiter(1)
                    )
    finally:
        release()


def _end(db: Database, session: Session, write: bool, interval_s: int) -> None:
    try:
        session.commit()
    finally:
        session.close()
    key: ApiKey | None = session.info.get(_KEY)
    if key is not None:
        record_key_use(db, key, interval_s, holds_write_lock=write)


def record_key_use(db: Database, key: ApiKey, interval_s: int, holds_write_lock: bool) -> None:
    """Record last_used_at in its own short transaction, best effort: a busy database must
    not fail a request that has already succeeded. A SQLite reader never queues for the
    write lock for it."""
    now = utc_now()
    if not key_needs_touch(key, now, interval_s):
        return
    try:
        with db.bookkeeping(holds_write_lock) as session:
            if session is not None:
                touch_key(session, key.id, now)
                session.commit()
    except Exception:  # best effort, see above
        pass


# scope="function": the session ends (commits) when the endpoint returns, before the response
# is sent, so a failed commit is the client's error response, never a 200 for lost work.
_RequestSession = Annotated[Session, Depends(get_session, scope="function")]


async def _read_session(session: _RequestSession) -> Session:
    return session


async def _write_session(session: _RequestSession) -> Session:
    return session


ReadSession = Annotated[Session, Depends(_read_session)]
WriteSession = Annotated[Session, Depends(_write_session)]


# --- the caller -------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's workspace, the key, and the user named in the path when
    it is one of the workspace's (None when there is no such user, or no user in the path)."""

    workspace: Workspace
    key: ApiKey
    user: User | None


_bearer = HTTPBearer(auto_error=False, description="An API key: 'Authorization: Bearer rpk_…'")


async def get_caller(
    request: Request,
    session: _RequestSession,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    finish_now = session_kind(request) in _FINISHED_FIRST
    caller = await run_in_threadpool(
        _authenticate,
        session,
        request.headers.get("authorization"),
        _path_user_id(request),
        finish_now,
    )
    # For the request's log line (app/core/observe.py): which workspace asked.
    request.state.workspace_id = caller.workspace.id
    if finish_now:
        release: Callable[[], None] | None = session.info.get(_RELEASE)
        if release is not None:
            release()
    else:
        session.info[_KEY] = caller.key
    return caller


def _path_user_id(request: Request) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.path_params["user_id"])
    except (KeyError, ValueError):  # no user in the path, or not a UUID (a 422 follows)
        return None


def _authenticate(
    session: Session, authorization: str | None, user_id: uuid.UUID | None, finish: bool
) -> Caller:
    workspace, key, user = authenticate(session, authorization, user_id)
    if user is not None and not finish:  # for the window cache, in this same transaction
        note_user_version(session, user.id, user.events_version)
    if finish:  # a deferred write: this read session is done before the body is read
        try:
            session.commit()
        finally:
            session.close()
        session.info[_FINISHED] = True
    return Caller(workspace, key, user)


CallerDep = Annotated[Caller, Depends(get_caller)]


async def _deferred_write_session(
    caller: CallerDep,
    session: Annotated[
        Session,
        params.Security(dependency=get_session, scopes=[_WRITE_SCOPE], scope="function"),
    ],
) -> Session:
    session.info[_KEY] = caller.key
    return session


DeferredWriteSession = Annotated[Session, Depends(_deferred_write_session)]


async def _single_writes(caller: CallerDep, request: Request) -> SingleWrites:
    writes: SingleWrites = request.app.state.single_writes
    return writes


# POST …/events: authentication in a finished read session, then the event is written with
# the other requests' single events waiting at that moment (app/events/single_writes.py).
SingleWritesDep = Annotated[SingleWrites, Depends(_single_writes)]


async def get_workspace(caller: CallerDep) -> Workspace:
    return caller.workspace


WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]

UserIdPath = Annotated[uuid.UUID, Path(description="The user's id (a UUID).")]


async def get_user(user_id: UserIdPath, caller: CallerDep) -> User:
    """The user named in the path, read with the key (see `Caller`); 404 across workspaces."""
    if caller.user is None or caller.user.id != user_id:
        raise not_found("user")
    return caller.user


UserDep = Annotated[User, Depends(get_user)]


# --- which session a route gets ---------------------------------------------------------

_NAMED: dict[Callable[..., Any], SessionKind] = {
    _read_session: "read",
    _write_session: "write",
    _deferred_write_session: "deferred_write",
    _single_writes: "single_write",
}
# id(route) -> (route, kind); routes are neither hashable nor weakly referenceable here.
_KINDS: dict[int, tuple[object, SessionKind]] = {}


def _kind_of(path: str, dependant: Dependant) -> SessionKind:
    named: set[SessionKind] = set()
    stack = [dependant]
    while stack:
        current = stack.pop()
        if current.call in _NAMED:
            named.add(_NAMED[current.call])
        stack.extend(current.dependencies)
    if len(named) > 1:
        raise RuntimeError(f"{path} names {sorted(named)}: a request gets one kind of session")
    return named.pop() if named else "read"


def session_kind(request: Request) -> SessionKind:
    """The kind of session the request's route names (computed once per route)."""
    route = request.scope.get("route")
    dependant: Dependant | None = getattr(route, "dependant", None)
    if route is None or dependant is None:
        return "read"
    known = _KINDS.get(id(route))
    if known is None or known[0] is not route:
        known = _KINDS[id(route)] = (route, _kind_of(getattr(route, "path", "?"), dependant))
    return known[1]


def check_session_kinds(router: APIRouter) -> None:
    """Fail at start-up, not at the first request, on a route that names two kinds."""
    for route in router.routes:
        dependant = getattr(route, "dependant", None)
        if dependant is not None:
            _KINDS[id(route)] = (route, _kind_of(getattr(route, "path", "?"), dependant))


# --- scopes: what each route needs of the caller's key ----------------------------------
#
# Every /v1 route declares the scope it needs with ``dependencies=[require_scope(...)]``
# (on the route, or on its router when all its routes need the same); `check_route_scopes`
# refuses, when the app is built, a route that declares none or two, or a route with a
# write session that declares only "read". A key whose widest scope is below it gets 403
# insufficient_scope, before the body is looked at.


def _scope_check(needed: Scope) -> Callable[[Caller], Awaitable[None]]:
    async def check(caller: CallerDep) -> None:
        if not allows(caller.key.scopes, needed):
            raise INSUFFICIENT_SCOPE.error(
                f"This request needs an API key with the {needed!r} scope; this key has "
                f"{list(caller.key.scopes)}. Scopes: read < write < admin.",
                headers={
                    "WWW-Authenticate": 'Bearer realm="rapport", error="insufficient_scope", '
                    f'scope="{needed}"'
                },
                required_scope=needed,
            )

    check.__name__ = f"require_{needed}_scope"
    return check


_SCOPE_CHECKS: dict[Scope, Callable[[Caller], Awaitable[None]]] = {
    scope: _scope_check(scope) for scope in SCOPES
}
_CHECKED_SCOPE: dict[Callable[..., Any], Scope] = {c: s for s, c in _SCOPE_CHECKS.items()}


def require_scope(needed: Scope) -> Any:
    """The declaration of the scope a route needs (a FastAPI dependency), e.g.
    ``@router.post(..., dependencies=[require_scope("write")])`` or
    ``APIRouter(..., dependencies=[require_scope("admin")])``."""
    return Depends(_SCOPE_CHECKS[needed])


def declared_scope(dependant: Dependant) -> set[Scope]:
    """The scopes a route's dependency tree declares (one, when it is right)."""
    found: set[Scope] = set()
    stack = [dependant]
    while stack:
        current = stack.pop()
        if current.call in _CHECKED_SCOPE:
            found.add(_CHECKED_SCOPE[current.call])
        stack.extend(current.dependencies)
    return found


def check_route_scopes(router: APIRouter) -> None:
    """Fail at start-up on a route that does not declare exactly one scope, or whose
    write session contradicts a "read" declaration; note the scope as the operation's
    ``x-required-scope``."""
    for route in router.routes:
        dependant: Dependant | None = getattr(route, "dependant", None)
        if dependant is None:
            continue
        where = f"{sorted(getattr(route, 'methods', ()))} {getattr(route, 'path', '?')}"
        scopes = declared_scope(dependant)
        if len(scopes) != 1:
            raise RuntimeError(
                f"{where} declares {'no scope' if not scopes else sorted(scopes)}: add exactly "
                "one dependencies=[require_scope('read' | 'write' | 'admin')] (app/deps.py)"
            )
        if scopes == {"read"} and _kind_of(where, dependant) != "read":
            raise RuntimeError(f"{where} writes but declares the 'read' scope")
        if isinstance(route, APIRoute):  # stated in the OpenAPI document too
            route.openapi_extra = {**(route.openapi_extra or {}), "x-required-scope": scopes.pop()}
