"""Back-dated writes bench (issue 19 item 2, issue 11): what one back-dated write costs the
next request, beside the same request warm, for the app at each given git ref, in one run.

    .venv/bin/python -m bench.backdated --database sqlite --events 200000 --refs e8cdd04,HEAD

One user with a year of events (contacts with thousands of people, ~5 % sales; a post on
x every day, so the current streak is a year long) is seeded once through Core and the
app's own rebuilds. Then each ref's app (exported to bench/out/app-<commit>, or the working
tree for ``.``) runs in its own process, in process through httpx's TestClient, one
client, as_of = the seeding's now:

- the 365-day sales ratio: cold, warm p50; then, `--writes` times, the request warm, one
  event written at a random instant of the window (or of its last 7 days), the request
  again: p50 of each side and their ratio;
- posting?platform=x: the same with one post written in the last 7 days.

Prints one JSON document with `uptime` before each ref's measurement.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
YEAR = int(timedelta(days=365).total_seconds())
CONTACT_KINDS = [("comment", "outbound"), ("reply", "outbound"), ("direct_message", "outbound")]
OTHER_KINDS = [("like", "outbound"), ("reply", "inbound"), ("mention", "inbound")]


def _events(user_id: uuid.UUID, events: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []

    def row(platform: str, kind: str, direction: str, at: datetime, **extra: object) -> dict:
        return {
            "id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "user_id": user_id,
            "platform": platform,
            "kind": kind,
            "direction": direction,
            "occurred_at": at,
            "counterpart": None,
            "is_sales": False,
            "created_at": NOW,
            **extra,
        }

    for day in range(1, 366):  # a post on x every day but today: a year-long streak
        rows.append(row("x", "post", "outbound", NOW - timedelta(days=day, hours=rng.randrange(3))))
    while len(rows) < events:
        kind, direction = rng.choice(CONTACT_KINDS if rng.random() < 0.6 else OTHER_KINDS)
        rows.append(
            row(
                rng.choice(["x", "x", "linkedin", "instagram"]),
                kind,
                direction,
                NOW - timedelta(seconds=rng.randrange(YEAR)),
                counterpart=f"h{rng.randrange(5000):05d}",
                is_sales=direction == "outbound" and rng.random() < 0.05,
            )
        )
    return rows


def seed(url: str, events: int) -> tuple[str, str]:
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
    try:
        with db.session(write=True) as session:
            auth_service.bootstrap(session, key)
            ws = auth_service.get_or_create_workspace(session, "default")
            user = User(workspace_id=ws.id, name="Bench", timezone="Europe/Berlin")
            session.add(user)
            session.commit()
            user_id = user.id
        rows = _events(user_id, events, seed=19)
        with db.write_engine.begin() as conn:
            for first in range(0, len(rows), 50_000):
                conn.execute(EVENT_TABLE.insert(), rows[first : first + 50_000])
        with db.write_engine.begin() as conn:
            rebuild_counters(conn)
        with db.write_engine.begin() as conn:
            rebuild_contacts(conn)
        if url.startswith("postgresql"):
            auto = db.write_engine.execution_options(isolation_level="AUTOCOMMIT")
            with auto.connect() as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with db.write_engine.begin() as conn:
                conn.execute(text("ANALYZE"))
    finally:
        db.dispose()
    return key, str(user_id)


def _ms(seconds: list[float]) -> float:
    return round(statistics.median(seconds) * 1000, 1)


def measure(url: str, key: str, uid: str, samples: int, writes: int) -> dict:
    """Run inside the process of one ref's app."""
    from fastapi.testclient import TestClient

    from app.core.config import Settings
    from app.main import create_app

    rng = random.Random(7)
    settings = Settings(database_url=url, rate_limit="off", auth_failure_limit="off")
    app = create_app(settings)
    as_of = NOW.isoformat().replace("+00:00", "Z")
    base = f"/v1/users/{uid}"
    ratio = (f"{base}/sales-ratio", {"window_days": 365, "as_of": as_of})
    posting = (f"{base}/posting", {"platform": "x", "as_of": as_of})
    out: dict = {}
    with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as client:

        def timed(route: tuple[str, dict]) -> float:
            t = time.perf_counter()
            r = client.get(route[0], params=route[1])
            spent = time.perf_counter() - t
            assert r.status_code == 200, r.text
            return spent

        def write(kind: str, back_s: int) -> None:
            at = NOW - timedelta(seconds=back_s)
            body = {
                "platform": "x",
                "kind": kind,
                "occurred_at": at.isoformat(),
                "counterpart": f"h{rng.randrange(5000):05d}",
                "is_sales": rng.random() < 0.3,
            }
            r = client.post(f"{base}/events:batch", json={"events": [body]})
            assert r.status_code == 200, r.text

        def pairs(route: tuple[str, dict], kind: str, lo_s: int, hi_s: int) -> dict:
            """`writes` times: the request warm, then one write, then the request again
            (interleaved, so a change in the machine's load touches both sides alike)."""
            warm, after = [], []
            for _ in range(writes):
                timed(route)
                warm.append(timed(route))
                write(kind, rng.randrange(lo_s, hi_s))
                after.append(timed(route))
            return {
                "warm_p50": _ms(warm),
                "after_write_p50": _ms(after),
                "x_warm": round(statistics.median(after) / statistics.median(warm), 1),
            }

        week = int(timedelta(days=7).total_seconds())
        day = int(timedelta(days=1).total_seconds())
        out["sales_ratio_cold_ms"] = round(timed(ratio) * 1000, 1)
        out["sales_ratio_warm_p50_ms"] = _ms([timed(ratio) for _ in range(samples)])
        out["sales_ratio_write_anywhere_in_the_year_ms"] = pairs(ratio, "reply", day, YEAR - day)
        out["sales_ratio_write_in_the_last_7_days_ms"] = pairs(ratio, "reply", 60, week)
        out["posting_cold_ms"] = round(timed(posting) * 1000, 1)
        out["posting_warm_p50_ms"] = _ms([timed(posting) for _ in range(samples)])
        out["posting_post_in_the_last_7_days_ms"] = pairs(posting, "post", 60, week)
    app.state.db.dispose()
    return out


