"""Many writers at once against real `rapport serve` processes (issue 10, findings 1 and 2).

Write storm: 200 clients (150 on PostgreSQL) write single events and batches at the same
moment, mixed with reads, against one worker (and `--workers 2` on SQLite), while /healthz
is polled with a short timeout. Every answer is a 2xx or a quick 503 `database_busy`
problem; /healthz answers throughout; the stored events are exactly the acknowledged ones;
the day counters equal a recount; the server log has no traceback.

Concurrent deletes: six DELETEs of one event give exactly one 204 (the rest 404); after a mix
of concurrent inserts, blind retries and deletes the day counters equal a recount.
"""

import random
import threading
import time
import uuid
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from app.core.config import Settings
from app.core.db import Database
from app.events.models import Event
from app.events.store.maintenance import COUNTERS, EventDayCount, rebuild_counters
from tests.databases import throwaway_database
from tests.reliability.servers import Server

WRITERS = {"sqlite": 200, "postgres": 150}
REQUEST_TIMEOUT_S = 30
HEALTHZ_TIMEOUT_S = 5
PLATFORMS = ["x", "linkedin", "instagram"]
KINDS = ["post", "reply", "follow", "direct_message", "like", "comment"]


def _event(ext: str, n: int) -> dict:
    kind = KINDS[n % len(KINDS)]
    return {
        "platform": PLATFORMS[n % len(PLATFORMS)],
        "kind": kind,
        "occurred_at": f"2026-11-{1 + n % 20:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
        "direction": "inbound" if n % 7 == 0 else "outbound",
        "counterpart": f"p{n % 11}",
        "is_sales": kind == "direct_message" and n % 2 == 0,
        "external_id": ext,
    }


def _counters(url: str) -> tuple[set, set]:
    """(event_day_count as stored, event_day_count recounted from the events), nonzero rows."""
    table = EventDayCount.__table__  # type: ignore[attr-defined]

    def rows(conn) -> set:
        return {
            (str(r.user_id), str(r.day), r.platform, *(getattr(r, c) for c in COUNTERS))
            for r in conn.execute(select(table))
            if any(getattr(r, c) for c in COUNTERS)
        }

    db = Database(url, Settings(database_url=url))
    try:
        with db.write_engine.connect() as conn:
            stored = rows(conn)
            rebuild_counters(conn)  # inside this transaction, which is rolled back
            rebuilt = rows(conn)
            conn.rollback()
    finally:
        db.dispose()
    return stored, rebuilt


def _stored_external_ids(url: str, user_id: str) -> list[str]:
    db = Database(url, Settings(database_url=url))
    try:
        with db.engine.connect() as conn:
            table = Event.__table__  # type: ignore[attr-defined]
            return [
                r.external_id
                for r in conn.execute(
                    select(table.c.external_id).where(table.c.user_id == uuid.UUID(user_id))
                )
            ]
    finally:
        db.dispose()


@dataclass
class Answer:
    what: str
    status: int
    seconds: float
    problem: str | None = None  # why this answer is not acceptable


def _judge(what: str, r: httpx.Response, seconds: float) -> Answer:
    if 200 <= r.status_code < 300:
        return Answer(what, r.status_code, seconds)
    if (
        r.status_code == 503
        and r.headers.get("content-type", "").startswith("application/problem+json")
        and r.json().get("code") == "database_busy"
        and r.headers.get("retry-after")
    ):
        return Answer(what, 503, seconds)
    return Answer(what, r.status_code, seconds, f"{what}: {r.status_code} {r.text[:300]}")


