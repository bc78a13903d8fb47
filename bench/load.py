"""Concurrency: a fixed list of requests sent by 32 concurrent keep-alive connections.

The request list (80 % insight reads, 20 % event writes: single events and small batches)
is generated once in Python, deterministically, and written to a file. wrk (Debian's
package, LuaJIT) replays it with `bench/mix.lua`; each wrk thread takes every T-th request
and stops after its share of responses, writing a marker that tells us to stop wrk at once.
A pure-Python asyncio client (`--load-client python`) replays the same file; it is only a
fallback for machines without wrk, and its CPU use is reported next to the server's.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

LUA = Path(__file__).with_name("mix.lua")


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    body: str = ""
    kind: str = "read"  # read | write | healthz


def require_wrk() -> str:
    exe = shutil.which("wrk")
    if exe is None:
        raise SystemExit(
            "wrk is not installed; the concurrency benchmark needs it.\n"
            "  Debian/Ubuntu: apt-get update && apt-get install -y wrk\n"
            "  (or pass --load-client python to use the slower built-in client)"
        )
    return exe


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    tck = os.sysconf("SC_CLK_TCK")
    idle = values[3] + values[4]
    return (sum(values) - idle) / tck, sum(values) / tck


def write_requests(requests: list[Req], path: Path) -> None:
    with open(path, "w") as f:
        f.writelines(f"{r.method}\t{r.path}\t{r.body}\n" for r in requests)


def percentile(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def run_wrk(
    base_url: str,
    key: str,
    requests: list[Req],
    clients: int,
    threads: int,
    work_dir: Path,
    timeout_s: int = 30,
) -> dict:
    exe = require_wrk()
    run_dir = Path(tempfile.mkdtemp(prefix="wrk-", dir=work_dir))
    req_file = run_dir / "requests.tsv"
    write_requests(requests, req_file)
    result_file = run_dir / "result.json"
    threads = max(1, min(threads, clients))
    env = {
        **os.environ,
        "BENCH_REQUESTS": str(req_file),
        "BENCH_AUTH": f"Bearer {key}",
        "BENCH_THREADS": str(threads),
        "BENCH_DONE_DIR": str(run_dir),
        "BENCH_RESULT": str(result_file),
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0, total0 = machine_busy()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            exe,
            "-t",
            str(threads),
            "-c",
            str(clients),
            "-d",
            "3600s",
            "--timeout",
            f"{timeout_s}s",
            "-s",
            str(LUA),
            base_url,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        while proc.poll() is None:
            if len(list(run_dir.glob("done-*"))) >= threads:
                proc.send_signal(signal.SIGINT)  # wrk sleeps for -d; wake it to report now
                break
            time.sleep(0.02)
        output, _ = proc.communicate(timeout=120)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy1, total1 = machine_busy()
    if not result_file.exists():
        raise RuntimeError(f"wrk did not report (exit {proc.returncode}):\n{output}")
    raw = json.loads(result_file.read_text())
    elapsed = (raw["last_us"] - raw["first_us"]) / 1e6
    out = {
        "client": "wrk "
        + (
            subprocess.run([exe, "-v"], capture_output=True, text=True, check=False)
            .stdout.split("\n")[0]
            .split(" [")[0]
        ),
        "threads": threads,
        "connections": clients,
        "requests": raw["received"],
        "planned": len(requests),
        "seconds": round(elapsed, 3),
        "requests_per_s": round(raw["received"] / elapsed, 1) if elapsed > 0 else None,
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "non_2xx": raw["non2xx"],
        "socket_errors": raw["errors"],
        "statuses": raw["statuses"],
        "writes": raw["writes"],
        "client_cpu_s": round(
            (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 2
        ),
        "machine_busy_cpu_s": round(busy1 - busy0, 2),
        "machine_cpu_capacity_s": round(total1 - total0, 2),
        "wall_s": round(wall, 2),
    }
    shutil.rmtree(run_dir, ignore_errors=True)
    return out


def run_python(
    base_url: str, key: str, requests: list[Req], clients: int, timeout_s: int = 30
) -> dict:
    """Fallback: asyncio + httpx, `clients` keep-alive connections, the same request list."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    index = 0
    writes = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal index, writes
        while index < len(requests):
            r = requests[index]
            index += 1
            t = time.perf_counter()
            try:
                resp = await client.request(
                    r.method,
                    r.path,
                    content=r.body or None,
                    headers={"content-type": "application/json"} if r.body else None,
                )
            except httpx.TimeoutException:
                errors["timeout"] += 1
                continue
            except httpx.HTTPError:
                errors["read"] += 1
                continue
            latencies.append(time.perf_counter() - t)
            statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
            writes += r.kind == "write"

    async def main() -> float:
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(
            base_url=base_url,
            headers={"authorization": f"Bearer {key}"},
            limits=limits,
            timeout=timeout_s,
        ) as client:
            t = time.perf_counter()
            await asyncio.gather(*(worker(client) for _ in range(clients)))
            return time.perf_counter() - t

    cpu0 = time.process_time()
    busy0, total0 = machine_busy()
    elapsed = asyncio.run(main())
    busy1, total1 = machine_busy()
    lat = sorted(latencies)
    return {
        "client": f"python asyncio + httpx {httpx.__version__} (fallback)",
        "threads": 1,
        "connections": clients,
        "requests": len(lat),
        "planned": len(requests),
        "seconds": round(elapsed, 3),
        "requests_per_s": round(len(lat) / elapsed, 1),
        "p50_ms": round(percentile(lat, 50) * 1000, 2),
        "p90_ms": round(percentile(lat, 90) * 1000, 2),
        "p99_ms": round(percentile(lat, 99) * 1000, 2),
        "max_ms": round(lat[-1] * 1000, 2),
        "non_2xx": sum(c for s, c in statuses.items() if not 200 <= s < 300),
        "socket_errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "writes": writes,
        "client_cpu_s": round(time.process_time() - cpu0, 2),
        "machine_busy_cpu_s": round(busy1 - busy0, 2),
        "machine_cpu_capacity_s": round(total1 - total0, 2),
        "wall_s": round(elapsed, 2),
    }


