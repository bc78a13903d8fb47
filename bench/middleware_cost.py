"""The cost of §13's middleware stack on an authenticated insight (issue 16).

Two real servers (uvicorn, one worker each, the options `rapport serve` uses) on one
seeded SQLite file: **with** the whole stack (request ids, the JSON log line, metrics,
CORS with an allowed Origin sent, rate limits counted per key with a limit never reached,
the idempotency middleware in the path), and **without** it (the same app with those
middlewares taken out; the request gate and the storage check stay, as they predate §13).
Requests to both alternate on one keep-alive client each, so drift hits both alike; the
p50 of each and their ratio are printed (target: ≤ 1.10).

    .venv/bin/python -m bench.middleware_cost [--samples 400] [--events 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.load import percentile
from bench.server import cpu_seconds, free_port

KEY = "rpk_benchMiddlewareCost0123456789abcdef"
ORIGIN = "https://app.example"
STACK = {"RapportCORSMiddleware", "ObserveMiddleware", "RequestIdMiddleware"}
STACK |= {"RateLimitMiddleware", "IdempotencyMiddleware"}


def bare_app():  # uvicorn --factory: the app without §13's middlewares
    from app.main import create_app

    # BENCH_DROP (comma-separated class names) removes only those, to attribute the cost.
    drop = set(filter(None, os.environ.get("BENCH_DROP", "").split(","))) or STACK
    app = create_app()
    app.user_middleware = [m for m in app.user_middleware if m.cls.__name__ not in drop]
    return app


def full_app():
    from app.main import create_app

    return create_app()


def _serve(
    factory: str, env: dict[str, str], log: Path, valgrind: Path | None = None
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    code = (
        "import uvicorn\n"
        "from app.core.logs import logging_config\n"
        f"uvicorn.run({factory!r}, factory=True, host='127.0.0.1', port={port}, workers=1,"
        " log_config=logging_config('json', 'INFO'), access_log=False, proxy_headers=False,"
        " server_header=False, http='app.core.http_protocol:ReadTimeoutHttpToolsProtocol')\n"
    )
    command = [sys.executable, "-c", code]
    if valgrind is not None:  # callgrind, instrumentation off until _count_instructions
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={valgrind}",
            *command,
        ]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + (900 if valgrind else 120)
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"{factory} did not start; see {log}")


def _seed(base: str, events: int, now: datetime) -> str:
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
        user = c.post("/v1/users", json={"name": "Bench", "timezone": "Europe/Berlin"}).json()
        c.put(f"/v1/users/{user['id']}/follow-plans/x", json={"weekly_target": 70})
        kinds = ["follow", "like", "reply", "comment", "post"]
        for start in range(0, events, 1000):
            batch = [
                {
                    "platform": "x",
                    "kind": kinds[i % len(kinds)],
                    "counterpart": None if kinds[i % len(kinds)] == "post" else f"p{i % 500}",
                    "occurred_at": (now - timedelta(minutes=7 * i)).isoformat(),
                }
                for i in range(start, min(start + 1000, events))
            ]
            r = c.post(f"/v1/users/{user['id']}/events:batch", json={"events": batch})
            r.raise_for_status()
    return str(user["id"])


def _callgrind(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, capture_output=True)


def _instructions(dump_prefix: Path) -> int:
    """Instructions of the dumps callgrind wrote since instrumentation went on."""
    total = 0
    for dump in dump_prefix.parent.glob(dump_prefix.name + "*"):
        for line in dump.read_text(errors="replace").splitlines():
            if line.startswith(("summary:", "totals:")):
                total += int(line.split()[1])
                break
    return total


def run(samples: int, events: int, instructions: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="rapport-mw-") as tmp:
        db = Path(tmp) / "bench.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
        env |= {
            "RAPPORT_DATABASE_URL": f"sqlite:///{db}",
            "RAPPORT_BOOTSTRAP_KEY": KEY,
            "RAPPORT_CORS_ORIGINS": ORIGIN,
            "RAPPORT_RATE_LIMIT": "100000000/minute",  # counted on every request, never hit
        }
        subprocess.run(
            [sys.executable, "-c", "from app.cli import _migrate_and_bootstrap as m; m()"],
            env=env,
            check=True,
            capture_output=True,
        )
        dumps = {k: Path(tmp) / f"cg-{k}-" for k in ("with", "without")}
        with_stack, base_with = _serve(
            "bench.middleware_cost:full_app",
            env,
            Path(tmp) / "w.log",
            dumps["with"] if instructions else None,
        )
        try:
            without, base_without = _serve(
                "bench.middleware_cost:bare_app",
                env,
                Path(tmp) / "wo.log",
                dumps["without"] if instructions else None,
            )
        except BaseException:
            with_stack.kill()
            raise
        try:
            now = datetime.now(UTC).replace(microsecond=0)
            user = _seed(base_with, events, now)
            at = now.isoformat().replace("+00:00", "Z")
            path = f"/v1/users/{user}/pacing?platform=x&as_of={at}"
            headers = {"Authorization": f"Bearer {KEY}", "Origin": ORIGIN}
            lat: dict[str, list[float]] = {"with": [], "without": []}
            procs = {"with": with_stack, "without": without}
            cpu: dict[str, float] = {}
            clients = {
                "with": httpx.Client(base_url=base_with, headers=headers, timeout=30),
                "without": httpx.Client(base_url=base_without, headers=headers, timeout=30),
            }
            for n in range(samples + 30):
                if n == 30:  # after the warm-up: the servers' CPU time from here on
                    cpu = {k: -cpu_seconds(p.pid) for k, p in procs.items()}
                    for p in procs.values() if instructions else ():
                        _callgrind(p.pid, "--instr=on")
                for name in ("with", "without") if n % 2 else ("without", "with"):
                    t = time.perf_counter()
                    r = clients[name].get(path)
                    elapsed = time.perf_counter() - t
                    assert r.status_code == 200, r.text
                    if n >= 30:  # warm-up
                        lat[name].append(elapsed)
            cpu = {k: cpu[k] + cpu_seconds(p.pid) for k, p in procs.items()}
            for p in procs.values() if instructions else ():
                _callgrind(p.pid, "--dump")
                _callgrind(p.pid, "--instr=off")
            counted = (
                {k: _instructions(v) / samples for k, v in dumps.items()} if instructions else {}
            )
            seen = clients["with"].get(path).headers
            assert "ratelimit" in seen and "request-id" in seen, seen
            if not os.environ.get("BENCH_DROP"):
                assert "request-id" not in clients["without"].get(path).headers
            for c in clients.values():
                c.close()
        finally:
            for proc in (with_stack, without):
                proc.terminate()
                proc.wait(timeout=30)
    p50 = {k: percentile(sorted(v), 50) * 1000 for k, v in lat.items()}
    p95 = {k: percentile(sorted(v), 95) * 1000 for k, v in lat.items()}
    return {
        "endpoint": "GET /v1/users/{id}/pacing?platform=x (SQLite, one worker each)",
        "events": events,
        "samples": samples,
        "p50_ms": {k: round(v, 2) for k, v in p50.items()},
        "p95_ms": {k: round(v, 2) for k, v in p95.items()},
        "without_drops": os.environ.get("BENCH_DROP") or "the whole stack",
        "p50_ratio": round(p50["with"] / p50["without"], 3),
        # Server CPU per request: what the stack costs, much less moved by the machine's
        # other work than wall-clock latency is (clock ticks of 10 ms over all samples).
        "server_cpu_ms_per_request": {k: round(v / samples * 1000, 3) for k, v in cpu.items()},
        "cpu_ratio": round(cpu["with"] / cpu["without"], 3),
        "target_ratio": 1.10,
        # Under callgrind (--instructions): instructions per request, the same whatever
        # else the machine does (latencies of that run are valgrind's, not the app's).
        **(
            {
                "instructions_per_request": {k: round(v) for k, v in counted.items()},
                "instructions_ratio": round(counted["with"] / counted["without"], 3),
            }
            if instructions
            else {}
        ),
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="run both servers under valgrind's callgrind and count instructions per request",
    )
    args = parser.parse_args()
    print(json.dumps(run(args.samples, args.events, args.instructions), indent=2))


if __name__ == "__main__":
    main()
