"""Contacts ?q= through the trigram index of migration 0016 (pg_trgm's GIN index on
PostgreSQL, the FTS5 trigram table on SQLite): the same answers as the scan, whatever q
holds, and the index is what the handle read uses."""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.auth import service as auth_service
from app.contacts import search
from app.core.config import Settings
from app.core.db import Database
from app.core.migrate import upgrade
from app.main import create_app
from tests.contacts.helpers import contacts, post
from tests.databases import throwaway_database
from tests.knowledge.helpers import make_user
from tests.support.plans import explain

HANDLES = ["grace-hopper", "grace_h", "ada", "bob-grace", "zoë*x", "[grace]"]


@pytest.fixture
def uid(client) -> str:
    uid = make_user(client, "Ada")
    for i, handle in enumerate(HANDLES):
        post(client, uid, occurred_at=f"2026-11-{i + 1:02d}T12:00:00Z", counterpart=handle)
    return uid


def _found(client, uid: str, q: str) -> set[str]:
    items = contacts(client, uid, q=q, limit=100, as_of="2026-11-30T00:00:00Z")["items"]
    return {h for item in items for h in item["handles"]}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("grace", {"grace-hopper", "grace_h", "bob-grace", "[grace]"}),
        ("GRACE", {"grace-hopper", "grace_h", "bob-grace", "[grace]"}),
        ("ce_", {"grace_h"}),  # _ is a character, not LIKE's wildcard
        ("e-h", {"grace-hopper"}),
        ("gr", {"grace-hopper", "grace_h", "bob-grace", "[grace]"}),  # too short: the scan
        ("ë*x", {"zoë*x"}),  # GLOB's * is a character here: the scan
        ("[gra", {"[grace]"}),
        ("race]", {"[grace]"}),
        ("hopper!", set()),
    ],
)
def test_q_finds_the_same_handles_through_the_index_or_the_scan(client, uid, q, expected):
    assert _found(client, uid, q) == expected


def test_the_handle_read_uses_the_trigram_index(session, uid, backend):
    stmt = search._by_handle(backend == "sqlite")
    params = {"user_id": uuid.UUID(uid), "pattern": search.like_pattern("grace"), "cap": 10}
    if backend == "sqlite":
        plan = explain(session, stmt, {**params, "glob": "*grace*"})
        assert any("VIRTUAL TABLE INDEX" in line for line in plan.lines), plan.text()
        return
    # The planner picks it by the table's size and q's selectivity (at 100,000 handles:
    # bench/README.md), not here: the index must exist, a GIN of trigrams.
    found = session.execute(
        text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": search.TRIGRAM_INDEX}
    ).scalar_one()
    # On the expression the query compares, not the column: pg_trgm serves = too, and the
    # planner took an index on the plain column for lookups of many handles (1.9 s).
    assert 'USING gin (handle COLLATE "C" gin_trgm_ops)' in found


def test_a_deleted_users_handles_are_not_found_and_leave_the_search_table(
    client, session, uid, backend
):
    other = make_user(client, "Bob")
    for handle in HANDLES:
        post(client, other, occurred_at="2026-11-10T12:00:00Z", counterpart=handle)
    count = text(f"SELECT count(*) FROM {search.SEARCH_TABLE} WHERE user_id = :u")
    if backend == "sqlite":
        assert session.execute(count, {"u": uid.replace("-", "")}).scalar_one() == len(HANDLES)
    assert client.delete(f"/v1/users/{uid}").status_code == 204
    items = contacts(client, other, q="grace", limit=100, as_of="2026-11-30T00:00:00Z")["items"]
    assert sorted(h for item in items for h in item["handles"]) == sorted(
        ["grace-hopper", "grace_h", "bob-grace", "[grace]"]
    )
    if backend == "sqlite":  # PostgreSQL's index follows its table's rows
        assert session.execute(count, {"u": uid.replace("-", "")}).scalar_one() == 0


def test_without_the_index_q_scans_and_answers_the_same(backend, tmp_path):
    """A database where 0016 could not make its index (pg_trgm refused, SQLite without
    FTS5) answers q by the scan."""
    with throwaway_database(backend, tmp_path) as url:
        upgrade(url)
        engine = create_engine(url)
        with engine.begin() as conn:
            if backend == "sqlite":
                conn.execute(text("DROP TRIGGER contact_handle_search_insert"))
                conn.execute(text("DROP TRIGGER contact_handle_search_user_delete"))
                conn.execute(text(f"DROP TABLE {search.SEARCH_TABLE}"))
            else:
                conn.execute(text(f"DROP INDEX {search.TRIGRAM_INDEX}"))
        engine.dispose()
        db = Database(url, Settings(database_url=url))
        key = "rpk_" + uuid.uuid4().hex + uuid.uuid4().hex
        with db.session(write=True) as s:
            auth_service.bootstrap(s, key)
            s.commit()
        db.dispose()
        app = create_app(Settings(database_url=url, rate_limit="off", auth_failure_limit="off"))
        with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as c:
            user = make_user(c, "Ada")
            for i, handle in enumerate(HANDLES):
                at = f"2026-11-{i + 1:02d}T12:00:00Z"
                post(c, user, occurred_at=at, counterpart=handle)
            assert _found(c, user, "grace") == {"grace-hopper", "grace_h", "bob-grace", "[grace]"}
            assert _found(c, user, "e-h") == {"grace-hopper"}
        app.state.db.dispose()
