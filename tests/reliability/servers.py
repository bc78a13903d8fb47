"""Deployments of real `rapport serve` processes for the reliability tests."""

import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.databases import throwaway_database
from tests.support.processes import RAPPORT, RapportServer


class Server(RapportServer):
    """RapportServer with a chosen uvicorn log level ("debug": access lines too)."""

    def __init__(self, database_url: str, log: Path, workers: int = 1, log_level: str = "warning"):
        # The load tests send more than the default 1200 requests a minute with one key.
        super().__init__(
            database_url,
            workers=workers,
            log=log,
            log_level=log_level,
            env={"RAPPORT_RATE_LIMIT": "off"},
        )


@dataclass
class Deployment:
    backend: str
    url: str
    servers: list[RapportServer]  # servers[0] logs at debug level
    logs: list[Path]
    directory: Path

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.logs)


def start_together(url: str, specs: list[dict], directory: Path) -> list[RapportServer]:
    """Servers booting at the same moment on one database (migrations included)."""
    started: dict[int, RapportServer | Exception] = {}

    def boot(n: int) -> None:
        try:
            started[n] = Server(url, **specs[n])
        except Exception as exc:
            started[n] = exc

    threads = [threading.Thread(target=boot, args=(n,)) for n in range(len(specs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    servers = [s for s in (started[n] for n in range(len(specs))) if isinstance(s, RapportServer)]
    if len(servers) < len(specs):
        for s in servers:
            s.stop()
        logs = "\n".join(
            spec["log"].read_text(errors="replace")[-2000:]
            for spec in specs
            if spec["log"].exists()
        )
        pytest.fail(f"servers did not start together: {list(started.values())}\n{logs}")
    return servers


@contextmanager
def deploy(backend: str, directory: Path) -> Iterator[Deployment]:
    """A fresh database and two servers on it, each on its own port; servers[0] logs at
    debug level. PostgreSQL: two replicas booting at the same moment. SQLite (one host,
    one file): servers[0] runs `--workers 2`, servers[1] starts once it has migrated."""
    logs = [directory / "server-0.log", directory / "server-1.log"]
    specs = [
        {"log": logs[0], "log_level": "debug", "workers": 1 if backend == "postgres" else 2},
        {"log": logs[1]},
    ]
    with throwaway_database(backend, directory) as url:
        if backend == "postgres":
            servers = start_together(url, specs, directory)
        else:
            servers = [Server(url, **specs[0])]
            try:
                servers.append(Server(url, **specs[1]))
            except Exception:
                servers[0].stop()
                raise
        try:
            yield Deployment(backend, url, servers, logs, directory)
        finally:
            for s in servers:
                s.stop()


def rapport_cli(database_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [RAPPORT, *args],
        env={**os.environ, "RAPPORT_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
