"""The delivery worker (SPEC §12): claims due deliveries, POSTs them, records the outcome.

A pass: (0) one read of the pending range (``probe``: the count and the first due
instant); with nothing due the pass ends there, without a write transaction. (1) claim
up to ``batch`` due deliveries in one short write transaction — pending,
``next_attempt_at`` ≤ now (index ``ix_webhook_delivery_due``); on PostgreSQL
``FOR UPDATE SKIP LOCKED``, so workers never wait for each other's rows; on SQLite the
single writer makes the SELECT and UPDATE one atomic step. The claim moves
``next_attempt_at`` to the end of a lease (RAPPORT_WEBHOOK_LEASE_S, 60 s, longer than the
10 s timeout) and sets a
``claim_token``, then commits: no delivery is in flight twice at once, and one whose worker
died is due again when its lease ends (at least once). (2) POST each, holding no database
connection. (3) Record each outcome in its own short transaction, only if the claim is
still ours: success; else the next attempt per ``app.calc.webhooks.retry_delay``, or failed
after the 8th; the endpoint's ``failing_since`` is kept, and an endpoint whose deliveries
all failed for 5 days is disabled.

The time-driven types run in the same loop (``app.webhooks.weekly``). ``Worker.run_once``
takes the clock from ``clock``, so tests drive retries without sleeping.
"""

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlmodel import Session

from app.calc import webhooks as rules
from app.core.config import Settings
from app.core.db import Database
from app.core.metrics import WEBHOOK_DELIVERIES, WEBHOOK_PENDING
from app.core.types import utc_now
from app.webhooks import delivery as http
from app.webhooks import stale, urls, weekly
from app.webhooks.models import DELIVERY_TABLE, ENDPOINT_TABLE, MESSAGE_TABLE
from app.webhooks.outbox import QUEUED
from app.webhooks.secrets import SecretBox

log = logging.getLogger("rapport.webhooks")
D, EP, M = DELIVERY_TABLE.c, ENDPOINT_TABLE.c, MESSAGE_TABLE.c


class StopSignal(threading.Event):
    """What stops a worker's loop; setting it also ends the idle wait of this process's
    workers at once, so they need not wake to look at it (a name of its own: the
    events-store guard reads any call named Event as building an event row)."""

    def set(self) -> None:
        super().set()
        QUEUED.notify()


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    token: uuid.UUID
    attempts: int
    message_id: str
    body: str
    endpoint_id: uuid.UUID
    url: str
    enabled: bool
    secrets: list[str]


