"""The test harness itself: a server that fails to start is stopped, never left behind."""

import os
import subprocess

import pytest

from tests.support import processes
from tests.support.processes import RapportServer


def _spawned(monkeypatch) -> list[subprocess.Popen]:
    started: list[subprocess.Popen] = []
    real = subprocess.Popen

    def popen(*args, **kwargs):
        started.append(real(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(processes.subprocess, "Popen", popen)
    return started


def test_a_server_late_for_healthz_is_stopped_before_the_error(monkeypatch, tmp_path):
    started = _spawned(monkeypatch)
    monkeypatch.setattr(RapportServer._wait_ready, "__defaults__", (0.2,))  # far too short
    with pytest.raises(RuntimeError, match="healthz"):
        RapportServer(f"sqlite:///{tmp_path / 'late.db'}")
    assert len(started) == 1
    assert started[0].poll() is not None, "rapport serve was left running"


def test_a_server_that_exits_is_reported_and_reaped(monkeypatch, tmp_path):
    started = _spawned(monkeypatch)
    with pytest.raises(RuntimeError, match="exited"):
        RapportServer("postgresql+psycopg://nobody@127.0.0.1:1/none", port=processes.free_port())
    assert [p.poll() is not None for p in started] == [True]


def test_the_start_timeout_grows_with_the_load(monkeypatch):
    cores = os.cpu_count() or 1
    monkeypatch.setattr(os, "getloadavg", lambda: (0.1, 0.0, 0.0))
    assert processes.startup_timeout() == 30
    monkeypatch.setattr(os, "getloadavg", lambda: (3.0 * cores, 0.0, 0.0))
    assert processes.startup_timeout() == pytest.approx(90)
