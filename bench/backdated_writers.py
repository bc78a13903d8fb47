"""Readers beside 16 writers (issue 19 item 2's second figure): how many 365-day sales
ratios per second readers get while 16 clients write single events dated today, and while
they write events dated anywhere in the year (back-dated). Target: back-dated ≥ 0.5 × today.

    .venv/bin/python -m bench.backdated_writers --database sqlite [--events 200000]
        [--readers 4] [--writers 16] [--seconds 15] [--workers 2]

The user of bench.backdated (a year of events, Europe/Berlin, thousands of people) is seeded
once; one `rapport serve --workers N` serves it. Each phase runs `--seconds`: readers alone,
then readers with writers dated in the last hour before the readers' `as_of` (inside the
window's newest day), then readers with writers dated at random instants of the year. Every
client is a thread of this process with its own keep-alive connection, looping as fast as
it is answered, or, with `--write-rate R`, the writers together send R writes a second
(the same write load in both phases: unpaced, writes dated today queue on their day's
counter row and so run slower than back-dated ones, which leaves readers more CPU). Requests answered with anything but 200 / 201 are counted apart (a 503 when
the database is busy is a refusal, not a read). Prints one JSON document with `uptime`.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx

from bench.backdated import NOW, OUT, YEAR, seed
from bench.server import Server

HOUR = 3600


def _phase(
    base: str,
    key: str,
    uid: str,
    readers: int,
    writers: int,
    back_s: tuple[int, int],
    seconds: float,
    write_rate: float,
) -> dict:
    stop = threading.Event()
    counts = {"reads": 0, "writes": 0, "refused": 0}
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {key}"}
    ratio = f"/v1/users/{uid}/sales-ratio"
    params = {"window_days": 365, "as_of": NOW.isoformat().replace("+00:00", "Z")}

    def count(name: str, ok: bool) -> None:
        with lock:
            counts[name if ok else "refused"] += 1

    def reader() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            while not stop.is_set():
                count("reads", c.get(ratio, params=params).status_code == 200)

    def writer(n: int) -> None:
        rng = random.Random(n)
        every = writers / write_rate if write_rate else 0.0  # seconds between this one's writes
        due = time.perf_counter() + rng.random() * every
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            while not stop.is_set():
                if every:
                    time.sleep(max(0.0, due - time.perf_counter()))
                    due += every
                at = NOW - timedelta(seconds=rng.randrange(*back_s))
                body = {
                    "platform": "x",
                    "kind": "reply",
                    "occurred_at": at.isoformat(),
                    "counterpart": f"h{rng.randrange(5000):05d}",
                    "is_sales": rng.random() < 0.3,
                }
                r = c.post(f"/v1/users/{uid}/events", json=body)
                count("writes", r.status_code == 201)

    threads = [threading.Thread(target=reader) for _ in range(readers)]
    threads += [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    time.sleep(seconds / 5)  # warm: the caches after the phase change
    with lock:
        start = dict(counts)
    t0 = time.perf_counter()
    time.sleep(seconds)
    with lock:
        end = dict(counts)
    spent = time.perf_counter() - t0
    stop.set()
    for t in threads:
        t.join()
    return {
        "reads_per_s": round((end["reads"] - start["reads"]) / spent, 1),
        "writes_per_s": round((end["writes"] - start["writes"]) / spent, 1),
        "refused": end["refused"] - start["refused"],
    }


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--events", type=int, default=200_000)
    p.add_argument("--readers", type=int, default=4)
    p.add_argument("--writers", type=int, default=16)
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument(
        "--write-rate",
        type=float,
        default=0.0,
        help="writes per second of all writers together (0: each writes as fast as answered)",
    )
    p.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    a = p.parse_args()
    from bench.databases import fresh_database

    OUT.mkdir(exist_ok=True)
    result: dict = {"database": a.database, "events": a.events, "workers": a.workers}
    result |= {"readers": a.readers, "writers": a.writers, "seconds": a.seconds}
    result["write_rate"] = a.write_rate or "unpaced"
    with fresh_database(a.database, "writers", OUT, a.postgres_url) as target:
        key, uid = seed(target.url, a.events)
        log = Path(OUT) / "backdated-writers-server.log"
        with Server(target.url, key, a.workers, log).start().wait_ready() as server:
            phases = {
                "readers_alone": (0, (1, 2)),
                "writers_dated_today": (a.writers, (60, HOUR)),
                "writers_back_dated": (a.writers, (HOUR, YEAR - HOUR)),
            }
            for name, (writers, back_s) in phases.items():
                result[f"uptime_{name}"] = _uptime()
                result[name] = _phase(
                    server.base_url, key, uid, a.readers, writers, back_s, a.seconds, a.write_rate
                )
    today = result["writers_dated_today"]["reads_per_s"]
    back = result["writers_back_dated"]["reads_per_s"]
    result["back_dated_vs_today"] = round(back / today, 2) if today else None
    result["target"] = "readers with back-dated writers >= 0.5 x readers with writes dated today"
    result["uptime_end"] = _uptime()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