@dataclass
class Worker:
    db: Database
    settings: Settings
    clock: Callable[[], datetime] = utc_now
    resolver: urls.Resolver | None = None
    batch: int = 20
    concurrency: int = 8
    weekly_every: timedelta = timedelta(seconds=30)
    _clients: http.Clients = field(default_factory=http.Clients)
    _last_weekly: datetime | None = None
    _last_stale: datetime | None = None  # contact.stale's previous pass (app.webhooks.stale)

    def __post_init__(self) -> None:
        self._box = SecretBox(self.settings.secret_key)
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="rapport-webhook")

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._clients.close()

    # -- claim ---------------------------------------------------------------------------

    def claim(self) -> list[Claimed]:
        now = self.clock()
        token = uuid.uuid4()
        with self.db.session(write=True) as session:
            ids = list(
                session.execute(
                    select(D.id)
                    .where(D.status == "pending", D.next_attempt_at <= now)
                    .order_by(D.next_attempt_at)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                ).scalars()
            )
            if not ids:
                session.rollback()
                return []
            session.execute(
                update(DELIVERY_TABLE)
                .where(D.id.in_(ids))
                .values(
                    next_attempt_at=now + timedelta(seconds=self.settings.webhook_lease_s),
                    claim_token=token,
                )
            )
            rows = session.execute(
                select(
                    D.id,
                    D.attempts,
                    D.message_id,
                    M.body,
                    D.endpoint_id,
                    EP.url,
                    EP.enabled,
                    EP.secret_encrypted,
                    EP.previous_secret_encrypted,
                    EP.previous_secret_expires_at,
                )
                .join(MESSAGE_TABLE, M.id == D.message_id)
                .join(ENDPOINT_TABLE, EP.id == D.endpoint_id)
                .where(D.id.in_(ids))
            ).all()
            session.commit()
        claimed = []
        for r in rows:
            secrets_ = [self._box.open(r.secret_encrypted)]
            if r.previous_secret_encrypted and r.previous_secret_expires_at > now:
                secrets_.append(self._box.open(r.previous_secret_encrypted))
            claimed.append(
                Claimed(
                    r.id,
                    token,
                    r.attempts,
                    r.message_id,
                    r.body,
                    r.endpoint_id,
                    r.url,
                    r.enabled,
                    secrets_,
                )
            )
        return claimed

    # -- attempt and outcome -------------------------------------------------------------

    def attempt(self, c: Claimed) -> http.Attempt:
        if not c.enabled:
            return http.Attempt(False, None, "endpoint disabled")
        return http.post(
            self._clients.for_url(c.url),
            c.url,
            c.message_id,
            c.body,
            c.secrets,
            self.settings.webhook_allow_loopback,
            self.resolver,
        )

    def record(self, c: Claimed, result: http.Attempt) -> str | None:
        """Write the outcome if the claim is still ours; the outcome's name, or None."""
        now = self.clock()
        attempts = c.attempts + 1
        values: dict[str, object]
        if result.ok:
            outcome, values = "succeeded", {"status": "succeeded", "next_attempt_at": None}
        else:
            delay = None if not c.enabled else rules.retry_delay(attempts)
            if delay is None:
                outcome, values = "failed", {"status": "failed", "next_attempt_at": None}
            else:
                outcome = "retry"
                values = {"status": "pending", "next_attempt_at": now + delay}
        with self.db.session(write=True) as session:
            changed = session.execute(
                update(DELIVERY_TABLE)
                .where(D.id == c.id, D.claim_token == c.token)
                .values(
                    attempts=attempts,
                    last_status_code=result.status_code,
                    last_error=result.error,
                    claim_token=None,
                    updated_at=now,
                    **values,
                )
            ).rowcount  # type: ignore[attr-defined]
            if changed != 1:  # the lease ran out and another worker has it now
                session.rollback()
                return None
            self._endpoint_health(session, c.endpoint_id, result.ok, now)
            session.commit()
        WEBHOOK_DELIVERIES.labels(outcome).inc()
        return outcome

    def _endpoint_health(
        self, session: Session, endpoint_id: uuid.UUID, ok: bool, now: datetime
    ) -> None:
        if ok:
            session.execute(
                update(ENDPOINT_TABLE)
                .where(EP.id == endpoint_id, EP.failing_since.is_not(None))
                .values(failing_since=None)
            )
            return
        session.execute(
            update(ENDPOINT_TABLE)
            .where(EP.id == endpoint_id, EP.failing_since.is_(None))
            .values(failing_since=now)
        )
        since = session.execute(
            select(EP.failing_since).where(EP.id == endpoint_id, EP.enabled.is_(True))
        ).scalar_one_or_none()
        if since is not None and rules.should_disable(since, now):
            session.execute(
                update(ENDPOINT_TABLE)
                .where(EP.id == endpoint_id)
                .values(
                    enabled=False,
                    disabled_reason=(
                        f"every delivery failed since {since.isoformat()} (5 days); "
                        "fix the receiver, then PATCH enabled: true"
                    ),
                    updated_at=now,
                )
            )

    def deliver(self, c: Claimed) -> str | None:
        try:
            return self.record(c, self.attempt(c))
        except Exception:  # one delivery's fault never stops the others
            log.exception("webhook delivery %s failed unexpectedly", c.id)
            return None

    # -- passes --------------------------------------------------------------------------

    def run_once(self) -> int:
        """One pass: the time-driven types when due, then one batch of deliveries when one
        is due; how many deliveries were attempted. A pass with nothing due is one read
        (``probe``): no write transaction, so on SQLite an idle worker never takes the
        write lock."""
        now = self.clock()
        if self._last_weekly is None or now - self._last_weekly >= self.weekly_every:
            self._last_weekly = now
            with self.db.session(write=True) as session:
                weekly.run_due(session, now)
                stale.run_due(session, self._last_stale, now)
                session.commit()
            self._last_stale = now
        _, next_due = self.probe()
        if next_due is None or next_due > now:
            return 0
        claimed = self.claim()
        list(self._pool.map(self.deliver, claimed))
        # A busy pass is followed at once by another, whose probe sets the gauge.
        return len(claimed)

    def probe(self) -> tuple[int, datetime | None]:
        """How many deliveries are pending, and when the first of them is due (one read of
        ``ix_webhook_delivery_due``'s pending range); sets the pending gauge."""
        with self.db.session(write=False) as session:
            n, first = session.execute(
                select(func.count(), func.min(D.next_attempt_at)).where(D.status == "pending")
            ).one()
        WEBHOOK_PENDING.set(n)
        return int(n), first

    def run_until(self, stop: StopSignal, idle_s: float = 1.0) -> None:
        """Passes until ``stop`` is set; after a pass that found nothing, waits ``idle_s``,
        or until a transaction of this process queues a delivery or ``stop`` is set (both
        notify ``outbox.QUEUED``): an idle worker wakes once every ``idle_s``, not to look
        at ``stop``."""
        while not stop.is_set():
            seen = QUEUED.seen()  # before the pass: a commit during it ends the wait at once
            try:
                busy = self.run_once()
            except Exception:
                log.exception("webhook worker pass failed; retrying")
                busy = 0
            if not busy and not stop.is_set():
                QUEUED.wait(seen, idle_s)


def start_in_thread(db: Database, settings: Settings) -> tuple[threading.Thread, StopSignal]:
    """The embedded worker of `rapport serve`: a daemon thread, stopped by the event."""
    stop = StopSignal()
    worker = Worker(db, settings)

    def run() -> None:
        try:
            worker.run_until(stop)
        finally:
            worker.close()

    thread = threading.Thread(target=run, name="rapport-webhook-worker", daemon=True)
    thread.start()
    return thread, stop
