"""Single-event writes (``POST …/events``) of concurrent requests, committed together.

A request's event waits on the event loop for this process's writer of single events. The
writer takes one write turn (`Database.admitted`: on SQLite the write lock), then every
event waiting by then (at most ``MAX_GROUP``), records them in one transaction
(``store.record_each``: per user as ``store.record`` would, users in id order, so two
processes' groups lock in the same order), commits once and answers each request; then
it goes on with what arrived meanwhile. One client alone gets a group of one, the
transaction it always had.

A group whose transaction fails for any reason (an external_id stored with other content,
a user deleted meanwhile, a deadlock, a database error) is rolled back and its events are
recorded again, one transaction each, in the same turn: every request gets the answer, or
the error, it would have had alone, and no request's event is written by halves or lost
with another's. An event not taken by the writer within ``RAPPORT_DB_WAIT_TIMEOUT_S`` of
its arrival leaves the queue with a 503 ``database_busy`` (nothing written), as a request
waiting for its own turn does; a turn the writer is not given in time answers the events
that were waiting when it asked.

An event handed to the writer is written even if its client goes away meanwhile (as a
request whose client left during its commit is): a retry with its external_id is answered
with it.

Why grouped (issue 19, item 3): with a transaction per request, 32 clients posting
single events reached 1.55 × one client's events/s on PostgreSQL and 0.93 × on SQLite
(bench.single_writes, quiet machine); py-spy put 57 % of a single write's server time in
``store.record`` (about a dozen statements and a commit), which a group pays once.
No library groups writes of separate HTTP requests into one transaction, hence this module.
"""

import asyncio
import uuid
import weakref
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from anyio import CancelScope, CapacityLimiter, to_thread
from sqlalchemy import select
from sqlmodel import Session, col

from app.auth.models import ApiKey
from app.core.db import Database
from app.core.errors import database_busy
from app.events import store
from app.events.models import Event, EventIn

# Events of one transaction at most: a group stays a short transaction (the events:batch
# endpoint takes 1,000 in one).
MAX_GROUP = 200


@dataclass(frozen=True)
class Recorded:
    """What a single write stored or found: the event, and whether this request created it."""

    event: Event
    created: bool


@dataclass(eq=False)  # each is itself: found and removed by identity
class _Waiting:
    user_id: uuid.UUID
    item: EventIn
    key: ApiKey
    answer: "asyncio.Future[Recorded]"


@dataclass
class _Queue:
    """One event loop's waiting events and whether its writer task is running."""

    waiting: list[_Waiting] = field(default_factory=list)
    writer: "asyncio.Task[None] | None" = None


class SingleWrites:
    """The writer of single events of one process (``app.state.single_writes``).

    ``turn`` gives the database to one group at a time (`Database.admitted(True)`),
    ``new_session`` opens a write session in it, ``touch_key`` records a caller's key use
    after the group's commit, still in the turn (`app.deps.record_key_use`, best effort);
    the test suite replaces the three (tests/conftest.py), as it replaces the request
    session."""

    def __init__(self, db: Database, touch_key: Callable[[ApiKey], None]):
        self.turn: Callable[[], AbstractAsyncContextManager[None]] = lambda: db.admitted(True)
        self.new_session: Callable[[], Session] = lambda: db.new_session(True)
        self.touch_key = touch_key
        self.wait_timeout_s = db.wait_timeout_s
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = (
            weakref.WeakKeyDictionary()
        )
        self._limiter = CapacityLimiter(1)

    async def record(self, user_id: uuid.UUID, item: EventIn, key: ApiKey) -> Recorded:
        """Store one event (idempotent by external_id) with whatever else is waiting; a
        StoreError, a database error or a ProblemError as the request alone would raise.
        ``key``: the caller's, whose use is recorded."""
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue()
        answer: asyncio.Future[Recorded] = loop.create_future()
        waiting = _Waiting(user_id, item, key, answer)
        queue.waiting.append(waiting)
        if queue.writer is None:
            queue.writer = loop.create_task(self._write_waiting(queue))
        # Neither waiting here nor a request cancelled here cancels the answer.
        await asyncio.wait([answer], timeout=self.wait_timeout_s)
        if not answer.done() and waiting in queue.waiting:
            # Not taken within the wait a request has for its turn: nothing written.
            queue.waiting.remove(waiting)
            raise database_busy()
        return await asyncio.shield(answer)  # taken by the writer: its answer is coming

    async def _write_waiting(self, queue: _Queue) -> None:
        group: list[_Waiting] = []
        try:
            while queue.waiting:
                group = []
                answers: list[Recorded | Exception]
                asked = min(len(queue.waiting), MAX_GROUP)  # waiting when the turn is asked
                try:
                    async with self.turn():
                        # Taken once the turn is ours: what arrived while it was waited for
                        # joins the group.
                        group = queue.waiting[:MAX_GROUP]
                        del queue.waiting[:MAX_GROUP]
                        with CancelScope(shield=True):
                            answers = await to_thread.run_sync(
                                self._write_group, group, limiter=self._limiter
                            )
                except Exception as exc:  # no turn (database_busy), or the thread failed
                    if not group:
                        group = queue.waiting[:asked]
                        del queue.waiting[:asked]
                    answers = [exc] * len(group)
                for waiting, answer in zip(group, answers, strict=True):
                    if waiting.answer.done():
                        continue
                    if isinstance(answer, Recorded):
                        waiting.answer.set_result(answer)
                    else:
                        waiting.answer.set_exception(answer)
        finally:
            # Normally nothing is left; after a fault of this loop itself (or the event
            # loop shutting down) no request may wait for ever.
            queue.writer = None
            for waiting in [*group, *queue.waiting]:
                if not waiting.answer.done():
                    waiting.answer.set_exception(RuntimeError("single write not completed"))
            queue.waiting.clear()

    def _write_group(self, group: Sequence[_Waiting]) -> list[Recorded | Exception]:
        """In a worker thread, inside the turn: the group in one transaction, else each
        event in one of its own."""
        answers: list[Recorded | Exception] = []
        try:
            answers.extend(self._commit(group))
        except Exception as exc:
            if len(group) > 1:
                for waiting in group:
                    try:
                        answers.extend(self._commit([waiting]))
                    except Exception as one:
                        answers.append(one)
            else:
                answers.append(exc)
        for key in {w.key.id: w.key for w in group}.values():
            self.touch_key(key)
        return answers

    def _commit(self, group: Sequence[_Waiting]) -> list[Recorded]:
        with self.new_session() as session:
            answers = _record(session, group)
            session.commit()
        return answers


def _record(session: Session, group: Sequence[_Waiting]) -> list[Recorded]:
    """Record the group's events, per user, and read back the events they created."""
    by_user: dict[uuid.UUID, list[int]] = defaultdict(list)
    for i, waiting in enumerate(group):
        by_user[waiting.user_id].append(i)
    users = sorted(by_user)  # two groups lock in one order
    per_user = store.record_each(session, [(u, [group[i].item for i in by_user[u]]) for u in users])
    found: list[tuple[store.Stored, bool] | None] = [None] * len(group)
    for user_id, stored in zip(users, per_user, strict=True):
        indexes = by_user[user_id]
        # Two requests with one external_id and content: the first created it.
        for i, s, created in zip(indexes, stored, store.created_flags(stored), strict=True):
            found[i] = (s, created)
    done = [f for f in found if f is not None]
    ids = [s.id for s, _ in done if s.existing is None]
    events = {
        e.id: e for e in session.execute(select(Event).where(col(Event.id).in_(ids))).scalars()
    }
    return [Recorded(s.existing or events[s.id], created) for s, created in done]
