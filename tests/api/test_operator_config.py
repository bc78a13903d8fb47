"""Operators never get a silent wrong database: unknown RAPPORT_* variables are an error
naming the closest setting, every command says which database it uses (password masked),
postgres:// and postgresql:// URLs work, and start-up failures are one line and exit 1.

Real `rapport` processes; the PostgreSQL cases need RAPPORT_TEST_POSTGRES_URL."""

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.databases import POSTGRES_URL, throwaway_database
from tests.support.processes import RAPPORT

needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="RAPPORT_TEST_POSTGRES_URL is not set")


def run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("RAPPORT_")}
    return subprocess.run(
        [RAPPORT, *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_line_failure(result: subprocess.CompletedProcess, *words: str) -> str:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr
    failure = [line for line in result.stderr.splitlines() if line.startswith("rapport: ")]
    assert len(failure) == 1, result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2, result.stderr  # database line + failure
    for word in words:
        assert word in failure[0], failure[0]
    return failure[0]


def test_a_misspelt_variable_is_an_error_naming_the_setting(tmp_path):
    for command in (["migrate"], ["serve", "--port", "1"], ["keys", "list"]):
        result = run(tmp_path, *command, RAPPORT_DATABSE_URL=f"sqlite:///{tmp_path / 'meant.db'}")
        line = assert_one_line_failure(
            result, "RAPPORT_DATABSE_URL", "did you mean RAPPORT_DATABASE_URL?"
        )
        assert line == (
            "rapport: RAPPORT_DATABSE_URL is not a Rapport setting; "
            "did you mean RAPPORT_DATABASE_URL?"
        )
    assert not (tmp_path / "rapport.db").exists()  # it used to run on ./rapport.db
    assert not (tmp_path / "meant.db").exists()


def test_the_environment_check(monkeypatch):
    from app.core.config import ConfigError, check_environment, load_settings

    check_environment(
        {
            "RAPPORT_TEST_POSTGRES_URL": "x",
            "RAPPORT_BENCH_POSTGRES_URL": "x",
            "RAPPORT_READ_TIMEOUT_S": "5",
            "rapport_keep_alive_s": "9",
            "HOME": "/",
        }
    )
    with pytest.raises(ConfigError, match="did you mean RAPPORT_READ_TIMEOUT_S"):
        check_environment({"RAPPORT_READ_TIMEOUT": "5"})
    with pytest.raises(ConfigError, match="the settings are RAPPORT_DATABASE_URL, "):
        check_environment({"RAPPORT_ZZZ": "1"})
    monkeypatch.setenv("RAPPORT_READ_TIMEOUT_S", "0")
    with pytest.raises(
        ConfigError, match=r"^RAPPORT_READ_TIMEOUT_S: Input should be greater than 0$"
    ):
        load_settings()


def test_defaults_and_postgres_url_spellings():
    from app.core.config import Settings

    s = Settings()
    assert (s.read_timeout_s, s.keep_alive_s) == (30, 75)
    for given in (
        "postgres://u:p%40ss@db.example:5433/rapport?sslmode=require",
        "postgresql://u:p%40ss@db.example:5433/rapport?sslmode=require",
        "postgresql+psycopg://u:p%40ss@db.example:5433/rapport?sslmode=require",
    ):
        url = Settings(database_url=given).database_url
        assert url == "postgresql+psycopg://u:p%40ss@db.example:5433/rapport?sslmode=require", given
        assert make_url(url).password == "p@ss"
    assert Settings(database_url="sqlite:///./x.db").database_url == "sqlite:///./x.db"
    for bad in ("nonsense", "mysql://h/db", "postgresql+psycopg2://h/db"):
        with pytest.raises(ValueError, match="database_url"):
            Settings(database_url=bad)


def test_the_cli_says_which_database_it_uses_and_when_it_creates_one(tmp_path):
    result = run(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    where = tmp_path / "rapport.db"
    assert result.stderr.splitlines() == [
        f"rapport migrate: database sqlite:///./rapport.db ({where})",
        f"rapport migrate: created a new SQLite database at {where}",
    ]
    result = run(tmp_path, "keys", "list")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"rapport keys list: database sqlite:///./rapport.db ({where})"
    ]
    assert result.stdout.startswith("PREFIX")  # stdout stays the listing alone


def test_start_up_failures_are_one_line(tmp_path):
    assert_one_line_failure(
        run(tmp_path, "serve", "--port", "1", RAPPORT_DATABASE_URL="nonsense"),
        "RAPPORT_DATABASE_URL",
        "not a database URL",
    )
    assert_one_line_failure(
        run(tmp_path, "migrate", RAPPORT_READ_TIMEOUT_S="soon"), "RAPPORT_READ_TIMEOUT_S"
    )
    missing_dir = f"sqlite:///{tmp_path / 'no-such-dir' / 'r.db'}"
    assert_one_line_failure(
        run(tmp_path, "keys", "create", "--workspace", "w", RAPPORT_DATABASE_URL=missing_dir),
        "unable to open database file",
        "directory",
    )
    # Nothing listens on port 1: refused at once.
    result = run(
        tmp_path,
        "serve",
        "--port",
        "2",
        RAPPORT_DATABASE_URL="postgres://rapport:hunter2@127.0.0.1:1/rapport",
    )
    assert_one_line_failure(
        result, "postgresql+psycopg://rapport:***@127.0.0.1:1/rapport", "refused"
    )
    assert "hunter2" not in result.stderr + result.stdout
    assert (
        result.stderr.splitlines()[0]
        == "rapport serve: database postgresql+psycopg://rapport:***@127.0.0.1:1/rapport"
    )


@needs_postgres
def test_a_missing_postgres_database_is_one_line(tmp_path):
    missing = make_url(POSTGRES_URL).set(
        database=f"rapport_missing_{uuid.uuid4().hex[:8]}", password="s3cret"
    )
    for command in (["serve", "--port", "1"], ["migrate"], ["keys", "list"]):
        result = run(
            tmp_path, *command, RAPPORT_DATABASE_URL=missing.render_as_string(hide_password=False)
        )
        assert_one_line_failure(result, f'database "{missing.database}" does not exist', "createdb")
        assert "s3cret" not in result.stderr + result.stdout
        assert (
            f"database {missing.render_as_string(hide_password=True)}"
            in result.stderr.splitlines()[0]
        )


@needs_postgres
def test_postgres_and_postgresql_schemes_work(tmp_path):
    with throwaway_database("postgres", tmp_path) as url:
        parsed = make_url(url)
        for scheme in ("postgres", "postgresql"):
            given = parsed.set(drivername=scheme).render_as_string(hide_password=False)
            result = run(tmp_path, "migrate", RAPPORT_DATABASE_URL=given)
            assert result.returncode == 0, result.stderr  # was: no plugin postgres / no psycopg2
            assert "rapport migrate: database postgresql+psycopg://" in result.stderr
        result = run(
            tmp_path,
            "keys",
            "create",
            "--workspace",
            "w",
            RAPPORT_DATABASE_URL=parsed.set(drivername="postgres").render_as_string(
                hide_password=False
            ),
        )
        assert result.returncode == 0 and "rpk_" in result.stdout, result.stderr
