"""Lists bench (issue 19): deep pages and the full CSV export against a real `rapport
serve`, beside the first page in the same run.

    .venv/bin/python -m bench lists --database postgres --events 1000000 --users 10000

* events: p50 of the first page and of the last page (limit 500; the last page's cursor is
  the codec's encoding of the row before it) for each filter;
* CSV export (``Accept: text/csv``) of every event: the whole export's events/s and the
  rate of each tenth of it (the last tenth against the first);
* users: the workspace's users walked to the end, limit 100: the first page's and the last
  page's p50, and the walk's total.

Seeding bypasses the API (bench.lists_seed: COPY / executemany). One worker process; the
client is httpx in this process. Prints one JSON document (and writes it with --output).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from bench.databases import fresh_database
from bench.lists_seed import seed_events, seed_users
from bench.server import Server

OUT = Path(__file__).resolve().parent / "out"
PAGE = 500
FILTERS: dict[str, dict[str, str]] = {
    "none": {},
    "platform=x": {"platform": "x"},
    "kind=reply": {"kind": "reply"},
    "counterpart": {"counterpart": "person0000"},
    "platform=x&kind=reply": {"platform": "x", "kind": "reply"},
    "is_sales=true": {"is_sales": "true"},
}
_SQL_FILTER = {
    "platform": "platform = :platform",
    "kind": "kind = :kind",
    "counterpart": "counterpart = :counterpart",
    "is_sales": "is_sales = :is_sales",
}


def log(msg: str) -> None:
    print(f"[lists {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def uptime() -> str:
    return os.popen("uptime").read().strip()


def _p50_ms(client: httpx.Client, path: str, params: dict[str, Any], samples: int) -> float:
    times = []
    for _ in range(samples):
        t = time.perf_counter()
        r = client.get(path, params=params)
        times.append(time.perf_counter() - t)
        r.raise_for_status()
    return round(statistics.median(times) * 1000, 2)


def _last_page_cursor(url: str, user_id: uuid.UUID, params: dict[str, str]) -> str | None:
    """The cursor after which exactly the last PAGE matching events remain."""
    from app.core.pagination import encode_cursor

    binds: dict[str, Any] = {"u": user_id if url.startswith("postgresql") else user_id.hex}
    where = ["user_id = :u"]
    for name, value in params.items():
        where.append(_SQL_FILTER[name])
        binds[name] = (value == "true") if name == "is_sales" else value
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            n = conn.execute(
                text(f"SELECT count(*) FROM event WHERE {' AND '.join(where)}"), binds
            ).scalar_one()
            if n <= PAGE:
                return None
            at, id_ = conn.execute(
                text(
                    f"SELECT occurred_at, id FROM event WHERE {' AND '.join(where)} "
                    "ORDER BY occurred_at DESC, id DESC LIMIT 1 OFFSET :o"
                ),
                {**binds, "o": n - PAGE - 1},
            ).one()
    finally:
        engine.dispose()
    from datetime import UTC, datetime

    if isinstance(at, str):  # SQLite's stored text
        at = datetime.fromisoformat(at).replace(tzinfo=UTC)
    return encode_cursor(at, uuid.UUID(str(id_)))


def _events(client, url, user_id, samples) -> dict:
    path = f"/v1/users/{user_id}/events"
    out = {}
    for name, params in FILTERS.items():
        cursor = _last_page_cursor(url, user_id, params)
        first = _p50_ms(client, path, {**params, "limit": PAGE}, samples)
        last = (
            _p50_ms(client, path, {**params, "limit": PAGE, "cursor": cursor}, samples)
            if cursor
            else None
        )
        out[name] = {
            "first_page_p50_ms": first,
            "last_page_p50_ms": last,
            "last_vs_first": round(last / first, 2) if last else None,
        }
        log(f"events {name}: {out[name]}")
    return out


def _export(client: httpx.Client, user_id: uuid.UUID, total: int) -> dict:
    """Stream the whole CSV export; the rate of each tenth of the events."""
    marks = [total * k // 10 for k in range(1, 11)]
    stamps: list[float] = []
    rows = -1  # the header
    started = time.perf_counter()
    with client.stream(
        "GET", f"/v1/users/{user_id}/events", headers={"Accept": "text/csv"}, timeout=1800
    ) as r:
        r.raise_for_status()
        for chunk in r.iter_raw():
            rows += chunk.count(b"\n")
            while len(stamps) < len(marks) and rows >= marks[len(stamps)]:
                stamps.append(time.perf_counter() - started)
    seconds = time.perf_counter() - started
    edges = [0.0, *stamps]
    rates = [
        round((total / 10) / (edges[i + 1] - edges[i])) if edges[i + 1] > edges[i] else None
        for i in range(len(stamps))
    ]
    first, last = rates[0], rates[-1]
    return {
        "events": rows,
        "seconds": round(seconds, 2),
        "events_per_s": round(rows / seconds),
        "decile_events_per_s": rates,
        "last_vs_first_decile": round(last / first, 2) if first and last else None,
    }


def _users(client: httpx.Client, samples: int) -> dict:
    params: dict[str, Any] = {"limit": 100}
    pages, cursor, users = 0, None, 0
    started = time.perf_counter()
    while True:
        r = client.get("/v1/users", params={**params, **({"cursor": cursor} if cursor else {})})
        r.raise_for_status()
        body = r.json()
        pages += 1
        users += len(body["items"])
        if body["next_cursor"] is None:
            break
        cursor = body["next_cursor"]  # at the end: the last page's cursor
    walk = time.perf_counter() - started
    first = _p50_ms(client, "/v1/users", params, samples)
    last = _p50_ms(client, "/v1/users", {**params, "cursor": cursor}, samples)
    return {
        "users": users,
        "pages": pages,
        "walk_s": round(walk, 2),
        "first_page_p50_ms": first,
        "last_page_p50_ms": last,
        "last_vs_first": round(last / first, 2),
    }


def run(database: str, events: int, users: int, samples: int, admin_url: str) -> dict:
    OUT.mkdir(exist_ok=True)
    out: dict[str, Any] = {"database": database, "uptime_start": uptime()}
    with fresh_database(database, "lists", OUT, admin_url) as target:
        key = "rpk_" + uuid.uuid4().hex + uuid.uuid4().hex
        log(f"seeding {events:,} events")
        user_id, out["seeded_events"] = seed_events(target, key, events)
        out["seeded_users"] = seed_users(target, users)
        log(f"seeded; {uptime()}")
        server = Server(target.url, key, 1, OUT / f"lists-{database}.log")
        auth = {"Authorization": f"Bearer {key}"}
        with server, httpx.Client(base_url=server.base_url, headers=auth, timeout=60) as client:
            out["uptime_events"] = uptime()
            out["events"] = _events(client, target.url, user_id, samples)
            out["uptime_export"] = uptime()
            out["csv_export"] = _export(client, user_id, events)
            log(f"export: {out['csv_export']}")
            out["uptime_users"] = uptime()
            out["users"] = _users(client, samples)
            log(f"users: {out['users']}")
        out["uptime_end"] = uptime()
    return out


def main(argv: list[str] | None = None) -> None:
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--users", type=int, default=10_000)
    p.add_argument("--samples", type=int, default=11)
    p.add_argument("--output", type=Path)
    p.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    a = p.parse_args(argv)
    result = run(a.database, a.events, a.users, a.samples, a.postgres_url)
    text_ = json.dumps(result, indent=2)
    if a.output:
        a.output.write_text(text_ + "\n")
    print(text_)


if __name__ == "__main__":
    main()
