"""Scoped keys where they are stored: migration 0011 makes every existing key admin, and
`rapport keys create --scope … --expires-at …` stores what it is told (on each backend)."""

import re

from sqlalchemy import create_engine, select, text
from sqlmodel import Session

from app.auth.models import ApiKey
from app.core.migrate import downgrade, upgrade
from tests.api.test_server import rapport_in_process
from tests.databases import throwaway_database

KEY_RE = re.compile(r"rpk_[A-Za-z0-9_-]{22,}")


def test_0011_makes_every_existing_key_admin(backend, tmp_path):
    with throwaway_database(backend, tmp_path) as url:
        upgrade(url, "0010")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO workspace (id, name, created_at) VALUES (:id, 'w', :at)"),
                {"id": "1" * 32, "at": "2026-01-01T00:00:00+00:00"},
            )
            for n in range(2):
                conn.execute(
                    text(
                        "INSERT INTO api_key (id, workspace_id, name, prefix, key_hash, "
                        "created_at) VALUES (:id, :ws, 'old', 'rpk_old', :hash, :at)"
                    ),
                    {"id": f"{n}" * 32, "ws": "1" * 32, "hash": f"{n}" * 64, "at": "2026-01-01"},
                )
        upgrade(url)
        with Session(engine) as session:
            keys = session.execute(select(ApiKey)).scalars().all()
            assert [(k.scopes, k.expires_at) for k in keys] == [(["admin"], None)] * 2
        downgrade(url, "0010")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM api_key")).scalar() == 2
        engine.dispose()


def test_keys_create_takes_scopes_and_an_expiry(tmp_path):
    db_file = tmp_path / "cli.db"
    made = rapport_in_process(
        db_file,
        "keys",
        "create",
        "--workspace",
        "w",
        "--scope",
        "read,write",
        "--scope",
        "read",
        "--expires-at",
        "2099-01-01T00:00:00+01:00",
    )
    assert made.exit_code == 0, made.output
    assert len(KEY_RE.findall(made.stdout)) == 1
    plain = rapport_in_process(db_file, "keys", "create", "--workspace", "w", "--name", "plain")
    assert plain.exit_code == 0, plain.output

    listing = rapport_in_process(db_file, "keys", "list").stdout.splitlines()
    assert "SCOPES" in listing[0] and "EXPIRES" in listing[0]
    assert "read,write" in listing[1] and "2098-12-31T23:00:00Z" in listing[1], listing
    assert "admin" in listing[2] and listing[2].split()[-1] == "-", listing  # not revoked

    for args, says in (
        (["--scope", "root"], "unknown scope"),
        (["--expires-at", "2020-01-01T00:00:00Z"], "future"),
        (["--expires-at", "2099-01-01T00:00:00"], "offset"),
        (["--expires-at", "soon"], "soon"),
    ):
        bad = rapport_in_process(db_file, "keys", "create", "--workspace", "w", *args)
        assert bad.exit_code == 1 and says in bad.output, (args, bad.output)
