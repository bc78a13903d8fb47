"""Webhook delivery bench (issue 15): deliveries/s to a local receiver and the delay from the
tripping write to the receiver, through real processes — `rapport serve --workers 2`, the
receiver (`bench/webhook_receiver.py`, its own process, verifying every signature with the
official `standardwebhooks` library) and, in the `workers` setup, two `rapport worker`.

    .venv/bin/python -m bench.webhook_delivery --setup embedded-sqlite embedded-postgres workers-postgres

Setups: `embedded-sqlite` / `embedded-postgres` (the embedded worker of each uvicorn worker),
`workers-postgres` (`RAPPORT_EMBEDDED_WORKER=false` on the server, two `rapport worker`).
Each gets a fresh database and one endpoint subscribed to `pacing.over_limit`; users have an
x follow plan (cap 10, burst 5 in 60 min) and every write is a batch of 11 follows an hour
apart on one UTC day per (user, day): each day trips `daily_cap` once, so each write of a day
is one message and one delivery.

1. **Backlog** (throughput): `--users` × `--days` days, one events:batch per user holding all
   its days, sent back to back; deliveries/s = deliveries / (last arrival − first write
   sent); the delay of each delivery is taken from its write's response.
2. **Paced** (delay): `--paced` writes of one day each, 50–150 ms apart (about 10/s, far below
   the throughput), so the delay is the worker's, not a queue's.

Delay = receiver arrival − the moment the client had the write's response (the commit is
before it: a lower bound of commit → arrival, within a millisecond on loopback); also given
beside it from the body's `timestamp` (taken in the write transaction, before the commit:
an upper bound). Exactly once: every webhook-id counted, duplicates reported, and the
database's deliveries (status, attempts) compared with what arrived.

`--ingest N` adds, on each embedded setup, the ingest comparison of `bench.webhook_ingest_http`.
Prints one JSON document; `--output FILE` writes it too.
"""

import argparse
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from bench import machine
from bench.databases import fresh_database
from bench.load import percentile
from bench.server import Server, free_port, rapport_executable

OUT = Path(__file__).resolve().parent / "out"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SETUPS = {
    "embedded-sqlite": ("sqlite", True, 0),
    "embedded-postgres": ("postgres", True, 0),
    "workers-postgres": ("postgres", False, 2),
}
PLAN = {"weekly_target": 70, "daily_cap": 10, "burst_limit": 5, "burst_window_minutes": 60}


