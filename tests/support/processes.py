"""Real processes for tests: a `rapport serve` server and a private PostgreSQL cluster."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

RAPPORT = str(Path(sys.executable).parent / "rapport")
TEST_KEY = "rpk_reliabilityTestKey0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def startup_timeout(base: float = 30.0) -> float:
    """``base`` seconds on an idle machine, stretched by the load per core (a 2-core machine
    shared by several test runs starts a server several times slower)."""
    try:
        load = os.getloadavg()[0] / (os.cpu_count() or 1)
    except OSError:  # pragma: no cover - no load average on this platform
        load = 1.0
    return base * max(1.0, load)


class ServerDidNotStart(RuntimeError):
    def __init__(self, message: str, exited: bool):
        super().__init__(message)
        self.exited = exited  # exited by itself (not stopped for being late)


class RapportServer:
    """`rapport serve` on a free port, with the bootstrap key TEST_KEY.

    If the server does not answer /healthz in time, or exits first, its process is stopped
    before the error is raised: a failed start never leaves a `rapport serve` behind. A
    server that exits at once on a port chosen here (another test run may have taken the
    port between free_port() and uvicorn's bind) is started again on a new port. ``env``
    adds to (or replaces) the environment of this process."""

    def __init__(
        self,
        database_url: str,
        workers: int = 1,
        port: int | None = None,
        log: Path | None = None,
        log_level: str = "warning",
        attempts: int = 3,
        env: dict[str, str] | None = None,
    ):
        env = {
            **os.environ,
            "RAPPORT_DATABASE_URL": database_url,
            "RAPPORT_BOOTSTRAP_KEY": TEST_KEY,
            **(env or {}),
        }
        self.log_path = log
        self._log = open(log or os.devnull, "wb")  # noqa: SIM115 - closed in stop()
        self.process: subprocess.Popen | None = None
        for attempt in range(1, attempts + 1):
            self.port = port or free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            self.process = subprocess.Popen(
                [
                    RAPPORT,
                    "serve",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(workers),
                    "--log-level",
                    log_level,
                ],
                env=env,
                stdout=self._log,
                stderr=subprocess.STDOUT,
            )
            try:
                self._wait_ready()
                return
            except ServerDidNotStart as exc:
                if not (exc.exited and port is None and attempt < attempts):
                    self._log.close()
                    raise RuntimeError(str(exc)) from None

    def _wait_ready(self, timeout: float | None = None) -> None:
        """Wait for /healthz; on failure stop the process, then raise ServerDidNotStart."""
        timeout = startup_timeout() if timeout is None else timeout
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise ServerDidNotStart(
                        f"rapport serve exited with {self.process.returncode}", exited=True
                    )
                try:
                    if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            raise ServerDidNotStart(
                f"rapport serve did not answer /healthz within {timeout:.1f} s", exited=False
            )
        except BaseException:
            self._terminate()
            raise

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {TEST_KEY}"}, **kwargs
        )

    def _terminate(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        self._terminate()
        self._log.close()


def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if found:
        return str(found[-1])
    path = shutil.which(name)
    if not path:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return path


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on its own port, run as a non-root user."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="rapport-pg-"))
        self.data = self.dir / "data"
        self._as_user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.dir, "postgres", "postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self._run(
            _pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"
        )
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_user, *args], check=True, capture_output=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.dir / "log"),
            "-w",
            "-t",
            str(round(startup_timeout(60))),
            "start",
        )

    def stop(self) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
