"""The webhook delivery bench (`python -m bench.webhook_delivery`) at a tiny size, through its
real processes: `rapport serve`, the receiver and (PostgreSQL) two `rapport worker`.

Checks the results' shape and that every delivery arrived once, verified by
`standardwebhooks`; no timing assertions (figures are measured, never asserted)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.databases import BACKENDS, POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]
# SQLite: the embedded worker, with the ingest comparison; PostgreSQL: two `rapport worker`.
SETUP = {"sqlite": "embedded-sqlite", "postgres": "workers-postgres"}


@pytest.fixture(scope="module", params=BACKENDS)
def run(request, tmp_path_factory) -> dict:
    backend = request.param
    out = tmp_path_factory.mktemp(f"webhook-bench-{backend}") / "results.json"
    cmd = [
        sys.executable,
        "-m",
        "bench.webhook_delivery",
        "--setup",
        SETUP[backend],
        "--users",
        "2",
        "--days",
        "3",
        "--paced",
        "4",
        "--output",
        str(out),
    ]
    if backend == "sqlite":
        cmd += ["--ingest", "1"]
    else:
        cmd += ["--postgres-url", POSTGRES_URL]
    proc = subprocess.run(
        cmd,
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, f"webhook bench failed:\n{proc.stderr[-5000:]}"
    return json.loads(out.read_text())["setups"][SETUP[backend]]


def test_every_delivery_arrived_once_and_verified(run):
    once = run["exactly_once"]
    # 2 users × 3 days + 4 paced days, each one pacing.over_limit, and the warm-up test.
    assert once["arrivals"] == once["distinct_webhook_ids"] == once["deliveries_in_db"] == 11
    assert once["duplicates"] == once["missing"] == once["unexpected"] == 0
    assert once["succeeded_in_db"] == 11
    assert once["all_verified"] is True


def test_throughput_and_delays_are_reported_with_the_load(run):
    assert run["backlog"]["deliveries"] == 6 and run["backlog"]["deliveries_per_s"] > 0
    assert run["paced"]["deliveries"] == 4
    for phase in ("backlog", "paced"):
        delay = run[phase]["delay"]
        assert delay["n"] == run[phase]["deliveries"]
        assert delay["from_response_p50_ms"] is not None
        assert delay["from_response_p99_ms"] >= delay["from_response_p50_ms"]
        assert "load average" in run[phase]["uptime"]


def test_ingest_beside_its_baselines(run):
    if run["database"] != "sqlite":
        pytest.skip("the ingest comparison runs on the SQLite smoke only")
    for workload in ("worst", "mix"):
        got = run["ingest"][workload]
        assert set(got["events_per_s"]) == {"hooks", "plain", "direct"}
        assert set(got["ratios"]) == {"hooks_vs_direct", "plain_vs_direct", "hooks_vs_plain"}