def run(
    client: str,
    base_url: str,
    key: str,
    requests: list[Req],
    clients: int,
    work_dir: Path,
    server_cpu,
) -> dict:
    """Replay `requests`; adds the server workers' CPU seconds (server_cpu() before/after)."""
    cpu0 = server_cpu()
    if client == "wrk":
        out = run_wrk(base_url, key, requests, clients, threads=2, work_dir=work_dir)
    else:
        out = run_python(base_url, key, requests, clients)
    out["server_workers_cpu_s"] = round(server_cpu() - cpu0, 2)
    busy = out["machine_busy_cpu_s"] or 1
    out["client_cpu_share"] = round(out["client_cpu_s"] / busy, 3)
    return out


def mix(
    n: int,
    reads: list[Req],
    write_templates: list[dict],
    write_users: list[str],
    write_share: float,
    seed: int,
    occurred: list[str],
    run_tag: str,
) -> list[Req]:
    """n requests: (1 − write_share) reads chosen uniformly from `reads`, the rest writes —
    half single events (POST /events), half batches of 2–10 (POST /events:batch)."""
    rng = random.Random(f"{seed}-mix-{run_tag}")
    out: list[Req] = []
    serial = 0
    for _ in range(n):
        if rng.random() >= write_share:
            out.append(rng.choice(reads))
            continue
        user = rng.choice(write_users)
        size = 1 if rng.random() < 0.5 else rng.randint(2, 10)
        events = []
        for _ in range(size):
            serial += 1
            body = dict(rng.choice(write_templates))
            body["occurred_at"] = rng.choice(occurred)
            body["external_id"] = f"load-{run_tag}-{serial}"
            events.append(body)
        if size == 1:
            out.append(Req("POST", f"/v1/users/{user}/events", json.dumps(events[0]), "write"))
        else:
            out.append(
                Req(
                    "POST",
                    f"/v1/users/{user}/events:batch",
                    json.dumps({"events": events}),
                    "write",
                )
            )
    return out
