"""Idempotency-Key on POST and PATCH (§13; the IETF httpapi draft, with Stripe's semantics).

A pure ASGI middleware between the request gate (which has bounded the body, and buffered
it unless it is the CSV import's) and the routes. For a POST or PATCH that carries
``Idempotency-Key`` and an API key, the body is read first, into a spooled temporary file
(in memory up to ``SPOOL_IN_MEMORY`` bytes, on disk beyond: a 32 MiB import is not held in
memory), its fingerprint hashed from that file a chunk at a time, and the route then reads
the body from the file, ``REPLAY_CHUNK`` bytes a message; past the import's limit the
gate's 413 is answered here. Then:

1. In one short write transaction of its own (committed at once, so every process and
   replica sees it) it resolves the caller's workspace from the API key and claims
   ``(workspace, key)`` with ``INSERT … ON CONFLICT DO NOTHING`` of an in-progress row. A
   missing, unknown or revoked API key passes through untouched: the route answers 401.
2. If the key was already claimed: another request (method, path, query or body differ) is
   422 ``idempotency_key_reused``; the same request still running is 409
   ``idempotency_key_in_use``; a finished one answers its kept status, Content-Type,
   Location and body, with ``Idempotent-Replayed: true``.
3. Otherwise the request runs; its response is buffered, kept (status < 500 and body at
   most ``MAX_KEPT_BODY`` bytes) for ``KEEP_S`` seconds, and then sent. A 5xx, a body too
   large to keep, an exception or a cancellation before the response was complete deletes
   the claim, so a retry runs again.

A claim still in progress after ``CLAIM_TIMEOUT_S`` (its process crashed between the
claim and the store) may be claimed again; so may an expired one (its 24 h are over: the
request runs again). Expired rows are purged with the store, at most once every
``PURGE_INTERVAL_S`` of the wall clock per process, ``PURGE_BATCH`` rows at a time, through
the index on ``expires_at`` (`purge_expired`). The clock is injectable (tests).

On SQLite each transaction here is a write: it takes the request's turn at the write lock
(``Database.admitted``, waited for on the event loop) and gives it back before the route
runs, so it never waits for the request's own write.
"""

import hashlib
import logging
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

import anyio
from sqlalchemy import Table, and_, delete, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.service import authenticate
from app.core.db import Database
from app.core.errors import (
    DATABASE_UNAVAILABLE,
    IDEMPOTENCY_KEY_IN_USE,
    IDEMPOTENCY_KEY_REUSED,
    INTERNAL_ERROR,
    INVALID_IDEMPOTENCY_KEY,
    ProblemError,
    storage_problem_code,
    storage_problem_response,
)
from app.core.types import utc_now
from app.idempotency.models import IdempotencyKey

log = logging.getLogger("rapport")


METHODS = {"POST", "PATCH"}
MAX_KEY_LENGTH = 255
KEEP_S = 24 * 3600
# An in-progress claim older than this belongs to a process that died: it may be claimed
# again. Longer than any request runs (the read timeout plus the database wait plus the
# largest import).
CLAIM_TIMEOUT_S = 300
# A response body larger than this is not kept (the request still ran; a retry runs again).
MAX_KEPT_BODY = 1024 * 1024
# A request body up to this size is spooled in memory, a larger one (the CSV import's) to disk.
SPOOL_IN_MEMORY = 1024 * 1024
REPLAY_CHUNK = 64 * 1024
PURGE_INTERVAL_S = 60.0
PURGE_BATCH = 500
# Response headers that are kept and replayed besides the status and the body.
_KEPT_HEADERS = (b"content-type", b"location")

_table: Table = IdempotencyKey.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Claimed:
    workspace_id: uuid.UUID
    claimed_at: datetime


@dataclass(frozen=True)
class _Kept:
    status: int
    content_type: str | None
    location: str | None
    body: bytes


class _Reused:
    pass


class _InUse:
    pass


_Outcome = _Claimed | _Kept | _Reused | _InUse | None  # None: not authenticated


def parse_key(raw: bytes) -> str | None:
    """The key of an Idempotency-Key header (a structured-field string "…", or bare as
    Stripe's clients send it), or None when it is not 1–255 visible ASCII characters."""
    text = raw.decode("latin-1").strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    if not 1 <= len(text) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in text):
        return None
    return text


def fingerprint(scope: Scope, body: bytes) -> str:
    """SHA-256 of the method, path, query string and body."""
    return _fingerprint(scope, len(body), [body])


