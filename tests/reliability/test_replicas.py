"""Replicas: concurrent clients, overlapping external_ids and blind retries, against real
`rapport serve` processes sharing one database (the `deployment` fixture):

PostgreSQL: two servers on two ports, started at the same moment on one fresh database.
SQLite: on one file, a server with `--workers 2` (two processes) and a second server;
SQLite allows one writer at a time, and no client may see "database is locked".

Afterwards the stored events are exactly the distinct events sent, every duplicate got
the answer §4 promises (200 with the stored event for the same content, 409 for other
content), nothing got a 5xx, and the per-day counters equal a rebuild from the events.
"""

import random
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from app.core.config import Settings
from app.core.db import Database
from app.events.models import Event
from app.events.store.maintenance import COUNTERS, EventDayCount, rebuild_counters
from tests.support.processes import RapportServer

CLIENTS = 8
OPS_PER_CLIENT = 24
PLATFORMS = ["x", "linkedin", "instagram", "facebook"]
KINDS = ["follow", "post", "reply", "comment", "like", "direct_message", "mention", "share"]
BASE = datetime(2026, 11, 1, 22, 0, tzinfo=UTC)
OFFSETS = ["Z", "+05:30", "-08:00", "+01:00"]


def _original(i: int) -> dict:
    """Distinct event i: spread over days (around UTC midnight), platforms, kinds, offsets."""
    at = BASE + timedelta(hours=i * 5, minutes=i % 60)
    offset = OFFSETS[i % len(OFFSETS)]
    if offset != "Z":
        sign = 1 if offset[0] == "+" else -1
        local = at + sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
        written = local.strftime("%Y-%m-%dT%H:%M:%S") + offset
    else:
        written = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    kind = KINDS[i % len(KINDS)]
    return {
        "platform": PLATFORMS[i % len(PLATFORMS)],
        "kind": kind,
        "occurred_at": written,
        "direction": "inbound" if i % 5 == 0 else "outbound",
        "counterpart": f"person{i % 7}",
        "is_sales": kind in ("direct_message", "mention") and i % 2 == 0,
        "text": f"event {i}",
        "external_id": f"ev-{i:03d}",
    }


N = 96
ORIGINALS = [_original(i) for i in range(N)]
# These are stored before the storm, so their variants (same external_id, other text)
# always meet the original: 409 whatever the interleaving.
CONFLICTED = list(range(8))


def _variant(i: int) -> dict:
    return {**ORIGINALS[i], "text": f"something else {i}"}


@dataclass
class Outcome:
    kind: str  # "single", "variant", "batch", "variant-batch"
    indexes: list[int]
    status: int
    body: dict | None
    server: str
    problems: list[str] = field(default_factory=list)


def _same_content(answer: dict, sent: dict) -> bool:
    at = datetime.fromisoformat(answer["occurred_at"])
    return (
        at == datetime.fromisoformat(sent["occurred_at"])
        and answer["occurred_at"].endswith("Z")
        and all(answer[k] == sent[k] for k in sent if k != "occurred_at")
    )


