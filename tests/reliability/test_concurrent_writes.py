"""Many writers at once against real `rapport serve` processes (issue 10).

Concurrent deletes: six DELETEs of one event give exactly one 204 (the rest 404); after a mix
of concurrent inserts, blind retries and deletes the day counters equal a recount.
"""

import random
import threading
import uuid

import httpx
from sqlalchemy import select

from app.core.config import Settings
from app.core.db import Database
from app.events import daily_counts
from app.events.daily_counts import COUNTERS, EventDayCount
from app.events.models import Event

PLATFORMS = ["x", "linkedin", "instagram"]
KINDS = ["post", "reply", "follow", "direct_message", "like", "comment"]


def _event(ext: str, n: int) -> dict:
    kind = KINDS[n % len(KINDS)]
    return {"platform": PLATFORMS[n % len(PLATFORMS)], "kind": kind,
            "occurred_at": f"2026-11-{1 + n % 20:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
            "direction": "inbound" if n % 7 == 0 else "outbound", "counterpart": f"p{n % 11}",
            "is_sales": kind == "direct_message" and n % 2 == 0, "external_id": ext}


def _counters(url: str) -> tuple[set, set]:
    """(event_day_count as stored, event_day_count recounted from the events), nonzero rows."""
    table = EventDayCount.__table__  # type: ignore[attr-defined]

    def rows(conn) -> set:
        return {(str(r.user_id), str(r.day), r.platform, *(getattr(r, c) for c in COUNTERS))
                for r in conn.execute(select(table)) if any(getattr(r, c) for c in COUNTERS)}

    db = Database(url, Settings(database_url=url))
    try:
        with db.write_engine.connect() as conn:
            stored = rows(conn)
            daily_counts.rebuild(conn)  # inside this transaction, which is rolled back
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
            return [r.external_id for r in conn.execute(
                select(table.c.external_id).where(table.c.user_id == uuid.UUID(user_id)))]
    finally:
        db.dispose()


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
            answers = _concurrently([lambda i=i, p=path: clients[i % len(clients)].delete(p) for i in range(6)])
            statuses = sorted(getattr(a, "status_code", repr(a)) for a in answers)
            assert statuses == [204, 404, 404, 404, 404, 404], f"six deletes of one event answered {statuses}"

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
                calls.append(lambda c=c, k=k: c.post(f"{base}/events", json=_event(f"n-{k}", 100 + k)))
            else:
                ks = rng.sample(range(12), 3)
                calls.append(lambda c=c, ks=ks: c.post(f"{base}/events:batch", json={
                    "events": [_event(f"n-{k}", 100 + k) for k in ks]}))
        answers = _concurrently(calls)
        bad = [a if isinstance(a, Exception) else (a.status_code, a.text[:200]) for a in answers
               if isinstance(a, Exception) or a.status_code >= 500]
        assert not bad, f"server errors in the mix: {bad[:5]}"
        deleted = {a.request.url.path.rsplit("/", 1)[1] for a in answers
                   if a.request.method == "DELETE" and a.status_code == 204}
        per_event = [sum(a.request.method == "DELETE" and a.status_code == 204
                         and a.request.url.path.endswith(event_id) for a in answers) for event_id in pre]
        counted, recounted = _counters(deployment.url)
        drift = (f"only stored {sorted(counted - recounted)[:2]}, only recounted {sorted(recounted - counted)[:2]}"
                 if counted != recounted else "none")
        assert max(per_event) <= 1, f"an event was deleted more than once: {per_event}; counter drift: {drift}"
        assert deleted, "no delete in the mix succeeded"
        assert counted == recounted, f"event_day_count drifted: {drift}"
        engagement = clients[0].get(f"{base}/engagement").json()
        assert all(v >= 0 for v in engagement.values() if isinstance(v, int)), engagement
    finally:
        for c in clients:
            c.close()
