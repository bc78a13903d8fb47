"""The benchmark's smoke mode: tiny datasets through the real `rapport serve`, on SQLite and
(when RAPPORT_TEST_POSTGRES_URL is set) on fresh PostgreSQL databases derived from it.

Checks the shape of results.json and that every request succeeded; no timing assertions
(the full benchmark, `make bench`, is never part of the test suite)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.databases import BACKENDS, POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]
INSIGHTS = {
    "pacing",
    "posting_7d",
    "posting_90d",
    "sales_ratio_30d",
    "sales_ratio_365d",
    "engagement_7d",
    "checks_follow",
}


@pytest.fixture(scope="module", params=BACKENDS)
def smoke(request, tmp_path_factory) -> dict:
    backend = request.param
    out = tmp_path_factory.mktemp(f"bench-{backend}") / "results.json"
    cmd = [
        sys.executable,
        "-m",
        "bench",
        "run",
        "--scale",
        "smoke",
        "--database",
        backend,
        "--output",
        str(out),
        "--no-profile",
    ]
    if backend == "postgres":
        cmd += ["--postgres-url", POSTGRES_URL]
    if shutil.which("wrk") is None:  # the full run insists on wrk; the smoke test need not
        cmd += ["--load-client", "python"]
    proc = subprocess.run(
        cmd,
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, (
        f"bench smoke failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    )
    results = json.loads(out.read_text())
    results["_stdout"] = proc.stdout
    return results


def test_every_request_succeeded(smoke):
    assert smoke["failures"] == []
    assert smoke["all_requests_ok"] is True


def test_machine_and_versions_are_recorded(smoke):
    m = smoke["machine"]
    assert m["cpu_cores"] >= 1 and m["ram_gb"] > 0 and m["python"]
    assert {"fastapi", "sqlalchemy", "uvicorn", "rapport"} <= set(m["packages"])
    assert smoke["database_version"]
    assert smoke["meta"]["scale"] == "smoke"


def test_datasets_were_seeded_as_specified(smoke):
    sizes = smoke["meta"]["sizes"]
    for ds, key in (("S", "s_events"), ("H", "h_events"), ("D", "d_events")):
        assert smoke["seeding"][ds]["rows"] == sizes[key] == smoke["datasets"][ds]["events"]
        assert smoke["seeding"][ds]["rows_per_s"] > 0
        assert len(smoke["datasets"][ds]["per_user"]) == 3
        assert len(smoke["datasets"][ds]["per_platform"]) == 4
    assert smoke["datasets"]["H_recent_equals_S"] is True
    if smoke["meta"]["database"] == "sqlite":
        assert smoke["sqlite_format_check"]["matches_app"] is True


def test_ingest_figure_beside_its_baseline(smoke):
    ing = smoke["ingest"]
    assert ing["http"]["created"] == ing["events"] == ing["direct"]["created"]
    assert ing["http"]["non_2xx"] == 0
    assert ing["http"]["events_per_s"] > 0 and ing["direct"]["events_per_s"] > 0
    assert ing["ratio"] > 0


def test_latency_of_every_insight_beside_healthz(smoke):
    for ds in ("S", "H", "D"):
        block = smoke["latency"][ds]
        assert set(block) == INSIGHTS | {"healthz"}
        for name, v in block.items():
            assert v["n"] > 0 and v["non_2xx"] == 0, (ds, name, v)
            assert v["p50_ms"] > 0 and v["p95_ms"] >= v["p50_ms"]
        assert block["sales_ratio_365d"]["answer"]["non_sales"] > 0  # the windows hold data


def test_bluesky_user_beside_healthz(smoke):
    """Dataset B (issue 12): one Bluesky-only user, measured like S/H/D, plus a post check."""
    assert "skipped" not in smoke  # the working tree's app knows bluesky
    assert smoke["seeding"]["B"]["rows"] == smoke["meta"]["sizes"]["b_events"]
    assert smoke["datasets"]["B"]["per_platform"] == {"bluesky": smoke["meta"]["sizes"]["b_events"]}
    assert len(smoke["datasets"]["B"]["per_user"]) == 1
    block = smoke["latency"]["B"]
    assert set(block) == INSIGHTS | {"checks_post", "healthz"}
    for name, v in block.items():
        assert v["n"] > 0 and v["non_2xx"] == 0, (name, v)
    assert block["sales_ratio_365d"]["answer"]["non_sales"] > 0
    b_targets = [t["target"] for t in smoke["targets"] if t.get("dataset") == "B"]
    assert "checks_post: B p50 ≤ 3 × healthz p50" in b_targets
    assert smoke["memory"]["B"]["workers"]


def test_concurrency_mix_and_ceiling(smoke):
    for ds in ("S", "H", "D", "B"):
        c = smoke["concurrency"][ds]
        for which in ("mix", "healthz"):
            r = c[which]
            assert r["requests"] == r["planned"] > 0
            assert r["non_2xx"] == 0, r["statuses"]
            assert r["requests_per_s"] > 0 and r["p99_ms"] >= r["p50_ms"] > 0
        assert c["mix"]["writes"] > 0


def test_memory_of_each_worker(smoke):
    for ds in ("S", "H", "D"):
        mem = smoke["memory"][ds]
        assert mem["workers"] and all(w["vmhwm_mb"] > 0 for w in mem["workers"])


def test_targets_are_reported_not_enforced(smoke):
    targets = smoke["targets"]
    assert targets and all(
        {"target", "figure", "baseline", "ratio", "limit", "met"} <= set(t) for t in targets
    )
    assert isinstance(smoke["targets_met"], bool)
    assert "Targets:" in smoke["_stdout"]
