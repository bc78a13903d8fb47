"""Seeding for the lists bench (issue 19): one user with many events, and a workspace with
many users, loaded with the bench's bulk paths (COPY on PostgreSQL, executemany on SQLite:
bench.databases.seed), never through the API."""

from __future__ import annotations

import random
import sqlite3
import time
import uuid

from sqlalchemy.engine import make_url

from bench.databases import Target, prepare, seed
from bench.datagen import Ev, sqlite_instant

START_US = 1_700_000_000_000_000  # 2023-11-14
SPAN_US = 3 * 365 * 86_400 * 1_000_000
PLATFORMS = ("x", "linkedin", "instagram", "facebook")
KINDS = (
    ("comment", "outbound"),
    ("reply", "outbound"),
    ("like", "outbound"),
    ("post", "outbound"),
    ("direct_message", "outbound"),
    ("reply", "inbound"),
    ("mention", "inbound"),
    ("follow", "outbound"),
)


def events(n: int, seed_: int = 19) -> list[Ev]:
    """``n`` events of user 0 over three years, 2,000 counterparts (person0000 has a fifth
    of the events), some text."""
    rng = random.Random(seed_)
    out = []
    for i in range(n):
        kind, direction = KINDS[rng.randrange(len(KINDS))]
        out.append(
            Ev(
                rng.getrandbits(128),
                0,
                PLATFORMS[rng.randrange(4)],
                kind,
                direction,
                START_US + rng.randrange(SPAN_US),
                # One heavy counterpart (a fifth of the events) for the ?counterpart= pages.
                "person0000" if rng.random() < 0.2 else f"person{rng.randrange(1, 2000):04d}",
                kind in ("post", "direct_message") and rng.random() < 0.1,
                None,
                "hello there, a short text" if kind in ("comment", "reply", "post") else None,
                f"ext-{i}",
                START_US,
            )
        )
    return out


def seed_events(target: Target, key: str, n: int) -> tuple[uuid.UUID, dict]:
    """Migrate, bootstrap ``key``, load ``n`` events for one user; (user id, seeding facts)."""
    ids = prepare(target, key, people=(("Lister", "UTC", 1.0),))
    return ids[0], seed(target, events(n), ids)


def seed_users(target: Target, n: int) -> dict:
    """``n`` more users in the bench's workspace (one per created_at microsecond)."""
    started = time.perf_counter()
    if target.backend == "sqlite":
        conn = sqlite3.connect(target.path, isolation_level=None)
        (ws,) = conn.execute("SELECT id FROM workspace LIMIT 1").fetchone()
        rows = [
            (uuid.uuid4().hex, ws, f"user {i}", "UTC", sqlite_instant(START_US + i))
            for i in range(n)
        ]
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO app_user (id, workspace_id, name, timezone, sales_ratio, "
            "interaction_share_target, keep_in_touch_days, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, 10, 0.5, 30, ?, ?)",
            [(*r, r[-1]) for r in rows],
        )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.close()
    else:
        import psycopg

        dsn = make_url(target.url).set(drivername="postgresql").render_as_string(False)
        with psycopg.connect(dsn) as conn:
            (ws,) = conn.execute("SELECT id FROM workspace LIMIT 1").fetchone()
            with (
                conn.cursor() as cur,
                cur.copy(
                    "COPY app_user (id, workspace_id, name, timezone, sales_ratio, "
                    "interaction_share_target, keep_in_touch_days, created_at, updated_at) "
                    "FROM STDIN"
                ) as copy,
            ):
                for i in range(n):
                    at = sqlite_instant(START_US + i) + "+00"
                    copy.write_row((str(uuid.uuid4()), ws, f"user {i}", "UTC", 10, 0.5, 30, at, at))
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE app_user")
    return {"users": n, "seconds": round(time.perf_counter() - started, 2)}
