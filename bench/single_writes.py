"""Concurrent single-event writes (issue 19, item 3): events/s of `POST …/events` (one
event per request) with one client and with 32, p50/p99, on `rapport serve --workers 2`.

Each request carries a new event (its own `external_id`, an instant in the last day) for
one of four users on a fresh database; wrk sends them with 1 connection, then with 32;
the target is 32 clients ≥ 5 × one client's events/s on PostgreSQL and ≥ 1 × on SQLite.

    .venv/bin/python -m bench.single_writes [--database sqlite|postgres] [--requests 600]
        [--postgres-url URL] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.databases import fresh_database
from bench.load import Req, run_wrk
from bench.server import Server

KEY = "rpk_benchSingleWrites0123456789abcdefgh"
KINDS = ("like", "reply", "comment", "follow", "mention")


def _users(base: str, n: int) -> list[str]:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}) as c:
        return [
            c.post("/v1/users", json={"name": f"W{i}", "timezone": "Europe/Berlin"}).json()["id"]
            for i in range(n)
        ]


def _requests(users: list[str], n: int, tag: str, now: datetime) -> list[Req]:
    out = []
    for i in range(n):
        body = {
            "platform": "x",
            "kind": KINDS[i % len(KINDS)],
            "counterpart": f"h{i % 997}",
            "occurred_at": (now - timedelta(seconds=37 * i % 86_000)).isoformat(),
            "external_id": f"single-{tag}-{i}",
        }
        out.append(Req("POST", f"/v1/users/{users[i % len(users)]}/events", json.dumps(body)))
    return out


def run(backend: str, requests: int, postgres_url: str | None, workers: int) -> dict:
    now = datetime.now(UTC).replace(microsecond=0)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="rapport-single-") as tmp:
        work = Path(tmp)
        with fresh_database(backend, "single", work, postgres_url) as target:
            os.environ["RAPPORT_EMBEDDED_WORKER"] = "false"
            with Server(target.url, KEY, workers, work / "server.log") as server:
                users = _users(server.base_url, 4)
                run_wrk(server.base_url, KEY, _requests(users, 50, "warm", now), 4, 1, work)
                for clients in (1, 32, 1, 32):  # twice each, alternating: drift hits both
                    reqs = _requests(users, requests, f"c{clients}-{len(results)}", now)
                    r = run_wrk(server.base_url, KEY, reqs, clients, 2 if clients > 1 else 1, work)
                    assert r["non_2xx"] == 0, r["statuses"]
                    results[f"{clients} clients, run {len(results) // 2 + 1}"] = {
                        "events_per_s": r["requests_per_s"],
                        "p50_ms": r["p50_ms"],
                        "p99_ms": r["p99_ms"],
                    }
    one = max(v["events_per_s"] for k, v in results.items() if k.startswith("1 "))
    many = max(v["events_per_s"] for k, v in results.items() if k.startswith("32 "))
    return {
        "database": backend,
        "workers": workers,
        "requests_per_run": requests,
        "runs": results,
        "ratio_32_to_1": round(many / one, 2),
        "target": "≥ 5 on PostgreSQL, ≥ 1 on SQLite",
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "RAPPORT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(run(args.database, args.requests, args.postgres_url, args.workers), indent=2))


if __name__ == "__main__":
    main()
