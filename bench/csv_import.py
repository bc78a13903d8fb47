"""CSV import at the row limit: throughput and the worker's peak memory (issue 17).

    python -m bench.csv_import [--postgres-url URL] [--rows 100000]

For each database: a fresh migrated database, `rapport serve` with one worker, a
100,000-row CSV (the import's row limit) posted once to a new user (every row new), then
the same file again (every row a duplicate), then that user's export imported into a
second user. Reports rows/s, the answer time, the worker's peak RSS (VmHWM) before and
after, each import's own peak (VmHWM reset before it, `peak_mb`; its growth over the RSS
before it, `peak_over_start_mb`), and the file and export sizes; writes
bench/results-csv-import.json (or --output).
"""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
import time
from pathlib import Path

import httpx

from bench import databases, machine
from bench.cli import DEFAULT_PG
from bench.server import Server

KINDS = ("post", "reply", "like", "share", "follow")


def crm_file(rows: int) -> bytes:
    """A CRM-like file: semicolons, other header names, aliases, a column to ignore."""
    lines = ["Channel;Activity Type;Occurred At;Counterpart;Body;Record ID;Deal Stage"]
    for i in range(rows):
        day, second = divmod(i, 86_400)
        lines.append(
            f"Twitter;{KINDS[i % 5]};2026-{9 + day // 30:02d}-{1 + day % 30:02d} "
            f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}+01:00;"
            f"p{i % 97};note {i};crm-{i};won"
        )
    return ("\r\n".join(lines) + "\r\n").encode()


PARAMS = {
    "columns": "Channel:platform,Activity Type:kind,Body:text,Record ID:external_id",
    "unknown_columns": "ignore",
}


def _post(
    http: httpx.Client, server: Server, user: str, body: bytes, params: dict[str, str]
) -> dict:
    reset = server.reset_peaks()
    start_mb = server.memory()["workers"][0]["vmrss_mb"]
    started = time.perf_counter()
    r = http.post(
        f"/v1/users/{user}/events:import",
        content=body,
        params=params,
        headers={"Content-Type": "text/csv"},
    )
    seconds = time.perf_counter() - started
    r.raise_for_status()
    answer = r.json()
    rows = answer["created"] + answer["duplicates"]
    return {
        "rows": rows,
        "created": answer["created"],
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "body_mib": round(len(body) / (1 << 20), 2),
        **_peak(server, reset, start_mb),
    }


def _peak(server: Server, reset: bool, start_mb: float) -> dict:
    if not reset:
        return {}
    peak = server.memory()["max_worker_vmhwm_mb"]
    return {"peak_mb": peak, "peak_over_start_mb": round(peak - start_mb, 1)}


def measure(backend: str, admin_url: str | None, rows: int, out_dir: Path) -> dict:
    key = "rpk_" + secrets.token_urlsafe(24)
    with databases.fresh_database(backend, "csv", out_dir, admin_url) as target:
        databases.prepare(target, key)
        with Server(target.url, key, 1, out_dir / f"serve-{backend}.log") as server:
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=server.base_url, headers=headers, timeout=600) as http:
                users = [
                    http.post("/v1/users", json={"name": n}).json()["id"]
                    for n in ("source", "copy")
                ]
                before = server.memory()["max_worker_vmhwm_mb"]
                body = crm_file(rows)
                first = _post(http, server, users[0], body, PARAMS)
                after_first = server.memory()["max_worker_vmhwm_mb"]
                again = _post(http, server, users[0], body, PARAMS)
                started = time.perf_counter()
                export = http.get(
                    f"/v1/users/{users[0]}/events", headers={"Accept": "text/csv"}
                ).content
                export_s = time.perf_counter() - started
                back = _post(http, server, users[1], export, {})
                return {
                    "database": databases.database_version(target),
                    "worker_vmhwm_mb_before": before,
                    "worker_vmhwm_mb_after_first_import": after_first,
                    "worker_vmhwm_mb_after_all": server.memory()["max_worker_vmhwm_mb"],
                    "crm_file_new_rows": first,
                    "crm_file_again_all_duplicates": again,
                    "export": {
                        "rows": rows,
                        "seconds": round(export_s, 2),
                        "rows_per_s": round(rows / export_s),
                        "mib": round(len(export) / (1 << 20), 2),
                    },
                    "export_imported_into_a_new_user": back,
                }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--output", type=Path, default=Path("bench/results-csv-import.json"))
    args = parser.parse_args()
    results: dict = {"machine": machine.describe(), "rows": args.rows, "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ("sqlite", "postgres"):
            if args.only and backend != args.only:
                continue
            admin = args.postgres_url if backend == "postgres" else None
            results["runs"][backend] = measure(backend, admin, args.rows, Path(tmp))
            print(backend, json.dumps(results["runs"][backend], indent=2), flush=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