class HealthPoller(threading.Thread):
    """GET /healthz every 0.1 s with a short timeout until stopped; records failures."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.stop, self.failures, self.slowest, self.polls = (
            url,
            threading.Event(),
            [],
            0.0,
            0,
        )

    def run(self) -> None:
        with httpx.Client(timeout=HEALTHZ_TIMEOUT_S) as c:
            while not self.stop.is_set():
                began = time.monotonic()
                try:
                    status = c.get(f"{self.url}/healthz").status_code
                except httpx.HTTPError as exc:
                    status = repr(exc)
                self.slowest = max(self.slowest, time.monotonic() - began)
                self.polls += 1
                if status != 200:
                    self.failures.append(status)
                time.sleep(0.1)


@pytest.mark.parametrize("workers", [1, 2])
def test_write_storm_every_request_answered(backend, workers, tmp_path):
    if backend == "postgres" and workers == 2:
        pytest.skip("PostgreSQL: one worker (its pool is per process)")
    writers = WRITERS[backend]
    log = tmp_path / "server.log"
    with throwaway_database(backend, tmp_path) as url:
        server = Server(url, log=log, workers=workers)
        try:
            with server.client(timeout=REQUEST_TIMEOUT_S) as c:
                user_id = c.post("/v1/users", json={"name": "storm"}).json()["id"]
            answers: list[Answer] = []
            acknowledged: set[str] = set()
            lock = threading.Lock()
            start = threading.Barrier(writers + 1)

            def client(n: int) -> None:
                base = f"/v1/users/{user_id}"
                with server.client(timeout=REQUEST_TIMEOUT_S) as c:
                    start.wait()
                    single = f"s-{n}"
                    batch = [f"b-{n}-{k}" for k in range(4)]
                    plan = [
                        (
                            "single",
                            lambda: c.post(f"{base}/events", json=_event(single, n)),
                            [single],
                        ),
                        (
                            "batch",
                            lambda: c.post(
                                f"{base}/events:batch",
                                json={"events": [_event(e, n + k) for k, e in enumerate(batch)]},
                            ),
                            batch,
                        ),
                        ("read", lambda: c.get(f"{base}/events", params={"limit": 5}), []),
                        (
                            "retry",
                            lambda: c.post(f"{base}/events", json=_event(single, n)),
                            [single],
                        ),
                    ]
                    if n % 3 == 0:
                        plan.insert(0, ("read", lambda: c.get(f"{base}/engagement"), []))
                    for what, send, exts in plan:
                        began = time.monotonic()
                        try:
                            answer = _judge(what, send(), time.monotonic() - began)
                        except httpx.HTTPError as exc:
                            answer = Answer(what, -1, time.monotonic() - began, f"{what}: {exc!r}")
                        with lock:
                            answers.append(answer)
                            if 200 <= answer.status < 300:
                                acknowledged.update(exts)

            health = HealthPoller(server.url)
            threads = [
                threading.Thread(target=client, args=(n,), daemon=True) for n in range(writers)
            ]
            for t in threads:
                t.start()
            health.start()
            start.wait()
            began = time.monotonic()
            while (
                any(t.is_alive() for t in threads)
                and time.monotonic() - began < 4 * REQUEST_TIMEOUT_S
            ):
                if len(health.failures) >= 3:  # the server stopped answering: no use waiting
                    break
                time.sleep(0.2)
            took = time.monotonic() - began
            health.stop.set()
            health.join()
            hung = sum(t.is_alive() for t in threads)

            with lock:
                problems = [a.problem for a in answers if a.problem]
                statuses = sorted({a.status for a in answers})
            assert not health.failures, (
                f"/healthz stopped answering ({len(health.failures)} of "
                f"{health.polls} polls failed, e.g. {health.failures[:2]}); "
                f"{hung} clients still waiting; answers {statuses}, "
                f"e.g. {problems[:3]}"
            )
            assert not hung, f"{hung} clients hung"
            assert not problems, (
                f"{len(problems)} unacceptable answers of {len(answers)}, e.g. {problems[:5]}"
            )
            assert len(answers) == sum(5 if n % 3 == 0 else 4 for n in range(writers))
            assert len(acknowledged) > writers, f"hardly anything was written ({len(acknowledged)})"
            stored = _stored_external_ids(url, user_id)
            assert len(stored) == len(set(stored)), "an event was stored twice"
            assert set(stored) == acknowledged, (
                f"stored {len(stored)} events, acknowledged {len(acknowledged)}"
            )
            counted, recounted = _counters(url)
            assert counted == recounted, "event_day_count drifted from the events"
            print(
                f"{backend} workers={workers}: {len(answers)} answers in {took:.1f}s, "
                f"{sum(a.status == 503 for a in answers)} × 503, slowest {max(a.seconds for a in answers):.1f}s, "
                f"healthz slowest {health.slowest:.2f}s over {health.polls} polls"
            )
        finally:
            server.stop()
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "unexpected error" not in text, text[-3000:]


def _concurrently(calls: list) -> list[httpx.Response]:
    """Run the calls at the same moment, one thread each; their answers in order."""
    out: list = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int) -> None:
        start.wait()
        try:
            out[i] = calls[i]()
        except httpx.HTTPError as exc:
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return out


def test_concurrent_deletes_decrement_once(deployment):
    servers = deployment.servers
    clients = [s.client(timeout=60) for s in servers]
    try:
        base = f"/v1/users/{clients[0].post('/v1/users', json={'name': 'deletes'}).json()['id']}"
        for round_ in range(3):
            r = clients[0].post(f"{base}/events", json=_event(f"d-{round_}", 1))
            assert r.status_code == 201, r.text
            path = f"{base}/events/{r.json()['id']}"
            answers = _concurrently(
                [lambda i=i, p=path: clients[i % len(clients)].delete(p) for i in range(6)]
            )
            statuses = sorted(getattr(a, "status_code", repr(a)) for a in answers)
            assert statuses == [204, 404, 404, 404, 404, 404], (
                f"six deletes of one event answered {statuses}"
            )

        # A mix: fresh inserts, blind retries of them, deletes (several of the same event) and
        # re-inserts of deleted external_ids, all at once; then the counters against a recount.
        rng = random.Random(10)
        pre = []
        for k in range(24):
            r = clients[0].post(f"{base}/events", json=_event(f"m-{k}", k))
            assert r.status_code == 201, r.text
            pre.append(r.json()["id"])
        calls = []
        for i in range(72):
            c = clients[i % len(clients)]
            roll = rng.random()
            if roll < 0.4:
                k = rng.randrange(24)
                calls.append(lambda c=c, k=k: c.delete(f"{base}/events/{pre[k]}"))
            elif roll < 0.65:
                k = rng.randrange(24)  # may race with a delete of the same external_id
                calls.append(lambda c=c, k=k: c.post(f"{base}/events", json=_event(f"m-{k}", k)))
            elif roll < 0.85:
                k = rng.randrange(12)  # new events, each sent by several clients at once
                calls.append(
                    lambda c=c, k=k: c.post(f"{base}/events", json=_event(f"n-{k}", 100 + k))
                )
            else:
                ks = rng.sample(range(12), 3)
                calls.append(
                    lambda c=c, ks=ks: c.post(
                        f"{base}/events:batch",
                        json={"events": [_event(f"n-{k}", 100 + k) for k in ks]},
                    )
                )
        answers = _concurrently(calls)
        bad = [
            a if isinstance(a, Exception) else (a.status_code, a.text[:200])
            for a in answers
            if isinstance(a, Exception) or a.status_code >= 500
        ]
        assert not bad, f"server errors in the mix: {bad[:5]}"
        deleted = {
            a.request.url.path.rsplit("/", 1)[1]
            for a in answers
            if a.request.method == "DELETE" and a.status_code == 204
        }
        per_event = [
            sum(
                a.request.method == "DELETE"
                and a.status_code == 204
                and a.request.url.path.endswith(event_id)
                for a in answers
            )
            for event_id in pre
        ]
        counted, recounted = _counters(deployment.url)
        drift = (
            f"only stored {sorted(counted - recounted)[:2]}, only recounted {sorted(recounted - counted)[:2]}"
            if counted != recounted
            else "none"
        )
        assert max(per_event) <= 1, (
            f"an event was deleted more than once: {per_event}; counter drift: {drift}"
        )
        assert deleted, "no delete in the mix succeeded"
        assert counted == recounted, f"event_day_count drifted: {drift}"
        engagement = clients[0].get(f"{base}/engagement").json()
        assert all(v >= 0 for v in engagement.values() if isinstance(v, int)), engagement
    finally:
        for c in clients:
            c.close()
