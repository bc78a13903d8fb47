"""Contacts bench (issue 13): one user with many contacts, p50 of a contacts page for each
filter and sort, of relationships?stage=trust and of the weekly report, beside /healthz in
the same run, in process (the ASGI app through httpx's TestClient, no network, one client).

    .venv/bin/python -m bench.contacts --database sqlite --contacts 20000 --events-per-contact 10

Seeding bypasses the API (Core executemany of the events, then the app's own
``rebuild_counters`` and ``rebuild_contacts``); as_of is the seeding's now, after every
event, so the pages take the kept summary's index path (sort=health is the documented slow
path). Prints one JSON document.
"""

import argparse
import json
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bench.databases import fresh_database

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
KINDS = [
    ("comment", "outbound"),
    ("reply", "outbound"),
    ("like", "outbound"),
    ("direct_message", "outbound"),
    ("post", "outbound"),
    ("reply", "inbound"),
    ("mention", "inbound"),
    ("like", "inbound"),
]
OUT = Path(__file__).resolve().parent / "out"


def _events(user_id: uuid.UUID, contacts: int, per_contact: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    span = int(timedelta(days=365).total_seconds())
    for i in range(contacts):
        handle = f"h{i:06d}"
        for _ in range(per_contact):
            kind, direction = rng.choice(KINDS)
            rows.append(
                {
                    "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                    "user_id": user_id,
                    "platform": rng.choice(["x", "linkedin", "instagram", "facebook"]),
                    "kind": kind,
                    "direction": direction,
                    "occurred_at": NOW - timedelta(seconds=rng.randrange(span)),
                    "counterpart": handle,
                    "is_sales": kind in ("post", "direct_message") and rng.random() < 0.05,
                    "created_at": NOW,
                }
            )
    return rows


def _seed(url: str, contacts: int, per_contact: int) -> tuple[str, str, dict]:
    from app.auth import service as auth_service
    from app.core.config import Settings
    from app.core.db import Database
    from app.core.migrate import upgrade
    from app.events.models import EVENT_TABLE
    from app.events.store.maintenance import rebuild_contacts, rebuild_counters
    from app.users.models import User

    upgrade(url)
    db = Database(url, Settings(database_url=url))
    key = "rpk_" + uuid.uuid4().hex + uuid.uuid4().hex
    timings: dict[str, float] = {}
    try:
        with db.session(write=True) as session:
            auth_service.bootstrap(session, key)
            ws = auth_service.get_or_create_workspace(session, "default")
            user = User(workspace_id=ws.id, name="Bench", timezone="Europe/Berlin")
            session.add(user)
            session.commit()
            user_id = user.id
        rows = _events(user_id, contacts, per_contact, seed=13)
        t = time.perf_counter()
        with db.write_engine.begin() as conn:
            for first in range(0, len(rows), 50_000):
                conn.execute(EVENT_TABLE.insert(), rows[first : first + 50_000])
        timings["insert_events_s"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        with db.write_engine.begin() as conn:
            rebuild_counters(conn)
        timings["rebuild_counters_s"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        with db.write_engine.begin() as conn:
            rebuild_contacts(conn)
        timings["rebuild_contacts_s"] = round(time.perf_counter() - t, 1)
        if url.startswith("postgresql"):
            auto = db.write_engine.execution_options(isolation_level="AUTOCOMMIT")
            with auto.connect() as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with db.write_engine.begin() as conn:
                conn.execute(text("ANALYZE"))
    finally:
        db.dispose()
    return key, str(user_id), {**timings, "events": len(rows), "contacts": contacts}


HEALTHZ: list[float] = []


def _p50(client, path: str, params: dict, samples: int) -> float:
    """p50 of ``samples`` requests, each followed by a /healthz request (kept in HEALTHZ),
    so the baseline sees the same load as the figure."""
    times = []
    for _ in range(samples):
        t = time.perf_counter()
        r = client.get(path, params=params)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text
        t = time.perf_counter()
        client.get("/healthz")
        HEALTHZ.append(time.perf_counter() - t)
    return round(statistics.median(times) * 1000, 2)


def run(database: str, contacts: int, per_contact: int, samples: int, admin_url: str) -> dict:
    from fastapi.testclient import TestClient

    from app.core.config import Settings
    from app.main import create_app

    OUT.mkdir(exist_ok=True)
    with fresh_database(database, "contacts", OUT, admin_url) as target:
        key, uid, seeded = _seed(target.url, contacts, per_contact)
        settings = Settings(database_url=target.url, rate_limit="off", auth_failure_limit="off")
        app = create_app(settings)
        as_of = NOW.isoformat().replace("+00:00", "Z")
        base = f"/v1/users/{uid}"
        cases = {
            "contacts": {},
            "contacts?sort=due": {"sort": "due"},
            "contacts?sort=health (slow path)": {"sort": "health"},
            "contacts?stale=false": {"stale": "false"},
            "contacts?stage=trust": {"stage": "trust"},
            "contacts?stage=know&sort=due": {"stage": "know", "sort": "due"},
            "contacts?stale=true": {"stale": "true"},
            "contacts?stale=true&sort=due": {"stale": "true", "sort": "due"},
            "contacts?due_before": {"due_before": "2026-06-01T00:00:00Z"},
            "contacts?q=h0123": {"q": "h0123"},
            "contacts?tag=none (no contact has it)": {"tag": "vip"},
        }
        out: dict = {"database": database, "seeded": seeded, "samples": samples, "p50_ms": {}}
        with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as client:
            out["p50_ms"]["/healthz"] = _p50(client, "/healthz", {}, samples)
            for name, params in cases.items():
                out["p50_ms"][name] = _p50(
                    client, f"{base}/contacts", {**params, "as_of": as_of}, samples
                )
            out["p50_ms"]["relationships?stage=trust"] = _p50(
                client, f"{base}/relationships", {"stage": "trust", "as_of": as_of}, samples
            )
            out["p50_ms"]["report"] = _p50(client, f"{base}/report", {"week": "2026-W48"}, samples)
            out["p50_ms"]["/healthz (again)"] = _p50(client, "/healthz", {}, samples)
        app.state.db.dispose()
    # The baseline: every /healthz interleaved with the figures' requests.
    healthz = round(statistics.median(HEALTHZ) * 1000, 2)
    out["p50_ms"]["/healthz (interleaved, the baseline)"] = healthz
    out["x_healthz"] = {k: round(v / healthz, 1) for k, v in out["p50_ms"].items()}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--contacts", type=int, default=20_000)
    p.add_argument("--events-per-contact", type=int, default=10)
    p.add_argument("--samples", type=int, default=21)
    p.add_argument("--ingest", type=int, default=0, help="only the ingest comparison: batches")
    p.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    a = p.parse_args()
    if a.ingest:
        print(json.dumps(ingest(a.database, a.ingest, a.postgres_url), indent=2))
        return
    result = run(a.database, a.contacts, a.events_per_contact, a.samples, a.postgres_url)
    print(json.dumps(result, indent=2))


def ingest(database: str, batches: int, admin_url: str) -> dict:
    """Seconds to record `batches` batches of 1,000 events through the events store, with
    the contacts upkeep and with it switched off (the same rows, alternating), in process."""
    from app.core.config import Settings
    from app.core.db import Database
    from app.events import store
    from app.events.models import EventIn
    from app.events.store import _contact_rollup

    OUT.mkdir(exist_ok=True)
    with fresh_database(database, "ingest", OUT, admin_url) as target:
        _, uid, _ = _seed(target.url, 1000, 2)
        db = Database(target.url, Settings(database_url=target.url))
        rng = random.Random(7)
        spent = {"with_upkeep_s": 0.0, "without_upkeep_s": 0.0}
        original = _contact_rollup.apply
        try:
            # Two untimed batches first (one of each): the first write imports the webhook
            # triggers' modules, which took seconds and fell on whichever run came first.
            for b in range(-2, 2 * batches):
                items = [
                    EventIn(
                        platform="x",
                        kind=rng.choice(["comment", "reply", "like"]),
                        direction=rng.choice(["inbound", "outbound"]),
                        occurred_at=NOW - timedelta(minutes=rng.randrange(500_000)),
                        counterpart=f"h{rng.randrange(5000):06d}",
                    )
                    for _ in range(1000)
                ]
                upkeep = b % 2 == 0
                _contact_rollup.apply = original if upkeep else (lambda *a, **k: [])  # type: ignore[assignment]
                t = time.perf_counter()
                with db.session(write=True) as session:
                    store.record(session, uuid.UUID(uid), items)
                    session.commit()
                if b >= 0:
                    spent["with_upkeep_s" if upkeep else "without_upkeep_s"] += (
                        time.perf_counter() - t
                    )
        finally:
            _contact_rollup.apply = original  # type: ignore[assignment]
            db.dispose()
    ratio = spent["without_upkeep_s"] / spent["with_upkeep_s"]
    return {
        "database": database,
        "batches_each": batches,
        **{k: round(v, 2) for k, v in spent.items()},
        "throughput_with_vs_without": round(ratio, 2),
    }


if __name__ == "__main__":
    main()
