"""Where the time of one insight goes.

* py-spy samples the live `rapport serve` workers (all threads, native uvicorn stack
  included) while one client repeats the request; stacks are folded into self / inclusive
  time per function and per layer (SQL driver, SQLAlchemy, pydantic, app.calc, …).
* In-process, the same request through the app with SQLAlchemy cursor hooks: every SQL
  statement with its count and time per request, and the database's plan of the slowest.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx

LAYERS = (  # first match wins, on the frame's file path
    ("sqlite3 driver", ("sqlite3/",)),
    ("psycopg driver", ("psycopg/", "psycopg_binary", "psycopg_pool")),
    ("sqlalchemy", ("sqlalchemy/",)),
    ("sqlmodel", ("sqlmodel/",)),
    ("pydantic", ("pydantic/", "pydantic_core")),
    ("app.calc", ("app/calc/",)),
    ("app (other)", ("app/",)),
    ("fastapi/starlette", ("fastapi/", "starlette/")),
    ("uvicorn/asyncio/anyio", ("uvicorn/", "asyncio/", "anyio/", "uvloop", "httptools")),
    ("zoneinfo/datetime", ("zoneinfo/", "datetime")),
)


# Leaf frames of threads that wait (event loop in epoll, idle pool threads, the uvicorn
# supervisor and its health-check pipe): left out of the percentages.
IDLE = (
    "Runner.run (asyncio/runners.py",
    "Condition.wait (threading.py",
    "Event.wait (threading.py",
    "_recv_bytes (multiprocessing",
    "_recv (multiprocessing",
    "poll (multiprocessing",
    "Connection.recv (multiprocessing",
    "_poll (multiprocessing",
    "select (selectors.py",
    "Multiprocess.run (uvicorn",
    "wait (multiprocessing",
)


def _layer(frame: str) -> str:
    for name, needles in LAYERS:
        if any(n in frame for n in needles):
            return name
    return "other"


def py_spy(
    pid: int,
    base_url: str,
    key: str,
    method: str,
    path: str,
    body: dict | None,
    seconds: float,
    out_dir: Path,
    label: str,
) -> dict | None:
    exe = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if exe is None:
        return {"error": "py-spy not installed (pip install -e '.[bench]')"}
    raw = out_dir / f"py-spy-{label}.txt"
    svg = out_dir / f"py-spy-{label}.svg"
    stop = threading.Event()
    count = 0

    def hammer() -> None:
        nonlocal count
        with httpx.Client(
            base_url=base_url, headers={"authorization": f"Bearer {key}"}, timeout=120
        ) as c:
            while not stop.is_set():
                c.request(method, path, json=body(count) if callable(body) else body)
                count += 1

    worker = threading.Thread(target=hammer, daemon=True)
    worker.start()
    time.sleep(0.5)
    try:
        for fmt, target in (("raw", raw), ("flamegraph", svg)):
            proc = subprocess.run(
                [
                    exe,
                    "record",
                    "--pid",
                    str(pid),
                    "--subprocesses",
                    "--rate",
                    "250",
                    "--duration",
                    str(max(1, int(seconds / 2))),
                    "--format",
                    fmt,
                    "--output",
                    str(target),
                    "--nonblocking",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                return {"error": f"py-spy failed: {proc.stderr.strip()[-400:]}"}
    finally:
        stop.set()
        worker.join(timeout=120)
    selfs: Counter = Counter()
    incl: Counter = Counter()
    layers: Counter = Counter()
    total = idle = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        n = int(n)
        frames = stack.split(";")
        if frames and frames[0].startswith("process "):
            frames = frames[1:]
        if frames and frames[0].startswith("thread "):
            frames = frames[1:]
        if not frames:
            continue
        if frames[-1].startswith(IDLE):
            idle += n
            continue
        total += n
        selfs[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
        layers[_layer(frames[-1])] += n

    def pct(n: int) -> float:
        return round(100 * n / total, 1) if total else 0.0

    return {
        "busy_samples": total,
        "idle_samples_left_out": idle,
        "requests_during": count,
        "raw": str(raw),
        "flamegraph": str(svg),
        "top_self": [{"frame": f, "pct": pct(n)} for f, n in selfs.most_common(15)],
        "top_inclusive_app": [
            {"frame": f, "pct": pct(n)} for f, n in incl.most_common(200) if "app/" in f
        ][:15],
        "self_by_layer": {k: pct(v) for k, v in layers.most_common()},
    }


def sql_profile(
    database_url: str, key: str, method: str, path: str, body: dict | None, repeat: int
) -> dict:
    """Every SQL statement the request runs: count and milliseconds per request, and the
    plan of the slowest (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite)."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from app.core.config import Settings
    from app.main import create_app

    app = create_app(Settings(database_url=database_url))
    engine = app.state.db.engine
    stats: dict[str, list[float]] = defaultdict(list)
    params: dict[str, object] = {}
    lock = threading.Lock()

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_t", []).append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        dt = time.perf_counter() - conn.info["bench_t"].pop()
        with lock:
            stats[statement].append(dt)
            params.setdefault(statement, parameters)

    with TestClient(app, base_url="http://bench", headers={"authorization": f"Bearer {key}"}) as tc:
        for _ in range(2):
            tc.request(method, path, json=body)
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        t = time.perf_counter()
        for _ in range(repeat):
            r = tc.request(method, path, json=body)
            assert r.status_code == 200, r.text
        wall = (time.perf_counter() - t) / repeat
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    # SQLite runs a query while rows are fetched, which the cursor hooks do not see: replay
    # each distinct statement with its parameters on a raw cursor, execute + fetchall.
    replay: dict[str, float] = {}
    with engine.connect() as conn:
        cur = conn.connection.dbapi_connection.cursor()
        for statement in stats:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            t = time.perf_counter()
            cur.execute(statement, params[statement])
            cur.fetchall()
            replay[statement] = time.perf_counter() - t
        cur.close()
    rows = sorted(
        stats.items(),
        key=lambda kv: -max(sum(kv[1]) / repeat, replay.get(kv[0], 0) * len(kv[1]) / repeat),
    )
    statements = [
        {
            "sql": " ".join(s.split())[:700],
            "per_request": round(len(v) / repeat, 2),
            "execute_ms_per_request": round(sum(v) / repeat * 1000, 2),
            "replay_execute_fetch_ms": round(replay[s] * 1000, 2) if s in replay else None,
        }
        for s, v in rows
    ]
    plan = None
    if rows:
        slow_sql = rows[0][0]
        with engine.connect() as conn:
            cur = conn.connection.dbapi_connection.cursor()
            if engine.dialect.name == "postgresql":
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + slow_sql, params[slow_sql])
            else:
                cur.execute("EXPLAIN QUERY PLAN " + slow_sql, params[slow_sql])
            plan = [" | ".join(str(c) for c in row) for row in cur.fetchall()]
            cur.close()
    app.state.db.dispose()
    return {
        "request_ms_in_process": round(wall * 1000, 2),
        "sql_ms_per_request": round(
            sum(max(sum(v) / repeat, replay.get(s, 0) * len(v) / repeat) for s, v in stats.items())
            * 1000,
            2,
        ),
        "statements": statements[:10],
        "slowest_plan": plan,
    }
