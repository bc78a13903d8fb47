"""report.weekly (time-driven, by an indexed due time, never twice), and workers sharing the
work: two workers on PostgreSQL never have one delivery in flight twice, none is lost."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from standardwebhooks import Webhook

from app.core.types import utc_now
from app.webhooks import outbox
from app.webhooks.models import DELIVERY_TABLE
from app.webhooks.outbox import emit
from app.webhooks.worker import StopSignal, Worker
from tests.webhooks.conftest import Clock, Receiver, create_webhook, rows


def test_report_weekly_after_the_local_monday_once(api, wh, receiver, clock):
    hook = create_webhook(api, receiver.url, events=["report.weekly"])
    user = api.post(
        "/v1/users", json={"name": "Ada", "timezone": "America/New_York", "external_id": "e1"}
    ).json()
    plan = {"weekly_target": 7}
    assert api.put(f"/v1/users/{user['id']}/follow-plans/x", json=plan).status_code in (200, 201)
    first = Worker(wh.db, wh.settings, clock=clock)
    second = Worker(wh.db, wh.settings, clock=clock)
    try:
        first.run_once()  # schedules the user: the next local Monday 00:00
        assert receiver.received == []
        clock.advance(days=8)
        first.run_once()
        second.run_once()
        first._last_weekly = second._last_weekly = None  # a restart: both look again
        first.run_once()
        second.run_once()
        reports = [r for r in receiver.received if r.json["type"] == "report.weekly"]
        assert len(reports) == 1
        payload = Webhook(hook["secret"]).verify(reports[0].body, reports[0].headers)
        data = payload["data"]
        assert (data["user_id"], data["external_id"]) == (user["id"], "e1")
        report = data["report"]
        assert report["week"] == data["week"] and report["complete"] is True
        assert report["timezone"] == "America/New_York" and "follows" in report
        # The week reported is the one before the local Monday that was due.
        monday = report["first_day"]
        assert monday <= (clock.now - timedelta(days=7)).date().isoformat()
    finally:
        first.close()
        second.close()


def test_users_without_a_plan_get_no_weekly_report(api, wh, receiver, clock):
    create_webhook(api, receiver.url, events=["report.weekly"])
    api.post("/v1/users", json={"name": "Bo"})
    w = Worker(wh.db, wh.settings, clock=clock)
    try:
        w.run_once()
        clock.advance(days=8)
        w.run_once()
        assert receiver.received == []
    finally:
        w.close()


def _emit_many(wh, workspace_id: uuid.UUID, n: int) -> None:
    with wh.db.session(write=True) as session:
        for i in range(n):
            emit(
                session,
                workspace_id=workspace_id,
                user=None,
                type="webhook.test",
                data={"i": i},
                dedupe_key=f"bulk/{uuid.uuid4()}",
            )
        session.commit()


def test_two_workers_deliver_each_once_and_never_at_once(api, wh, backend):
    if backend != "postgres":
        pytest.skip("several workers share the work on PostgreSQL (FOR UPDATE SKIP LOCKED)")
    receiver = Receiver()
    workers = [Worker(wh.db, wh.settings, clock=Clock(), batch=25) for _ in range(2)]
    try:
        create_webhook(api, receiver.url, events=["webhook.test"])
        workspace_id = uuid.UUID(api.get("/v1/me").json()["id"])
        n = 1000
        _emit_many(wh, workspace_id, n)
        stop = StopSignal()

        def run(w: Worker) -> None:
            while not stop.is_set():
                if w.run_once() == 0:
                    stop.wait(0.05)

        threads = [threading.Thread(target=run, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        deadline = utc_now() + timedelta(seconds=120)
        while (
            len({r.headers["webhook-id"] for r in receiver.received}) < n and utc_now() < deadline
        ):
            stop.wait(0.2)
        stop.set()
        for t in threads:
            t.join()
        ids = [r.headers["webhook-id"] for r in receiver.received]
        assert len(set(ids)) == n  # none lost
        assert len(ids) == n  # every one exactly once (the receiver always answers 200)
        assert max(receiver.max_in_flight_per_id.values()) == 1
        (pending,) = rows(
            wh,
            "SELECT count(*) FROM webhook_delivery d JOIN webhook_message m ON m.id = d.message_id "
            "WHERE m.workspace_id = :w AND d.status <> 'succeeded'",
            w=workspace_id,
        )
        assert pending[0] == 0
    finally:
        for w in workers:
            w.close()
        receiver.close()


def test_a_claim_whose_lease_ran_out_is_taken_again_and_the_late_result_is_dropped(
    api, wh, receiver, clock
):
    """A worker that died mid-delivery (its claim committed, no outcome recorded): the
    delivery is due again after the lease, and the dead claim's outcome no longer counts."""
    hook = create_webhook(api, receiver.url)
    api.post(f"/v1/webhooks/{hook['id']}:test")
    dead = Worker(wh.db, wh.settings, clock=clock)
    live = Worker(wh.db, wh.settings, clock=clock)
    try:
        (claimed,) = dead.claim()  # … and the process is killed here
        assert live.run_once() == 0  # leased: not in flight twice
        clock.advance(seconds=61)
        assert live.run_once() == 1
        assert len(receiver.received) == 1
        from app.webhooks.delivery import Attempt

        assert dead.record(claimed, Attempt(False, 500, "HTTP 500")) is None
        with wh.db.session(write=False) as session:
            status = session.execute(
                DELIVERY_TABLE.select().where(DELIVERY_TABLE.c.id == claimed.id)
            ).one()
        assert (status.status, status.attempts) == ("succeeded", 1)
    finally:
        dead.close()
        live.close()


