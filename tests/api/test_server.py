"""The real thing: `rapport serve` as a process, and the `rapport keys` commands.

SQLite only (a fresh file per test); these tests do not depend on the backend fixture, so
they run once per session.
"""

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import get_settings
from tests.api.helpers import assert_problem

RAPPORT = Path(sys.executable).parent / "rapport"
BOOTSTRAP_KEY = "rpk_" + "bootstrapKeyForTests_0123456789"
KEY_RE = re.compile(r"rpk_[A-Za-z0-9_-]{22,}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(db_file: Path, bootstrap_key: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env["RAPPORT_DATABASE_URL"] = f"sqlite:///{db_file}"
    env["PYTHONUNBUFFERED"] = "1"
    if bootstrap_key:
        env["RAPPORT_BOOTSTRAP_KEY"] = bootstrap_key
    return env


@contextmanager
def serve(
    tmp_path: Path, db_file: Path, bootstrap_key: str | None = None, run: int = 0
) -> Iterator[tuple[str, Path]]:
    """Run `rapport serve` until /healthz answers; yields (base_url, stdout file)."""
    port = _free_port()
    out = tmp_path / f"serve-{run}.out"
    err = tmp_path / f"serve-{run}.err"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        proc = subprocess.Popen(
            [str(RAPPORT), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=_env(db_file, bootstrap_key),
            cwd=tmp_path,
            stdout=stdout,
            stderr=stderr,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise AssertionError(
                        f"rapport serve exited with {proc.returncode}:\n"
                        f"{out.read_text()}\n{err.read_text()}"
                    )
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"rapport serve did not come up:\n{err.read_text()}")
                time.sleep(0.1)
            yield base, out
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def rapport(db_file: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(RAPPORT), *args],
        env=_env(db_file),
        cwd=db_file.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert result.returncode == 0, f"rapport {' '.join(args)}: {result.stdout}\n{result.stderr}"
    return result


def rapport_in_process(db_file: Path, *args: str):
    """The same Typer commands without the cost of a new interpreter (`keys create`
    above runs through the console script; the others run here to keep the suite fast)."""
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, list(args), env=_env(db_file), catch_exceptions=False)
    finally:
        get_settings.cache_clear()


def test_served_process_with_a_bootstrap_key(tmp_path):
    db_file = tmp_path / "served.db"
    with serve(tmp_path, db_file, BOOTSTRAP_KEY) as (base, out):
        auth = {"Authorization": f"Bearer {BOOTSTRAP_KEY}"}
        with httpx.Client(base_url=base, headers=auth, timeout=10) as c:
            me = c.get("/v1/me")
            assert me.status_code == 200, me.text
            assert me.json()["name"] == "default"
            assert c.get("/readyz").json() == {"status": "ready"}

            r = c.post("/v1/users", json={"name": "Ada", "timezone": "Europe/Berlin"})
            assert r.status_code == 201, r.text
            user = r.json()
            assert r.headers["location"] == f"/v1/users/{user['id']}"

            r = c.post(
                f"/v1/users/{user['id']}/events",
                json={
                    "platform": "x",
                    "kind": "reply",
                    "counterpart": "  @SomeOne ",
                    "occurred_at": "2026-03-08T01:30:00.123456-05:00",
                    "external_id": "ev-1",
                },
            )
            assert r.status_code == 201, r.text
            created = r.json()
            assert created["counterpart"] == "someone"
            assert created["occurred_at"] == "2026-03-08T06:30:00.123456Z"

            listed = c.get(f"/v1/users/{user['id']}/events")
            assert listed.status_code == 200
            assert listed.json() == {"items": [created], "next_cursor": None}

            # Committed for real: a retry is recognised as the same event.
            again = c.post(
                f"/v1/users/{user['id']}/events",
                json={
                    "platform": "x",
                    "kind": "reply",
                    "counterpart": "someone",
                    "occurred_at": "2026-03-08T06:30:00.123456Z",
                    "external_id": "ev-1",
                },
            )
            assert again.status_code == 200 and again.json()["id"] == created["id"]

            # The gate works in front of the real server too.
            assert_problem(
                c.post("/v1/users", content=b"{", headers={"Content-Type": "application/json"}),
                400,
                "malformed_json",
            )
            assert_problem(
                c.post(
                    "/v1/users",
                    content=b"x" * (1024 * 1024 + 1),
                    headers={"Content-Type": "application/json"},
                ),
                413,
                "payload_too_large",
            )

            keys = c.get("/v1/api-keys").json()["items"]
            assert len(keys) == 1 and keys[0]["prefix"] == BOOTSTRAP_KEY[:12]
            assert BOOTSTRAP_KEY not in c.get("/v1/api-keys").text

        with httpx.Client(base_url=base, timeout=10) as anon:
            r = anon.get("/v1/me")
            assert_problem(r, 401, "unauthorized")
            assert r.headers["www-authenticate"].startswith("Bearer")
    assert BOOTSTRAP_KEY not in out.read_text()


def test_first_start_prints_a_key_once_and_the_cli_manages_keys(tmp_path):
    db_file = tmp_path / "fresh.db"
    with serve(tmp_path, db_file, run=1) as (base, out):
        pass
    first_out = out.read_text()
    printed = KEY_RE.findall(first_out)
    assert len(printed) == 1, first_out
    key = printed[0]

    with (
        serve(tmp_path, db_file, run=2) as (base, out2),
        httpx.Client(base_url=base, timeout=10) as c,
    ):
        me = c.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
        assert me.status_code == 200, me.text
        assert me.json()["name"] == "default"

        # keys create: prints the secret once, for a new workspace.
        created = rapport(db_file, "keys", "create", "--workspace", "w", "--name", "ops")
        secrets = KEY_RE.findall(created.stdout)
        assert len(secrets) == 1, created.stdout
        secret = secrets[0]
        prefix = secret[:12]
        assert prefix in created.stdout
        new_auth = {"Authorization": f"Bearer {secret}"}
        r = c.get("/v1/me", headers=new_auth)
        assert r.status_code == 200 and r.json()["name"] == "w"

        # keys list: prefixes, never secrets.
        listed = rapport_in_process(db_file, "keys", "list")
        assert listed.exit_code == 0, listed.output
        listing = listed.stdout
        assert prefix in listing and key[:12] in listing
        assert secret not in listing and key not in listing
        assert not KEY_RE.search(listing.replace(prefix, "").replace(key[:12], "")), listing
        rows = {line.split()[0]: line.split() for line in listing.splitlines()[1:] if line.strip()}
        assert rows[prefix][1:3] == ["w", "ops"]
        assert rows[key[:12]][1:3] == ["default", "bootstrap"]

        # keys revoke: the key is refused by the running server from then on.
        revoked = rapport_in_process(db_file, "keys", "revoke", prefix)
        assert revoked.exit_code == 0, revoked.output
        assert prefix in revoked.stdout
        r = c.get("/v1/me", headers=new_auth)
        assert_problem(r, 401, "unauthorized")
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert c.get("/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 200

        missing = rapport_in_process(db_file, "keys", "revoke", "rpk_NoSuchKy")
        assert missing.exit_code != 0
        assert "rpk_NoSuchKy" in missing.output

        relisted = rapport_in_process(db_file, "keys", "list").stdout
        row = next(line for line in relisted.splitlines() if line.startswith(prefix))
        assert re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\s*$", row), row  # revoked at

    second_out = out2.read_text()
    assert not KEY_RE.search(second_out), second_out