def _fingerprint(scope: Scope, size: int, body: Iterable[bytes]) -> str:
    """``fingerprint`` of a body of ``size`` bytes given in pieces (the same digest)."""
    digest = hashlib.sha256()
    for part in (
        scope["method"].encode(),
        scope.get("root_path", "").encode() + scope["path"].encode(),
        scope.get("query_string", b""),
    ):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    digest.update(size.to_bytes(8, "big"))
    for piece in body:
        digest.update(piece)
    return digest.hexdigest()


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class _Keeper:
    """The database work of one process: claims, stores, releases and the purge; ``clock``
    is the wall clock (injected by tests)."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = utc_now):
        self.db = db
        self.clock = clock
        self._insert = (sqlite.insert if db.is_sqlite else postgresql.insert)(_table)
        self._last_purge: datetime | None = None

    def _pk(self, workspace_id: uuid.UUID, key: str) -> Any:
        return and_(_table.c.workspace_id == workspace_id, _table.c.key == key)

    def claim(self, authorization: str, key: str, print_: str) -> _Outcome:
        now = self.clock()
        with self.db.new_session(write=True) as session:
            try:
                workspace, _, _ = authenticate(session, authorization)
            except ProblemError:
                return None
            ws = workspace.id
            fresh = {
                "fingerprint": print_,
                "claimed_at": now,
                "expires_at": now + timedelta(seconds=KEEP_S),
                "status": None,
                "content_type": None,
                "location": None,
                "body": None,
            }
            inserted = session.execute(
                self._insert.values(workspace_id=ws, key=key, **fresh)
                .on_conflict_do_nothing()
                .returning(_table.c.key)
            ).first()
            if inserted is not None:
                session.commit()
                return _Claimed(ws, now)
            # An expired row, or a claim left by a process that died, is claimed again.
            stale = now - timedelta(seconds=CLAIM_TIMEOUT_S)
            reclaimed = session.execute(
                update(_table)
                .where(
                    self._pk(ws, key),
                    or_(
                        _table.c.expires_at <= now,
                        and_(_table.c.status.is_(None), _table.c.claimed_at < stale),
                    ),
                )
                .values(**fresh)
                .returning(_table.c.key)
            ).first()
            if reclaimed is not None:
                session.commit()
                return _Claimed(ws, now)
            row = session.execute(select(_table).where(self._pk(ws, key))).first()
            session.commit()
        if row is None:  # released (a 5xx) between the insert and the select: the first
            return _InUse()  # request is finishing; a retry claims it
        if row.fingerprint != print_:
            return _Reused()
        if row.status is None:
            return _InUse()
        return _Kept(row.status, row.content_type, row.location, bytes(row.body or b""))

    def store(self, claim: _Claimed, key: str, kept: _Kept) -> None:
        now = self.clock()
        with self.db.new_session(write=True) as session:
            session.execute(
                update(_table)
                .where(
                    self._pk(claim.workspace_id, key),
                    _table.c.claimed_at == claim.claimed_at,
                    _table.c.status.is_(None),
                )
                .values(
                    status=kept.status,
                    content_type=kept.content_type,
                    location=kept.location,
                    body=kept.body,
                    expires_at=now + timedelta(seconds=KEEP_S),
                )
            )
            self._purge(session, now)
            session.commit()

    def release(self, claim: _Claimed, key: str) -> None:
        with self.db.new_session(write=True) as session:
            session.execute(
                delete(_table).where(
                    self._pk(claim.workspace_id, key),
                    _table.c.claimed_at == claim.claimed_at,
                    _table.c.status.is_(None),
                )
            )
            session.commit()

    def _purge(self, session: Session, now: datetime) -> None:
        last = self._last_purge
        if last is not None and timedelta(0) <= now - last < timedelta(seconds=PURGE_INTERVAL_S):
            return
        self._last_purge = now
        purge_expired(session, now)


def purge_expired(session: Session, now: datetime, batch: int = PURGE_BATCH) -> int:
    """Delete up to ``batch`` kept responses expired by ``now`` (a range of the index on
    expires_at); the number deleted."""
    expired = (
        select(_table.c.workspace_id, _table.c.key).where(_table.c.expires_at <= now).limit(batch)
    )
    result = session.execute(
        delete(_table).where(tuple_(_table.c.workspace_id, _table.c.key).in_(expired))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _database_failure(db: Database, exc: DBAPIError) -> Response:
    storage = storage_problem_code(exc, db.url if db.is_sqlite else None)
    if storage is not None:
        return storage_problem_response(storage)
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        log.warning("database unavailable: %s", type(exc).__name__)
        return DATABASE_UNAVAILABLE.response()
    log.exception("idempotency: unexpected database error", exc_info=exc)
    return INTERNAL_ERROR.response()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, clock: Callable[[], datetime] = utc_now):
        self.app = app
        self.clock = clock
        self._keepers: dict[int, _Keeper] = {}

    def _keeper(self, db: Database) -> _Keeper:
        keeper = self._keepers.get(id(db))
        if keeper is None or keeper.db is not db:
            keeper = self._keepers[id(db)] = _Keeper(db, self.clock)
        return keeper

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in METHODS:
            await self.app(scope, receive, send)
            return
        raw_key = _header(scope, b"idempotency-key")
        authorization = _header(scope, b"authorization")
        if raw_key is None or authorization is None:
            await self.app(scope, receive, send)
            return
        key = parse_key(raw_key)
        if key is None:
            await INVALID_IDEMPOTENCY_KEY.response()(scope, receive, send)
            return

        with tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY, prefix="rapport-body-") as body:
            await self._with_body(scope, receive, send, body, authorization, key)

    async def _with_body(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        body: IO[bytes],
        authorization: bytes,
        key: str,
    ) -> None:
        db: Database = scope["app"].state.db
        keeper = self._keeper(db)
        try:
            spooled = await _spool(receive, body)
            if spooled is None:
                return  # the client went away
            size, receive = spooled
            print_ = await anyio.to_thread.run_sync(_fingerprint, scope, size, _pieces(body))
            async with db.admitted(write=True):
                outcome = await anyio.to_thread.run_sync(
                    keeper.claim, authorization.decode("latin-1"), key, print_
                )
        except ProblemError as exc:  # the gate's 413, or the database's
            await exc.response()(scope, receive, send)
            return
        except DBAPIError as exc:
            await _database_failure(db, exc)(scope, receive, send)
            return

        if outcome is None:  # not authenticated: the route answers 401
            await self.app(scope, receive, send)
        elif isinstance(outcome, _Reused):
            await IDEMPOTENCY_KEY_REUSED.response()(scope, receive, send)
        elif isinstance(outcome, _InUse):
            await IDEMPOTENCY_KEY_IN_USE.response()(scope, receive, send)
        elif isinstance(outcome, _Kept):
            await _replay(outcome, send)
        else:
            await self._run(scope, receive, send, keeper, outcome, key)

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, keeper: _Keeper, claim: _Claimed, key: str
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        complete = False

        async def capture(message: Message) -> None:
            nonlocal start, complete
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                complete = not message.get("more_body", False)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await _settle(keeper, claim, key, None)
            raise
        body = b"".join(chunks)
        kept: _Kept | None = None
        if start is not None and complete and start["status"] < 500 and len(body) <= MAX_KEPT_BODY:
            headers = {k.lower(): v for k, v in start.get("headers", [])}
            kept = _Kept(
                start["status"],
                _text(headers.get(b"content-type")),
                _text(headers.get(b"location")),
                body,
            )
        with anyio.CancelScope(shield=True):
            await _settle(keeper, claim, key, kept)
        if start is not None:
            await send(start)
            await send({"type": "http.response.body", "body": body})


def _text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None


async def _settle(keeper: _Keeper, claim: _Claimed, key: str, kept: _Kept | None) -> None:
    """Keep the response, or give the claim up; best effort (a failure leaves the claim to
    expire after CLAIM_TIMEOUT_S, and the response still goes out)."""
    try:
        async with keeper.db.admitted(write=True):
            if kept is None:
                await anyio.to_thread.run_sync(keeper.release, claim, key)
            else:
                await anyio.to_thread.run_sync(keeper.store, claim, key, kept)
    except Exception:
        log.warning("idempotency key not %s", "released" if kept is None else "kept", exc_info=True)


async def _spool(receive: Receive, body: IO[bytes]) -> tuple[int, Receive] | None:
    """The request body written to ``body`` (the request gate bounds it), its size and a
    receive that replays it from there; None when the client disconnected. Writes to the
    spooled file run on the event loop: in memory up to SPOOL_IN_MEMORY, then to a
    temporary file (the page cache), a network chunk at a time."""
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        body.write(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            break
    replay = _pieces(body)
    done = False

    async def replayed() -> Message:
        nonlocal done
        if not done:
            piece = next(replay, None)
            if piece is not None:
                return {"type": "http.request", "body": piece, "more_body": True}
            done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await receive()

    return size, replayed


def _pieces(body: IO[bytes]) -> Iterator[bytes]:
    """The spooled body from its start, REPLAY_CHUNK bytes at a time."""
    body.seek(0)
    while piece := body.read(REPLAY_CHUNK):
        yield piece


async def _replay(kept: _Kept, send: Send) -> None:
    headers = [
        (b"content-length", str(len(kept.body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    for name, value in zip(_KEPT_HEADERS, (kept.content_type, kept.location), strict=True):
        if value is not None:
            headers.append((name, value.encode("latin-1")))
    await send({"type": "http.response.start", "status": kept.status, "headers": headers})
    await send({"type": "http.response.body", "body": kept.body})