def _snapshot(ref: str) -> Path:
    """The directory whose app/ the ref's measurement imports (ROOT for the working tree)."""
    if ref == ".":
        return ROOT
    commit = subprocess.run(
        ["git", "rev-parse", ref], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    snap = OUT / f"app-{commit[:12]}"
    if not (snap / "app").exists():
        snap.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", commit, "app", "migrations"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(snap)], input=archive, check=True)
    return snap


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--events", type=int, default=200_000)
    p.add_argument("--samples", type=int, default=21)
    p.add_argument("--writes", type=int, default=21)
    p.add_argument("--refs", default="HEAD", help="comma-separated git refs; . = working tree")
    p.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    p.add_argument("--measure", nargs=3, metavar=("URL", "KEY", "USER"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.measure:
        print(json.dumps(measure(*a.measure, a.samples, a.writes)))
        return
    from bench.databases import fresh_database

    OUT.mkdir(exist_ok=True)
    result: dict = {"database": a.database, "events": a.events, "runs": {}}
    with fresh_database(a.database, "backdated", OUT, a.postgres_url) as target:
        key, uid = seed(target.url, a.events)
        for ref in a.refs.split(","):
            snap = _snapshot(ref)
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(snap), str(ROOT)])}
            uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
            argv = [sys.executable, "-m", "bench.backdated", "--samples", str(a.samples)]
            argv += ["--writes", str(a.writes), "--measure", target.url, key, uid]
            done = subprocess.run(argv, cwd=snap, env=env, capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(done.stderr)
            result["runs"][ref] = {"uptime": uptime, **json.loads(done.stdout.splitlines()[-1])}
            print(json.dumps({ref: result["runs"][ref]}), file=sys.stderr, flush=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