def _plan(seed: int) -> list[tuple[str, list[int]]]:
    """One client's requests. Clients 2k and 2k+1 (on different replicas) open with the
    same batch at the same moment; the events after those blocks are first sent by the
    random mix, so singles race too. Some requests are blindly repeated."""
    rng = random.Random(seed)
    block = 16
    ops = [("batch", list(range(seed // 2 * block, (seed // 2 + 1) * block)))]
    while len(ops) < OPS_PER_CLIENT:
        roll = rng.random()
        if roll < 0.55:
            op = (
                "single",
                [rng.randrange(block * CLIENTS // 2, N) if roll < 0.3 else rng.randrange(N)],
            )
        elif roll < 0.8:
            op = ("batch", rng.sample(range(N), rng.randint(2, 12)))
        elif roll < 0.93:
            op = ("variant", [rng.choice(CONFLICTED)])
        else:
            op = ("variant-batch", [*rng.sample(range(8, N), 3), rng.choice(CONFLICTED)])
        ops.append(op)
        if rng.random() < 0.35:
            ops.append(op)  # a blind retry: the same request again, whatever the first answer
    return ops


def _send(client: httpx.Client, user_id: str, kind: str, indexes: list[int]) -> httpx.Response:
    if kind == "single":
        return client.post(f"/v1/users/{user_id}/events", json=ORIGINALS[indexes[0]])
    if kind == "variant":
        return client.post(f"/v1/users/{user_id}/events", json=_variant(indexes[0]))
    events = [ORIGINALS[i] for i in indexes]
    if kind == "variant-batch":
        events[-1] = _variant(indexes[-1])
    return client.post(f"/v1/users/{user_id}/events:batch", json={"events": events})


def _judge(outcome: Outcome) -> None:
    """The answer §4 promises for this request, whatever else happened concurrently."""
    s, body, idx = outcome.status, outcome.body or {}, outcome.indexes
    if s >= 500 or s < 0:
        outcome.problems.append(f"{s} {body}")
    elif outcome.kind == "single":
        if s not in (200, 201) or not _same_content(body, ORIGINALS[idx[0]]):
            outcome.problems.append(f"single {idx}: {s} {body}")
    elif outcome.kind == "batch":
        if (
            s != 200
            or body["created"] + body["duplicates"] != len(idx)
            or len(body["ids"]) != len(idx)
        ):
            outcome.problems.append(f"batch {idx}: {s} {body}")
    elif s != 409 or body.get("code") != "external_id_conflict":
        outcome.problems.append(
            f"{outcome.kind} {idx}: expected 409 external_id_conflict, got {s} {body}"
        )


def _storm(servers: list[RapportServer], user_id: str) -> list[Outcome]:
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client_thread(n: int) -> None:
        server = servers[n % len(servers)]
        with server.client(timeout=60) as client:
            start.wait()
            for kind, indexes in _plan(n):
                try:
                    r = _send(client, user_id, kind, indexes)
                except httpx.HTTPError as exc:
                    status, body = -1, {"transport_error": repr(exc)}
                else:
                    try:
                        status, body = r.status_code, r.json()
                    except ValueError:
                        status, body = r.status_code, {"not_json": r.text[:300]}
                with lock:
                    outcomes.append(Outcome(kind, indexes, status, body, server.url))

    threads = [threading.Thread(target=client_thread, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a client hung"
    return outcomes


def _counters(db: Database) -> tuple[set, set]:
    """(event_day_count as stored, event_day_count rebuilt from the events), nonzero rows."""
    table = EventDayCount.__table__  # type: ignore[attr-defined]

    def rows(conn) -> set:
        return {
            (str(r.user_id), str(r.day), r.platform, *(getattr(r, c) for c in COUNTERS))
            for r in conn.execute(select(table))
            if any(getattr(r, c) for c in COUNTERS)
        }

    with db.write_engine.connect() as conn:
        stored = rows(conn)
        rebuild_counters(conn)  # inside this transaction, which is rolled back
        rebuilt = rows(conn)
        conn.rollback()
    return stored, rebuilt


def test_replicas_store_each_distinct_event_once(deployment):
    url, servers = deployment.url, deployment.servers
    with servers[0].client(timeout=60) as client:
        user_id = client.post(
            "/v1/users", json={"name": "replicas", "timezone": "Asia/Kolkata"}
        ).json()["id"]
        for i in CONFLICTED:
            assert client.post(f"/v1/users/{user_id}/events", json=ORIGINALS[i]).status_code == 201

    outcomes = _storm(servers, user_id)

    for o in outcomes:
        _judge(o)
    problems = [p for o in outcomes for p in o.problems]
    assert not problems, f"{len(problems)} wrong answers, e.g. {problems[:5]}"
    assert {o.server for o in outcomes} == {s.url for s in servers}

    db = Database(url, Settings(database_url=url))
    try:
        with db.engine.connect() as conn:
            stored = {
                e.external_id: e
                for e in conn.execute(
                    select(Event.__table__).where(Event.__table__.c.user_id == uuid.UUID(user_id))
                )
            }
        assert sorted(stored) == sorted(e["external_id"] for e in ORIGINALS), (
            "not exactly the distinct events"
        )
        for sent in ORIGINALS:
            row = stored[sent["external_id"]]
            assert row.text == sent["text"], f"{sent['external_id']} holds {row.text!r}"
            assert row.occurred_at == datetime.fromisoformat(sent["occurred_at"])

        # Every answer named the one stored id of its event.
        ids_seen: dict[str, set[str]] = defaultdict(set)
        created = len(CONFLICTED)
        for o in outcomes:
            if o.kind == "single":
                ids_seen[ORIGINALS[o.indexes[0]]["external_id"]].add(o.body["id"])
                created += o.status == 201
            elif o.kind == "batch":
                for i, event_id in zip(o.indexes, o.body["ids"], strict=True):
                    ids_seen[ORIGINALS[i]["external_id"]].add(event_id)
                created += o.body["created"]
            else:
                assert o.body["existing_id"] == str(
                    stored[ORIGINALS[o.indexes[-1]]["external_id"]].id
                )
        for ext, ids in ids_seen.items():
            assert ids == {str(stored[ext].id)}, f"{ext} answered as {ids}"
        assert created == N, f"{created} creations reported for {N} distinct events"

        stored_counts, rebuilt_counts = _counters(db)
        assert stored_counts == rebuilt_counts, (
            f"event_day_count drifted: only stored {sorted(stored_counts - rebuilt_counts)[:3]}, "
            f"only rebuilt {sorted(rebuilt_counts - stored_counts)[:3]}"
        )
        assert len(rebuilt_counts) > 20
    finally:
        db.dispose()

    logs = deployment.log_text()
    assert "database is locked" not in logs and "database unavailable" not in logs, logs[-3000:]