def log(msg: str) -> None:
    print(f"[webhook-bench {datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


# -- processes -------------------------------------------------------------------------


class Receiver:
    """`python -m bench.webhook_receiver` on a free port; arrivals read from its file."""

    def __init__(self, run_dir: Path):
        self.port = free_port()
        self.secrets_path = run_dir / "receiver-secrets.json"
        self.out = run_dir / "arrivals.jsonl"
        self._secrets: dict[str, str] = {}
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = run_dir / "receiver.log"

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/h/{name}"

    def add_secret(self, name: str, secret: str) -> None:
        self._secrets[f"/h/{name}"] = secret
        tmp = self.secrets_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._secrets))
        tmp.replace(self.secrets_path)

    def start(self) -> None:
        with self._log.open("ab") as logf:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.webhook_receiver",
                    "--port",
                    str(self.port),
                    "--secrets",
                    str(self.secrets_path),
                    "--out",
                    str(self.out),
                ],
                stdout=logf,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the receiver did not listen; see {self._log}")

    def arrivals(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        lines = self.out.read_text().splitlines()
        return [json.loads(line) for line in lines if line.endswith("}")]

    def stop(self) -> None:
        _stop(self.proc)


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def start_workers(n: int, url: str, env: dict[str, str], run_dir: Path) -> list[Any]:
    procs = []
    for i in range(n):
        with (run_dir / f"worker-{i}.log").open("ab") as logf:
            procs.append(
                subprocess.Popen(
                    [rapport_executable(), "worker"],
                    env={**os.environ, **env, "RAPPORT_DATABASE_URL": url},
                    stdout=logf,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    return procs


# -- writes ----------------------------------------------------------------------------


def follows(day: datetime) -> list[dict[str, Any]]:
    """11 follows on x an hour apart (08:00–18:00 UTC): over the cap of 10, never a burst."""
    return [
        {
            "platform": "x",
            "kind": "follow",
            "direction": "outbound",
            "occurred_at": (day + timedelta(hours=8 + h)).isoformat(),
        }
        for h in range(11)
    ]


def make_users(http: httpx.Client, n: int, label: str) -> list[str]:
    ids = []
    for i in range(n):
        r = http.post("/v1/users", json={"name": f"{label}-{i}", "timezone": "UTC"})
        r.raise_for_status()
        ids.append(r.json()["id"])
        http.put(f"/v1/users/{ids[-1]}/follow-plans/x", json=PLAN).raise_for_status()
    return ids


def write(http: httpx.Client, user: str, days: list[datetime]) -> tuple[float, float]:
    """One events:batch of the days' follows; (wall-clock sent, wall-clock answered)."""
    body = {"events": [e for d in days for e in follows(d)]}
    sent = time.time()
    r = http.post(f"/v1/users/{user}/events:batch", json=body)
    answered = time.time()
    r.raise_for_status()
    return sent, answered


def wait_for(receiver: Receiver, n: int, quiet_s: float = 20.0) -> list[dict[str, Any]]:
    """Arrivals once there are ``n``, or once none came for ``quiet_s``."""
    last_n, last_change = -1, time.monotonic()
    while True:
        got = receiver.arrivals()
        if len(got) >= n:
            return got
        if len(got) != last_n:
            last_n, last_change = len(got), time.monotonic()
        elif time.monotonic() - last_change > quiet_s:
            return got
        time.sleep(0.1)


def _ms(values: list[float], p: float) -> float | None:
    v = percentile(sorted(values), p)
    return None if v is None else round(v * 1000, 1)


def delays(arrivals: list[dict[str, Any]], answered: dict[tuple[str, str], float]) -> dict:
    from_response, from_body = [], []
    for a in arrivals:
        t = answered.get((a["user_id"], a["date"]))
        if t is None:
            continue
        from_response.append(a["at"] - t)
        emitted = datetime.fromisoformat(a["timestamp"].replace("Z", "+00:00")).timestamp()
        from_body.append(a["at"] - emitted)
    return {
        "n": len(from_response),
        "from_response_p50_ms": _ms(from_response, 50),
        "from_response_p99_ms": _ms(from_response, 99),
        "from_response_max_ms": _ms(from_response, 100),
        "from_body_timestamp_p50_ms": _ms(from_body, 50),
        "from_body_timestamp_p99_ms": _ms(from_body, 99),
    }


# -- one setup -------------------------------------------------------------------------


def run_setup(name: str, a: argparse.Namespace, run_dir: Path) -> dict[str, Any]:
    from app.core.migrate import upgrade

    backend, embedded, n_workers = SETUPS[name]
    key = "rpk_bench" + secrets.token_urlsafe(24)
    env = {
        "RAPPORT_SECRET_KEY": "bench-" + secrets.token_urlsafe(16),
        "RAPPORT_WEBHOOK_ALLOW_LOOPBACK": "true",
        "RAPPORT_EMBEDDED_WORKER": "true" if embedded else "false",
    }
    out: dict[str, Any] = {"setup": name, "database": backend, "uptime_start": uptime()}
    with ExitStack() as stack:
        target = stack.enter_context(fresh_database(backend, "webhooks", OUT, a.postgres_url))
        upgrade(target.url)
        server = Server(target.url, key, 2, run_dir / f"server-{name}.log", env)
        server.start()
        stack.callback(server.stop)
        server.wait_ready()
        if n_workers:
            procs = start_workers(n_workers, target.url, env, run_dir)
            for p in procs:
                stack.callback(_stop, p)
        (run_dir / name).mkdir()
        receiver = Receiver(run_dir / name)
        http = stack.enter_context(
            httpx.Client(
                base_url=server.base_url,
                headers={"authorization": f"Bearer {key}"},
                timeout=120,
            )
        )
        r = http.post(
            "/v1/webhooks",
            json={"url": receiver.url("delivery"), "events": ["pacing.over_limit"]},
        )
        r.raise_for_status()
        endpoint = r.json()
        receiver.add_secret("delivery", endpoint["secret"])
        receiver.start()
        stack.callback(receiver.stop)
        # Warm-up: one webhook.test through the whole path (connections, statements).
        http.post(f"/v1/webhooks/{endpoint['id']}:test").raise_for_status()
        if len(wait_for(receiver, 1, 30)) != 1:
            raise RuntimeError(f"{name}: the test delivery did not arrive")
        base = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        answered: dict[tuple[str, str], float] = {}

        # 1. backlog
        users = make_users(http, a.users, "backlog")
        days = [base - timedelta(days=d) for d in range(1, a.days + 1)]
        log(f"{name}: backlog, {a.users} writes of {a.days} tripping days each")
        t0 = time.time()
        for u in users:
            _, done = write(http, u, days)
            for d in days:
                answered[(u, d.date().isoformat())] = done
        writes_s = time.time() - t0
        expected = 1 + a.users * a.days
        got = wait_for(receiver, expected)
        backlog = [x for x in got if x["type"] == "pacing.over_limit"]
        last = max((x["at"] for x in backlog), default=t0)
        out["backlog"] = {
            "writes": a.users,
            "events_per_write": a.days * 11,
            "writes_s": round(writes_s, 2),
            "deliveries": len(backlog),
            "drain_s": round(last - t0, 2),
            "deliveries_per_s": round(len(backlog) / (last - t0), 1) if backlog else None,
            "delay": delays(backlog, answered),
            "uptime": uptime(),
        }
        log(f"  {out['backlog']['deliveries_per_s']} deliveries/s; {out['backlog']['delay']}")

        # 2. paced
        rng = random.Random(15)
        paced_users = make_users(http, max(1, a.paced // 60 + 1), "paced")
        log(f"{name}: paced, {a.paced} writes of one tripping day, 50–150 ms apart")
        for i in range(a.paced):
            u = paced_users[i % len(paced_users)]
            day = base - timedelta(days=1 + i // len(paced_users))
            _, done = write(http, u, [day])
            answered[(u, day.date().isoformat())] = done
            time.sleep(rng.uniform(0.05, 0.15))
        got = wait_for(receiver, expected + a.paced)
        seen = {(x["user_id"], x["date"]) for x in backlog}
        paced = [
            x
            for x in got
            if x["type"] == "pacing.over_limit" and (x["user_id"], x["date"]) not in seen
        ]
        out["paced"] = {
            "writes": a.paced,
            "deliveries": len(paced),
            "delay": delays(paced, answered),
            "uptime": uptime(),
        }
        log(f"  paced delay {out['paced']['delay']}")
        out["exactly_once"] = exactly_once(got, target.url)
        log(f"  exactly once: {out['exactly_once']}")
        if a.ingest and embedded:
            from bench import webhook_ingest_http

            out["ingest"] = {}
            for workload in ("worst", "mix"):
                log(f"{name}: ingest ({workload}), {a.ingest} batches of 1,000 for each path")
                got_ = webhook_ingest_http.run(
                    server.base_url, target.url, receiver, a.ingest, workload
                )
                out["ingest"][workload] = {**got_, "uptime": uptime()}
                log(f"  ingest {workload}: {got_['events_per_s']} {got_['ratios']}")
        out["worker_restarts"] = server.restarts()
    return out


def exactly_once(arrivals: list[dict[str, Any]], url: str) -> dict[str, Any]:
    """Distinct webhook-ids against arrivals and against the database's deliveries."""
    ids = [x["id"] for x in arrivals if x["path"] == "/h/delivery"]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT d.status, d.attempts, m.id FROM webhook_delivery d "
                    "JOIN webhook_message m ON m.id = d.message_id "
                    "JOIN webhook_endpoint e ON e.id = d.endpoint_id "
                    "WHERE e.url LIKE '%/h/delivery'"
                )
            ).all()
    finally:
        engine.dispose()
    in_db = {r[2] for r in rows}
    return {
        "arrivals": len(ids),
        "distinct_webhook_ids": len(set(ids)),
        "duplicates": len(ids) - len(set(ids)),
        "deliveries_in_db": len(rows),
        "succeeded_in_db": sum(1 for r in rows if r[0] == "succeeded"),
        "attempts_over_1": sum(1 for r in rows if r[1] > 1),
        "missing": len(in_db - set(ids)),
        "unexpected": len(set(ids) - in_db),
        "all_verified": all(x["verified"] for x in arrivals),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--setup", nargs="+", choices=list(SETUPS), default=list(SETUPS))
    p.add_argument("--users", type=int, default=12, help="backlog: writes (one user each)")
    p.add_argument("--days", type=int, default=84, help="backlog: tripping days per write")
    p.add_argument("--paced", type=int, default=300, help="paced writes (one day each)")
    p.add_argument("--ingest", type=int, default=0, help="ingest batches per path (0: none)")
    p.add_argument(
        "--postgres-url", default=os.environ.get("RAPPORT_TEST_POSTGRES_URL", DEFAULT_PG)
    )
    p.add_argument("--output", type=Path)
    a = p.parse_args()
    OUT.mkdir(exist_ok=True)
    run_dir = OUT / f"webhooks-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}"
    run_dir.mkdir()
    results: dict[str, Any] = {
        "meta": {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "args": {k: str(v) for k, v in vars(a).items()},
            "commit": _commit(),
            "run_dir": str(run_dir),
        },
        "machine": machine.describe(),
        "setups": {},
    }
    for name in a.setup:
        results["setups"][name] = run_setup(name, a, run_dir)
    text_ = json.dumps(results, indent=2)
    print(text_)
    if a.output:
        a.output.write_text(text_ + "\n")


def _commit() -> str:
    r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "app"], capture_output=True, text=True)
    return r.stdout.strip() + ("+dirty app/" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    main()
