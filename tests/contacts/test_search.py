"""Contacts ?q= through the trigram index of migration 0016 (pg_trgm's GIN index on
PostgreSQL, the FTS5 trigram table on SQLite): the same answers as the scan, whatever q
holds, and the index is what the handle read uses."""

import uuid

import pytest
from sqlalchemy import text

from app.contacts import search
from tests.contacts.helpers import contacts, post
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


def test_a_deleted_users_handles_leave_the_search_table(client, session, uid, backend):
    if backend != "sqlite":
        pytest.skip("the FTS5 table is SQLite's (PostgreSQL's index follows its rows)")
    count = text(f"SELECT count(*) FROM {search.SEARCH_TABLE} WHERE user_id = :u")
    user_hex = uid.replace("-", "")
    assert session.execute(count, {"u": user_hex}).scalar_one() == len(HANDLES)
    assert client.delete(f"/v1/users/{uid}").status_code == 204
    assert session.execute(count, {"u": user_hex}).scalar_one() == 0
