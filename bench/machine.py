"""What the figures were measured on."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

PACKAGES = (
    "rapport",
    "fastapi",
    "starlette",
    "pydantic",
    "pydantic-core",
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "uvicorn",
    "uvloop",
    "httptools",
    "psycopg",
    "psycopg-binary",
    "httpx",
    "py-spy",
)


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _mem_total_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _git() -> dict:
    import app

    snapshot = os.environ.get("BENCH_APP_COMMIT")
    if snapshot:
        return {
            "commit": snapshot,
            "app_dirty": False,
            "app_source": str(Path(app.__file__).parent),
        }
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=False
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--", "app", "migrations"],
                cwd=root,
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
        )
        return {
            "commit": commit or None,
            "app_dirty": dirty,
            "app_source": str(Path(app.__file__).parent),
        }
    except OSError:
        return {"commit": None, "app_dirty": None}


def loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def describe() -> dict:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    wrk = shutil.which("wrk")
    wrk_version = None
    if wrk:
        first = subprocess.run(
            [wrk, "-v"], capture_output=True, text=True, check=False
        ).stdout.split("\n")[0]
        wrk_version = first.split(" [")[0]
    return {
        "cpu_model": _cpu_model(),
        "cpu_cores": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "ram_gb": _mem_total_gb(),
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "packages": versions,
        "wrk": wrk_version,
        "git": _git(),
    }
