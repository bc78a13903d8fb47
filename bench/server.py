"""The real server: `rapport serve` in a subprocess on 127.0.0.1, its worker processes
(children of the uvicorn master), their peak RSS (VmHWM) and CPU time."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

import httpx

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rapport_executable() -> str:
    exe = Path(sys.executable).with_name("rapport")
    if not exe.exists():
        raise SystemExit(f"{exe} not found: install the app first (pip install -e '.[dev,bench]')")
    return str(exe)


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(entry))
        except (OSError, IndexError):
            continue
    return out


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def status_kb(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
    except (OSError, IndexError):
        return 0.0


class Server:
    """`rapport serve --workers N` against one database; a context manager."""

    def __init__(
        self,
        database_url: str,
        key: str,
        workers: int,
        log_path: Path,
        env: dict[str, str] | None = None,
    ):
        self.database_url = database_url
        self.env = env or {}  # more settings (e.g. the webhook bench's RAPPORT_SECRET_KEY)
        self.key = key
        self.workers = workers
        self.log_path = log_path
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.start_seconds: float | None = None

    def start(self) -> Server:
        """Launch without waiting (several servers can boot in parallel); then wait_ready()."""
        env = {
            **os.environ,
            "RAPPORT_DATABASE_URL": self.database_url,
            "RAPPORT_BOOTSTRAP_KEY": self.key,
            # The benchmark's clients send far more than a key's rate limit (§13).
            "RAPPORT_RATE_LIMIT": "off",
            **self.env,
        }
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._started = time.perf_counter()
        self._startups_before = self._startups()
        self.proc = subprocess.Popen(
            [
                rapport_executable(),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def wait_ready(self, timeout: float = 120) -> Server:
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = round(time.perf_counter() - self._started, 2)
        return self

    def __enter__(self) -> Self:
        if self.proc is None:
            self.start()
        if self.start_seconds is None:
            self.wait_ready()
        return self

    def _startups(self) -> int:
        try:
            return self.log_path.read_bytes().count(b"Application startup complete")
        except FileNotFoundError:
            return 0

    def restarts(self) -> int:
        """Workers the uvicorn supervisor replaced (it kills a worker that misses its 5 s
        health-check ping, e.g. while importing the app on a busy machine)."""
        try:
            return self.log_path.read_bytes().count(b"died")
        except FileNotFoundError:
            return 0

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        before = self._startups_before
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"rapport serve exited with {self.proc.returncode}; see {self.log_path}"
                )
            try:
                ok = httpx.get(self.base_url + "/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                ok = False
            if (
                ok
                and self._startups() - before >= self.workers
                and len(self.worker_pids()) == self.workers
            ):
                return
            time.sleep(0.1)
        raise RuntimeError(f"rapport serve was not ready within {timeout}s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the master's spawned children (or the master
        itself with one worker)."""
        if self.workers == 1:
            return [self.proc.pid]
        return sorted(
            p
            for p in _children(self.proc.pid)
            if "multiprocessing" in _cmdline(p) and "resource_tracker" not in _cmdline(p)
        )

    def memory(self) -> dict:
        workers = [
            {
                "pid": p,
                "vmhwm_mb": round((status_kb(p, "VmHWM") or 0) / 1024, 1),
                "vmrss_mb": round((status_kb(p, "VmRSS") or 0) / 1024, 1),
            }
            for p in self.worker_pids()
        ]
        master = self.proc.pid
        return {
            "workers": workers,
            "max_worker_vmhwm_mb": max((w["vmhwm_mb"] for w in workers), default=None),
            "master_vmhwm_mb": round((status_kb(master, "VmHWM") or 0) / 1024, 1),
        }

    def reset_peaks(self) -> bool:
        """Reset the workers' VmHWM to their current RSS (`clear_refs` 5, Linux 4.0+), so the
        next memory() shows the peak of what ran in between; False where that is refused."""
        try:
            for p in self.worker_pids():
                with open(f"/proc/{p}/clear_refs", "w") as f:
                    f.write("5")
        except OSError:
            return False
        return True

    def cpu(self) -> float:
        return sum(cpu_seconds(p) for p in self.worker_pids())

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the session we started: master + workers
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if not self._log.closed:
            self._log.close()