def test_contact_stale_once_per_lapse_whatever_the_restarts(api, wh, receiver, clock):
    """A contact last reached now with a 3-day cadence is stale 3 days later: one message,
    whatever a second worker or a restart (whose first pass looks back 7 days) does (the
    dedupe key names the contact and its due_at)."""
    hook = create_webhook(api, receiver.url, events=["contact.stale"])
    user = api.post("/v1/users", json={"name": "Ada", "external_id": "e2"}).json()
    at = utc_now().isoformat()
    reach = {"platform": "x", "kind": "reply", "counterpart": "grace", "occurred_at": at}
    assert api.post(f"/v1/users/{user['id']}/events", json=reach).status_code == 201
    contact = api.get(f"/v1/users/{user['id']}/contacts").json()["items"][0]
    patched = api.patch(
        f"/v1/users/{user['id']}/contacts/{contact['id']}", json={"keep_in_touch_days": 3}
    )
    assert patched.status_code == 200, patched.text
    first = Worker(wh.db, wh.settings, clock=clock)
    second = Worker(wh.db, wh.settings, clock=clock)
    try:
        first.run_once()
        clock.advance(days=2, hours=23)
        first.run_once()  # not due yet
        assert [r for r in receiver.received if r.json["type"] == "contact.stale"] == []
        clock.advance(hours=2)
        first.run_once()
        second.run_once()
        first._last_weekly = first._last_stale = None  # a restart: it looks back 7 days
        first.run_once()
        stale = [r for r in receiver.received if r.json["type"] == "contact.stale"]
        assert len(stale) == 1
        data = Webhook(hook["secret"]).verify(stale[0].body, stale[0].headers)["data"]
        assert (data["user_id"], data["external_id"]) == (user["id"], "e2")
        assert data["contact_id"] == contact["id"] and data["handles"] == ["grace"]
    finally:
        first.close()
        second.close()


def test_an_idle_worker_starts_a_pass_when_a_delivery_is_committed(api, wh, receiver):
    """A commit that queues a delivery ends the idle wait of this process's worker: with an
    idle wait of an hour, a test delivery still arrives (it waited the hour before)."""
    hook = create_webhook(api, receiver.url, events=["webhook.test"])
    worker = Worker(wh.db, wh.settings)
    stop = StopSignal()
    thread = threading.Thread(target=worker.run_until, args=(stop, 3600.0))
    thread.start()
    try:
        time.sleep(0.5)  # the first pass finds nothing; the worker is now waiting
        assert api.post(f"/v1/webhooks/{hook['id']}:test").status_code in (200, 201, 202)
        deadline = time.monotonic() + 60  # generous: only a worker that never woke fails
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(receiver.received) == 1
        assert receiver.received[0].json["type"] == "webhook.test"
    finally:
        stop.set()
        thread.join(timeout=30)
        worker.close()
    assert not thread.is_alive()  # and a stop still ends the wait soon


def test_an_idle_pass_is_one_read_and_takes_no_write_lock(api, wh, receiver, clock):
    """With nothing due, a pass sends one SELECT (the pending count and the first due
    instant) and opens no write transaction: eight idle workers of a bench's servers each
    opened one every second, and on SQLite each took the write lock from the writers."""
    hook = create_webhook(api, receiver.url, events=["webhook.test"])
    worker = Worker(wh.db, wh.settings, clock=clock)
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()).upper())

    try:
        worker.run_once()  # the time-driven types' pass, due at a worker's first pass
        event.listen(Engine, "before_cursor_execute", note)
        try:
            assert worker.run_once() == 0
        finally:
            event.remove(Engine, "before_cursor_execute", note)
        assert not any("IMMEDIATE" in s or "FOR UPDATE" in s for s in statements), statements
        reads = [s for s in statements if s not in ("BEGIN DEFERRED", "COMMIT", "ROLLBACK")]
        assert len(reads) == 1 and reads[0].startswith("SELECT"), statements
        # … and a due delivery is still found and sent by the next pass.
        assert api.post(f"/v1/webhooks/{hook['id']}:test").status_code in (200, 201, 202)
        assert worker.run_once() == 1
        assert [r.json["type"] for r in receiver.received] == ["webhook.test"]
    finally:
        worker.close()


def test_a_stop_ends_an_idle_wait_at_once_and_an_idle_worker_does_not_poll(wh, clock, monkeypatch):
    """Stopping notifies the wait (no waking ten times a second to look at the stop signal):
    with an idle wait of an hour the worker makes one pass and one wait, and a stop ends the
    wait at once."""
    worker = Worker(wh.db, wh.settings, clock=clock)
    passes = waits = 0
    run_once, wait = worker.run_once, outbox.QUEUED.wait

    def counted() -> int:
        nonlocal passes
        passes += 1
        return run_once()

    def counted_wait(*args: object) -> bool:
        nonlocal waits
        waits += 1
        return wait(*args)  # type: ignore[arg-type]

    worker.run_once = counted  # type: ignore[method-assign]
    monkeypatch.setattr(outbox.QUEUED, "wait", counted_wait)
    stop = StopSignal()
    thread = threading.Thread(target=worker.run_until, args=(stop, 3600.0))
    thread.start()
    try:
        deadline = time.monotonic() + 30  # the first pass, however slow the machine
        while waits == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # a polling worker would have woken ten times by now
        assert thread.is_alive() and (passes, waits) == (1, 1)
        stopped_at = time.monotonic()
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert time.monotonic() - stopped_at < 5.0  # at once, not at the hour's end
        assert passes == 1
    finally:
        stop.set()
        thread.join(timeout=30)
        worker.close()
