"""Per-request overhead (issue 19, item 4): an authenticated insight's requests/s beside a
bare FastAPI app's, in the same run, and where a request's time goes.

Three real servers, one uvicorn worker each with the options `rapport serve` uses: a bare
FastAPI app (one `async def` route answering a small JSON object: the framework's floor),
and `rapport serve` on a seeded SQLite file (one user, a follow plan, 2,000 events on x)
— and the same on PostgreSQL with `--postgres-url`. wrk drives each target for a few
seconds, in rounds that alternate the targets (so the machine's drift hits all alike); the
median requests/s of the rounds is kept. With `--profile`, py-spy samples the Rapport
worker (threads holding the GIL only: CPU, not waits) during one more round of /v1/me and
of pacing, and the leaf frames are grouped by library.

    .venv/bin/python -m bench.overhead [--seconds 5] [--rounds 3] [--connections 8]
        [--postgres-url URL] [--profile]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.databases import fresh_database
from bench.load import Req, run_wrk
from bench.server import Server, free_port

KEY = "rpk_benchOverhead0123456789abcdefghijkl"


def bare():  # uvicorn --factory: the framework's floor
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, bool]:
        return {"ok": True}

    return app


def _serve_bare(log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    code = (
        "import uvicorn\n"
        f"uvicorn.run('bench.overhead:bare', factory=True, host='127.0.0.1', port={port},"
        " workers=1, access_log=False, log_level='warning', server_header=False,"
        " http='app.core.http_protocol:ReadTimeoutHttpToolsProtocol')\n"
    )
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/hello", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"the bare app did not start; see {log}")


def _seed(base: str, now: datetime) -> str:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}) as c:
        user = c.post("/v1/users", json={"name": "Bench", "timezone": "Europe/Berlin"}).json()
        c.put(f"/v1/users/{user['id']}/follow-plans/x", json={"weekly_target": 70})
        kinds = ["follow", "like", "reply", "comment", "post"]
        events = [
            {
                "platform": "x",
                "kind": kinds[i % len(kinds)],
                "counterpart": None if kinds[i % len(kinds)] == "post" else f"p{i % 300}",
                "occurred_at": (now - timedelta(minutes=9 * i)).isoformat(),
            }
            for i in range(2000)
        ]
        for start in range(0, len(events), 1000):
            batch = {"events": events[start : start + 1000]}
            c.post(f"/v1/users/{user['id']}/events:batch", json=batch).raise_for_status()
    return str(user["id"])


def _profile(pid: int, seconds: float, out: Path) -> dict[str, float]:
    """py-spy's raw samples of the worker, self time grouped by where the frame's code is."""
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    subprocess.run(
        [
            exe,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "250",
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
            "--gil",
        ],
        check=True,
        capture_output=True,
    )
    groups: collections.Counter[str] = collections.Counter()
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        leaf = stack.split(";")[-1]
        groups[_group(leaf)] += n
    return {k: round(v / total * 100, 1) for k, v in groups.most_common()} if total else {}


def _profile_into(found: dict[str, float], pid: int, seconds: float, out: Path) -> None:
    found.update(_profile(pid, seconds, out))


def _group(frame: str) -> str:
    for marker, name in (
        ("/app/", "rapport (app/)"),
        ("sqlalchemy", "sqlalchemy"),
        ("sqlmodel", "sqlalchemy"),
        ("psycopg", "driver (psycopg/sqlite3)"),
        ("sqlite3", "driver (psycopg/sqlite3)"),
        ("pydantic", "pydantic"),
        ("fastapi", "fastapi"),
        ("starlette", "starlette"),
        ("anyio", "threads (anyio)"),
        ("threading", "threads (anyio)"),
        ("concurrent", "threads (anyio)"),
        ("uvicorn", "uvicorn"),
        ("httptools", "uvicorn"),
        ("asyncio", "asyncio"),
        ("structlog", "logs/metrics"),
        ("logging", "logs/metrics"),
        ("prometheus", "logs/metrics"),
        ("limits", "rate limits"),
    ):
        if marker in frame:
            return name
    return "other"


def run(
    seconds: float, rounds: int, connections: int, postgres_url: str | None, profile: bool
) -> dict:
    now = datetime.now(UTC).replace(microsecond=0)
    at = now.isoformat().replace("+00:00", "Z")
    with tempfile.TemporaryDirectory(prefix="rapport-overhead-") as tmp:
        work = Path(tmp)
        database = fresh_database(
            "postgres" if postgres_url else "sqlite", "overhead", work, postgres_url
        )
        url = database.__enter__().url
        bare_proc, bare_base = _serve_bare(work / "bare.log")
        server = Server(url, KEY, 1, work / "rapport.log")
        try:
            os.environ["RAPPORT_EMBEDDED_WORKER"] = "false"
            with server:
                user = _seed(server.base_url, now)
                targets = {
                    "bare FastAPI GET /hello": (bare_base, "/hello"),
                    "GET /healthz": (server.base_url, "/healthz"),
                    "GET /v1/me": (server.base_url, "/v1/me"),
                    "GET pacing (S-like user)": (
                        server.base_url,
                        f"/v1/users/{user}/pacing?platform=x&as_of={at}",
                    ),
                }
                rates: dict[str, list[float]] = {k: [] for k in targets}
                p50: dict[str, list[float]] = {k: [] for k in targets}
                # wrk sends a planned list: plan about `seconds` of each target's own rate.
                planned = {
                    name: max(
                        200,
                        int(_wrk(base, path, 300, connections, work)["requests_per_s"] * seconds),
                    )
                    for name, (base, path) in targets.items()
                }
                for _ in range(rounds):
                    for name, (base, path) in targets.items():
                        result = _wrk(base, path, planned[name], connections, work)
                        rates[name].append(result["requests_per_s"])
                        p50[name].append(result["p50_ms"])
                floor = statistics.median(rates["bare FastAPI GET /hello"])
                table = {
                    name: {
                        "requests_per_s": round(statistics.median(r), 1),
                        "p50_ms": round(statistics.median(p50[name]), 2),
                        "share_of_bare": round(statistics.median(r) / floor, 3),
                        "rounds": r,
                    }
                    for name, r in rates.items()
                }
                where: dict[str, dict[str, float]] = {}
                for name in ("GET /v1/me", "GET pacing (S-like user)") if profile else ():
                    base, path = targets[name]
                    pid = server.worker_pids()[0]
                    out = work / "spy.txt"
                    found: dict[str, float] = {}
                    spy = threading.Thread(target=_profile_into, args=(found, pid, seconds, out))
                    spy.start()
                    _wrk(base, path, int(planned[name] * 1.5), connections, work)
                    spy.join()
                    where[name] = found
        finally:
            bare_proc.terminate()
            bare_proc.wait(timeout=30)
            database.__exit__(None, None, None)
    return {
        "database": "postgres" if postgres_url else "sqlite",
        "connections": connections,
        "seconds_per_round": seconds,
        "rounds": rounds,
        "targets": table,
        "profile_self_time_percent": where,
        "target": "authenticated insight ≥ 0.15 × bare FastAPI requests/s",
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
    }


def _wrk(base: str, path: str, requests: int, connections: int, work: Path) -> dict:
    result = run_wrk(base, KEY, [Req("GET", path)] * requests, connections, 1, work)
    assert result["non_2xx"] == 0, (path, result["statuses"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    result = run(args.seconds, args.rounds, args.connections, args.postgres_url, args.profile)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
